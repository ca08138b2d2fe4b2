/**
 * The image commands end to end, through the real CLI binary on a fresh store: build-base, import
 * (file, stdin, gzip, zstd, --change), images/tag/rmi/prune/history/inspect, system check/df, and
 * bad input refused with its exit status and the store left exactly as it was.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { writeTar, type TarWriteEntry } from '../../src/diff/tar/tar-writer.js';
import type { TarHeader } from '../../src/diff/tar/entry.js';
import { lifeboat, lifeboatOk } from '../helpers/cli.js';
import { needs } from '../helpers/requirements.js';
import { tempDir } from '../helpers/tmp.js';

function h(path: string, type: TarHeader['type'], extra: Partial<TarHeader> = {}): TarHeader {
  return { path, type, mode: 0o755, uid: 0, gid: 0, size: 0, mtime: 1_700_000_000, linkname: '', devmajor: 0, devminor: 0, xattrs: new Map(), ...extra };
}

async function tarBytes(entries: TarWriteEntry[]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of Readable.from(writeTar(entries))) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const file = (path: string, text: string): TarWriteEntry => ({ header: h(path, 'file', { mode: 0o644, size: Buffer.byteLength(text) }), body: [Buffer.from(text)] });

/** A fingerprint of everything in the store that a failed command must not change. */
async function storeState(root: string): Promise<string> {
  const blobs = (await readdir(join(root, 'blobs', 'sha256'))).sort().join(',');
  const index = await readFile(join(root, 'index.json'));
  return createHash('sha256').update(blobs).update(index).digest('hex');
}

describe('image commands', () => {
  test('build-base, then images, --json, -q, history and inspect describe it', async (t) => {
    const root = await tempDir(t);
    const built = await lifeboatOk(['image', 'build-base'], { root });
    const id = built.stdout.trim();
    assert.match(id, /^sha256:[a-f0-9]{64}$/);
    const table = await lifeboatOk(['images'], { root });
    assert.match(table.stdout, /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE\n/);
    assert.match(table.stdout, new RegExp(`localhost/lifeboat-base\\s+latest\\s+${id.slice(7, 19)}`));
    const json = JSON.parse((await lifeboatOk(['images', '--json'], { root })).stdout) as Array<{ repository: string; id: string }>;
    assert.deepEqual(json.map((r) => [r.repository, r.id]), [['localhost/lifeboat-base', id]]);
    assert.equal((await lifeboatOk(['images', '-q'], { root })).stdout, `${id.slice(7, 19)}\n`);
    const inspect = JSON.parse((await lifeboatOk(['inspect', 'localhost/lifeboat-base'], { root })).stdout) as Array<{ Id: string; Config: { Cmd: string[] } }>;
    assert.equal(inspect[0]!.Id, id);
    assert.deepEqual(inspect[0]!.Config.Cmd, ['sh']);
    assert.match((await lifeboatOk(['history', id.slice(7, 15)], { root })).stdout, /Lifeboat base image from/);
    const again = await lifeboatOk(['image', 'build-base'], { root });
    assert.equal(again.stdout.trim(), id, 'the base image is reproducible');
  });

  test('import from a file and from stdin, plain, gzip and zstd, with --change and -m', async (t) => {
    const root = await tempDir(t);
    const dir = await tempDir(t);
    const tar = await tarBytes([{ header: h('etc', 'dir') }, file('etc/motd', 'hello\n'), { header: h('bin', 'dir') }, { header: h('bin/sh', 'symlink', { linkname: '/bin/busybox' }) }]);
    await writeFile(join(dir, 'rootfs.tar'), tar);
    await writeFile(join(dir, 'rootfs.tar.gz'), gzipSync(tar));
    execFileSync('zstd', ['-q', '-f', join(dir, 'rootfs.tar'), '-o', join(dir, 'rootfs.tar.zst')]);
    const a = (await lifeboatOk(['import', '-c', 'CMD ["cat","/etc/motd"]', '-c', 'ENV A=1', '-m', 'first', join(dir, 'rootfs.tar'), 'imp:plain'], { root })).stdout.trim();
    const b = (await lifeboatOk(['import', '-', 'imp:gz'], { root, input: gzipSync(tar) })).stdout.trim();
    const c = (await lifeboatOk(['import', join(dir, 'rootfs.tar.zst'), 'imp:zst'], { root })).stdout.trim();
    const inspect = JSON.parse((await lifeboatOk(['inspect', '--type', 'image', 'imp:plain', 'imp:gz', 'imp:zst'], { root })).stdout) as Array<{ Config: { Cmd?: string[]; Env?: string[] }; RootFS: { Layers: string[] }; History: Array<{ comment: string }> }>;
    assert.deepEqual(inspect[0]!.Config.Cmd, ['cat', '/etc/motd']);
    assert.deepEqual(inspect[0]!.Config.Env, ['A=1']);
    assert.equal(inspect[0]!.History[0]!.comment, 'first');
    assert.equal(inspect[1]!.History[0]!.comment, 'Imported from -');
    const diffId = `sha256:${createHash('sha256').update(tar).digest('hex')}`;
    for (const i of inspect) assert.deepEqual(i.RootFS.Layers, [diffId], 'every form stores the same uncompressed layer');
    assert.notEqual(a, b);
    assert.match(c, /^sha256:/);
  });

  test('tag, rmi and image prune follow Docker: untag first, refuse ambiguity, collect blobs', async (t) => {
    const root = await tempDir(t);
    const id = (await lifeboatOk(['image', 'build-base'], { root })).stdout.trim();
    await lifeboatOk(['tag', 'localhost/lifeboat-base', 'app:1'], { root });
    const ambiguous = await lifeboat(['rmi', id.slice(7, 19)], { root });
    assert.equal(ambiguous.code, 4, ambiguous.stderr);
    assert.match(ambiguous.stderr, /referenced in multiple repositories/);
    assert.deepEqual((await lifeboatOk(['rmi', 'app:1'], { root })).stdout, 'Untagged: app:1\n');
    const blobsBefore = (await readdir(join(root, 'blobs', 'sha256'))).length;
    assert.equal(blobsBefore, 3);
    const removed = (await lifeboatOk(['rmi', 'localhost/lifeboat-base'], { root })).stdout;
    assert.match(removed, /^Untagged: localhost\/lifeboat-base:latest\nDeleted: sha256:/);
    assert.deepEqual(await readdir(join(root, 'blobs', 'sha256')), [], 'config, manifest and layer were collected');

    await lifeboatOk(['image', 'build-base'], { root });
    await lifeboatOk(['image', 'build-base', '--host-tools'], { root });
    await lifeboatOk(['image', 'build-base', 'other:1'], { root }); // same image, second name
    await lifeboatOk(['tag', 'other:1', 'localhost/lifeboat-base:latest'], { root }); // moves the tag: host-tools image becomes dangling
    const dangling = await lifeboatOk(['images', '--filter', 'dangling=true', '--json'], { root });
    assert.equal((JSON.parse(dangling.stdout) as unknown[]).length, 1);
    const pruned = await lifeboatOk(['image', 'prune'], { root });
    assert.match(pruned.stdout, /^Deleted Images:\ndeleted: sha256:[a-f0-9]{64}\n\nTotal reclaimed space: [1-9][\d.]*[kMG]?B\n$/);
    assert.equal((JSON.parse((await lifeboatOk(['images', '--json'], { root })).stdout) as unknown[]).length, 2);
    assert.equal((await lifeboat(['system', 'check'], { root })).code, 0);
  });

  test('hostile and broken tarballs are refused with exit 5 and the store is unchanged', async (t) => {
    const root = await tempDir(t);
    await lifeboatOk(['image', 'build-base'], { root });
    const before = await storeState(root);
    const escape = await tarBytes([file('../evil', 'x')]);
    const hardlinkOut = await tarBytes([{ header: h('passwd', 'hardlink', { linkname: '../../etc/passwd' }) }]);
    const good = await tarBytes([file('a', 'a'.repeat(2000))]);
    const truncated = good.subarray(0, 700);
    const badGzip = gzipSync(good);
    badGzip[badGzip.length - 6]! ^= 0xff; // CRC
    for (const [name, input] of [['path escape', escape], ['hardlink escape', hardlinkOut], ['truncated tar', truncated], ['corrupt gzip', badGzip], ['not a tar', Buffer.from('hello, world; not a tarball at all'.repeat(20))]] as const) {
      const r = await lifeboat(['import', '-', 'bad:1'], { root, input });
      assert.equal(r.code, 5, `${name}: ${r.stderr}`);
      assert.match(r.stderr, /^Error: /, name);
      assert.equal(await storeState(root), before, `${name} left the store unchanged`);
    }
    assert.deepEqual(await readdir(join(root, 'ingest')), []);
  });

  test('bad references, unknown images and bad flags have their own exit statuses', async (t) => {
    const root = await tempDir(t);
    const badRef = await lifeboat(['tag', 'x', 'Bad:Name'], { root });
    assert.equal(badRef.code, 3, 'x does not exist: not found comes first');
    await lifeboatOk(['image', 'build-base'], { root });
    const invalid = await lifeboat(['tag', 'localhost/lifeboat-base', 'Bad'], { root });
    assert.equal(invalid.code, 5);
    assert.match(invalid.stderr, /repository name must be lowercase/);
    const missing = await lifeboat(['rmi', 'nope:1', '--json'], { root });
    assert.equal(missing.code, 3);
    assert.equal((JSON.parse(missing.stderr) as { error: string }).error, 'NOT_FOUND');
    assert.equal((await lifeboat(['images', '--bogus'], { root })).code, 2);
    assert.equal((await lifeboat(['no-such-command'], { root })).code, 2);
  });

  test('system check finds a corrupted blob (exit 6) and --repair quarantines it', async (t) => {
    const root = await tempDir(t);
    await lifeboatOk(['image', 'build-base'], { root });
    const inspect = JSON.parse((await lifeboatOk(['inspect', 'localhost/lifeboat-base'], { root })).stdout) as Array<{ Layers: Array<{ digest: string }> }>;
    const layer = join(root, 'blobs', 'sha256', inspect[0]!.Layers[0]!.digest.slice(7));
    const data = await readFile(layer);
    data[1000] = data[1000]! ^ 0x01;
    await writeFile(layer, data);
    const r = await lifeboat(['system', 'check'], { root });
    assert.equal(r.code, 6);
    assert.match(r.stdout, /corrupt: sha256:[a-f0-9]{64}: content hashes to/);
    const repaired = await lifeboat(['system', 'check', '--repair', '--json'], { root });
    assert.equal(repaired.code, 6);
    assert.deepEqual(await readdir(join(root, 'quarantine')), [inspect[0]!.Layers[0]!.digest.slice(7)]);
    const after = await lifeboat(['system', 'check', '--json'], { root });
    assert.equal(after.code, 6, 'the image now misses its layer');
    assert.equal((JSON.parse(after.stdout) as { problems: Array<{ kind: string }> }).problems[0]!.kind, 'missing');
  });

  test('save → load between stores, through a file and through stdout; a failed save leaves an existing file alone', async (t) => {
    const a = await tempDir(t);
    const b = await tempDir(t);
    const dir = await tempDir(t);
    await lifeboatOk(['image', 'build-base'], { root: a });
    await lifeboatOk(['tag', 'localhost/lifeboat-base', 'app:1'], { root: a });
    const file = join(dir, 'images.tar');
    await lifeboatOk(['save', 'app:1', 'localhost/lifeboat-base', '-o', file], { root: a });
    assert.equal((await lifeboatOk(['load', '-i', file], { root: b })).stdout, 'Loaded image: app:1\nLoaded image: localhost/lifeboat-base:latest\n', 'in the order they were named');
    const ids = async (r: string) => (JSON.parse((await lifeboatOk(['images', '--json'], { root: r })).stdout) as Array<{ id: string; digest: string }>).map((x) => `${x.id}/${x.digest}`).sort();
    assert.deepEqual(await ids(b), await ids(a), 'image IDs and manifest digests survive the round trip');
    const piped = await lifeboatOk(['save', 'app:1', '--compress', 'zstd'], { root: a });
    const c = await tempDir(t);
    assert.match((await lifeboatOk(['load'], { root: c, input: piped.stdoutBytes })).stdout, /Loaded image: app:1/);
    await writeFile(join(dir, 'keep.tar'), 'precious');
    const failed = await lifeboat(['save', 'nope:1', '-o', join(dir, 'keep.tar')], { root: a });
    assert.equal(failed.code, 3);
    assert.equal(await readFile(join(dir, 'keep.tar'), 'utf8'), 'precious');
    assert.deepEqual((await readdir(dir)).sort(), ['images.tar', 'keep.tar'], 'no temp file left behind');
  });

  test('export flattens the layers: later layers win and whiteouts delete', async (t) => {
    const root = await tempDir(t);
    const dir = await tempDir(t);
    const { buildLayer, imageArchive, tarOf, fileEntry } = await import('../helpers/image-archives.js');
    const l1 = await buildLayer({ files: { 'etc/keep': 'v1', 'etc/gone': 'bye', 'etc/over': 'old' } });
    const t2 = await tarOf([fileEntry('etc/.wh.gone', ''), fileEntry('etc/over', 'new')]);
    const { createHash: ch } = await import('node:crypto');
    const d2 = `sha256:${ch('sha256').update(t2).digest('hex')}`;
    const l2 = { tar: t2, blob: t2, diffId: d2, digest: d2, mediaType: 'application/vnd.oci.image.layer.v1.tar' };
    await writeFile(join(dir, 'img.tar'), await imageArchive([l1, l2]));
    await lifeboatOk(['load', '-i', join(dir, 'img.tar')], { root });
    await lifeboatOk(['export', 'test:1', '-o', join(dir, 'fs.tar')], { root });
    const listing = execFileSync('tar', ['-tf', join(dir, 'fs.tar')], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
    assert.deepEqual(listing, ['etc/', 'etc/keep', 'etc/over']);
    assert.equal(execFileSync('tar', ['-xOf', join(dir, 'fs.tar'), 'etc/over'], { encoding: 'utf8' }), 'new');
  });

  test('skopeo and umoci read an image straight out of the store', { skip: needs({ commands: ['skopeo', 'umoci'] }) }, async (t) => {
    const root = await tempDir(t);
    const out = await tempDir(t);
    await lifeboatOk(['image', 'build-base'], { root });
    const env = { ...process.env, TMPDIR: out };
    const raw = JSON.parse(execFileSync('skopeo', ['inspect', '--raw', `oci:${root}:localhost/lifeboat-base:latest`], { env, encoding: 'utf8' })) as { layers: unknown[] };
    assert.equal(raw.layers.length, 1);
    execFileSync('skopeo', ['copy', '--quiet', `oci:${root}:localhost/lifeboat-base:latest`, `oci:${join(out, 'copy')}:x`], { env });
    execFileSync('umoci', ['unpack', '--image', `${root}:localhost/lifeboat-base:latest`, join(out, 'bundle')], { env });
    const sh = execFileSync('readlink', [join(out, 'bundle', 'rootfs', 'bin', 'sh')], { encoding: 'utf8' }).trim();
    assert.equal(sh, '/bin/busybox', 'absolute symlink targets survive');
  });
});
