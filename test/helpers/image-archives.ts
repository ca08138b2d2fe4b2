/**
 * Image archives described as data, for load tests: a layer is a list of files, an image is a
 * config plus layers, and an archive is written as an OCI layout, a docker-archive, or both, with
 * hooks to break any part of it (a hostile path, a wrong digest, a missing blob, a twisted JSON).
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import type { TarHeader } from '../../src/diff/tar/entry.js';
import { writeTar, type TarWriteEntry } from '../../src/diff/tar/tar-writer.js';

export const sha = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export function hdr(path: string, type: TarHeader['type'], extra: Partial<TarHeader> = {}): TarHeader {
  return { path, type, mode: 0o644, uid: 0, gid: 0, size: 0, mtime: 1_700_000_000, linkname: '', devmajor: 0, devminor: 0, xattrs: new Map(), ...extra };
}

export function fileEntry(path: string, data: Buffer | string): TarWriteEntry {
  const bytes = Buffer.from(data);
  return { header: hdr(path, 'file', { size: bytes.length }), body: [bytes] };
}

export async function tarOf(entries: TarWriteEntry[]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of Readable.from(writeTar(entries))) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export interface LayerSpec {
  files: Record<string, string>;
  gzip?: boolean;
}

export interface BuiltLayer {
  tar: Buffer;
  blob: Buffer;
  diffId: string;
  digest: string;
  mediaType: string;
}

export async function buildLayer(spec: LayerSpec): Promise<BuiltLayer> {
  const tar = await tarOf(Object.entries(spec.files).map(([p, d]) => fileEntry(p, d)));
  const blob = spec.gzip ? gzipSync(tar) : tar;
  return { tar, blob, diffId: sha(tar), digest: sha(blob), mediaType: `application/vnd.oci.image.layer.v1.tar${spec.gzip ? '+gzip' : ''}` };
}

export function configFor(layers: BuiltLayer[], extra: Record<string, unknown> = {}): Buffer {
  const created = '2024-01-01T00:00:00Z';
  return Buffer.from(JSON.stringify({ created, architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) }, history: layers.map(() => ({ created, created_by: 'test' })), ...extra }));
}

export interface ArchiveParts {
  /** Extra or replacement members, by path (a Buffer, or null to delete). */
  members: Map<string, Buffer | null>;
  /** Entries written as-is after the members (links, devices, hostile names). */
  raw: TarWriteEntry[];
}

/** An archive that is both an OCI layout and a docker-archive (like `lifeboat save`). */
export async function imageArchive(layers: BuiltLayer[], opts: { name?: string; config?: Buffer; mutate?: (parts: ArchiveParts) => void } = {}): Promise<Buffer> {
  const config = opts.config ?? configFor(layers);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length },
    layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.blob.length })),
  }));
  const name = opts.name ?? 'docker.io/library/test:1';
  const members = new Map<string, Buffer | null>();
  const blob = (b: Buffer) => members.set(`blobs/sha256/${sha(b).slice(7)}`, b);
  blob(config);
  blob(manifest);
  for (const l of layers) blob(l.blob);
  members.set('oci-layout', Buffer.from('{"imageLayoutVersion":"1.0.0"}'));
  members.set('index.json', Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha(manifest), size: manifest.length, annotations: { 'io.containerd.image.name': name, 'org.opencontainers.image.ref.name': '1' } }] })));
  members.set('manifest.json', Buffer.from(JSON.stringify([{ Config: `blobs/sha256/${sha(config).slice(7)}`, RepoTags: ['test:1'], Layers: layers.map((l) => `blobs/sha256/${l.digest.slice(7)}`) }])));
  const parts: ArchiveParts = { members, raw: [] };
  opts.mutate?.(parts);
  const entries: TarWriteEntry[] = [];
  for (const [path, data] of members) if (data) entries.push(fileEntry(path, data));
  return tarOf([...entries, ...parts.raw]);
}
