/**
 * The contract every ContentStore implementation passes (after containerd's content testsuite):
 * write/commit/read round trips, expected size and digest enforced at commit, committing existing
 * content succeeds, aborted and failed writes leave nothing behind, verified reads catch corruption.
 * A store module runs it with `contentStoreContract('name', factory)`.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { type Digest } from '../../src/core/digest.js';
import { sha256 } from '../../src/core/hashing.js';
import { DigestMismatchError, NotFoundError, SizeMismatchError } from '../../src/core/errors.js';
import type { ContentStore } from '../../src/content/content-store.js';

export interface StoreFixture {
  store: ContentStore;
  /** Flips a byte of a committed blob behind the store's back. */
  corrupt(digest: Digest): Promise<void>;
  /** Number of in-progress write files (temp files) the store currently holds. */
  pendingWrites(): Promise<number>;
}

async function drain(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export function contentStoreContract(name: string, open: (t: { after: (fn: () => unknown) => void }) => Promise<StoreFixture>): void {
  describe(`ContentStore contract: ${name}`, () => {
    test('write, commit, then info/reader/readBytes return the same bytes', async (t) => {
      const { store } = await open(t);
      const w = await store.writer();
      await w.write(Buffer.from('hello '));
      await w.write(Buffer.from('world'));
      assert.equal(w.written, 11);
      const info = await w.commit();
      assert.equal(info.digest, sha256('hello world'));
      assert.deepEqual(await store.info(info.digest), { digest: info.digest, size: 11 });
      assert.equal((await drain(await store.reader(info.digest, { verify: true }))).toString(), 'hello world');
      assert.equal((await store.readBytes(info.digest)).toString(), 'hello world');
    });

    test('an empty blob is a blob', async (t) => {
      const { store } = await open(t);
      const info = await store.put(Buffer.alloc(0));
      assert.equal(info.digest, sha256(''));
      assert.equal((await store.readBytes(info.digest)).length, 0);
    });

    test('commit refuses a digest mismatch and leaves nothing behind', async (t) => {
      const { store, pendingWrites } = await open(t);
      const w = await store.writer();
      await w.write(Buffer.from('actual'));
      await assert.rejects(w.commit({ digest: sha256('expected') }), DigestMismatchError);
      assert.equal(await store.info(sha256('actual')), undefined);
      assert.equal(await pendingWrites(), 0);
    });

    test('commit refuses a size mismatch', async (t) => {
      const { store, pendingWrites } = await open(t);
      const w = await store.writer();
      await w.write(Buffer.from('12345'));
      await assert.rejects(w.commit({ size: 4 }), SizeMismatchError);
      assert.equal(await store.info(sha256('12345')), undefined);
      assert.equal(await pendingWrites(), 0);
    });

    test('committing content that already exists succeeds (CommitExists)', async (t) => {
      const { store } = await open(t);
      const a = await store.put(Buffer.from('same'));
      const w = await store.writer();
      await w.write(Buffer.from('same'));
      assert.deepEqual(await w.commit({ digest: a.digest, size: 4 }), a);
      const n = [];
      for await (const b of store.walk()) n.push(b);
      assert.equal(n.length, 1);
    });

    test('abort throws the bytes away', async (t) => {
      const { store, pendingWrites } = await open(t);
      const w = await store.writer();
      await w.write(Buffer.from('doomed'));
      await w.abort();
      assert.equal(await store.info(sha256('doomed')), undefined);
      assert.equal(await pendingWrites(), 0);
    });

    test('put streams a large source in constant memory and hashes it right', async (t) => {
      const { store } = await open(t);
      const chunk = Buffer.alloc(1 << 20, 7);
      const h = createHash('sha256');
      const source = Readable.from((function* () { for (let i = 0; i < 32; i++) { h.update(chunk); yield chunk; } })());
      const info = await store.put(source);
      assert.equal(info.size, 32 << 20);
      assert.equal(info.digest, `sha256:${h.digest('hex')}`);
    });

    test('put with a known digest that exists skips the write and still drains the source', async (t) => {
      const { store } = await open(t);
      const a = await store.put(Buffer.from('known'));
      let read = false;
      const src = Readable.from((async function* () { read = true; yield Buffer.from('known'); })());
      assert.deepEqual(await store.put(src, { digest: a.digest, size: 5 }), a);
      await new Promise((r) => setImmediate(r));
      assert.ok(read, 'the source was consumed');
    });

    test('concurrent writers of the same content both succeed', async (t) => {
      const { store } = await open(t);
      const [a, b] = await Promise.all([store.put(Buffer.from('race')), store.put(Buffer.from('race'))]);
      assert.deepEqual(a, b);
    });

    test('absent blobs: info is undefined, reader and readBytes throw NotFoundError', async (t) => {
      const { store } = await open(t);
      const d = sha256('nope');
      assert.equal(await store.info(d), undefined);
      await assert.rejects(store.reader(d), NotFoundError);
      await assert.rejects(store.readBytes(d), NotFoundError);
    });

    test('a verified read of a corrupted blob fails with a digest mismatch', async (t) => {
      const { store, corrupt } = await open(t);
      const info = await store.put(Buffer.from('precious data'));
      await corrupt(info.digest);
      await assert.rejects(drain(await store.reader(info.digest, { verify: true })), DigestMismatchError);
    });

    test('readBytes always verifies', async (t) => {
      const { store, corrupt } = await open(t);
      const info = await store.put(Buffer.from('{"config":true}'));
      await corrupt(info.digest);
      await assert.rejects(store.readBytes(info.digest), DigestMismatchError);
    });

    test('walk lists committed blobs; delete removes one and tolerates absent ones', async (t) => {
      const { store } = await open(t);
      const a = await store.put(Buffer.from('a'));
      const b = await store.put(Buffer.from('b'));
      const seen = new Set<string>();
      for await (const x of store.walk()) seen.add(x.digest);
      assert.deepEqual(seen, new Set([a.digest, b.digest]));
      await store.delete(a.digest);
      await store.delete(a.digest);
      assert.equal(await store.info(a.digest), undefined);
      assert.ok(await store.info(b.digest));
    });
  });
}
