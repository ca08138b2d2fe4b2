/**
 * A Quiescer for any group of processes: the cgroup v1 freezer. Writing FROZEN to
 * `<cgroup>/freezer.state` stops every task of the cgroup where it stands (no signal it can catch,
 * no half-finished write(2) in the middle of a syscall), THAWED resumes them. The kernel may answer
 * FREEZING for a while; we wait for FROZEN, and on timeout thaw again and fail, so a snapshot is
 * never taken of a group that was not fully stopped. cgroup v2 would use `cgroup.freeze` (0/1) the
 * same way; this machine mounts the v1 freezer.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TimeoutError } from '../core/errors.js';
import type { Quiescer, Release } from './quiescer.js';

export const FREEZER_ROOT = '/sys/fs/cgroup/freezer';

async function state(cgroup: string): Promise<string> {
  return (await readFile(join(cgroup, 'freezer.state'), 'utf8')).trim();
}

export async function freeze(cgroup: string, timeoutMs = 10_000): Promise<void> {
  await writeFile(join(cgroup, 'freezer.state'), 'FROZEN');
  const deadline = Date.now() + timeoutMs;
  let delay = 1;
  while ((await state(cgroup)) !== 'FROZEN') {
    if (Date.now() > deadline) {
      await thaw(cgroup).catch(() => undefined);
      throw new TimeoutError(`cgroup ${cgroup} did not freeze within ${timeoutMs} ms`, { hint: 'a task may be stuck in uninterruptible sleep (D state)' });
    }
    await writeFile(join(cgroup, 'freezer.state'), 'FROZEN'); // re-kick, as runc does
    await sleep(delay);
    delay = Math.min(delay * 2, 50);
  }
}

export async function thaw(cgroup: string): Promise<void> {
  await writeFile(join(cgroup, 'freezer.state'), 'THAWED');
}

/** Freezes the cgroup at `cgroup` (an absolute path under the v1 freezer hierarchy). */
export class FreezerQuiescer implements Quiescer {
  constructor(
    readonly cgroup: string,
    private readonly timeoutMs = 10_000,
  ) {}

  async hold(): Promise<Release> {
    await freeze(this.cgroup, this.timeoutMs);
    let released = false;
    return async () => {
      if (released) return;
      released = true;
      await thaw(this.cgroup);
    };
  }
}
