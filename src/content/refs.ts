/**
 * The store's refs: the OCI layout's `index.json`. Each entry is a manifest descriptor; a tagged
 * image carries `org.opencontainers.image.ref.name` (the full normalized reference, e.g.
 * `docker.io/library/busybox:latest`, which skopeo's `oci:<dir>:<ref>` matches) and
 * `io.containerd.image.name`; an entry without a name is a dangling image that stays until pruned.
 *
 * Reads need no lock (index.json is only ever replaced by rename). Updates run under an exclusive
 * flock so two processes never lose each other's changes.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MediaType } from '../core/media-types.js';
import { Annotation, type Descriptor, type Index } from '../core/oci.js';
import { parseStrictJson } from '../core/strict-json.js';
import { writeFileAtomic } from '../platform/durable.js';
import { withLock } from '../platform/file-lock.js';

export class RefStore {
  readonly indexPath: string;
  readonly lockPath: string;

  constructor(root: string) {
    this.indexPath = join(root, 'index.json');
    this.lockPath = join(root, 'locks', 'refs.lock');
  }

  async read(): Promise<Index> {
    const index = parseStrictJson(await readFile(this.indexPath), 'store index.json') as Index;
    if (!Array.isArray(index.manifests)) index.manifests = [];
    return index;
  }

  /** Every entry, named or not. */
  async entries(): Promise<Descriptor[]> {
    return (await this.read()).manifests;
  }

  /** The descriptor a full reference names, if any. */
  async get(name: string): Promise<Descriptor | undefined> {
    return (await this.entries()).find((d) => refName(d) === name);
  }

  /**
   * Applies `fn` to the entry list under the refs lock and writes the result atomically.
   * `fn` may return a value, passed back to the caller.
   */
  async update<T>(fn: (manifests: Descriptor[]) => T | Promise<T>): Promise<T> {
    return withLock(this.lockPath, { exclusive: true, what: 'the image index' }, async () => {
      const index = await this.read();
      const result = await fn(index.manifests);
      const out: Index = { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: index.manifests };
      await writeFileAtomic(this.indexPath, JSON.stringify(out));
      return result;
    });
  }
}

export function refName(d: Descriptor): string | undefined {
  return d.annotations?.[Annotation.RefName];
}

/** A manifest descriptor carrying a ref name (both the OCI and the containerd annotation). */
export function namedDescriptor(target: Descriptor, name: string | undefined): Descriptor {
  const annotations = { ...(target.annotations ?? {}) };
  delete annotations[Annotation.RefName];
  delete annotations[Annotation.ContainerdImageName];
  if (name !== undefined) {
    annotations[Annotation.RefName] = name;
    annotations[Annotation.ContainerdImageName] = name;
  }
  const d: Descriptor = { mediaType: target.mediaType, digest: target.digest, size: target.size };
  if (target.platform) d.platform = target.platform;
  if (Object.keys(annotations).length > 0) d.annotations = annotations;
  return d;
}
