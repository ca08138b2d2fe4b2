/**
 * A migration's patience with the link: a step that fails because the target cannot be reached
 * (a cut cable, a reboot of a switch) is run again once the link is back, as long as the link
 * comes back within `timeoutMs` of being lost. Only steps that can safely run twice go through
 * here: the pushes (a push resumes: packs that arrived whole are adopted, not sent again) and the
 * cleanup. A restore or a verification cut off mid-way is not retried: what it did over there is
 * unknown, so the migration rolls back instead (and the cleanup removes whatever it made).
 *
 * The link is probed with a trivial command over the SSH session (which reconnects on its own),
 * once a second. Errors that are not about reachability (a refused key, a full disk, corrupt
 * data) pass through at once.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { UnreachableError } from '../core/errors.js';
import type { Progress } from '../core/progress.js';
import { isTransient } from '../repository/backends/retry-backend.js';
import type { SshSession } from './migrate-ssh.js';

export interface LinkPolicy {
  /** How long a lost link is waited for before giving up. */
  timeoutMs: number;
  progress: Progress;
  signal?: AbortSignal;
}

/** SSH keepalives that notice a dead link within about a quarter of the link timeout (1-5 s probes, 3 missed). */
export function keepaliveFor(timeoutMs: number): { keepaliveIntervalMs: number; keepaliveCountMax: number; readyTimeoutMs: number } {
  const interval = Math.min(5_000, Math.max(1_000, Math.round(timeoutMs / 12)));
  return { keepaliveIntervalMs: interval, keepaliveCountMax: 3, readyTimeoutMs: Math.min(20_000, Math.max(3_000, Math.round(timeoutMs / 3))) };
}

/** Waits until a command runs on the target again; false when `deadline` passes first. */
export async function waitForLink(ssh: SshSession, deadline: number, signal?: AbortSignal): Promise<boolean> {
  for (;;) {
    signal?.throwIfAborted();
    const left = deadline - Date.now();
    if (left <= 0) return false;
    try {
      const r = await ssh.exec('true', { timeoutMs: Math.max(1_000, Math.min(left, 5_000)) });
      if (r.code === 0) return true;
    } catch (err) {
      if (!isTransient(err)) throw err;
    }
    await sleep(Math.min(1_000, Math.max(0, deadline - Date.now())));
  }
}

/** Times a step is run again after the link came back, before its failure is final. */
const MAX_RESUMES = 5;

/** Runs `step`; after a failure of the link, waits for it and runs `step` again (see above). */
export async function overLink<T>(what: string, ssh: SshSession, policy: LinkPolicy, step: () => Promise<T>): Promise<T> {
  for (let resumes = 0; ; resumes++) {
    try {
      return await step();
    } catch (err) {
      if (!isTransient(err) || resumes >= MAX_RESUMES) throw err;
      const deadline = Date.now() + policy.timeoutMs;
      policy.progress.warn(`${what}: lost the link to ${ssh.target.host} (${(err as Error).message}); waiting up to ${Math.round(policy.timeoutMs / 1000)}s for it to come back`);
      if (!(await waitForLink(ssh, deadline, policy.signal))) {
        throw new UnreachableError(`${what}: the link to ${ssh.target.host} did not come back within ${Math.round(policy.timeoutMs / 1000)}s`, { cause: err, hint: 'check the network between the hosts; raise --link-timeout to wait longer' });
      }
      policy.progress.info(`${what}: the link is back; resuming`);
    }
  }
}
