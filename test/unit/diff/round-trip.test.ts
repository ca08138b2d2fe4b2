/**
 * Directory → writeLayer → unpackLayer → directory gives the same tree, for every compression and
 * every kind of node; GNU tar extracts our output to the same tree too (interop), and the layer
 * is byte-for-byte reproducible.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { LocalContentStore } from '../../../src/content/local-store.js';
import { unpackLayer } from '../../../src/diff/unpack.js';
import { writeLayer } from '../../../src/diff/walk.js';
import { native } from '../../../src/platform/native.js';
import { buildFixtureTree, CAP_NET_BIND_SERVICE } from '../../helpers/fixture-tree.js';
import { needs } from '../../helpers/requirements.js';
import { tempDir } from '../../helpers/tmp.js';
import { compareTrees } from '../../helpers/tree-compare.js';

async function scene(t: Parameters<typeof tempDir>[0]) {
  const base = await tempDir(t, 'lb-roundtrip-');
  const src = join(base, 'src');
  await mkdir(src);
  await buildFixtureTree(src);
  const store = await LocalContentStore.open(join(base, 'store'));
  return { base, src, store };
}

for (const compression of ['gzip', 'zstd', 'none'] as const) {
  test(`round trip (${compression}): every file kind, owner, mode, xattr, link and mtime survives`, { skip: needs({ root: true }) }, async (t) => {
    const { base, src, store } = await scene(t);
    const layer = await writeLayer(src, { source: 'plain', compression }, store);
    assert.equal((await store.info(layer.digest))?.size, layer.size, 'the blob was committed under its digest');
    const dst = join(base, 'dst');
    await mkdir(dst);
    const r = await unpackLayer(dst, await store.reader(layer.digest, { verify: true }), { whiteouts: 'flatten', diffId: layer.diffId });
    assert.equal(r.entries, layer.entries);
    assert.deepEqual(r.skipped, { devices: 0, xattrs: 0 });
    assert.deepEqual(await compareTrees(src, dst), []);
    assert.deepEqual(native.lgetxattr(join(dst, 'setuid'), 'security.capability'), CAP_NET_BIND_SERVICE);
  });
}

test('the same tree gives the same layer digest twice (deterministic output)', async (t) => {
  const { src, store } = await scene(t);
  const a = await writeLayer(src, { source: 'plain', compression: 'gzip' }, store);
  const b = await writeLayer(src, { source: 'plain', compression: 'gzip' }, store);
  assert.deepEqual(a, b);
  assert.notEqual(a.digest, a.diffId);
});

test('GNU tar extracts writeLayer output to the same tree (interop)', { skip: needs({ root: true, commands: ['tar'] }) }, async (t) => {
  const { base, src, store } = await scene(t);
  const layer = await writeLayer(src, { source: 'plain', compression: 'none' }, store);
  const dst = join(base, 'gnu');
  await mkdir(dst);
  const blob = join(base, 'store/blobs/sha256', layer.digest.slice(7));
  const r = spawnSync('tar', ['--xattrs', "--xattrs-include=*", '--numeric-owner', '-xpf', blob, '-C', dst], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(await compareTrees(src, dst), []);
});

test('GNU tar lists the entries in our order, parents first, with hardlinks as links', { skip: needs({ commands: ['tar'] }) }, async (t) => {
  const { base, src, store } = await scene(t);
  const layer = await writeLayer(src, { source: 'plain', compression: 'gzip' }, store);
  const r = spawnSync('tar', ['-tvzf', join(base, 'store/blobs/sha256', layer.digest.slice(7))], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, layer.entries);
  // Depth first: dir/hl-second is met before hl-first, so it holds the data and the others link to it.
  assert.ok(lines.some((l) => /^-.* dir\/hl-second$/.test(l)), 'the first path holds the data');
  assert.ok(lines.some((l) => /^h.* hl-first link to dir\/hl-second$/.test(l)), 'a later path is a hardlink to the first');
  assert.ok(lines.some((l) => /^h.* dir\/sub\/hl-third link to dir\/hl-second$/.test(l)));
  assert.ok(lines.some((l) => /abs-link -> \/usr\/bin\/dash$/.test(l)), 'absolute symlink stored verbatim');
  const names = lines.map((l) => l.replace(/^.*? \d\d:\d\d /, '').replace(/ (->|link to) .*$/, ''));
  for (const [i, n] of names.entries()) {
    const parent = n.replace(/\/$/, '').split('/').slice(0, -1).join('/');
    if (parent) assert.ok(names.slice(0, i).includes(`${parent}/`), `${n} comes after its parent`);
  }
});

test('writeLayer streams: a 512 MiB file goes through with flat memory', async (t) => {
  const base = await tempDir(t, 'lb-big-');
  const src = join(base, 'src');
  await mkdir(src);
  const fh = await (await import('node:fs/promises')).open(join(src, 'big'), 'w');
  await fh.truncate(512 * 1024 * 1024);
  await fh.close();
  const store = await LocalContentStore.open(join(base, 'store'));
  let peak = 0;
  const start = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss - start)), 20);
  try {
    const layer = await writeLayer(src, { source: 'plain', compression: 'zstd' }, store);
    const dst = join(base, 'dst');
    await mkdir(dst);
    await unpackLayer(dst, createReadStream(join(base, 'store/blobs/sha256', layer.digest.slice(7))), { whiteouts: 'flatten', diffId: layer.diffId });
  } finally {
    clearInterval(timer);
  }
  assert.ok(peak < 160 * 1024 * 1024, `rss grew by ${Math.round(peak / 1048576)} MiB for a 512 MiB layer`);
  assert.equal((await readFile(join(base, 'dst/big'))).length, 512 * 1024 * 1024);
});
