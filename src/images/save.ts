/**
 * `lifeboat save`: one tar that is an OCI image layout and a docker-archive at once, as Docker 25+
 * writes it: `blobs/sha256/*`, `oci-layout`, `index.json` (one entry per tag, with
 * `io.containerd.image.name` and `org.opencontainers.image.ref.name`), `manifest.json` (Config,
 * RepoTags, Layers pointing into blobs/) and `repositories`. Docker, Podman, skopeo and umoci read it.
 *
 * Layers go out as stored unless a compression is asked for; then each layer is recompressed once
 * into a temp file (the tar header needs its size) and the image gets a new manifest. Every blob is
 * read with verification: a corrupt store never produces a plausible-looking archive.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { digestOfHex, hexOf, type Digest } from '../core/digest.js';
import { MediaType, layerCompression, ociLayerType, type Compression } from '../core/media-types.js';
import { Annotation, type Descriptor, type Manifest } from '../core/oci.js';
import { silentProgress, type Progress } from '../core/progress.js';
import { familiarName, familiarString, parseReference } from '../core/reference.js';
import { COMPRESSED_WRITE_BUFFER, compressor, decompressor } from '../diff/compression.js';
import type { TarHeader } from '../diff/tar/entry.js';
import { writeTar, type TarWriteEntry } from '../diff/tar/tar-writer.js';
import type { ImageRecord, ImageStore } from './image-store.js';
import { selectForSave, type SaveSelection } from './save-select.js';

export interface SaveOptions {
  /** Recompress layers; undefined keeps them as stored. */
  compression?: Compression;
  progress?: Progress;
}

interface OutBlob {
  digest: Digest;
  size: number;
  /** A temp file holding converted bytes; otherwise the store has the blob. */
  file?: string;
  bytes?: Buffer;
}

function header(path: string, type: 'file' | 'dir', size = 0, mode = type === 'dir' ? 0o755 : 0o444): TarHeader {
  return { path, type, mode, uid: 0, gid: 0, size, mtime: 0, linkname: '', devmajor: 0, devminor: 0, xattrs: new Map() };
}

class LayerConverter {
  private readonly done = new Map<Digest, OutBlob & { mediaType: string }>();
  readonly temps: string[] = [];

  constructor(private readonly images: ImageStore, private readonly target: Compression) {}

  async convert(layer: Descriptor): Promise<Descriptor> {
    const current = layerCompression(layer.mediaType) ?? 'none';
    if (current === this.target) return layer;
    let out = this.done.get(layer.digest);
    if (!out) {
      const file = join(this.images.content.ingestDir, `save-${process.pid}-${randomBytes(6).toString('hex')}`);
      this.temps.push(file);
      const hash = createHash('sha256');
      const hashing = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          hash.update(chunk);
          cb(null, chunk);
        },
      });
      const source = await this.images.content.reader(layer.digest, { verify: true });
      const sink = createWriteStream(file, { mode: 0o600, highWaterMark: COMPRESSED_WRITE_BUFFER });
      if (current === 'none') await pipeline(source, compressor(this.target), hashing, sink);
      else await pipeline(source, decompressor(current), compressor(this.target), hashing, sink);
      out = { digest: digestOfHex(hash.digest('hex')), size: (await stat(file)).size, file, mediaType: ociLayerType(this.target) };
      this.done.set(layer.digest, out);
    }
    return { mediaType: out.mediaType, digest: out.digest, size: out.size };
  }

  blob(digest: Digest): OutBlob | undefined {
    return [...this.done.values()].find((b) => b.digest === digest);
  }
}

export async function saveImages(images: ImageStore, inputs: string[], out: NodeJS.WritableStream, opts: SaveOptions = {}): Promise<SaveSelection[]> {
  const progress = opts.progress ?? silentProgress;
  const selection = await selectForSave(images, inputs);
  const converter = opts.compression ? new LayerConverter(images, opts.compression) : undefined;
  try {
    const blobs = new Map<Digest, OutBlob>();
    const index: Descriptor[] = [];
    const manifestJson: Array<{ Config: string; RepoTags: string[]; Layers: string[] }> = [];
    const repositories: Record<string, Record<string, string>> = {};
    for (const { image, names } of selection) {
      const { manifestDesc, manifest } = await outputManifest(images, image, converter, blobs);
      for (const l of manifest.layers) if (!blobs.has(l.digest)) blobs.set(l.digest, converter?.blob(l.digest) ?? { digest: l.digest, size: l.size });
      blobs.set(image.id, { digest: image.id, size: manifest.config.size });
      const refs = names.map((n) => parseReference(n));
      if (refs.length === 0) index.push(manifestDesc);
      for (const r of refs) index.push({ ...manifestDesc, annotations: { [Annotation.ContainerdImageName]: `${r.domain}/${r.path}:${r.tag}`, [Annotation.RefName]: r.tag ?? 'latest' } });
      manifestJson.push({ Config: `blobs/sha256/${hexOf(image.id)}`, RepoTags: refs.map((r) => familiarString(r)), Layers: manifest.layers.map((l) => `blobs/sha256/${hexOf(l.digest)}`) });
      const top = manifest.layers[manifest.layers.length - 1];
      for (const r of refs) if (top) (repositories[familiarName(r)] ??= {})[r.tag ?? 'latest'] = hexOf(top.digest);
    }
    const json = (v: unknown) => Buffer.from(JSON.stringify(v));
    const entries = async function* (): AsyncGenerator<TarWriteEntry> {
      yield { header: header('blobs', 'dir') };
      yield { header: header('blobs/sha256', 'dir') };
      for (const b of [...blobs.values()].sort((x, y) => (x.digest < y.digest ? -1 : 1))) {
        const task = b.size > 1 << 20 ? progress.task(`Saving blob ${hexOf(b.digest).slice(0, 12)}`, b.size) : undefined;
        const body = b.bytes ? [b.bytes] : b.file ? createReadStream(b.file, { highWaterMark: 1 << 20 }) : await images.content.reader(b.digest, { verify: true });
        yield { header: header(`blobs/sha256/${hexOf(b.digest)}`, 'file', b.size), body: counted(body, task) };
        task?.done();
      }
      for (const [name, value] of [['index.json', { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: index }], ['manifest.json', manifestJson], ['oci-layout', { imageLayoutVersion: '1.0.0' }], ['repositories', repositories]] as const) {
        const bytes = json(value);
        yield { header: header(name, 'file', bytes.length, 0o644), body: [bytes] };
      }
    };
    await pipeline(writeTar(entries()), out);
    return selection;
  } finally {
    for (const f of converter?.temps ?? []) await rm(f, { force: true });
  }
}

async function* counted(body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, task: { advance(n: number): void } | undefined): AsyncGenerator<Uint8Array> {
  for await (const c of body) {
    task?.advance(c.byteLength);
    yield c;
  }
}

/** The manifest as it goes out: the stored one, or a new one when layers were recompressed. */
async function outputManifest(images: ImageStore, image: ImageRecord, converter: LayerConverter | undefined, blobs: Map<Digest, OutBlob>): Promise<{ manifestDesc: Descriptor; manifest: Manifest }> {
  const layers = converter ? await Promise.all(image.manifest.layers.map((l) => converter.convert(l))) : image.manifest.layers;
  const unchanged = layers.every((l, i) => l.digest === image.manifest.layers[i]!.digest);
  if (unchanged) {
    const d = image.manifestDescriptor;
    blobs.set(d.digest, { digest: d.digest, size: d.size });
    return { manifestDesc: { mediaType: d.mediaType, digest: d.digest, size: d.size }, manifest: image.manifest };
  }
  const manifest: Manifest = { schemaVersion: 2, mediaType: MediaType.OciManifest, config: { ...image.manifest.config, mediaType: MediaType.OciConfig }, layers };
  const bytes = Buffer.from(JSON.stringify(manifest));
  const digest = digestOfHex(createHash('sha256').update(bytes).digest('hex'));
  blobs.set(digest, { digest, size: bytes.length, bytes });
  return { manifestDesc: { mediaType: MediaType.OciManifest, digest, size: bytes.length }, manifest };
}
