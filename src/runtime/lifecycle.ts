/**
 * Acting on a running container from any process (the CLI, `system start`, tests): stop, kill,
 * pause, unpause, wait. Signals go straight to the container's PID 1 after checking it is still the
 * process that was recorded (PID and start time); the supervisor notices the exit and records it,
 * and these functions wait for that record. stop and kill mark the container as stopped by hand,
 * so restart policies leave it alone (except `always` at the next boot).
 */
import { ConflictError } from '../core/errors.js';
import { ContainerCgroup } from './cgroups.js';
import { isActive, type ContainerRecord, type ContainerState } from './container-record.js';
import type { ContainerStore } from './container-store.js';
import { reconcile } from './liveness.js';
import { isAlive } from './proc.js';
import { parseSignal } from './signals.js';
import { watchState } from './state-watch.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until the container is no longer active: woken by each change of its records
 * (state-watch.ts), polling as well; returns the final state, or undefined on timeout. The poll
 * is only for a supervisor that dies without a word: every 50 ms at most while nothing wakes us,
 * every 500 ms while the watch does (a `wait` of hours then costs two reads a second, not twenty).
 */
export async function waitForExit(store: ContainerStore, rec: ContainerRecord, timeoutMs: number): Promise<ContainerState | undefined> {
  const deadline = Date.now() + timeoutMs;
  const changes = watchState(store.paths(rec.id).state);
  try {
    for (let step = 5; ; step = Math.min(step * 2, changes.watching ? 500 : 50)) {
      const state = await reconcile(store, rec);
      if (!isActive(state.status)) return state;
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await changes.next(Math.min(step, left));
    }
  } finally {
    changes.close();
  }
}

function signalPid(state: ContainerState, signal: NodeJS.Signals): boolean {
  if (!isAlive(state.pid, state.pidStart)) return false;
  try {
    process.kill(state.pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Sends `signal` and, for a paused container, thaws it (and records that) so the signal is delivered. */
async function deliver(store: ContainerStore, rec: ContainerRecord, state: ContainerState, signal: NodeJS.Signals): Promise<void> {
  signalPid(state, signal);
  if (state.status !== 'paused') return;
  await store.updateState(rec.id, async (s) => {
    const cgroup = new ContainerCgroup(rec.id);
    if (cgroup.isFrozen()) await cgroup.thaw();
    if (s.status !== 'paused') return false;
    s.status = 'running';
  });
}

const STOPPING = new Set(['SIGKILL', 'SIGTERM', 'SIGINT', 'SIGQUIT']);

/** The stop signal, then SIGKILL after `timeoutSec` (the record's default when undefined). */
export async function stopContainer(store: ContainerStore, rec: ContainerRecord, timeoutSec?: number): Promise<ContainerState> {
  let state = await reconcile(store, rec);
  if (!isActive(state.status)) return state;
  state = await store.updateState(rec.id, (s) => {
    s.manuallyStopped = true;
  });
  // A restarting container notices the stop during its backoff; if it was starting again right
  // then, it is running now and is stopped like any other.
  for (let i = 0; state.status === 'restarting' && i < 100; i++) {
    await sleep(50);
    state = await reconcile(store, rec);
  }
  if (!isActive(state.status)) return state;
  const wait = Math.max(0, timeoutSec ?? rec.stopTimeout);
  await deliver(store, rec, state, parseSignal(rec.stopSignal || 'SIGTERM'));
  const done = await waitForExit(store, rec, wait * 1000);
  if (done) return done;
  await deliver(store, rec, await store.readState(rec.id), 'SIGKILL');
  return (await waitForExit(store, rec, 10_000)) ?? (await reconcile(store, rec));
}

/** Sends a signal (SIGKILL by default); waits for the exit only for SIGKILL, as Docker does. */
export async function killContainer(store: ContainerStore, rec: ContainerRecord, signalText = 'SIGKILL'): Promise<ContainerState> {
  const signal = parseSignal(signalText);
  let state = await reconcile(store, rec);
  if (state.status !== 'running' && state.status !== 'paused') {
    throw new ConflictError(`cannot kill container ${rec.name}: container is not running`);
  }
  if (STOPPING.has(signal) || signal === parseSignal(rec.stopSignal || 'SIGTERM')) {
    state = await store.updateState(rec.id, (s) => void (s.manuallyStopped = true));
  }
  if (signal === 'SIGKILL') await deliver(store, rec, state, signal);
  else signalPid(state, signal); // a paused container gets it when unpaused
  if (signal !== 'SIGKILL') return store.readState(rec.id);
  return (await waitForExit(store, rec, 10_000)) ?? (await reconcile(store, rec));
}

export async function pauseContainer(store: ContainerStore, rec: ContainerRecord): Promise<ContainerState> {
  await reconcile(store, rec);
  return store.updateState(rec.id, async (s) => {
    if (s.status === 'paused') throw new ConflictError(`container ${rec.name} is already paused`);
    if (s.status !== 'running') throw new ConflictError(`container ${rec.name} is not running`);
    await new ContainerCgroup(rec.id).freeze();
    s.status = 'paused';
  });
}

export async function unpauseContainer(store: ContainerStore, rec: ContainerRecord): Promise<ContainerState> {
  await reconcile(store, rec);
  return store.updateState(rec.id, async (s) => {
    if (s.status !== 'paused') throw new ConflictError(`container ${rec.name} is not paused`);
    await new ContainerCgroup(rec.id).thaw();
    s.status = 'running';
  });
}
