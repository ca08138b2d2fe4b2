/**
 * The contract every repository Backend passes (after restic's generic backend tests): round trips,
 * ranged reads, recursive listing, missing files as NotFoundError, overwrite semantics, atomic puts
 * (a reader never sees a partial file, a failed put leaves nothing), big files streamed, and names
 * that try to leave the backend's root refused. A backend module runs it with
 * `backendContract('name', factory)`.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { InvalidInputError, NotFoundError, SizeMismatchError } from '../../src/core/errors.js';
import { getBytes, isTempName, readAll, type Backend } from '../../src/repository/backend.js';

export interface BackendFixture {
  backend: Backend;
}

type Open = (t: { after: (fn: () => unknown) => void }) => Promise<BackendFixture>;

const MiB = 1024 * 1024;

function pattern(size: number, seed = 7): Buffer {
  const b = Buffer.alloc(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    b[i] = x >>> 16;
  }
  return b;
}

/** A reopenable stream source of `chunks` chunks of `chunk` bytes, optionally slow, optionally failing. */
function slowSource(chunks: number, chunk: number, opts: { delayMs?: number; failAt?: number } = {}) {
  return {
    size: chunks * chunk,
    open: () =>
      Readable.from(
        (async function* () {
          for (let i = 0; i < chunks; i++) {
            if (opts.failAt === i) throw new Error('source failed on purpose');
            if (opts.delayMs) await sleep(opts.delayMs);
            yield pattern(chunk, i + 1);
          }
        })(),
        { objectMode: false },
      ),
  };
}

export function backendContract(name: string, open: Open): void {
  describe(`Backend contract: ${name}`, () => {
    test('put, stat, get round trip, directories created as needed', async (t) => {
      const { backend } = await open(t);
      const data = pattern(100_000);
      await backend.put('data/ab/abcdef', data);
      assert.equal((await backend.stat('data/ab/abcdef')).size, data.length);
      assert.deepEqual(await getBytes(backend, 'data/ab/abcdef', undefined, MiB), data);
    });

    test('concurrent puts that create the same new directories all succeed', async (t) => {
      const { backend } = await open(t);
      await Promise.all(Array.from({ length: 8 }, (_, i) => backend.put(`data/7f/p${i}`, pattern(1000, i))));
      assert.equal((await backend.list('data/7f')).length, 8);
    });

    test('an empty file is a file', async (t) => {
      const { backend } = await open(t);
      await backend.put('empty', Buffer.alloc(0));
      assert.equal((await backend.stat('empty')).size, 0);
      assert.equal((await getBytes(backend, 'empty', undefined, 10)).length, 0);
    });

    test('ranged get: offset and length, offset to the end, zero length', async (t) => {
      const { backend } = await open(t);
      const data = pattern(300_000);
      await backend.put('f', data);
      assert.deepEqual(await getBytes(backend, 'f', { offset: 1000, length: 5000 }, MiB), data.subarray(1000, 6000));
      assert.deepEqual(await getBytes(backend, 'f', { offset: 299_990 }, MiB), data.subarray(299_990));
      assert.equal((await getBytes(backend, 'f', { offset: 10, length: 0 }, MiB)).length, 0);
      await assert.rejects(getBytes(backend, 'f', { offset: 299_000, length: 5000 }, MiB), SizeMismatchError, 'a range past the end comes back short, and the check says so');
    });

    test('list is recursive, names are relative, sizes are right; a missing prefix lists empty', async (t) => {
      const { backend } = await open(t);
      await backend.put('data/00/a', pattern(10));
      await backend.put('data/01/b', pattern(20));
      await backend.put('index/c', pattern(30));
      const data = (await backend.list('data')).map((f) => [f.name, f.size]).sort();
      assert.deepEqual(data, [['data/00/a', 10], ['data/01/b', 20]]);
      assert.deepEqual(await backend.list('nothing-here'), []);
      assert.equal((await backend.list('')).length, 3);
    });

    test('missing files: stat, get and delete throw NotFoundError', async (t) => {
      const { backend } = await open(t);
      await assert.rejects(backend.stat('nope'), NotFoundError);
      await assert.rejects(backend.get('nope'), NotFoundError);
      await assert.rejects(backend.delete('nope'), NotFoundError);
      await assert.rejects(backend.stat('no/such/dir/file'), NotFoundError);
    });

    test('delete removes the file', async (t) => {
      const { backend } = await open(t);
      await backend.put('locks/x.json', Buffer.from('{}'));
      await backend.delete('locks/x.json');
      await assert.rejects(backend.stat('locks/x.json'), NotFoundError);
      assert.deepEqual(await backend.list('locks'), []);
    });

    test('put over an existing name replaces it', async (t) => {
      const { backend } = await open(t);
      await backend.put('config.json', Buffer.from('first version, longer'));
      await backend.put('config.json', Buffer.from('second'));
      assert.equal((await getBytes(backend, 'config.json', undefined, 100)).toString(), 'second');
      assert.deepEqual((await backend.list('')).map((f) => f.name), ['config.json']);
    });

    test('atomic put: while a slow put runs, readers see the old file or the new one whole, never a prefix', async (t) => {
      const { backend } = await open(t);
      const old = pattern(5000, 99);
      const next = Buffer.concat(Array.from({ length: 8 }, (_, i) => pattern(64 * 1024, i + 1)));
      await backend.put('f', old);
      const source = slowSource(8, 64 * 1024, { delayMs: 40 });
      let done = false;
      const putting = backend.put('f', source).then(() => (done = true));
      let sawOld = 0;
      while (!done) {
        const seen = await getBytes(backend, 'f', undefined, MiB);
        if (seen.equals(old)) sawOld++;
        else assert.ok(seen.equals(next), `a reader saw ${seen.length} bytes that are neither the old file nor the new one`);
        await sleep(20);
      }
      await putting;
      assert.ok(sawOld >= 3, 'the old file stayed readable while the new one was written');
      assert.equal((await backend.stat('f')).size, source.size);
      assert.deepEqual(await readAll(await backend.get('f'), MiB), next);
    });

    test('a put whose source fails leaves neither the file nor a temp file', async (t) => {
      const { backend } = await open(t);
      await assert.rejects(backend.put('data/aa/new', slowSource(4, 32 * 1024, { failAt: 2 })));
      await assert.rejects(backend.stat('data/aa/new'), NotFoundError);
      assert.deepEqual((await backend.list('data')).filter((f) => isTempName(f.name)), []);
    });

    test('a put whose source is shorter than its size is refused and leaves nothing', async (t) => {
      const { backend } = await open(t);
      await assert.rejects(backend.put('short', { size: 1000, open: () => Readable.from([Buffer.alloc(10)]) }), SizeMismatchError);
      await assert.rejects(backend.stat('short'), NotFoundError);
    });

    test('big file streamed both ways with constant memory', async (t) => {
      const { backend } = await open(t);
      const source = slowSource(48, 512 * 1024); // 24 MiB, generated on the fly
      const want = createHash('sha256');
      for await (const c of source.open()) want.update(c as Buffer);
      await backend.put('big', source);
      const got = createHash('sha256');
      let n = 0;
      for await (const c of await backend.get('big')) {
        got.update(c as Buffer);
        n += (c as Buffer).length;
      }
      assert.equal(n, source.size);
      assert.equal(got.digest('hex'), want.digest('hex'));
      const mid = await getBytes(backend, 'big', { offset: 20 * MiB + 3, length: 100 }, MiB);
      assert.deepEqual(mid, pattern(512 * 1024, 41).subarray(3, 103));
    });

    test('names that try to leave the root are refused (path traversal is blocked)', async (t) => {
      const { backend } = await open(t);
      for (const bad of ['../escape', 'data/../../escape', '/etc/passwd', 'a//b', '.', 'data/./x', '', 'x\0y', 'back\\slash']) {
        await assert.rejects(backend.put(bad, Buffer.from('x')), InvalidInputError, bad);
        await assert.rejects(backend.get(bad), InvalidInputError, bad);
      }
      await assert.rejects(backend.list('../'), InvalidInputError);
    });
  });
}
