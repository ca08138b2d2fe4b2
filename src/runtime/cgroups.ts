/**
 * A cgroup per container: the freezer for pause/unpause, and the process list and counters for
 * `top`. On cgroup v1 (this machine is hybrid v1: controllers at /sys/fs/cgroup/<controller>) the
 * container gets /sys/fs/cgroup/<controller>/lifeboat/<id> under freezer, memory, cpuacct and pids;
 * on a pure v2 host, /sys/fs/cgroup/lifeboat/<id> with cgroup.freeze. The unshare executor's start
 * script joins these before it creates the namespaces, so every process of the container is inside
 * from the first instruction; runc creates the same paths itself (cgroupsPath /lifeboat/<id>).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConflictError, isErrno } from '../core/errors.js';

const BASE = '/sys/fs/cgroup';
const V1_CONTROLLERS = ['freezer', 'memory', 'cpuacct', 'pids'];

export type CgroupVersion = 1 | 2 | 0;

export function cgroupVersion(): CgroupVersion {
  if (existsSync(join(BASE, 'cgroup.controllers'))) return 2;
  if (existsSync(join(BASE, 'freezer', 'cgroup.procs'))) return 1;
  return 0;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class ContainerCgroup {
  readonly version: CgroupVersion;

  constructor(readonly id: string, version: CgroupVersion = cgroupVersion()) {
    this.version = version;
  }

  /** The container's directory under each controller in use. */
  dirs(): string[] {
    if (this.version === 2) return [join(BASE, 'lifeboat', this.id)];
    if (this.version === 1) return V1_CONTROLLERS.filter((c) => existsSync(join(BASE, c))).map((c) => join(BASE, c, 'lifeboat', this.id));
    return [];
  }

  private freezerDir(): string | undefined {
    if (this.version === 2) return join(BASE, 'lifeboat', this.id);
    if (this.version === 1) return join(BASE, 'freezer', 'lifeboat', this.id);
    return undefined;
  }

  /** Creates the directories (the caller is root); returns the cgroup.procs files to join. */
  async create(): Promise<string[]> {
    const procs: string[] = [];
    for (const dir of this.dirs()) {
      try {
        await mkdir(dir, { recursive: true });
        procs.push(join(dir, 'cgroup.procs'));
      } catch (err) {
        if (!isErrno(err, 'EACCES', 'EPERM', 'EROFS', 'ENOENT')) throw err;
      }
    }
    return procs;
  }

  /** PIDs in the container (the freezer cgroup holds every process of it). */
  pids(): number[] {
    const dir = this.freezerDir() ?? this.dirs()[0];
    if (!dir) return [];
    try {
      return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
    } catch {
      return [];
    }
  }

  async freeze(): Promise<void> {
    await this.setFrozen(true);
  }

  async thaw(): Promise<void> {
    await this.setFrozen(false);
  }

  private async setFrozen(frozen: boolean): Promise<void> {
    const dir = this.freezerDir();
    if (!dir || !existsSync(dir)) throw new ConflictError('this container has no freezer cgroup, so it cannot be paused', { hint: 'pause needs root and the cgroup freezer' });
    for (let i = 0; i < 500; i++) {
      if (this.version === 2) {
        await writeFile(join(dir, 'cgroup.freeze'), frozen ? '1' : '0');
        const events = await readFile(join(dir, 'cgroup.events'), 'utf8');
        if (events.includes(frozen ? 'frozen 1' : 'frozen 0')) return;
      } else {
        await writeFile(join(dir, 'freezer.state'), frozen ? 'FROZEN' : 'THAWED');
        const state = (await readFile(join(dir, 'freezer.state'), 'utf8')).trim();
        if (state === (frozen ? 'FROZEN' : 'THAWED')) return;
      }
      await sleep(10);
    }
    throw new ConflictError(`the container did not ${frozen ? 'freeze' : 'thaw'} in time`);
  }

  isFrozen(): boolean {
    const dir = this.freezerDir();
    if (!dir) return false;
    try {
      if (this.version === 2) return readFileSync(join(dir, 'cgroup.events'), 'utf8').includes('frozen 1');
      return readFileSync(join(dir, 'freezer.state'), 'utf8').trim() !== 'THAWED';
    } catch {
      return false;
    }
  }

  /** Memory in use and CPU time consumed, when the controllers are there. */
  stats(): { memoryBytes?: number; cpuNanos?: number; pids: number } {
    const read = (path: string) => {
      try {
        return Number(readFileSync(path, 'utf8').trim().split('\n')[0]);
      } catch {
        return undefined;
      }
    };
    const out: { memoryBytes?: number; cpuNanos?: number; pids: number } = { pids: this.pids().length };
    const memory = this.version === 2 ? read(join(BASE, 'lifeboat', this.id, 'memory.current')) : read(join(BASE, 'memory', 'lifeboat', this.id, 'memory.usage_in_bytes'));
    const cpu = this.version === 1 ? read(join(BASE, 'cpuacct', 'lifeboat', this.id, 'cpuacct.usage')) : undefined;
    if (memory !== undefined && Number.isFinite(memory)) out.memoryBytes = memory;
    if (cpu !== undefined && Number.isFinite(cpu)) out.cpuNanos = cpu;
    return out;
  }

  /** Every existing directory of this container under any hierarchy (runc creates one per v1 controller). */
  private allDirs(): string[] {
    if (this.version !== 1) return this.dirs().filter((d) => existsSync(d));
    let hierarchies: string[] = [];
    try {
      hierarchies = readdirSync(BASE);
    } catch {
      return [];
    }
    return hierarchies.map((h) => join(BASE, h, 'lifeboat', this.id)).filter((d) => existsSync(d));
  }

  /** Removes the directories once the processes are gone (a frozen cgroup is thawed first). */
  async remove(): Promise<void> {
    if (this.isFrozen()) await this.thaw().catch(() => undefined);
    for (const dir of this.allDirs()) {
      for (let i = 0; i < 50; i++) {
        try {
          await rmdir(dir);
          break;
        } catch (err) {
          if (isErrno(err, 'ENOENT')) break;
          if (!isErrno(err, 'EBUSY') || i === 49) break; // leave it; the next removal tries again
          await sleep(20);
        }
      }
    }
  }
}
