/**
 * Starts one run of a container: real pipes (FIFOs) for its stdio, because programs that open
 * /dev/stdout fail on the socketpairs Node would give them; a status channel on fd 3 for the start
 * script's protocol (start-script.ts); the cgroup joined before any namespace exists; and the
 * namespaces themselves:
 *
 *   sh (join cgroups) → setpriv --pdeathsig KILL → unshare --mount --pid --uts --ipc [--net]
 *        [--user --map-root-user] → sh (waits) → sh (start script, PID 1) → the command
 *
 * or, for runc/crun, unshare --mount only (the OCI runtime makes the rest). pdeathsig on the
 * waiter and on PID 1 ties the container's life to its supervisor's: if the supervisor is killed,
 * so is the container (a non-root PID 1 loses pdeathsig when it switches user; readers then kill it,
 * liveness.ts), and it is recorded as exited.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, constants, mkdirSync, openSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { S_IFIFO, native } from '../platform/native.js';
import type { ContainerPaths, ContainerRecord } from './container-record.js';
import { hostTools, ociRuntime, shellPath, which } from './host-tools.js';
import { ociSpec } from './oci-spec.js';
import { buildStartScript, shq } from './start-script.js';
import { ContainerStartError } from './start-error.js';
import { startTimeOf } from './proc.js';

export interface Launched {
  child: ChildProcess;
  stdout: Socket;
  stderr: Socket;
  stdin?: Socket;
  /** Resolves once the command is about to run (its host PID known); rejects with ContainerStartError. */
  ready: Promise<{ pid: number; pidStart: number }>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function fifo(dir: string, name: string): string {
  const path = join(dir, `.${name}-${process.pid}-${Date.now()}.fifo`);
  native.mknod(path, S_IFIFO | 0o600, 0, 0);
  return path;
}

/** Our non-blocking read end and the container's blocking write end. */
function outputPipe(dir: string, name: string): { ours: number; theirs: number } {
  const path = fifo(dir, name);
  try {
    const ours = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const theirs = openSync(path, constants.O_WRONLY);
    return { ours, theirs };
  } finally {
    unlinkSync(path);
  }
}

/** The container's blocking read end (reopened through /proc to drop O_NONBLOCK) and our write end. */
function inputPipe(dir: string): { ours: number; theirs: number } {
  const path = fifo(dir, 'stdin');
  try {
    const probe = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const ours = openSync(path, constants.O_WRONLY);
    const theirs = openSync(`/proc/self/fd/${probe}`, constants.O_RDONLY);
    closeSync(probe);
    return { ours, theirs };
  } finally {
    unlinkSync(path);
  }
}

/**
 * `unshare --pid` without --fork: the process unshare execs (a small waiting shell) stays in the
 * host's PID namespace and its first child becomes PID 1. The waiter exits with the child's status,
 * 128+n for a signal. (unshare --fork would do the waiting itself, but util-linux 2.38 turns a child
 * killed by SIGKILL into "sigprocmask unblock failed" and exit 1.)
 */
function namespaceArgs(rec: ContainerRecord): string[] {
  if (rec.executor !== 'unshare') return ['--mount', '--propagation', 'private'];
  const args = ['--mount', '--propagation', 'private', '--pid', '--uts', '--ipc'];
  if (rec.network === 'none') args.push('--net');
  if (rec.rootfs.userns) args.unshift('--user', '--map-root-user');
  return args;
}

function ociArgv(rec: ContainerRecord, paths: ContainerPaths): string[] {
  const bin = ociRuntime(rec.executor as 'runc' | 'crun');
  return [bin, '--root', join(paths.bundle, 'state'), 'run', '--bundle', paths.bundle, '--pid-file', join(paths.bundle, 'pid'), rec.id];
}

export function launchContainer(rec: ContainerRecord, paths: ContainerPaths, cgroupProcs: string[], opts: { stdin: boolean }): Launched {
  const tools = hostTools();
  const oci = rec.executor !== 'unshare';
  if (oci) {
    mkdirSync(paths.bundle, { recursive: true, mode: 0o700 });
    // The last run's pid file and runtime state (left behind when its runtime was killed with the
    // supervisor): nothing of this container runs now, and runc would refuse an existing ID.
    rmSync(join(paths.bundle, 'pid'), { force: true });
    rmSync(join(paths.bundle, 'state'), { recursive: true, force: true });
    writeFileSync(join(paths.bundle, 'config.template.json'), JSON.stringify(ociSpec(rec, paths.rootfs)));
  }
  const inner = buildStartScript({
    rootfs: paths.rootfs,
    dir: paths.dir,
    devTemplate: paths.devTemplate,
    rootMounts: rec.rootfs.mounts,
    mounts: rec.mounts,
    etcFiles: [
      { source: paths.hostname, target: '/etc/hostname' },
      { source: paths.hosts, target: '/etc/hosts' },
      { source: paths.resolvConf, target: '/etc/resolv.conf' },
    ],
    hostname: rec.hostname,
    network: rec.network,
    process: rec.process,
    executor: rec.executor,
    userns: rec.rootfs.userns,
    tools,
    ...(oci
      ? { oci: { argv: ociArgv(rec, paths), template: join(paths.bundle, 'config.template.json'), config: join(paths.bundle, 'config.json'), hideUnifiedCgroup: rec.executor === 'crun' } }
      : {}),
  });
  const setpriv = which('setpriv');
  const sh = shellPath();
  const deathsig = setpriv ? `${shq(setpriv)} --pdeathsig KILL -- ` : '';
  // $1: the start script. PID 1 (unshare executor) also dies with its parent, the waiter.
  const waiter = rec.executor === 'unshare' ? `${deathsig}${shq(sh)} -c "$1"; exit $?` : `exec ${shq(sh)} -c "$1"`;
  const outer = [
    ...cgroupProcs.map((f) => `printf '%s\\n' $$ > ${shq(f)} || exit 125`),
    `exec ${deathsig}${shq(tools.unshare)} ${namespaceArgs(rec).join(' ')} -- ${shq(sh)} -c ${shq(waiter)} sh "$1"`,
  ].join('\n');

  const out = outputPipe(paths.dir, 'stdout');
  const err = outputPipe(paths.dir, 'stderr');
  const input = opts.stdin ? inputPipe(paths.dir) : undefined;
  let child: ChildProcess;
  try {
    child = spawn(shellPath(), ['-c', outer, 'sh', inner], {
      stdio: [input ? input.theirs : 'ignore', out.theirs, err.theirs, 'pipe'],
      env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C' },
    });
  } finally {
    for (const fd of [out.theirs, err.theirs, input?.theirs]) if (fd !== undefined) closeSync(fd);
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return {
    child,
    stdout: new Socket({ fd: out.ours, readable: true, writable: false }),
    stderr: new Socket({ fd: err.ours, readable: true, writable: false }),
    ...(input ? { stdin: new Socket({ fd: input.ours, readable: false, writable: true }) } : {}),
    ready: readStatus(child, exited, oci ? join(paths.bundle, 'pid') : undefined),
    exited,
  };
}

/**
 * Follows the fd 3 protocol to READY (and, for runc/crun, to the pid file). Lines are read as
 * they come: the channel stays open in the waiting `unshare` parent for the container's lifetime.
 */
async function readStatus(child: ChildProcess, exited: Launched['exited'], pidFile: string | undefined): Promise<{ pid: number; pidStart: number }> {
  const status = child.stdio[3] as Socket;
  const lines: string[] = [];
  const outcome = await new Promise<'ready' | 'fail' | 'eof'>((resolve) => {
    let buf = '';
    status.setEncoding('utf8');
    status.on('data', (d: string) => {
      buf += d;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        lines.push(line);
        if (line === 'LB-READY') resolve('ready');
        if (line.startsWith('LB-FAIL ')) resolve('fail');
      }
    });
    status.on('error', () => resolve('eof'));
    status.on('close', () => resolve('eof'));
    void exited.then(() => setTimeout(() => resolve('eof'), 50));
  });
  status.destroy();
  if (outcome === 'fail') {
    const m = /^LB-FAIL (\d+) (.*)$/.exec(lines.find((l) => l.startsWith('LB-FAIL '))!);
    const code = Number(m?.[1] ?? 125);
    const detail = lines.filter((l) => !l.startsWith('LB-')).map((l) => l.trim()).filter(Boolean).slice(-3);
    const because = detail.length ? ` (${detail.join('; ')})` : '';
    throw new ContainerStartError(`failed to start container: ${m?.[2] ?? 'unknown error'}${because}`, code === 126 || code === 127 ? code : 125);
  }
  if (outcome === 'eof') {
    const { code, signal } = await exited;
    const detail = lines.filter((l) => !l.startsWith('LB-')).join('; ') || `the start script exited with ${signal ?? code}`;
    throw new ContainerStartError(`failed to start container: ${detail}`, 125);
  }
  let pid = Number(lines.map((l) => /^LB-PID (\d+)$/.exec(l)?.[1]).find(Boolean) ?? 0);
  if (pidFile) pid = await waitPidFile(pidFile, exited);
  return { pid, pidStart: startTimeOf(pid) };
}

async function waitPidFile(path: string, exited: Launched['exited']): Promise<number> {
  let done = false;
  void exited.then(() => (done = true));
  for (let i = 0; i < 2000; i++) {
    try {
      const pid = Number(readFileSync(path, 'utf8').trim());
      if (pid > 0) return pid;
    } catch {
      /* not yet written */
    }
    if (done) return 0; // the runtime exited first (a failed start, or a very short command)
    await new Promise((r) => setTimeout(r, 5));
  }
  return 0;
}
