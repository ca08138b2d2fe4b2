/**
 * `volume export` writes a tar that GNU tar reads (names, modes, owners, symlinks, hardlinks and
 * xattrs), or a zip that unzip reads; `volume import` fills a volume from a tar through the
 * scoped applier, and refuses a hostile archive without changing anything.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { test } from 'node:test';
import { HostileArchiveError } from '../../../src/core/errors.js';
import { compressor } from '../../../src/diff/compression.js';
import { writeTar } from '../../../src/diff/tar/tar-writer.js';
import { native } from '../../../src/platform/native.js';
import { snapshotTarEntries } from '../../../src/volumes/snapshot-export.js';
import { takeSnapshot } from '../../../src/volumes/take-snapshot.js';
import { importVolume } from '../../../src/volumes/volume-import.js';
import { writeSnapshotZip } from '../../../src/volumes/zip-export.js';
import { diffRaw, rawTree } from '../../helpers/raw-tree.js';
import { needs } from '../../helpers/requirements.js';
import { tarBytes } from '../../helpers/tar-fixtures.js';
import { tempDir } from '../../helpers/tmp.js';
import { buildTree, stores, type FixtureNode } from '../../helpers/volume-fixtures.js';

const TREE: FixtureNode[] = [
  { path: ['etc'], type: 'dir', mode: 0o750, uid: 33, gid: 33 },
  { path: ['etc', 'app.conf'], type: 'file', data: 'key = value\n', mode: 0o640, uid: 33, gid: 33, mtime: 1_700_000_000 },
  { path: ['bin'], type: 'file', data: 'binary', mode: 0o4755, xattrs: { 'user.note': 'exported', 'user.bin': Buffer.from([0, 0xff, 0x10]) } },
  { path: ['link'], type: 'symlink', target: '/etc/app.conf' },
  { path: ['twin'], type: 'hardlink', to: ['etc', 'app.conf'] },
  { path: ['big'], type: 'file', data: Buffer.alloc(3 << 20, 7) },
];

async function exported(t: Parameters<typeof tempDir>[0], compression: 'none' | 'gzip' | 'zstd') {
  const root = await tempDir(t);
  const { content, volumes } = await stores(root);
  await volumes.create('v');
  await buildTree(volumes.dataPath('v'), TREE);
  const snap = await takeSnapshot(content, volumes, 'v');
  const file = join(root, `out.tar${compression === 'gzip' ? '.gz' : compression === 'zstd' ? '.zst' : ''}`);
  const counters = { entries: 0, bytes: 0, skipped: 0 };
  await pipeline(Readable.from(writeTar(snapshotTarEntries(content, snap, counters))), compressor(compression), createWriteStream(file));
  return { root, content, volumes, snap, file, counters };
}

test('an exported snapshot is a tar GNU tar extracts with owners, modes and xattrs', { skip: needs({ root: true, commands: ['tar'] }) }, async (t) => {
  const { root, volumes, file, counters } = await exported(t, 'none');
  assert.equal(counters.entries, 6);
  const out = join(root, 'gnu');
  mkdirSync(out);
  execFileSync('tar', ['--xattrs', '--xattrs-include=*', '--same-owner', '-xpf', file, '-C', out]);
  assert.deepEqual(diffRaw(await rawTree(volumes.dataPath('v')), await rawTree(out), { mtimeToleranceNs: 1_000_000_000n }), []);
  assert.deepEqual(native.lgetxattr(join(out, 'bin'), 'user.bin'), Buffer.from([0, 0xff, 0x10]), 'binary xattr values survive');
});

test('gzip and zstd exports are what their names say', { skip: needs({ commands: ['tar', 'zstd'] }) }, async (t) => {
  for (const c of ['gzip', 'zstd'] as const) {
    const { file } = await exported(t, c);
    const listing = execFileSync('tar', [c === 'gzip' ? '-tzf' : '--zstd', ...(c === 'zstd' ? ['-tf'] : []), file], { encoding: 'utf8' });
    assert.deepEqual(listing.trim().split('\n').sort(), ['big', 'bin', 'etc/', 'etc/app.conf', 'link', 'twin']);
  }
});

test('a zip export opens with unzip', { skip: needs({ commands: ['unzip'] }) }, async (t) => {
  const { root, content, snap } = await exported(t, 'none');
  const file = join(root, 'out.zip');
  const counters = { entries: 0, bytes: 0, skipped: 0 };
  await writeSnapshotZip(content, snap, createWriteStream(file), counters);
  const out = join(root, 'unzipped');
  execFileSync('unzip', ['-q', file, '-d', out]);
  assert.equal(readFileSync(join(out, 'etc', 'app.conf'), 'utf8'), 'key = value\n');
  assert.equal(readFileSync(join(out, 'big')).length, 3 << 20);
});

test('export → import round-trips a volume', { skip: needs({ root: true }) }, async (t) => {
  const { volumes, file, root } = await exported(t, 'zstd');
  const r = await importVolume(root, volumes, 'copy', Readable.from(readFileSync(file)));
  assert.equal(r.created, true);
  assert.deepEqual(diffRaw(await rawTree(volumes.dataPath('v')), await rawTree(volumes.dataPath('copy')), { mtimeToleranceNs: 1_000_000_000n }), []);
});

test('import of a hostile tar (../ escape, link out of the root) is refused and changes nothing', async (t) => {
  const root = await tempDir(t);
  const outside = await tempDir(t, 'lb-outside-');
  const { volumes } = await stores(root);
  await volumes.create('v');
  writeFileSync(join(volumes.dataPath('v'), 'keep'), 'mine');
  const hostile = [
    tarBytes([{ name: 'ok.txt', data: 'fine' }, { name: `../../../../../../..${outside}/escaped`, data: 'pwned' }]),
    tarBytes([{ name: 'link', type: 'hardlink', linkname: '../../../../etc/passwd' }]),
  ];
  for (const bytes of hostile) {
    await assert.rejects(importVolume(root, volumes, 'v', Readable.from(bytes), { overwrite: true }), HostileArchiveError);
    await assert.rejects(importVolume(root, volumes, 'new', Readable.from(bytes)), HostileArchiveError);
  }
  assert.deepEqual(readdirSync(outside), []);
  assert.deepEqual(readdirSync(volumes.dataPath('v')), ['keep']);
  assert.equal(await volumes.exists('new'), false);
});
