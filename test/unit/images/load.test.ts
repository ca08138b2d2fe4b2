/**
 * `load` against good and hostile archives. Every refusal is checked two ways: the error says what
 * was wrong (class and message), and the store is byte for byte what it was before.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { DigestMismatchError, HostileArchiveError, IntegrityError, InvalidInputError, LifeboatError } from '../../../src/core/errors.js';
import { LocalContentStore } from '../../../src/content/local-store.js';
import { ImageStore } from '../../../src/images/image-store.js';
import { loadImages } from '../../../src/images/load.js';
import { buildLayer, configFor, fileEntry, hdr, imageArchive, sha, tarOf, type BuiltLayer } from '../../helpers/image-archives.js';
import { tempDir } from '../../helpers/tmp.js';

async function fixture(t: { after: (fn: () => unknown) => void }) {
  const root = await tempDir(t);
  const images = new ImageStore(await LocalContentStore.open(root));
  const state = async () => {
    const blobs = (await readdir(join(root, 'blobs', 'sha256'))).sort().join(',');
    return createHash('sha256').update(blobs).update(await readFile(join(root, 'index.json'))).digest('hex');
  };
  return { root, images, state, load: (archive: Buffer) => loadImages(images, Readable.from([archive])) };
}

describe('load', () => {
  test('an OCI + docker-archive loads, keeps its manifest digest and names, and loading again is a no-op', async (t) => {
    const { images, load, root } = await fixture(t);
    const layers = [await buildLayer({ files: { 'etc/a': 'a' } }), await buildLayer({ files: { 'etc/b': 'b' }, gzip: true })];
    const archive = await imageArchive(layers);
    const [loaded] = await load(archive);
    assert.deepEqual(loaded!.names, ['docker.io/library/test:1']);
    const img = await images.resolve('test:1');
    assert.equal(img.manifest.layers[1]!.mediaType, 'application/vnd.oci.image.layer.v1.tar+gzip');
    const blobs = (await readdir(join(root, 'blobs', 'sha256'))).length;
    assert.equal(blobs, 4, 'config, manifest, two layers; nothing else from the archive');
    await load(archive);
    assert.equal((await readdir(join(root, 'blobs', 'sha256'))).length, blobs);
  });

  test('a docker-archive alone (manifest.json, layer.tar dirs, symlinked layer) loads', async (t) => {
    const { images, load } = await fixture(t);
    const layer = await buildLayer({ files: { hello: 'world' } });
    const config = configFor([layer]);
    const archive = await tarOf([
      fileEntry(`${layer.diffId.slice(7)}.tar`, layer.tar),
      { header: hdr('abc/layer.tar', 'symlink', { linkname: `../${layer.diffId.slice(7)}.tar` }) },
      fileEntry('abc/VERSION', '1.0'),
      fileEntry('cfg.json', config),
      fileEntry('manifest.json', JSON.stringify([{ Config: 'cfg.json', RepoTags: ['docker.io/library/legacy:2'], Layers: ['abc/layer.tar'] }])),
      fileEntry('repositories', '{}'),
    ]);
    await load(archive);
    const img = await images.resolve('legacy:2');
    assert.equal(img.id, sha(config));
    assert.equal(img.manifest.layers[0]!.digest, layer.digest);
  });

  test('a gzip-compressed archive loads', async (t) => {
    const { images, load } = await fixture(t);
    await load(gzipSync(await imageArchive([await buildLayer({ files: { x: 'y' } })])));
    assert.ok(await images.resolve('test:1'));
  });

  const layerP = buildLayer({ files: { 'bin/app': 'app' } });
  const refusals: Array<[string, (l: BuiltLayer) => Promise<Buffer>, (e: unknown) => boolean]> = [
    ['manifest.json Layers path escaping the archive', async (l) => imageArchive([l], { mutate: (p) => { p.members.delete('oci-layout'); p.members.set('manifest.json', Buffer.from(JSON.stringify([{ Config: `blobs/sha256/${sha(configFor([l])).slice(7)}`, RepoTags: ['a:1'], Layers: ['../../../../etc/passwd'] }]))); } }), (e) => e instanceof HostileArchiveError],
    ['an archive member named ../evil', async (l) => imageArchive([l], { mutate: (p) => p.raw.push(fileEntry('../evil', 'x')) }), (e) => e instanceof HostileArchiveError],
    ['a missing layer blob', async (l) => imageArchive([l], { mutate: (p) => p.members.set(`blobs/sha256/${l.digest.slice(7)}`, null) }), (e) => e instanceof InvalidInputError && /not in the archive/.test((e as Error).message)],
    ['a blob whose bytes do not match its name', async (l) => imageArchive([l], { mutate: (p) => p.members.set(`blobs/sha256/${l.digest.slice(7)}`, Buffer.from(l.blob.map((b, i) => (i === 512 ? b ^ 0xff : b)))) }), (e) => e instanceof DigestMismatchError],
    ['a layer that does not hash to its DiffID', async (l) => imageArchive([l], { config: configFor([{ ...l, diffId: sha('other') }]) }), (e) => e instanceof DigestMismatchError && /DiffID/.test((e as Error).message)],
    ['more layers than DiffIDs', async (l) => imageArchive([l, l], { config: configFor([l]) }), (e) => e instanceof InvalidInputError && /DiffIDs/.test((e as Error).message)],
    ['media type +gzip on an uncompressed layer', async (l) => imageArchive([{ ...l, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' }]), (e) => e instanceof InvalidInputError && (e as LifeboatError).code === 'MEDIA_TYPE'],
    ['a truncated gzip layer', async () => { const g = await buildLayer({ files: { big: 'z'.repeat(50_000) }, gzip: true }); const cut = g.blob.subarray(0, g.blob.length - 20); return imageArchive([{ ...g, blob: cut, digest: sha(cut) }]); }, (e) => e instanceof IntegrityError],
    ['a manifest.json over 20 MiB', async (l) => imageArchive([l], { mutate: (p) => { p.members.delete('oci-layout'); p.members.set('manifest.json', Buffer.alloc(21 * 1024 * 1024, 0x20)); } }), (e) => (e as LifeboatError).code === 'JSON_TOO_LARGE'],
    ['duplicate keys in manifest.json', async (l) => imageArchive([l], { mutate: (p) => { p.members.delete('oci-layout'); p.members.set('manifest.json', Buffer.from('[{"Config":"a","Config":"b","Layers":[]}]')); } }), (e) => /duplicate member names/.test((e as Error).message)],
    ['oci-layout version 2.0.0', async (l) => imageArchive([l], { mutate: (p) => p.members.set('oci-layout', Buffer.from('{"imageLayoutVersion":"2.0.0"}')) }), (e) => e instanceof InvalidInputError && /imageLayoutVersion/.test((e as Error).message)],
    ['index.json with manifests: null', async (l) => imageArchive([l], { mutate: (p) => p.members.set('index.json', Buffer.from('{"schemaVersion":2,"manifests":null}')) }), (e) => e instanceof InvalidInputError],
    ['a RepoTag that is not name:tag', async (l) => imageArchive([l], { mutate: (p) => { p.members.delete('oci-layout'); p.members.set('manifest.json', Buffer.from(JSON.stringify([{ Config: `blobs/sha256/${sha(configFor([l])).slice(7)}`, RepoTags: ['Upper/Case:1'], Layers: [`blobs/sha256/${l.digest.slice(7)}`] }]))); } }), (e) => e instanceof InvalidInputError],
    ['a Windows image', async (l) => imageArchive([l], { config: configFor([l], { os: 'windows' }) }), (e) => (e as LifeboatError).code === 'PLATFORM'],
    ['a symlink loop between members', async (l) => imageArchive([l], { mutate: (p) => { p.members.delete('oci-layout'); p.members.set('manifest.json', Buffer.from(JSON.stringify([{ Config: 'a', RepoTags: [], Layers: [] }]))); p.raw.push({ header: hdr('a', 'symlink', { linkname: 'b' }) }, { header: hdr('b', 'symlink', { linkname: 'a' }) }); } }), (e) => e instanceof HostileArchiveError && /loop/.test((e as Error).message)],
    ['a device node member', async (l) => imageArchive([l], { mutate: (p) => p.raw.push({ header: hdr('dev', 'char', { devmajor: 1, devminor: 3 }) }) }), (e) => e instanceof HostileArchiveError],
    ['neither layout nor manifest.json', async () => tarOf([fileEntry('hello.txt', 'hi')]), (e) => (e as LifeboatError).code === 'BAD_ARCHIVE'],
    ['a truncated archive', async (l) => (await imageArchive([l])).subarray(0, 1500), (e) => (e as LifeboatError).code === 'BAD_TAR'],
  ];
  for (const [name, make, check] of refusals) {
    test(`load refuses ${name} and changes nothing`, async (t) => {
      const { load, state, root } = await fixture(t);
      await load(await imageArchive([await buildLayer({ files: { keep: 'me' } })], { name: 'docker.io/library/keep:1' }));
      const before = await state();
      await assert.rejects(load(await make(await layerP)), (e: unknown) => check(e) || assert.fail(`unexpected error: ${(e as Error).stack}`));
      assert.equal(await state(), before);
      assert.deepEqual(await readdir(join(root, 'ingest')), [], 'no staged bytes left behind');
    });
  }
});
