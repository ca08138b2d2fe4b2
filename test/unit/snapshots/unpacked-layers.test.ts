/**
 * Shared unpacked layers: one directory per chain ID, built in a temp dir and renamed only when
 * the DiffID matched; concurrent unpacks of the same layer end with one copy; prune deletes what
 * the caller no longer needs. The copying snapshotter applies the same layers flattened.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import type { Digest } from '../../../src/core/digest.js';
import { chainIds } from '../../../src/core/hashing.js';
import type { TarHeader } from '../../../src/diff/tar/entry.js';
import { writeTar, type TarWriteEntry } from '../../../src/diff/tar/tar-writer.js';
import { CopySnapshotter } from '../../../src/snapshots/copy-snapshotter.js';
import { chooseSnapshotter, kernelAtLeast } from '../../../src/snapshots/detect.js';
import { OverlaySnapshotter } from '../../../src/snapshots/overlay-snapshotter.js';
import type { LayerSource } from '../../../src/snapshots/snapshotter.js';
import { UnpackedLayers, withLayersInUse } from '../../../src/snapshots/unpacked-layers.js';
import { needs } from '../../helpers/requirements.js';
import { tempDir } from '../../helpers/tmp.js';

function h(path: string, type: TarHeader['type'], extra: Partial<TarHeader> = {}): TarHeader {
  return { path, type, mode: type === 'dir' ? 0o755 : 0o644, uid: 0, gid: 0, size: 0, mtime: 1, linkname: '', devmajor: 0, devminor: 0, xattrs: new Map(), ...extra };
}
const file = (path: string, text: string): TarWriteEntry => ({ header: h(path, 'file', { size: Buffer.byteLength(text) }), body: [Buffer.from(text)] });

async function tarBytes(entries: TarWriteEntry[]): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const b of writeTar(entries)) parts.push(b);
  return Buffer.concat(parts);
}

async function layer(entries: TarWriteEntry[], diffIdOverride?: Digest): Promise<LayerSource & { bytes: Buffer }> {
  const bytes = await tarBytes(entries);
  const diffId = diffIdOverride ?? (`sha256:${createHash('sha256').update(bytes).digest('hex')}` as Digest);
  return { bytes, diffId, compression: 'none', open: async () => Readable.from([bytes]) };
}

const base = () => layer([{ header: h('etc', 'dir') }, file('etc/os-release', 'base'), file('etc/gone', 'x')]);
const top = () => layer([file('etc/app', 'app'), { header: h('etc/.wh.gone', 'file') }]);

test('a layer is unpacked once per chain ID, as a complete directory', { skip: needs({ root: true }) }, async (t) => {
  const root = await tempDir(t);
  const layers = new UnpackedLayers(root);
  const l = [await base(), await top()];
  const chain = await withLayersInUse(root, () => layers.ensure(l));
  assert.deepEqual(chain, chainIds(l.map((x) => x.diffId)));
  assert.equal(await readFile(join(layers.fsDir(chain[0]!), 'etc/os-release'), 'utf8'), 'base');
  const wh = await lstat(join(layers.fsDir(chain[1]!), 'etc/gone'));
  assert.ok(wh.isCharacterDevice() && wh.rdev === 0, 'overlay whiteout in the upper layer dir');
  const before = (await stat(layers.fsDir(chain[0]!))).ino;
  await layers.ensure(l);
  assert.equal((await stat(layers.fsDir(chain[0]!))).ino, before, 'not unpacked again');
  assert.deepEqual((await readdir(join(root, 'snapshots'))).filter((n) => n.startsWith('.')), [], 'no temp dirs left');
});

test('two concurrent unpacks of the same layer leave one copy', { skip: needs({ root: true }) }, async (t) => {
  const root = await tempDir(t);
  const l = [await base()];
  const [a, b] = await Promise.all([new UnpackedLayers(root).ensure(l), new UnpackedLayers(root).ensure(l)]);
  assert.deepEqual(a, b);
  assert.deepEqual(await readdir(join(root, 'snapshots')), [a[0]!.slice(7)]);
});

test('a layer whose DiffID does not match is refused and leaves nothing behind', { skip: needs({ root: true }) }, async (t) => {
  const root = await tempDir(t);
  const bad = await layer([file('x', 'y')], `sha256:${'0'.repeat(64)}` as Digest);
  await assert.rejects(new UnpackedLayers(root).ensure([bad]), { code: 'DIGEST_MISMATCH' });
  assert.deepEqual(await readdir(join(root, 'snapshots')), []);
});

test('prune deletes exactly the layers nobody needs', { skip: needs({ root: true }) }, async (t) => {
  const root = await tempDir(t);
  const layers = new UnpackedLayers(root);
  const chain = await layers.ensure([await base(), await top()]);
  const r = await layers.prune(async () => new Set([chain[0]!]));
  assert.deepEqual(r.removed, [chain[1]]);
  assert.deepEqual(await layers.list(), [chain[0]]);
});

test('overlay snapshots mount the shared layers read-only under a private upper dir', { skip: needs({ root: true }) }, async (t) => {
  const root = await tempDir(t);
  const snap = new OverlaySnapshotter(root);
  const l = [await base(), await top()];
  const one = await snap.prepare(join(root, 'containers', 'one'), l, { initDir: join(root, 'init') });
  const two = await snap.prepare(join(root, 'containers', 'two'), l);
  const opts = (m: typeof one) => Object.fromEntries(m.mounts[0]!.options.map((o) => o.split('=') as [string, string]));
  assert.equal(opts(one).lowerdir, [join(root, 'init'), snap.layers.fsDir(one.chain[1]!), snap.layers.fsDir(one.chain[0]!)].join(':'));
  assert.equal(opts(two).lowerdir!.split(':')[0], snap.layers.fsDir(two.chain[1]!), 'same shared dirs for both');
  for (const o of ['index=off', 'metacopy=off', 'redirect_dir=off']) assert.ok(one.mounts[0]!.options.includes(o), o);
  assert.equal(one.mounts[0]!.target, join(root, 'containers', 'one', 'rootfs'));
  await snap.remove(join(root, 'containers', 'one'));
  await assert.rejects(stat(join(root, 'containers', 'one', 'upper')));
});

test('the copying snapshotter flattens layers: whiteouts delete, nothing is shared', async (t) => {
  const root = await tempDir(t);
  const snap = new CopySnapshotter(root, { rootless: process.getuid?.() !== 0 });
  const dir = join(root, 'containers', 'c');
  const prepared = await snap.prepare(dir, [await base(), await top()]);
  assert.equal(await readFile(join(dir, 'upper/etc/app'), 'utf8'), 'app');
  await assert.rejects(lstat(join(dir, 'upper/etc/gone')), { code: 'ENOENT' });
  assert.deepEqual(prepared.mounts[0]!.options, ['bind']);
  assert.equal(snap.kind, 'copy');
});

test('the snapshotter choice is reported with its reason, and can be forced', () => {
  assert.equal(chooseSnapshotter({ LIFEBOAT_SNAPSHOTTER: 'copy' }).kind, 'copy');
  assert.throws(() => chooseSnapshotter({ LIFEBOAT_SNAPSHOTTER: 'zfs' }), { code: 'USAGE' });
  const auto = chooseSnapshotter({}, 0);
  assert.ok(['overlay', 'copy'].includes(auto.kind));
  assert.ok(auto.reason.length > 0);
  const rootless = chooseSnapshotter({}, 1000);
  assert.ok(['overlay-userxattr', 'copy'].includes(rootless.kind), rootless.kind);
  assert.equal(kernelAtLeast(5, 11, '6.18.44'), true);
  assert.equal(kernelAtLeast(5, 11, '5.10.0'), false);
});
