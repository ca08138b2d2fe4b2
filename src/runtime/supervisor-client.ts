/**
 * The CLI's side of a supervisor. A supervisor is spawned before it has a container (detached: its
 * own session; stdio to run/supervisor.log; an IPC channel), so that `run` can pay Node's start-up
 * for it while it creates the container; `assign()` then hands it the container and turns its
 * events into promises. `start`/`run -d` wait for `started` and detach; an attached `run` also
 * takes the output and waits for `exit`. When the CLI goes away the channel closes and the
 * supervisor carries on alone (a supervisor that never got a container just exits).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { storeLayout } from '../core/layout.js';
import type { LogStream } from './json-log.js';
import { ContainerStartError } from './start-error.js';
import type { SupervisorAssignment, SupervisorEvent, SupervisorMessage } from './supervisor.js';

export interface SupervisorSession {
  readonly child: ChildProcess;
  /** The container's host PID once it runs; rejects with ContainerStartError. */
  started: Promise<number>;
  /** The last exit code, and whether --rm removed the container (also after a failed start). */
  exited: Promise<{ code: number; removed: boolean }>;
  send(msg: SupervisorMessage): void;
  /** Lets the CLI exit while the supervisor keeps running. */
  detach(): void;
}

export interface AssignOptions extends Omit<SupervisorAssignment, 'type'> {
  onOutput?: (stream: LogStream, data: Uint8Array) => void;
}

/**
 * The supervisor's environment: the CLI's, less what only costs it start-up time. With
 * NODE_EXTRA_CA_CERTS set, Node parses every certificate in the bundle before running a line
 * (~33 ms here, on the critical path of `run`); a supervisor makes no TLS connections.
 */
function supervisorEnv(): NodeJS.ProcessEnv {
  const { NODE_EXTRA_CA_CERTS: _unused, ...env } = process.env;
  return env;
}

export class PendingSupervisor {
  private constructor(readonly child: ChildProcess, private readonly logFile: string) {}

  /**
   * Starts a supervisor process that waits for its container. `entry` is what node runs (the
   * script and any arguments of its own); `args` the supervisor's, the store root first.
   */
  static spawn(entry: readonly string[], args: [root: string, ...rest: string[]]): PendingSupervisor {
    const dir = storeLayout(args[0]).run;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const logFile = join(dir, 'supervisor.log');
    const logFd = openSync(logFile, 'a', 0o600);
    try {
      const child = spawn(process.execPath, [...entry, ...args], {
        detached: true,
        stdio: ['ignore', logFd, logFd, 'ipc'],
        serialization: 'advanced',
        env: supervisorEnv(),
      });
      return new PendingSupervisor(child, logFile);
    } finally {
      closeSync(logFd);
    }
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  /** Sends it away without a container (it exits). */
  cancel(): void {
    if (this.child.connected) this.child.disconnect();
    this.child.unref();
  }

  /** Gives it its container; from here on its events drive the returned session. */
  assign(opts: AssignOptions): SupervisorSession {
    const { child } = this;
    let onStarted!: (pid: number) => void;
    let onStartFailed!: (err: Error) => void;
    let onExit!: (v: { code: number; removed: boolean }) => void;
    let onExitFailed!: (err: Error) => void;
    const started = new Promise<number>((res, rej) => ((onStarted = res), (onStartFailed = rej)));
    const exited = new Promise<{ code: number; removed: boolean }>((res, rej) => ((onExit = res), (onExitFailed = rej)));
    started.catch(() => undefined);
    exited.catch(() => undefined);
    child.on('message', (m: SupervisorEvent) => {
      if (m.type === 'started') onStarted(m.pid);
      else if (m.type === 'failed') onStartFailed(new ContainerStartError(m.message, m.code === 126 || m.code === 127 ? m.code : 125));
      else if (m.type === 'output') opts.onOutput?.(m.stream, m.data);
      else if (m.type === 'exit') {
        onStarted(0);
        onExit({ code: m.code, removed: m.removed });
      }
    });
    const lost = () => {
      const err = new ContainerStartError(`the container's supervisor stopped unexpectedly (see ${this.logFile})`, 125);
      onStartFailed(err);
      onExitFailed(err);
    };
    child.on('exit', lost);
    child.on('disconnect', lost);
    child.on('error', lost);
    const { onOutput: _ignored, ...assignment } = opts;
    const go: SupervisorAssignment = { type: 'assign', ...assignment };
    if (child.connected) child.send(go, () => undefined);
    else lost();
    return {
      child,
      started,
      exited,
      send: (msg) => {
        if (child.connected) child.send(msg, () => undefined);
      },
      detach: () => {
        if (child.connected) child.disconnect();
        child.unref();
      },
    };
  }
}
