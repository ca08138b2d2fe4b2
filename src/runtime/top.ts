/**
 * `top`: the container's processes as the host's ps(1) shows them (default `ps -ef`, or the
 * options the user gives, as `docker top`), keeping the header and the rows whose PID belongs to
 * the container. Membership comes from the container's cgroup; without one (rootless), from the
 * process tree under the container's PID 1.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import { promisify } from 'node:util';
import { ConflictError, ContainerError } from '../core/errors.js';
import { ContainerCgroup } from './cgroups.js';
import type { ContainerRecord, ContainerState } from './container-record.js';
import { which } from './host-tools.js';
import { isAlive, readProcStat } from './proc.js';

export interface TopResult {
  titles: string[];
  processes: string[][];
}

/** PIDs of `root` and every descendant (one /proc scan). */
export function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const st = readProcStat(Number(name));
    if (st) parent.set(st.pid, st.ppid);
  }
  const out = new Set<number>([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, ppid] of parent) if (!out.has(pid) && out.has(ppid)) (out.add(pid), (grew = true));
  }
  return [...out];
}

/** Splits ps output into titles and rows; the last column (CMD/COMMAND) keeps its spaces. */
export function parsePs(text: string, pids: ReadonlySet<number>): TopResult {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const titles = (lines[0] ?? '').trim().split(/\s+/);
  const pidCol = titles.indexOf('PID');
  if (pidCol < 0) throw new ContainerError('the ps options must include the PID column', { hint: 'try: lifeboat top CONTAINER -ef' });
  const processes: string[][] = [];
  for (const line of lines.slice(1)) {
    const fields = line.trim().split(/\s+/);
    const row = [...fields.slice(0, titles.length - 1), fields.slice(titles.length - 1).join(' ')];
    if (pids.has(Number(row[pidCol]))) processes.push(row);
  }
  return { titles, processes };
}

export async function topContainer(rec: ContainerRecord, state: ContainerState, psArgs: string[]): Promise<TopResult> {
  if ((state.status !== 'running' && state.status !== 'paused') || !isAlive(state.pid, state.pidStart)) {
    throw new ConflictError(`container ${rec.name} is not running`);
  }
  const fromCgroup = new ContainerCgroup(rec.id).pids();
  // The cgroup also holds the launcher (`unshare` waiting on PID 1); keep the container's PID namespace only.
  const ns = (pid: number) => {
    try {
      return readlinkSync(`/proc/${pid}/ns/pid`);
    } catch {
      return undefined;
    }
  };
  const own = ns(state.pid);
  const pids = new Set((fromCgroup.length > 0 ? fromCgroup : descendants(state.pid)).filter((p) => ns(p) === own));
  const ps = which('ps');
  if (!ps) throw new ContainerError('ps is not installed, and top needs it', { hint: 'install procps' });
  const { stdout } = await promisify(execFile)(ps, psArgs.length ? psArgs : ['-ef'], { maxBuffer: 16 * 1024 * 1024 });
  return parsePs(stdout, pids);
}
