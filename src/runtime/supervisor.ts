/**
 * The supervisor: one detached process per running container (its entry is
 * ops/container-supervisor-main.ts). It starts the container (launch.ts), writes its output to
 * the json log, records every transition in state.json (running with PID and start times, exited
 * with code and time), runs health checks, and acts on the restart policy. Because it is detached
 * from the CLI, state stays right after the CLI exits; if it is killed, the container dies with it
 * (pdeathsig) and readers record the exit (liveness.ts).
 *
 * Events for a CLI that waits (run, start) go through `notify`: started/failed once, output while
 * attached, exit at the end (after --rm removed the container). Messages from it: stdin data,
 * signals to forward.
 */
import type { Socket } from 'node:net';
import { ContainerCgroup } from './cgroups.js';
import type { ContainerRecord } from './container-record.js';
import type { ContainerStore } from './container-store.js';
import { JsonLogWriter, type LogStream } from './json-log.js';
import { launchContainer, type Launched } from './launch.js';
import { bootId, isAlive, startTimeOf } from './proc.js';
import { nextBackoff, shouldRestartAfterExit } from './restart-policy.js';
import { exitCodeOf } from './signals.js';
import { ContainerStartError } from './start-error.js';

export type SupervisorEvent =
  | { type: 'started'; pid: number }
  | { type: 'failed'; code: number; message: string }
  | { type: 'output'; stream: LogStream; data: Uint8Array }
  | { type: 'exit'; code: number; removed: boolean };

export type SupervisorMessage = { type: 'stdin'; data: Uint8Array } | { type: 'stdin-end' } | { type: 'signal'; signal: NodeJS.Signals };

/** The first message a waiting supervisor gets: its container, and how the CLI follows it. */
export interface SupervisorAssignment {
  type: 'assign';
  id: string;
  /** Forward output as events (an attached `run`). */
  attach: boolean;
  /** Give the container a stdin fed by `stdin` messages (-i). */
  stdin: boolean;
}

export interface SupervisorOptions {
  /** Forward output as events (an attached `run`). */
  attach: boolean;
  /** Give the container a stdin fed by `stdin` messages (-i). */
  stdin: boolean;
  notify(event: SupervisorEvent): void;
  /** Removes the container after its last exit when it was created with --rm. */
  autoRemove(id: string): Promise<void>;
  /** Diagnostics (run/supervisor.log). */
  log(message: string): void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A bounded wait that never keeps the process alive by itself. */
const grace = (ms: number) => new Promise((r) => setTimeout(r, ms).unref());

export class Supervisor {
  private current: Launched | undefined;
  private pid = 0;
  private pidStart = 0;

  constructor(private readonly store: ContainerStore, private readonly id: string, private readonly opts: SupervisorOptions) {}

  handle(msg: SupervisorMessage): void {
    const c = this.current;
    if (msg.type === 'stdin') c?.stdin?.write(Buffer.from(msg.data));
    else if (msg.type === 'stdin-end') c?.stdin?.end();
    else if (msg.type === 'signal' && isAlive(this.pid, this.pidStart)) {
      try {
        process.kill(this.pid, msg.signal);
      } catch {
        /* it just exited */
      }
    }
  }

  /** Runs the container until it exits for good; returns the last exit code. */
  async run(): Promise<number> {
    const rec = await this.store.get(this.id);
    const paths = this.store.paths(this.id);
    const log = new JsonLogWriter(paths.log);
    const cgroup = new ContainerCgroup(rec.id);
    const self = { supervisorPid: process.pid, supervisorStart: startTimeOf(process.pid), bootId: bootId() };
    let first = true;
    let backoff = 0;
    let lastCode = 0;
    try {
      for (;;) {
        const began = Date.now();
        const outcome = await this.runOnce(rec, log, cgroup, first, self);
        first = false;
        if (outcome.failed) {
          lastCode = outcome.code;
          break;
        }
        lastCode = outcome.code;
        // The exit and the restart decision in one write: a stop that reads the state either sees
        // it restarting (and cancels that) or exited (and nothing restarts it).
        let restart = false;
        await this.store.updateState(this.id, (s) => {
          s.exitCode = outcome.code;
          s.finishedAt = new Date().toISOString();
          s.pid = 0;
          s.pidStart = 0;
          restart = shouldRestartAfterExit(rec.restartPolicy, { exitCode: outcome.code, manuallyStopped: s.manuallyStopped, restartCount: s.restartCount });
          s.status = restart ? 'restarting' : 'exited';
          if (restart) s.restartCount++;
        });
        if (!restart) break;
        backoff = nextBackoff(backoff, Date.now() - began);
        if (!(await this.sleepUnlessStopped(backoff))) {
          await this.store.updateState(this.id, (s) => void (s.status = 'exited'));
          break;
        }
      }
    } finally {
      log.close();
      await cgroup.remove();
    }
    let removed = false;
    if (rec.autoRemove) {
      try {
        await this.opts.autoRemove(this.id);
        removed = true;
      } catch (err) {
        this.opts.log(`removing the container failed: ${(err as Error).message}`);
      }
    }
    this.opts.notify({ type: 'exit', code: lastCode, removed });
    return lastCode;
  }

  private async runOnce(
    rec: ContainerRecord,
    log: JsonLogWriter,
    cgroup: ContainerCgroup,
    first: boolean,
    self: { supervisorPid: number; supervisorStart: number; bootId: string },
  ): Promise<{ failed: boolean; code: number }> {
    let launched: Launched | undefined;
    let drained: Promise<unknown> = Promise.resolve();
    try {
      const procs = rec.executor === 'unshare' && !rec.rootfs.userns ? await cgroup.create() : [];
      launched = launchContainer(rec, this.store.paths(this.id), procs, { stdin: first && this.opts.stdin });
      this.current = launched;
      drained = Promise.all([this.pipe(launched.stdout, 'stdout', log), this.pipe(launched.stderr, 'stderr', log)]);
      const { pid, pidStart } = await launched.ready;
      this.pid = pid;
      this.pidStart = pidStart;
    } catch (err) {
      const e = err instanceof ContainerStartError ? err : new ContainerStartError(`failed to start container: ${(err as Error).message}`, 125);
      if (launched) {
        launched.child.kill('SIGKILL');
        await launched.exited;
      }
      await this.store.updateState(this.id, (s) => {
        s.status = s.hasRun ? 'exited' : 'created';
        s.exitCode = e.startCode;
        s.error = e.message;
        s.pid = 0;
        s.pidStart = 0;
        if (s.hasRun) s.finishedAt = new Date().toISOString();
      });
      if (first) this.opts.notify({ type: 'failed', code: e.startCode, message: e.message });
      return { failed: true, code: e.startCode };
    }
    await this.store.updateState(this.id, (s) => {
      Object.assign(s, self, { status: 'running', pid: this.pid, pidStart: this.pidStart, startedAt: new Date().toISOString(), finishedAt: null, exitCode: 0, error: '', hasRun: true });
      if (rec.healthcheck) s.health = { status: 'starting', failingStreak: 0, log: [] };
      else delete s.health;
    });
    if (first) this.opts.notify({ type: 'started', pid: this.pid });
    const health = rec.healthcheck ? new (await import('./health.js')).HealthMonitor(this.store, rec, rec.healthcheck) : undefined;
    health?.start();
    const { code, signal } = await launched.exited;
    health?.stop();
    await Promise.race([drained, grace(2000)]);
    launched.stdout.destroy();
    launched.stderr.destroy();
    launched.stdin?.destroy();
    log.flush('stdout');
    log.flush('stderr');
    this.current = undefined;
    return { failed: false, code: exitCodeOf(code, signal) };
  }

  private pipe(sock: Socket, stream: LogStream, log: JsonLogWriter): Promise<void> {
    return new Promise((resolve) => {
      sock.on('data', (d: Buffer) => {
        log.write(stream, d);
        if (this.opts.attach) this.opts.notify({ type: 'output', stream, data: d });
      });
      sock.on('close', () => resolve());
      sock.on('error', () => resolve());
    });
  }

  /** Waits out a restart backoff; false when someone stopped the container meanwhile. */
  private async sleepUnlessStopped(ms: number): Promise<boolean> {
    const until = Date.now() + ms;
    for (;;) {
      const s = await this.store.readState(this.id).catch(() => undefined);
      if (!s || s.manuallyStopped) return false;
      if (Date.now() >= until) return true;
      await sleep(Math.min(100, until - Date.now()));
    }
  }
}
