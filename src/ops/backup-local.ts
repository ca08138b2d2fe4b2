/**
 * What a backup keeps in the local store once the repository holds it whole, and what it takes
 * away, so a backup never leaves a second full copy of every volume on the host.
 *
 * - A volume snapshot the backup pushed stays as a local ref, marked HELD in that repository
 *   (HELD_IN_REPOSITORY on its ref). Its record and trees stay: they are the parent of the next
 *   incremental backup (a file whose size, mtime, ctime and inode match reuses its chunk list
 *   unread, so the chunks need not be here). Its chunks go. Older held refs of the same volume
 *   in the same repository are removed: one parent is enough.
 * - The writable layer blob, bind snapshots and the backup record are not needed here at all.
 *
 * Deleting is dropUnreferenced's (ops/gc.ts): under the exclusive store lock, and only blobs that
 * nothing else keeps alive (an ordinary local snapshot that shares a chunk keeps it). When another
 * command holds the store, nothing is deleted now; `system gc` does it later.
 */
import type { Digest } from '../core/digest.js';
import { InvalidInputError, LockedError, NotFoundError } from '../core/errors.js';
import { MediaType } from '../core/media-types.js';
import type { Descriptor } from '../core/oci.js';
import type { Progress } from '../core/progress.js';
import { humanSize } from '../core/units.js';
import type { Provider } from '../content/content-store.js';
import { mark } from '../content/gc.js';
import type { LocalContentStore } from '../content/local-store.js';
import { locationText, parseRepositoryUrl } from '../repository/backends/location.js';
import { CREATED, HELD_AT, HELD_IN_REPOSITORY, SnapshotRefs, type SnapshotInfo, type SnapshotRef } from '../volumes/snapshot-refs.js';
import { childrenOf, dropUnreferenced, metadataChildren } from './gc.js';

/** Every descriptor reachable from `roots` (chunks are leaves: no I/O for them). */
export async function closureOf(content: Provider, roots: Descriptor[], edges: 'all' | 'metadata' = 'all'): Promise<Descriptor[]> {
  const seen = new Map<Digest, Descriptor>();
  const stack = [...roots];
  while (stack.length) {
    const d = stack.pop()!;
    if (seen.has(d.digest)) continue;
    seen.set(d.digest, d);
    stack.push(...(await (edges === 'all' ? childrenOf(content, d) : metadataChildren(content, d))));
  }
  return [...seen.values()];
}

/**
 * Records the backup's volume snapshots as held in `repository` (their refs are
 * written only now, after the push: takeSnapshot ran with writeRef false, so an interrupted backup
 * left no ref) and removes older held refs of those volumes in that repository. Returns what may
 * now leave the store: the new snapshots' chunks and the records and trees of the refs removed.
 * `chunksHere: false` (the snapshots streamed their chunks into the repository: none were written
 * here) leaves the chunks out, and with them the walk over the new snapshots' trees. `kept`, the
 * blobs the new snapshots name (when the caller knows them), stops the walk over an old snapshot
 * wherever it shares a tree with a new one: that tree stays anyway. An old snapshot that was the
 * new one's parent is not walked: the new snapshot's read already knows which of its trees it
 * replaced (`replacedTrees`); only below a gone directory, which it never read (`unreadTrees`).
 * These are only candidates: the caller's mark decides what goes.
 */
export async function holdInRepository(content: LocalContentStore, snaps: SnapshotInfo[], repository: { id: string; location: string }, opts: { chunksHere?: boolean; kept?: { has(digest: Digest): boolean } } = {}): Promise<Descriptor[]> {
  const refs = new SnapshotRefs(content.root);
  const candidates: Descriptor[] = [];
  const kept = opts.kept ?? new Set<Digest>();
  for (const snap of snaps) {
    const all = await refs.list(snap.record.volume);
    const size = (await content.info(snap.id))?.size;
    if (size === undefined) continue; // collected meanwhile: nothing to hold
    const descriptor = { mediaType: MediaType.LifeboatVolumeSnapshot, digest: snap.id, size };
    await refs.add(snap.record.volume, { ...descriptor, annotations: { [HELD_IN_REPOSITORY]: repository.id, [HELD_AT]: repository.location, [CREATED]: snap.record.created } });
    if (opts.chunksHere !== false) candidates.push(...(await closureOf(content, [descriptor])).filter((d) => d.mediaType === MediaType.LifeboatChunk));
    for (const old of all) {
      if (old.heldIn !== repository.id || old.descriptor.digest === snap.id) continue;
      const { annotations: _held, ...plain } = old.descriptor;
      const replaced = snap.record.parent === old.descriptor.digest ? snap.replacedTrees : undefined;
      if (replaced) {
        candidates.push(plain, ...replaced.filter((d) => !kept.has(d.digest)));
        // below a gone directory the read looked at nothing: those trees are walked here, in one mark
        const gone = (snap.unreadTrees ?? []).filter((d) => !kept.has(d.digest));
        if (gone.length) candidates.push(...(await metadataOutside(content, gone, kept).catch(() => [])));
      } else candidates.push(...(await metadataOutside(content, [plain], kept).catch(() => [plain])));
      await refs.remove(old);
    }
  }
  return candidates;
}

/** Old snapshots' records (or trees) and the trees below them, except those in `kept` and below them; read concurrently. */
async function metadataOutside(content: LocalContentStore, roots: Descriptor[], kept: { has(digest: Digest): boolean }): Promise<Descriptor[]> {
  const found = new Map<Digest, Descriptor>(roots.map((d) => [d.digest, d]));
  const { live } = await mark(content, roots, async (d) => {
    const children = (await metadataChildren(content, d)).filter((c) => !kept.has(c.digest));
    for (const c of children) found.set(c.digest, c);
    return children;
  });
  return [...found.values()].filter((d) => live.has(d.digest));
}

/**
 * Deletes the candidates nothing keeps; a busy store postpones that to `system gc` with a warning.
 * `named`: the new snapshots' blobs, a whole closure (dropUnreferenced's `closed`).
 */
export async function releaseLocalCopies(content: LocalContentStore, candidates: Descriptor[], progress: Progress, named?: { has(digest: Digest): boolean }): Promise<{ blobs: number; bytes: number }> {
  if (candidates.length === 0) return { blobs: 0, bytes: 0 }; // nothing to mark the store for
  try {
    return await dropUnreferenced(content, candidates, named ? { closed: named } : {});
  } catch (err) {
    if (!(err instanceof LockedError)) throw err;
    const bytes = candidates.reduce((n, d) => n + d.size, 0);
    progress.warn(`the store is busy: up to ${humanSize(bytes)} of data no longer needed here stays until \`lifeboat system gc\``);
    return { blobs: 0, bytes: 0 };
  }
}

/**
 * Removes the held refs of repository `id` (a migration's temporary one once the target has the
 * data; one the user detaches) and offers their records and trees to releaseLocalCopies. `listed`:
 * the store's refs, when the caller has just listed them. The repository is not touched; the next
 * backup to it has no parent and reads every file.
 */
export async function forgetHeld(content: LocalContentStore, id: string, progress: Progress, listed?: SnapshotRef[]): Promise<{ refs: SnapshotRef[]; released: { blobs: number; bytes: number } }> {
  const refs = new SnapshotRefs(content.root);
  const removed = (listed ?? (await refs.list())).filter((r) => r.heldIn === id);
  const candidates: Descriptor[] = [];
  for (const ref of removed) {
    const { annotations: _held, ...plain } = ref.descriptor;
    candidates.push(...(await closureOf(content, [plain], 'metadata').catch(() => [plain])));
    await refs.remove(ref);
  }
  return { refs: removed, released: await releaseLocalCopies(content, candidates, progress) };
}

/** A repository this store keeps backup parents for. */
export interface HeldRepository {
  id: string;
  /** Its location at the newest backup that recorded one (refs written before locations were recorded have none). */
  location?: string;
  /** Every location its refs recorded (a repository reached by two URLs, or moved). */
  locations: string[];
  snapshots: number;
}

export function heldRepositories(refs: SnapshotRef[]): HeldRepository[] {
  const byId = new Map<string, HeldRepository & { newest: string }>();
  for (const r of refs) {
    if (r.heldIn === undefined) continue;
    const h = byId.get(r.heldIn) ?? { id: r.heldIn, locations: [], snapshots: 0, newest: '' };
    h.snapshots++;
    const created = r.descriptor.annotations?.[CREATED] ?? '';
    if (r.heldAt !== undefined) {
      if (!h.locations.includes(r.heldAt)) h.locations.push(r.heldAt);
      if (h.location === undefined || created > h.newest) {
        h.location = r.heldAt;
        h.newest = created;
      }
    }
    byId.set(r.heldIn, h);
  }
  return [...byId.values()].map(({ newest: _n, ...h }) => ({ ...h, locations: h.locations.sort() }));
}

/**
 * The held repository `name` means: one whose id starts with it (4 hex or more), or one of whose
 * locations it is as a repository URL (a relative path is resolved). Both are tried, so `cafe`
 * that is a directory and an ID prefix is ambiguous rather than a guess; so is a location two
 * repositories had (one deleted and made again in the same place): name those by ID. A
 * repository that is gone or unreachable is named as well as a live one: nothing is opened.
 */
export function pickHeld(held: HeldRepository[], name: string): HeldRepository {
  const hint = held.length ? `this store keeps parents for: ${held.map((h) => `${h.id.slice(0, 12)}${h.location ? ` (${h.location})` : ''}`).join(', ')}` : 'this store keeps no backup parents';
  const byId = /^[a-f0-9]{4,64}$/i.test(name) ? held.filter((h) => h.id.startsWith(name.toLowerCase())) : [];
  let byLocation: HeldRepository[] = [];
  try {
    const where = locationText(parseRepositoryUrl(name));
    byLocation = held.filter((h) => h.locations.includes(where));
  } catch (err) {
    if (byId.length === 0) throw err; // not a location either: the parse error says why
  }
  const matches = [...new Set([...byId, ...byLocation])];
  if (matches.length > 1) throw new InvalidInputError(`${name} names ${matches.length} repositories: ${matches.map((h) => h.id.slice(0, 12)).join(', ')}`, { code: 'AMBIGUOUS', hint: `name one by a longer ID prefix; ${hint}` });
  if (matches.length === 0) throw new NotFoundError('repository with backup parents here', name, { hint });
  return matches[0]!;
}
