/**
 * Snapshot refs: the small mutable part of volume snapshots. One file per snapshot,
 * `refs/volume-snapshots/<volume>/<record hex>`, holding the record's descriptor; written
 * atomically (temp, fsync, rename, fsync dir) and only after every blob the record needs is
 * durable, so a crash leaves either no snapshot or a complete one. A ref outlives its volume:
 * snapshots are how a removed volume comes back. GC keeps every blob reachable from these refs.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { hexOf, isDigest, parseDigest, type Digest } from '../core/digest.js';
import { InvalidInputError, NotFoundError, isErrno } from '../core/errors.js';
import { storeLayout } from '../core/layout.js';
import { MediaType } from '../core/media-types.js';
import type { Descriptor } from '../core/oci.js';
import type { SnapshotRecord } from '../core/volume-snapshot-format.js';
import { fsyncDir, writeJsonAtomic } from '../platform/durable.js';
import type { Provider } from '../content/content-store.js';
import { loadRecord } from './tree-io.js';
import { validateVolumeName } from './volume-store.js';

export interface SnapshotRef {
  volume: string;
  descriptor: Descriptor;
  /** Set by a backup: the file chunks live in this repository (id); only record and trees are here. */
  heldIn?: string;
  /** Where that repository was when the backup ran (Backend.location); older refs lack it. */
  heldAt?: string;
}

/** The descriptor annotation that marks a ref as held in a repository. */
export const HELD_IN_REPOSITORY = 'org.lifeboat.snapshot.held-in-repository';
/** Beside it: the repository's location (Backend.location). */
export const HELD_AT = 'org.lifeboat.snapshot.held-at';
/** The record's `created`, on the ref: the newest snapshot is found without reading every record. */
export const CREATED = 'org.opencontainers.image.created';

export interface SnapshotInfo {
  /** Digest of the record: the snapshot's ID (shown as its first 12 hex). */
  id: Digest;
  record: SnapshotRecord;
  /** Only from takeSnapshot: the parent's trees it replaced (read-tree.ts), when it compared with one. */
  replacedTrees?: Descriptor[];
  /** Of those, the ones whose subtrees the read never looked at (a gone directory). */
  unreadTrees?: Descriptor[];
}

/** Snapshot order, oldest first: by creation time, then by ID (snapshots() and latest() agree). */
const older = (a: { created: string; id: Digest }, b: { created: string; id: Digest }): number => (a.created < b.created ? -1 : a.created > b.created ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export class SnapshotRefs {
  readonly dir: string;

  constructor(root: string) {
    this.dir = storeLayout(root).volumeSnapshotRefs;
  }

  async add(volume: string, descriptor: Descriptor): Promise<void> {
    validateVolumeName(volume);
    await writeJsonAtomic(join(this.dir, volume, hexOf(descriptor.digest)), descriptor, 0o600);
  }

  async remove(ref: SnapshotRef): Promise<void> {
    const dir = join(this.dir, ref.volume);
    await rm(join(dir, hexOf(ref.descriptor.digest)), { force: true });
    await fsyncDir(dir).catch(() => undefined);
  }

  async list(volume?: string): Promise<SnapshotRef[]> {
    const volumes = volume !== undefined ? [volume] : await readdir(this.dir).catch(() => [] as string[]);
    const out: SnapshotRef[] = [];
    for (const v of volumes) {
      if (v.startsWith('.')) continue;
      for (const hex of await readdir(join(this.dir, v)).catch(() => [] as string[])) {
        if (!isDigest(`sha256:${hex}`)) continue; // temp files of a write in progress
        try {
          const d = JSON.parse(await readFile(join(this.dir, v, hex), 'utf8')) as Descriptor;
          const heldIn = d.annotations?.[HELD_IN_REPOSITORY];
          const heldAt = heldIn ? d.annotations?.[HELD_AT] : undefined;
          if (d.digest === `sha256:${hex}` && d.mediaType === MediaType.LifeboatVolumeSnapshot) out.push({ volume: v, descriptor: d, ...(heldIn ? { heldIn } : {}), ...(heldAt ? { heldAt } : {}) });
        } catch (err) {
          if (!isErrno(err, 'ENOENT') && !(err instanceof SyntaxError)) throw err;
        }
      }
    }
    return out;
  }

  /** Refs with their records, oldest first. */
  async snapshots(content: Provider, volume?: string): Promise<Array<SnapshotInfo & { ref: SnapshotRef }>> {
    const out: Array<SnapshotInfo & { ref: SnapshotRef }> = [];
    for (const ref of await this.list(volume)) out.push({ id: ref.descriptor.digest, record: await loadRecord(content, ref.descriptor.digest), ref });
    return out.sort((a, b) => older({ created: a.record.created, id: a.id }, { created: b.record.created, id: b.id }));
  }

  /**
   * The newest snapshot of a volume among the refs `which` accepts (the last of snapshots() that
   * it accepts), or undefined. Only its record is read, and those of refs written without CREATED.
   */
  async latest(content: Provider, volume: string, which: (ref: SnapshotRef) => boolean = () => true): Promise<(SnapshotInfo & { ref: SnapshotRef }) | undefined> {
    let best: { ref: SnapshotRef; created: string; id: Digest; record?: SnapshotRecord } | undefined;
    for (const ref of (await this.list(volume)).filter(which)) {
      const noted = ref.descriptor.annotations?.[CREATED];
      const record = noted === undefined ? await loadRecord(content, ref.descriptor.digest) : undefined;
      const candidate = { ref, created: noted ?? record!.created, id: ref.descriptor.digest, ...(record ? { record } : {}) };
      if (!best || older(best, candidate) < 0) best = candidate;
    }
    if (!best) return undefined;
    return { id: best.id, record: best.record ?? (await loadRecord(content, best.id)), ref: best.ref };
  }

  /**
   * A snapshot named by its ID (full digest, or a unique hex prefix of at least 4 characters, as
   * `docker` accepts), or `VOLUME:latest`.
   */
  async resolve(content: Provider, name: string): Promise<SnapshotInfo & { ref: SnapshotRef }> {
    const latest = /^(.+):latest$/.exec(name);
    if (latest) {
      const found = await this.latest(content, latest[1]!);
      if (!found) throw new NotFoundError('snapshot', name, { hint: `volume ${latest[1]} has no snapshots; take one with: lifeboat volume snapshot ${latest[1]}` });
      return found;
    }
    const hex = name.startsWith('sha256:') ? hexOf(parseDigest(name)) : name.toLowerCase();
    if (!/^[a-f0-9]{4,64}$/.test(hex)) throw new NotFoundError('snapshot', name, { hint: 'name a snapshot by its ID (see: lifeboat volume snapshots) or as VOLUME:latest' });
    const matches = (await this.list()).filter((r) => hexOf(r.descriptor.digest).startsWith(hex));
    const unique = [...new Map(matches.map((m) => [m.descriptor.digest, m])).values()];
    if (unique.length === 0) throw new NotFoundError('snapshot', name, { hint: 'list snapshots with: lifeboat volume snapshots' });
    if (unique.length > 1) throw new InvalidInputError(`snapshot ID prefix ${name} is ambiguous (${unique.length} snapshots match)`, { code: 'AMBIGUOUS' });
    const ref = unique[0]!;
    return { id: ref.descriptor.digest, record: await loadRecord(content, ref.descriptor.digest), ref };
  }
}
