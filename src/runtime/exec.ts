/**
 * `exec`: a new process inside a running container, through util-linux nsenter: the container's
 * mount, UTS, IPC and PID namespaces (and network when it has its own), its root and a working
 * directory inside it, its user, its environment merged with -e. The process also joins the
 * container's cgroup, so `pause` freezes it and `top` lists it. Works the same for containers
 * started by unshare and by runc (both leave namespaces behind a PID).
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import { lstat, readFile } from 'node:fs/promises';
import { ConflictError, ContainerError } from '../core/errors.js';
import type { ContainerRecord, ContainerState } from './container-record.js';
import { ContainerCgroup } from './cgroups.js';
import { shellPath, which } from './host-tools.js';
import { isAlive } from './proc.js';
import { mergeEnv } from './process-config.js';
import { shq } from './start-script.js';
import { exitCodeOf } from './signals.js';
import { resolveUser } from './users.js';

export interface ExecOptions {
  args: string[];
  env?: string[];
  user?: string;
  workdir?: string;
}

async function readContainerFile(pid: number, path: string): Promise<string> {
  const full = `/proc/${pid}/root${path}`;
  const st = await lstat(full).catch(() => undefined);
  if (!st?.isFile()) return ''; // absent, or a symlink we will not follow from the host
  return readFile(full, 'utf8');
}

/** The command line that enters the container, and its environment. */
export async function execCommand(rec: ContainerRecord, state: ContainerState, opts: ExecOptions): Promise<{ file: string; args: string[]; env: NodeJS.ProcessEnv }> {
  if (state.status === 'paused') throw new ConflictError(`container ${rec.name} is paused, unpause the container before exec`);
  if (state.status !== 'running' || !isAlive(state.pid, state.pidStart)) throw new ConflictError(`container ${rec.name} is not running`);
  const nsenter = which('nsenter');
  if (!nsenter) throw new ContainerError('nsenter is not installed, and exec needs it', { hint: 'install util-linux' });
  if (opts.args.length === 0) throw new ContainerError('no command given to exec');
  const userSpec = opts.user ?? rec.process.user;
  const ids = userSpec === '' ? undefined : resolveUser(userSpec, await readContainerFile(state.pid, '/etc/passwd'), await readContainerFile(state.pid, '/etc/group'));
  const ns = ['--target', String(state.pid), ...(rec.rootfs.userns ? ['--user', '--preserve-credentials'] : []), '--mount', '--uts', '--ipc', '--pid'];
  if (rec.network === 'none') ns.push('--net');
  const args = [...ns, '--root', `--wdns=${opts.workdir ?? rec.process.cwd}`];
  if (ids) args.push('--setgid', String(ids.gid), '--setuid', String(ids.uid));
  args.push('--', ...opts.args);
  const env: NodeJS.ProcessEnv = {};
  for (const e of mergeEnv(rec.process.env, opts.env ?? [])) {
    const eq = e.indexOf('=');
    env[e.slice(0, eq)] = e.slice(eq + 1);
  }
  const procs = new ContainerCgroup(rec.id).dirs().map((d) => `${d}/cgroup.procs`).filter((f) => existsSync(f));
  const join = procs.map((f) => `{ printf '%s\\n' $$ > ${shq(f)}; } 2>/dev/null;`).join(' ');
  return { file: shellPath(), args: ['-c', `${join} exec "$0" "$@"`, nsenter, ...args], env };
}

export async function spawnExec(rec: ContainerRecord, state: ContainerState, opts: ExecOptions, stdio: StdioOptions, detached = false): Promise<ChildProcess> {
  const cmd = await execCommand(rec, state, opts);
  return spawn(cmd.file, cmd.args, { env: cmd.env, stdio, detached });
}

/** Runs to completion with output captured (health checks); kills it after `timeoutMs`. */
export async function execCapture(rec: ContainerRecord, state: ContainerState, opts: ExecOptions, timeoutMs: number): Promise<{ exitCode: number; output: string; timedOut: boolean }> {
  const child = await spawnExec(rec, state, opts, ['ignore', 'pipe', 'pipe'], true);
  let output = '';
  const add = (d: Buffer) => {
    if (output.length < 4096) output += d.toString('utf8');
  };
  child.stdout?.on('data', add);
  child.stderr?.on('data', add);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  }, timeoutMs);
  const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('error', () => resolve({ code: 126, signal: null }));
    child.on('close', (c, s) => resolve({ code: c, signal: s }));
  });
  clearTimeout(timer);
  return { exitCode: timedOut ? -1 : exitCodeOf(code, signal), output: output.slice(0, 4096), timedOut };
}
