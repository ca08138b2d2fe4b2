/**
 * Content for repository tests, declared as data: a local store holding an OCI manifest whose
 * "layers" are the blobs of the fixture (small ones in various shapes, big ones, compressible or
 * random), so a push or pull walks a real closure with ops/gc.ts `childrenOf`. Also opens a fresh
 * local repository with a shared lock held, ready for pushClosure.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { type Digest } from '../../src/core/digest.js';
import { sha256 } from '../../src/core/hashing.js';
import { MediaType } from '../../src/core/media-types.js';
import type { Descriptor } from '../../src/core/oci.js';
import { LocalContentStore } from '../../src/content/local-store.js';
import { LocalBackend } from '../../src/repository/backends/local-backend.js';
import { Repository } from '../../src/repository/repository.js';
import { tempDir } from './tmp.js';

export interface BlobSpec {
  /** Number of blobs of this kind. */
  count: number;
  size: number;
  /** 'random' (incompressible), 'text' (compresses well), 'zeros'. */
  kind: 'random' | 'text' | 'zeros';
}

export interface StoreFixture {
  store: LocalContentStore;
  root: Descriptor;
  /** Every blob in the closure except the root manifest's config. */
  blobs: Array<{ digest: Digest; size: number; data?: Buffer }>;
  totalBytes: number;
}

type T = { after: (fn: () => unknown) => void };

function bytesOf(kind: BlobSpec['kind'], size: number, n: number): Buffer {
  if (kind === 'random') return randomBytes(size);
  if (kind === 'zeros') {
    const b = Buffer.alloc(size);
    b.writeUInt32LE(n, 0); // distinct blobs
    return b;
  }
  const line = `line ${n}: the quick brown fox jumps over the lazy dog ${n % 97}\n`;
  return Buffer.from(line.repeat(Math.ceil(size / line.length)).slice(0, size));
}

/** A store at `dir` (or a temp dir) whose root manifest names blobs made from `specs`. */
export async function storeFixture(t: T, specs: BlobSpec[], dir?: string): Promise<StoreFixture> {
  const store = await LocalContentStore.open(dir ?? join(await tempDir(t), 'store'));
  const blobs: StoreFixture['blobs'] = [];
  const layers: Descriptor[] = [];
  let n = 0;
  const batch = store.newBatch(); // one syncfs instead of a fsync per blob: tests stay quick
  for (const spec of specs) {
    for (let i = 0; i < spec.count; i++) {
      const data = bytesOf(spec.kind, spec.size, n++);
      const info = await store.put(data, {}, batch);
      layers.push({ mediaType: MediaType.OciLayer, digest: info.digest, size: info.size });
      blobs.push({ digest: info.digest, size: info.size, ...(spec.size <= 1 << 20 ? { data } : {}) });
    }
  }
  await batch.flush();
  return { store, root: await manifestOf(store, layers), blobs, totalBytes: blobs.reduce((s, b) => s + b.size, 0) };
}

/** Stores a manifest (and an empty config) naming `layers`; returns its descriptor. */
export async function manifestOf(store: LocalContentStore, layers: Descriptor[]): Promise<Descriptor> {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
  const cfg = await store.put(config);
  const manifest = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciManifest, config: { mediaType: MediaType.OciConfig, digest: cfg.digest, size: cfg.size }, layers }),
  );
  const m = await store.put(manifest);
  return { mediaType: MediaType.OciManifest, digest: m.digest, size: m.size };
}

/** A fresh repository in a temp dir (or at `dir`). */
export async function localRepo(t: T, dir?: string): Promise<{ repo: Repository; path: string }> {
  const path = dir ?? join(await tempDir(t), 'repo');
  const repo = await Repository.init(new LocalBackend(path));
  t.after(() => repo.close());
  return { repo, path };
}

export function digestOf(data: Buffer): Digest {
  return sha256(data);
}
