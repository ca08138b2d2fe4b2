import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { sha256 } from '../../../src/core/hashing.js';
import { SYNC_EACH_MAX } from '../../../src/content/blob-writer.js';
import { LocalContentStore } from '../../../src/content/local-store.js';
import { contentStoreContract } from '../../contracts/content-store.contract.js';
import { tempDir } from '../../helpers/tmp.js';

contentStoreContract('LocalContentStore', async (t) => {
  const root = await tempDir(t);
  const store = await LocalContentStore.open(root);
  return {
    store,
    async corrupt(digest) {
      const path = store.blobPath(digest);
      const data = await readFile(path);
      data[0] = data[0]! ^ 0xff;
      await writeFile(path, data);
    },
    pendingWrites: async () => (await readdir(store.ingestDir)).length,
  };
});

test('the store root is an OCI image layout', async (t) => {
  const root = await tempDir(t);
  await LocalContentStore.open(root);
  assert.equal(await readFile(join(root, 'oci-layout'), 'utf8'), '{"imageLayoutVersion":"1.0.0"}');
  assert.deepEqual(JSON.parse(await readFile(join(root, 'index.json'), 'utf8')).manifests, []);
  assert.deepEqual(await readdir(join(root, 'blobs')), ['sha256']);
});

test('a corrupted blob found by a verified read goes to quarantine, and the next write heals it', async (t) => {
  const root = await tempDir(t);
  const store = await LocalContentStore.open(root);
  const info = await store.put(Buffer.from('heal me'));
  await writeFile(store.blobPath(info.digest), 'hEAL me');
  await assert.rejects(store.readBytes(info.digest));
  assert.equal(await store.info(info.digest), undefined, 'moved out of blobs/');
  assert.deepEqual(await readdir(store.quarantineDir), [info.digest.slice(7)]);
  await store.put(Buffer.from('heal me'));
  assert.equal((await store.readBytes(info.digest)).toString(), 'heal me');
});

test('a writer killed mid-blob leaves no blob under its final name, and cleanIngest removes its temp file', async (t) => {
  const root = await tempDir(t);
  const store = await LocalContentStore.open(root);
  const url = new URL('../../../src/content/local-store.js', import.meta.url).href;
  const child = spawn(process.execPath, ['--input-type=module', '-e', `
    const { LocalContentStore } = await import(${JSON.stringify(url)});
    const s = await LocalContentStore.open(${JSON.stringify(root)});
    const w = await s.writer();
    await w.write(Buffer.alloc(1 << 20, 1));
    process.stdout.write('written\\n');
    setInterval(() => {}, 1000);
  `], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  assert.equal(await store.info(sha256(Buffer.alloc(1 << 20, 1))), undefined);
  assert.equal((await readdir(store.ingestDir)).length, 1, 'the dead writer left its temp file');
  assert.equal(await store.cleanIngest(), 1);
  assert.equal((await readdir(store.ingestDir)).length, 0);
});

test('a durability batch makes many blobs visible only at flush', async (t) => {
  const root = await tempDir(t);
  const store = await LocalContentStore.open(root);
  const batch = store.newBatch();
  const digests = [];
  for (let i = 0; i < 50; i++) digests.push((await store.put(Buffer.from(`chunk ${i}`), {}, batch)).digest);
  await store.put(Buffer.from('chunk 7'), {}, batch);
  assert.equal(batch.size, 50);
  assert.equal(await store.info(digests[0]!), undefined, 'not visible before flush');
  await batch.flush();
  for (const d of digests) assert.ok(await store.info(d));
  assert.equal((await readdir(store.ingestDir)).length, 0);
  assert.equal((await store.readBytes(digests[3]!)).toString(), 'chunk 3');
});

test('a small batch syncs its own files; only a big one takes the syncfs (and the writeback before it)', async (t) => {
  const root = await tempDir(t);
  const store = await LocalContentStore.open(root);
  const fill = async (n: number, tag: string) => {
    const batch = store.newBatch();
    const digests = [];
    for (let i = 0; i < n; i++) digests.push((await store.put(Buffer.from(`${tag} ${i}`), {}, batch)).digest);
    return { batch, digests };
  };
  let writebacks = 0;
  const writeback = async () => void writebacks++;

  const small = await fill(SYNC_EACH_MAX, 'small');
  await small.batch.flush(writeback);
  assert.equal(writebacks, 0, "no syncfs: other programs' dirty pages are not ours to write");
  for (const d of small.digests) assert.ok(await store.info(d));

  const big = await fill(SYNC_EACH_MAX + 1, 'big');
  await big.batch.flush(writeback);
  assert.equal(writebacks, 1);
  for (const d of big.digests) assert.ok(await store.info(d));
  assert.equal((await readdir(store.ingestDir)).length, 0);
});
