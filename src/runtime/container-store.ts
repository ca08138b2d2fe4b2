/**
 * Container records on disk (layout in container-record.ts). config.json is the commit point of a
 * creation: the directory is filled first, then config.json is written while the containers lock
 * is held, so names stay unique across processes and a half-made container is never listed (every
 * reader skips a directory without config.json). State changes are
 * read-modify-write under the container's own flock, because the supervisor and the CLI (stop,
 * kill, pause) both write it.
 */
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConflictError, NotFoundError, isErrno } from '../core/errors.js';
import { storeLayout } from '../core/layout.js';
import { tempName, uniqueSuffix, writeJsonAtomic } from '../platform/durable.js';
import { withLock } from '../platform/file-lock.js';
import { containerPaths, initialState, type ContainerPaths, type ContainerRecord, type ContainerState } from './container-record.js';
import { generateName, normalizeName } from './names.js';

/**
 * state.json is replaced atomically (temp + rename) but not fsynced: it changes several times per
 * run, and after a crash it is wrong anyway until reconciled (a new boot ID marks every running
 * container exited, see liveness.ts). config.json, which must survive, is written durably.
 */
async function replaceFile(path: string, text: string): Promise<void> {
  const tmp = tempName(path);
  try {
    await writeFile(tmp, text, { mode: 0o644 });
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

export class ContainerStore {
  readonly dir: string;
  private readonly lockPath: string;
  private readonly locksDir: string;

  constructor(readonly root: string) {
    const layout = storeLayout(root);
    this.dir = layout.containers;
    this.locksDir = layout.locks;
    this.lockPath = join(layout.locks, 'containers.lock');
  }

  paths(id: string): ContainerPaths {
    return containerPaths(this.dir, id);
  }

  /** The flock guarding a container's state.json; kept outside its directory so that locking
   *  a container that was just removed can never bring the directory back. */
  stateLock(id: string): string {
    return join(this.locksDir, 'containers', `${id}.lock`);
  }

  async ids(): Promise<string[]> {
    return (await readdir(this.dir).catch(() => [] as string[])).filter((n) => /^[a-f0-9]{64}$/.test(n));
  }

  async get(id: string): Promise<ContainerRecord> {
    try {
      return JSON.parse(await readFile(this.paths(id).config, 'utf8')) as ContainerRecord;
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw new NotFoundError('container', id);
      throw err;
    }
  }

  /** Every container; records that vanish while listing (being removed) are skipped. */
  async list(): Promise<ContainerRecord[]> {
    const out: ContainerRecord[] = [];
    for (const id of await this.ids()) {
      const rec = await this.get(id).catch(() => undefined);
      if (rec) out.push(rec);
    }
    return out;
  }

  /** Finds a container by full ID, name or unique ID prefix (Docker's order). */
  async resolve(input: string): Promise<ContainerRecord> {
    if (/^[a-f0-9]{64}$/.test(input)) {
      const rec = await this.get(input).catch(() => undefined);
      if (rec) return rec;
    }
    const all = await this.list();
    const name = input.startsWith('/') ? input.slice(1) : input;
    const byName = all.find((c) => c.name === name);
    if (byName) return byName;
    if (/^[a-f0-9]+$/.test(input)) {
      const hits = all.filter((c) => c.id.startsWith(input));
      if (hits.length === 1) return hits[0]!;
      if (hits.length > 1) throw new ConflictError(`multiple containers match the ID prefix "${input}"`, { hint: 'give more characters of the ID, or the name' });
    }
    throw new NotFoundError('container', input, { hint: 'list containers with: lifeboat ps -a' });
  }

  /**
   * Reserves an ID and a name and writes the record. `build` receives the new ID and directory
   * (so it can prepare files there) and returns the record; it runs inside the temp directory,
   * before the container becomes visible.
   */
  async create(requestedName: string | undefined, build: (id: string, paths: ContainerPaths) => Promise<ContainerRecord>): Promise<ContainerRecord> {
    const { randomBytes } = await import('node:crypto'); // here only: ps, stop and rm need no crypto (~3.5 ms to load)
    const id = randomBytes(32).toString('hex');
    const name = requestedName === undefined ? undefined : normalizeName(requestedName);
    const paths = this.paths(id);
    if (name !== undefined) await this.assertNameFree(name); // fail fast; checked again under the lock
    await mkdir(paths.dir, { recursive: true, mode: 0o711 });
    try {
      const record = await build(id, paths);
      await replaceFile(paths.state, JSON.stringify(initialState(), null, 2) + '\n');
      return await withLock(this.lockPath, { exclusive: true, what: 'the container list' }, async () => {
        const taken = new Set((await this.list()).filter((c) => c.id !== id).map((c) => c.name));
        if (name !== undefined) await this.assertNameFree(name);
        const final: ContainerRecord = { ...record, id, name: name ?? generateName(taken) };
        // A --rm container is gone at its first exit: no point paying two fsyncs for its record.
        if (final.autoRemove) await replaceFile(paths.config, JSON.stringify(final, null, 2) + '\n');
        else await writeJsonAtomic(paths.config, final);
        return final;
      });
    } catch (err) {
      await rm(paths.dir, { recursive: true, force: true });
      throw err;
    }
  }

  private async assertNameFree(name: string): Promise<void> {
    const other = (await this.list()).find((c) => c.name === name);
    if (other) {
      throw new ConflictError(`the container name "/${name}" is already in use by container "${other.id}"`, {
        hint: 'remove that container to be able to reuse that name',
      });
    }
  }

  async readState(id: string): Promise<ContainerState> {
    try {
      return { ...initialState(), ...(JSON.parse(await readFile(this.paths(id).state, 'utf8')) as Partial<ContainerState>) };
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw new NotFoundError('container', id);
      throw err;
    }
  }

  /**
   * Read-modify-write of state.json under the container's lock. `fn` edits the state in place (or
   * returns false to write nothing). Returns the state as it is afterwards.
   */
  async updateState(id: string, fn: (state: ContainerState) => boolean | void | Promise<boolean | void>): Promise<ContainerState> {
    return withLock(this.stateLock(id), { exclusive: true, what: `container ${id.slice(0, 12)}` }, async () => {
      const state = await this.readState(id);
      if ((await fn(state)) === false) return state;
      await replaceFile(this.paths(id).state, JSON.stringify(state, null, 2) + '\n');
      return state;
    });
  }

  /** Deletes the container's directory (the caller has unmounted and stopped everything). */
  async delete(id: string): Promise<void> {
    const trash = join(this.dir, `.trash-${id}-${uniqueSuffix()}`);
    try {
      await rename(this.paths(id).dir, trash);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return;
      throw err;
    }
    await rm(trash, { recursive: true, force: true });
    await rm(this.stateLock(id), { force: true });
  }
}
