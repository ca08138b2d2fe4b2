/**
 * `lifeboat system check`: the store's fsck. Every blob is re-hashed against its name; every root
 * (image refs, and whatever else ops/gc.ts knows) is followed and every blob it needs must be
 * present; every image's manifest and config must parse and agree with each other. Blobs that fail
 * are reported, and with `repair` moved to quarantine/ so the next load or pull heals the store.
 * Volume snapshots held in a repository (a backup dropped their chunks here) need only their record
 * and trees; their chunks are not missing, they are reported as held in that repository.
 */
import type { Digest } from '../core/digest.js';
import { isManifestType } from '../core/media-types.js';
import type { Descriptor } from '../core/oci.js';
import { parseImageConfig, parseManifest } from '../core/oci-validate.js';
import { silentProgress, type Progress } from '../core/progress.js';
import type { Children } from '../content/gc.js';
import type { LocalContentStore } from '../content/local-store.js';
import { SnapshotRefs } from '../volumes/snapshot-refs.js';
import { heldRepositories } from './backup-local.js';
import { markLive } from './gc.js';

export interface CheckProblem {
  kind: 'corrupt' | 'missing' | 'invalid' | 'corrupt-pack';
  /** The blob (every kind but corrupt-pack). */
  digest?: Digest;
  /** The pack under packs/ whose blobs cannot be found (corrupt-pack). */
  pack?: string;
  detail: string;
}

export interface CheckResult {
  blobs: number;
  bytes: number;
  roots: number;
  problems: CheckProblem[];
  /** Repositories that hold the file chunks of snapshots kept here as backup parents (`repository`: its id). */
  held: Array<{ repository: string; location?: string; snapshots: number }>;
}

async function checkImage(content: LocalContentStore, d: Descriptor): Promise<CheckProblem | undefined> {
  try {
    const manifest = parseManifest(await content.readBytes(d.digest), `manifest ${d.digest}`);
    const config = parseImageConfig(await content.readBytes(manifest.config.digest), `config ${manifest.config.digest}`);
    if (config.rootfs.diff_ids.length !== manifest.layers.length) {
      return { kind: 'invalid', digest: d.digest, detail: `${manifest.layers.length} layers but ${config.rootfs.diff_ids.length} diff_ids` };
    }
  } catch (err) {
    return { kind: 'invalid', digest: d.digest, detail: (err as Error).message };
  }
  return undefined;
}

export async function checkStore(content: LocalContentStore, opts: { repair?: boolean; progress?: Progress } = {}): Promise<CheckResult> {
  const progress = opts.progress ?? silentProgress;
  const problems: CheckProblem[] = [];
  const all: Array<{ digest: Digest; size: number }> = [];
  for await (const b of content.walk()) all.push(b);
  const task = progress.task('Verifying blobs', all.reduce((n, b) => n + b.size, 0));
  const corrupt = new Set<Digest>();
  for (const b of all) {
    const actual = await content.rehash(b.digest);
    task.advance(b.size);
    if (actual !== b.digest) {
      corrupt.add(b.digest);
      problems.push({ kind: 'corrupt', digest: b.digest, detail: `content hashes to ${actual}` });
      if (opts.repair) await content.quarantine(b.digest);
    }
  }
  task.done();
  for (const bad of (await content.packs.ready()).bad) {
    problems.push({ kind: 'corrupt-pack', pack: bad.pack, detail: `${bad.error}; its blobs are not in the store` });
    if (opts.repair) await content.packs.quarantinePack(bad.pack);
  }

  const skipCorrupt = (c: Children): Children => async (d: Descriptor) => (corrupt.has(d.digest) ? [] : c(d).catch(() => []));
  const { missing, roots } = await markLive(content, skipCorrupt);
  for (const m of missing) if (!corrupt.has(m.digest)) problems.push({ kind: 'missing', digest: m.digest, detail: `${m.mediaType} referenced but not in the store` });
  for (const r of roots) {
    if (!isManifestType(r.mediaType) || corrupt.has(r.digest) || missing.some((m) => m.digest === r.digest)) continue;
    const p = await checkImage(content, r);
    if (p) problems.push(p);
  }
  return {
    blobs: all.length,
    bytes: all.reduce((n, b) => n + b.size, 0),
    roots: roots.length,
    problems,
    held: heldRepositories(await new SnapshotRefs(content.root).list()).map((h) => ({ repository: h.id, ...(h.location ? { location: h.location } : {}), snapshots: h.snapshots })),
  };
}
