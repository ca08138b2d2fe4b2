/**
 * A fake JobActions for scheduler tests, declared as data: per job, how long each action takes,
 * whether it fails, how many bytes it "adds", whether a drill's restored container "starts". It
 * stops only at safe points (every 20 ms of its work), as the real operations do, and records every
 * call with start and end times, so tests can check overlaps and concurrency from the outside.
 *
 * The same module is the LIFEBOAT_SCHEDULER_ACTIONS plug-in for a real `scheduler run` process:
 * `createJobActions` reads the behaviours from LIFEBOAT_FAKE_ACTIONS (JSON) and appends each call
 * as a JSON line to the file it names in `calls`.
 */
import { appendFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ActionContext, ItemOutcome, JobActions, RetainOutcome } from '../../src/scheduler/job-actions.js';

export interface FakeBehaviour {
  /** How long each action call works. */
  delayMs?: number;
  /** Every item of the job fails with this message. */
  fail?: string;
  /** A drill's container does not start. */
  drillFails?: boolean;
  bytes?: number;
  /** Keeps working after an abort (a misbehaving operation). */
  ignoreAbort?: boolean;
}

export interface FakeCall {
  job: string;
  action: 'backup' | 'snapshot' | 'retain' | 'drill';
  start: number;
  end?: number;
  outcome?: 'done' | 'aborted' | 'failed';
  reason?: string;
}

export interface FakeConfig {
  jobs: Record<string, FakeBehaviour>;
  /** A file to append each finished call to (JSON lines). */
  calls?: string;
}

export class FakeJobActions implements JobActions {
  readonly calls: FakeCall[] = [];
  active = 0;
  maxActive = 0;
  closed = false;
  private seq = 0;

  constructor(private readonly config: FakeConfig) {}

  private behaviour(job: string): FakeBehaviour {
    return this.config.jobs[job] ?? {};
  }

  private async work(ctx: ActionContext, action: FakeCall['action']): Promise<FakeBehaviour> {
    const b = this.behaviour(ctx.job);
    const call: FakeCall = { job: ctx.job, action, start: Date.now() };
    this.calls.push(call);
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    try {
      const until = Date.now() + (b.delayMs ?? 0);
      while (Date.now() < until) {
        if (ctx.signal.aborted && !b.ignoreAbort) throw ctx.signal.reason;
        await sleep(Math.min(20, Math.max(1, until - Date.now())));
      }
      if (ctx.signal.aborted && !b.ignoreAbort) throw ctx.signal.reason;
      call.outcome = 'done';
      return b;
    } catch (err) {
      call.outcome = 'aborted';
      call.reason = (err as Error).message;
      throw err;
    } finally {
      call.end = Date.now();
      this.active--;
      if (this.config.calls) appendFileSync(this.config.calls, `${JSON.stringify(call)}\n`);
    }
  }

  private item(name: string, b: FakeBehaviour): ItemOutcome {
    if (b.fail) return { name, bytesAdded: 0, error: b.fail, exitCode: 13 };
    return { name, id: `${name}-${++this.seq}`, bytesAdded: b.bytes ?? 1000 };
  }

  async backup(req: Parameters<JobActions['backup']>[0], ctx: ActionContext): Promise<ItemOutcome[]> {
    const b = await this.work(ctx, 'backup');
    return req.containers.names.map((n) => this.item(n, b));
  }

  async snapshot(req: Parameters<JobActions['snapshot']>[0], ctx: ActionContext): Promise<ItemOutcome[]> {
    const b = await this.work(ctx, 'snapshot');
    return req.volumes.map((n) => this.item(n, b));
  }

  async retain(req: Parameters<JobActions['retain']>[0], ctx: ActionContext): Promise<RetainOutcome> {
    await this.work(ctx, 'retain');
    return { kept: [...req.containers, ...req.volumes].map((group) => ({ group, id: `${group}-kept`, reasons: ['last snapshot'] })), removed: [], freedBytes: 0 };
  }

  async drill(req: Parameters<JobActions['drill']>[0], ctx: ActionContext): Promise<ItemOutcome[]> {
    const b = await this.work(ctx, 'drill');
    return req.containers.names.map((name) =>
      b.drillFails ? { name, id: `${name}-latest`, bytesAdded: 0, verified: false, error: 'exited with code 1: sh: /app/start: not found' } : { name, id: `${name}-latest`, bytesAdded: 0, verified: true },
    );
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/** The LIFEBOAT_SCHEDULER_ACTIONS entry point. */
export function createJobActions(_root: string): JobActions {
  return new FakeJobActions(JSON.parse(process.env.LIFEBOAT_FAKE_ACTIONS ?? '{"jobs":{}}') as FakeConfig);
}
