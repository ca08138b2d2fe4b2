/**
 * `repo check`: is the repository sound? Without reading the data: config.json parses (open did
 * that), every index file hashes to its name and parses, every indexed pack exists with the size the
 * index says, every ref parses, and locks are live or reported stale. With `readData`, every pack is
 * read once, re-hashed and every blob in it decoded and verified (verify-pack.ts).
 *
 * Problems (exit 6 from the CLI) are damage: a bad index file, a missing or wrong-sized pack, a
 * blob that does not verify, a ref that does not parse. Warnings are not: packs no index names yet
 * (the next backup adopts them), temp files of cut uploads, stale locks (`repo unlock`).
 */
import { type Digest } from '../core/digest.js';
import { sha256 } from '../core/hashing.js';
import { ExitCode, LifeboatError } from '../core/errors.js';
import { JSON_LIMIT, parseStrictJson } from '../core/strict-json.js';
import { silentProgress, type Progress } from '../core/progress.js';
import { getBytes } from './backend.js';
import { listPacks } from './adopt.js';
import { parseIndex } from './index-format.js';
import type { PackEntry } from '../core/pack-format.js';
import { RepoIndex } from './repo-index.js';
import { INDEX_DIR, parseIndexName, refName } from './repo-layout.js';
import { listLocks } from './repo-locks.js';
import type { Repository } from './repository.js';
import { forEachLimit } from '../core/semaphore.js';
import { verifyPack } from './verify-pack.js';

export interface CheckOptions {
  readData?: boolean;
  progress?: Progress;
  /** Packs read at once with readData. Default 2. */
  concurrency?: number;
}

export interface CheckReport {
  indexFiles: number;
  packs: number;
  blobs: number;
  refs: number;
  /** Complete packs no index names yet. */
  unindexedPacks: number;
  tempFiles: number;
  locks: { live: number; stale: number };
  readData: boolean;
  bytesRead: number;
  problems: string[];
  warnings: string[];
}

function fatal(err: unknown): boolean {
  return err instanceof LifeboatError && (err.exitCode === ExitCode.UNREACHABLE || err.exitCode === ExitCode.AUTH);
}

export async function checkRepository(repo: Repository, opts: CheckOptions = {}): Promise<CheckReport> {
  const backend = repo.backend;
  const progress = opts.progress ?? silentProgress;
  const problems: string[] = [];
  const warnings: string[] = [];
  const index = new RepoIndex();
  const files = (await backend.list(INDEX_DIR)).flatMap((f) => {
    const id = parseIndexName(f.name);
    return id ? [{ id, name: f.name }] : [];
  });
  await forEachLimit(files, 8, async ({ id, name }) => {
    try {
      const bytes = await getBytes(backend, name, undefined, JSON_LIMIT);
      if (sha256(bytes) !== id) throw new Error('content does not hash to its name');
      for (const r of parseIndex(bytes, name)) index.addPack(r);
    } catch (err) {
      if (fatal(err)) throw err;
      problems.push(`index file ${name}: ${(err as Error).message}`);
    }
  });

  const listing = await listPacks(backend);
  const entriesByPack = new Map<Digest, PackEntry[]>();
  for (const r of index.records()) entriesByPack.set(r.pack, r.blobs);
  for (const [pack, info] of index.packs) {
    const file = listing.packs.get(pack);
    if (!file) problems.push(`pack ${pack} is in the index but missing from data/`);
    else if (file.size !== info.size) problems.push(`pack ${pack} is ${file.size} bytes, the index says ${info.size}`);
  }
  const unindexed = [...listing.packs.keys()].filter((p) => !index.packs.has(p));
  if (unindexed.length) warnings.push(`${unindexed.length} complete pack(s) are not in the index yet (an interrupted backup); the next backup adopts them`);
  if (listing.temps.length) warnings.push(`${listing.temps.length} temporary file(s) of interrupted uploads under data/ (prune removes them)`);
  for (const s of listing.strays) warnings.push(`unexpected file ${s.name}`);

  const refs = await repo.listRefs();
  for (const id of refs) {
    try {
      parseStrictJson(await getBytes(backend, refName(id), undefined, JSON_LIMIT), `backup ref ${id}`);
    } catch (err) {
      if (fatal(err)) throw err;
      problems.push(`backup ref ${id}: ${(err as Error).message}`);
    }
  }

  const own = repo.ownLockIds();
  const locks = (await listLocks(backend)).filter((l) => !own.has(l.id));
  const stale = locks.filter((l) => l.stale);
  if (stale.length) warnings.push(`${stale.length} stale lock(s); \`lifeboat repo unlock\` removes them`);

  let bytesRead = 0;
  if (opts.readData) {
    const present = [...index.packs].filter(([p, info]) => listing.packs.get(p)?.size === info.size);
    const task = progress.task('Reading packs', present.reduce((n, [, i]) => n + i.size, 0));
    await forEachLimit(present, opts.concurrency ?? 2, async ([pack, info]) => {
      problems.push(
        ...(await verifyPack(backend, pack, info.size, entriesByPack.get(pack) ?? [], (n) => {
          bytesRead += n;
          task.advance(n);
        })),
      );
    });
    task.done();
  }

  return {
    indexFiles: files.length,
    packs: index.packs.size,
    blobs: index.blobs.size,
    refs: refs.length,
    unindexedPacks: unindexed.length,
    tempFiles: listing.temps.length,
    locks: { live: locks.length - stale.length, stale: stale.length },
    readData: !!opts.readData,
    bytesRead,
    problems,
    warnings,
  };
}
