/**
 * Repository locks, restic's way: JSON files under locks/ that anyone can read, because a remote
 * repository has no flock. Many shared locks (backups, restores, checks) may be held at once; an
 * exclusive one (prune, unlock --remove-all aside) needs the repository to itself.
 *
 *   locks/<32 hex>.json   {"exclusive":false,"host":"web1","pid":4242,"time":"<ISO>","user":"root"}
 *
 * Acquire: look for conflicting live locks, write ours, look again, then hold it. Only a shared
 * and an exclusive lock conflict, and for both to hold, each one's second look must miss the
 * other's file. Where a file is listed as soon as it is written (a directory, SFTP: the backends
 * we have) that cannot happen: whichever wrote second sees the first. The look again is what
 * makes it safe there, not a wait. An exclusive lock still waits SETTLE_MS before it looks again,
 * which covers a backend that lists a new file up to about half that late (a shared lock written
 * just before the exclusive one's second look must be listed by then, and the shared one's own
 * look does not wait); a shared one does not wait, so every backup and restore is 200 ms quicker.
 * A backend that lists later, like some object stores, needs both sides to wait: restic's way,
 * for when such a backend comes. A lock is
 * refreshed (a new file, then the old one removed) every REFRESH_MS; when that fails, or the old
 * file has vanished (someone ran `repo unlock --remove-all`), `signal` aborts so the holder stops.
 *
 * Stale: its host is this host and its pid is dead (or a zombie), or it was not refreshed for
 * STALE_MS. Stale locks never block anyone and `repo unlock` removes them. A lock file that does not
 * parse counts as stale (it cannot say who holds it); `repo unlock` removes it too.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { LockedError, NotFoundError } from '../core/errors.js';
import { encodeJson, parseStrictJson } from '../core/strict-json.js';
import { getBytes, type Backend } from './backend.js';
import { LOCKS_DIR, lockName, parseLockName } from './repo-layout.js';

export const SETTLE_MS = 200;
export const REFRESH_MS = 5 * 60_000;
export const STALE_MS = 30 * 60_000;

export type LockMode = 'shared' | 'exclusive';

export interface LockRecord {
  exclusive: boolean;
  host: string;
  pid: number;
  time: string;
  user: string;
}

export interface LockFile {
  id: string;
  /** Undefined when the file could not be read or parsed. */
  lock?: LockRecord;
  stale: boolean;
}

export interface AcquireOptions {
  /** Keep trying this long while others hold conflicting locks. Default 0: fail at once. */
  waitMs?: number;
  refreshMs?: number;
  settleMs?: number;
  /** Told when the lock is released (Repository tracks the locks its handle holds). */
  onRelease?: (lock: RepoLock) => void;
}

export function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    return !/^\d+ \(.*\) Z/s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

export function isStale(lock: LockRecord, now = Date.now(), host = hostname()): boolean {
  const t = Date.parse(lock.time);
  if (!Number.isFinite(t) || now - t > STALE_MS) return true;
  return lock.host === host && !pidAlive(lock.pid);
}

function parseLock(bytes: Buffer): LockRecord {
  const v = parseStrictJson(bytes, 'lock file') as Partial<LockRecord> | null;
  if (typeof v !== 'object' || v === null || typeof v.exclusive !== 'boolean' || typeof v.host !== 'string' || !Number.isSafeInteger(v.pid) || typeof v.time !== 'string' || typeof v.user !== 'string') {
    throw new Error('not a lock record');
  }
  return { exclusive: v.exclusive, host: v.host, pid: v.pid!, time: v.time, user: v.user };
}

/** Every lock in the repository, parsed, with its staleness. */
export async function listLocks(backend: Backend): Promise<LockFile[]> {
  const out: LockFile[] = [];
  for (const f of await backend.list(LOCKS_DIR)) {
    const id = parseLockName(f.name);
    if (!id) continue;
    try {
      const lock = parseLock(await getBytes(backend, f.name, undefined, 64 * 1024));
      out.push({ id, lock, stale: isStale(lock) });
    } catch (err) {
      if (err instanceof NotFoundError) continue; // released while we looked
      out.push({ id, stale: true });
    }
  }
  return out;
}

export function describeLock(l: LockRecord): string {
  return `${l.exclusive ? 'an exclusive' : 'a shared'} lock held by ${l.user}@${l.host} (pid ${l.pid}) since ${l.time}`;
}

/** Removes stale locks, or every lock with `all`; returns what was removed. */
export async function removeLocks(backend: Backend, opts: { all?: boolean } = {}): Promise<LockFile[]> {
  const removed: LockFile[] = [];
  for (const l of await listLocks(backend)) {
    if (!opts.all && !l.stale) continue;
    await backend.delete(lockName(l.id)).catch((err) => {
      if (!(err instanceof NotFoundError)) throw err;
    });
    removed.push(l);
  }
  return removed;
}

export class RepoLock {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private released = false;
  private refreshing: Promise<void> | undefined;

  private constructor(
    private readonly backend: Backend,
    private id: string,
    readonly mode: LockMode,
    refreshMs: number,
    private readonly onRelease?: (lock: RepoLock) => void,
  ) {
    this.timer = setInterval(() => {
      this.refreshing ??= this.refresh().finally(() => (this.refreshing = undefined));
    }, refreshMs);
    this.timer.unref();
  }

  /** The lock file's current id (it changes on every refresh). */
  get fileId(): string {
    return this.id;
  }

  /** Aborted when the lock could not be kept (refresh failed, or someone removed it). */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  static async acquire(backend: Backend, mode: LockMode, opts: AcquireOptions = {}): Promise<RepoLock> {
    const deadline = Date.now() + (opts.waitMs ?? 0);
    const record = (): LockRecord => ({ exclusive: mode === 'exclusive', host: hostname(), pid: process.pid, time: new Date().toISOString(), user: safeUser() });
    for (let delay = 250; ; delay = Math.min(delay * 2, 5_000)) {
      let blocker = conflict(await listLocks(backend), mode);
      if (!blocker) {
        const id = randomBytes(16).toString('hex');
        await backend.put(lockName(id), encodeJson(record()));
        if (mode === 'exclusive') await sleep(opts.settleMs ?? SETTLE_MS);
        blocker = conflict((await listLocks(backend)).filter((l) => l.id !== id), mode);
        if (!blocker) return new RepoLock(backend, id, mode, opts.refreshMs ?? REFRESH_MS, opts.onRelease);
        await backend.delete(lockName(id)).catch(() => undefined);
      }
      if (Date.now() + delay > deadline) {
        throw new LockedError(`the repository is locked: ${describeLock(blocker)}`, {
          data: { holder: blocker },
          hint: `wait for it to finish; if that process is gone, \`lifeboat repo unlock ${backend.location}\` removes stale locks`,
        });
      }
      await sleep(delay);
    }
  }

  private async refresh(): Promise<void> {
    if (this.released) return;
    const old = this.id;
    try {
      await this.backend.stat(lockName(old));
      const id = randomBytes(16).toString('hex');
      const lock: LockRecord = { exclusive: this.mode === 'exclusive', host: hostname(), pid: process.pid, time: new Date().toISOString(), user: safeUser() };
      await this.backend.put(lockName(id), encodeJson(lock));
      this.id = id;
      await this.backend.delete(lockName(old)).catch(() => undefined);
    } catch (err) {
      this.controller.abort(new LockedError('lost the repository lock (it was removed, or could not be refreshed)', { cause: err }));
    }
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    this.onRelease?.(this);
    if (this.timer) clearInterval(this.timer);
    await this.refreshing;
    await this.backend.delete(lockName(this.id)).catch(() => undefined);
  }
}

function conflict(locks: LockFile[], mode: LockMode): LockRecord | undefined {
  return locks.find((l) => l.lock && !l.stale && (mode === 'exclusive' || l.lock.exclusive))?.lock;
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return String(process.getuid?.() ?? 'unknown');
  }
}
