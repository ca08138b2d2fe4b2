/**
 * Named volumes: a directory per volume under <root>/volumes/<name>/, holding `_data/` (what
 * containers see) and `meta.json` (labels, options, creation time). A volume lives outside images
 * and containers and outlives both. Creation and removal are atomic renames, so a crash never
 * leaves a half-made volume under its name. Whether a volume is in use is the caller's question
 * (ops/ knows the containers); this store only keeps the data.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConflictError, InvalidInputError, NotFoundError, isErrno } from '../core/errors.js';
import { storeLayout } from '../core/layout.js';
import { fsyncDir, writeJsonAtomic } from '../platform/durable.js';

export interface VolumeMeta {
  name: string;
  created: string;
  labels: Record<string, string>;
  options: Record<string, string>;
  /** Created for an image VOLUME or a `-v /path` without a name. */
  anonymous: boolean;
}

export interface CreateVolumeOptions {
  labels?: Record<string, string>;
  options?: Record<string, string>;
  anonymous?: boolean;
}

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

export function validateVolumeName(name: string): void {
  if (!NAME.test(name) || name.length > 255) {
    throw new InvalidInputError(`invalid volume name "${name}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`, { code: 'INVALID_NAME' });
  }
}

export class VolumeStore {
  readonly dir: string;

  constructor(root: string) {
    this.dir = storeLayout(root).volumes;
  }

  /** The directory containers mount. */
  dataPath(name: string): string {
    return join(this.dir, name, '_data');
  }

  async exists(name: string): Promise<boolean> {
    return stat(join(this.dir, name, 'meta.json')).then(() => true, () => false);
  }

  /**
   * Creates a volume, or returns the existing one of that name (as `docker volume create` does).
   * Without a name, an anonymous volume with a random 64-hex name is made.
   */
  async create(name?: string, opts: CreateVolumeOptions = {}): Promise<VolumeMeta> {
    const volName = name ?? randomBytes(32).toString('hex');
    validateVolumeName(volName);
    if (await this.exists(volName)) return this.get(volName);
    const meta: VolumeMeta = { name: volName, created: new Date().toISOString(), labels: opts.labels ?? {}, options: opts.options ?? {}, anonymous: opts.anonymous ?? name === undefined };
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const tmp = join(this.dir, `.new-${volName}-${randomBytes(4).toString('hex')}`);
    await mkdir(join(tmp, '_data'), { recursive: true, mode: 0o755 });
    await writeFile(join(tmp, 'meta.json'), JSON.stringify(meta, null, 2) + '\n');
    try {
      await rename(tmp, join(this.dir, volName));
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      if (isErrno(err, 'EEXIST', 'ENOTEMPTY')) return this.get(volName); // created concurrently
      throw err;
    }
    return meta;
  }

  async get(name: string): Promise<VolumeMeta> {
    validateVolumeName(name);
    try {
      return JSON.parse(await readFile(join(this.dir, name, 'meta.json'), 'utf8')) as VolumeMeta;
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw new NotFoundError('volume', name, { hint: 'list volumes with: lifeboat volume ls' });
      throw err;
    }
  }

  async list(): Promise<VolumeMeta[]> {
    const out: VolumeMeta[] = [];
    for (const name of await readdir(this.dir).catch(() => [] as string[])) {
      if (name.startsWith('.')) continue;
      const meta = await this.get(name).catch(() => undefined);
      if (meta) out.push(meta);
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Deletes a volume and its data. The caller checks it is not in use. */
  async remove(name: string): Promise<void> {
    if (!(await this.exists(name))) throw new NotFoundError('volume', name);
    const trash = join(this.dir, `.trash-${name}-${randomBytes(4).toString('hex')}`);
    await rename(join(this.dir, name), trash);
    await rm(trash, { recursive: true, force: true });
  }

  /** Rewrites a volume's metadata (labels after a restore, for example). */
  async updateMeta(meta: VolumeMeta): Promise<void> {
    if (!(await this.exists(meta.name))) throw new ConflictError(`volume ${meta.name} vanished while being updated`);
    await writeJsonAtomic(join(this.dir, meta.name, 'meta.json'), meta);
  }

  /**
   * A fresh private directory (0700) on the volumes filesystem, for building a volume's new data
   * before it is swapped in: beside the volume's _data when it exists, else at the top. Names
   * start with a dot, so list() never shows them; the caller removes it.
   */
  async stagingDir(name?: string): Promise<string> {
    const parent = name !== undefined && (await this.exists(name)) ? join(this.dir, name) : this.dir;
    await mkdir(parent, { recursive: true, mode: 0o700 });
    await cleanStaging(parent);
    return mkdtemp(join(parent, `.staging-${process.pid}-`));
  }

  /**
   * Replaces a volume's data with `dataDir` (a directory on the same filesystem, e.g. from
   * stagingDir): the old data is renamed aside, the new renamed in, the old deleted. Readers see
   * the old tree or the new one. If the process dies between the two renames, `repair` puts the
   * old data back.
   */
  async replaceData(name: string, dataDir: string): Promise<void> {
    const vol = join(this.dir, name);
    await this.repair(name);
    const old = join(vol, `.old-${randomBytes(4).toString('hex')}`);
    await rename(join(vol, '_data'), old);
    try {
      await rename(dataDir, join(vol, '_data'));
    } catch (err) {
      await rename(old, join(vol, '_data'));
      throw err;
    }
    await fsyncDir(vol);
    await rm(old, { recursive: true, force: true });
  }

  /** Creates volume `name` with `dataDir` as its data (moved, not copied), atomically. */
  async adopt(name: string, dataDir: string, opts: CreateVolumeOptions = {}): Promise<VolumeMeta> {
    validateVolumeName(name);
    if (await this.exists(name)) throw new ConflictError(`volume ${name} already exists`);
    const meta: VolumeMeta = { name, created: new Date().toISOString(), labels: opts.labels ?? {}, options: opts.options ?? {}, anonymous: opts.anonymous ?? false };
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const tmp = join(this.dir, `.new-${name}-${randomBytes(4).toString('hex')}`);
    await mkdir(tmp, { mode: 0o700 });
    try {
      await rename(dataDir, join(tmp, '_data'));
      await writeFile(join(tmp, 'meta.json'), JSON.stringify(meta, null, 2) + '\n');
      await rename(tmp, join(this.dir, name));
      await fsyncDir(this.dir);
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      if (isErrno(err, 'EEXIST', 'ENOTEMPTY')) throw new ConflictError(`volume ${name} was created by another command meanwhile`);
      throw err;
    }
    return meta;
  }

  /** Undoes a replaceData cut short by a crash (no _data, one .old-* beside it); drops stale staging dirs. */
  async repair(name: string): Promise<void> {
    const vol = join(this.dir, name);
    const names = await readdir(vol).catch(() => [] as string[]);
    const olds = names.filter((n) => n.startsWith('.old-'));
    if (!names.includes('_data') && olds.length === 1) await rename(join(vol, olds[0]!), join(vol, '_data'));
    await cleanStaging(vol);
  }
}

/** Removes staging directories whose creating process is gone (killed mid-restore). */
async function cleanStaging(parent: string): Promise<void> {
  for (const n of await readdir(parent).catch(() => [] as string[])) {
    const pid = /^\.staging-(\d+)-/.exec(n)?.[1];
    if (pid !== undefined && !pidAlive(Number(pid))) await rm(join(parent, n), { recursive: true, force: true });
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return isErrno(err, 'EPERM');
  }
}
