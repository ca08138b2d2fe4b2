/**
 * A Lifeboat repository: the same blobs as a local store, packed (pack-format.ts) and indexed
 * (index-format.ts) on a Backend, plus small refs and locks. This class is the handle everything
 * else takes; the work lives in functions beside it (push.ts, pull.ts, check.ts, prune.ts, ...).
 *
 * Lifecycle:  Repository.init(backend) once → Repository.open(backend) → lock(mode) → read and write
 *             → release the lock → close(). `openRepository(url, opts)` does the backend part.
 *
 * It is a read-only content `Provider` (info/reader/readBytes by digest, always verified), so code
 * that walks records by digest can read them from a repository as from the local store.
 *
 * Ordering invariants (restic's): writers upload packs, then the index files naming them, then the
 * refs naming root records; readers go refs → index → packs. Only prune deletes packs, under the
 * exclusive lock, after the index stopped naming them.
 */
import { Readable } from 'node:stream';
import type { Digest } from '../core/digest.js';
import { ConflictError, InvalidInputError, NoRepositoryError, NotFoundError } from '../core/errors.js';
import { JSON_LIMIT, encodeJson, parseStrictJson } from '../core/strict-json.js';
import type { BlobInfo, Provider } from '../content/content-store.js';
import { getBytes, type Backend } from './backend.js';
import { openBackend, type OpenBackendOptions } from './backends/open-backend.js';
import { blobStream, fitsInMemory, readBlob } from './pack-reader.js';
import { RepoIndex } from './repo-index.js';
import { CONFIG_FILE, REFS_DIR, newConfig, parseConfig, parseRefName, refName, type RepoConfig } from './repo-layout.js';
import { RepoLock, type AcquireOptions, type LockMode } from './repo-locks.js';

export class Repository implements Provider {
  private indexP: Promise<RepoIndex> | undefined;
  private readonly locks = new Set<RepoLock>();

  private constructor(readonly backend: Backend, readonly config: RepoConfig) {}

  get location(): string {
    return this.backend.location;
  }

  /** Creates a repository; ConflictError when one is there already. */
  static async init(backend: Backend): Promise<Repository> {
    const exists = await backend.stat(CONFIG_FILE).then(
      () => true,
      (err: unknown) => (err instanceof NotFoundError ? false : Promise.reject(err)),
    );
    if (exists) throw new ConflictError(`a repository already exists at ${backend.location}`, { hint: 'use it as it is, or choose another location' });
    const config = newConfig();
    await backend.put(CONFIG_FILE, encodeJson(config));
    return new Repository(backend, config);
  }

  /** Opens an existing repository; NoRepositoryError (exit 10) when there is none. */
  static async open(backend: Backend): Promise<Repository> {
    let bytes: Buffer;
    try {
      bytes = await getBytes(backend, CONFIG_FILE, undefined, 64 * 1024);
    } catch (err) {
      if (err instanceof NotFoundError) throw new NoRepositoryError(backend.location);
      throw err;
    }
    return new Repository(backend, parseConfig(bytes));
  }

  /** The index, loaded on first use. */
  index(): Promise<RepoIndex> {
    this.indexP ??= RepoIndex.load(this.backend);
    this.indexP.catch(() => (this.indexP = undefined));
    return this.indexP;
  }

  /** Forgets the loaded index (after prune, or to see what other processes added). */
  reloadIndex(): Promise<RepoIndex> {
    this.indexP = undefined;
    return this.index();
  }

  /** Takes a repository lock; released by lock.release() (or close()). */
  async lock(mode: LockMode, opts?: AcquireOptions): Promise<RepoLock> {
    const lock = await RepoLock.acquire(this.backend, mode, { ...opts, onRelease: (l) => this.locks.delete(l) });
    this.locks.add(lock);
    return lock;
  }

  async withLock<T>(mode: LockMode, fn: (lock: RepoLock) => Promise<T>, opts?: AcquireOptions): Promise<T> {
    const lock = await this.lock(mode, opts);
    try {
      return await fn(lock);
    } finally {
      await lock.release();
    }
  }

  /** Throws unless this handle holds a lock (exclusive when asked); operations that write call it. */
  assertLocked(mode: LockMode = 'shared'): RepoLock {
    const held = [...this.locks].find((l) => mode === 'shared' || l.mode === 'exclusive');
    if (!held) throw new Error(`bug: this repository operation needs a ${mode} lock; take it with repo.lock('${mode}')`);
    held.signal.throwIfAborted();
    return held;
  }

  /** Ids of the lock files this handle holds (check leaves them out of its report). */
  ownLockIds(): Set<string> {
    return new Set([...this.locks].map((l) => l.fileId));
  }

  async info(digest: Digest): Promise<BlobInfo | undefined> {
    const loc = (await this.index()).get(digest);
    return loc ? { digest, size: loc.rawLength } : undefined;
  }

  /** A blob's bytes; the stream fails at its end unless size and digest are right. */
  async reader(digest: Digest): Promise<Readable> {
    const loc = (await this.index()).get(digest);
    if (!loc) throw new NotFoundError('blob', digest);
    if (fitsInMemory(loc)) return Readable.from([await readBlob(this.backend, loc)], { objectMode: false });
    return blobStream(this.backend, loc);
  }

  async readBytes(digest: Digest, limit = 64 * 1024 * 1024): Promise<Buffer> {
    const loc = (await this.index()).get(digest);
    if (!loc) throw new NotFoundError('blob', digest);
    if (loc.rawLength > limit) throw new InvalidInputError(`blob ${digest} is ${loc.rawLength} bytes, over the ${limit}-byte limit for documents`);
    return readBlob(this.backend, loc);
  }

  /** Writes a ref. Only after the blobs it names are pushed (their index files written). */
  async putRef(id: string, doc: unknown): Promise<void> {
    await this.backend.put(refName(id), encodeJson(doc));
  }

  /** A ref's document, parsed as strict JSON; NotFoundError when absent. */
  async getRef(id: string): Promise<unknown> {
    return parseStrictJson(await getBytes(this.backend, refName(id), undefined, JSON_LIMIT), `backup ref ${id}`);
  }

  /** Every ref id, sorted. */
  async listRefs(): Promise<string[]> {
    return (await this.backend.list(REFS_DIR)).flatMap((f) => parseRefName(f.name) ?? []).sort();
  }

  async deleteRef(id: string): Promise<void> {
    await this.backend.delete(refName(id));
  }

  /** Releases every lock this handle holds and the backend's connections. */
  async close(): Promise<void> {
    for (const l of [...this.locks]) await l.release();
    await this.backend.close();
  }
}

export async function openRepository(url: string, opts: OpenBackendOptions = {}): Promise<Repository> {
  const backend = await openBackend(url, opts);
  try {
    return await Repository.open(backend);
  } catch (err) {
    await backend.close();
    throw err;
  }
}

export async function initRepository(url: string, opts: OpenBackendOptions = {}): Promise<Repository> {
  const backend = await openBackend(url, opts);
  try {
    return await Repository.init(backend);
  } catch (err) {
    await backend.close();
    throw err;
  }
}
