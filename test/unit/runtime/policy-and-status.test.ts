import assert from 'node:assert/strict';
import { test } from 'node:test';
import { initialState, type ContainerState } from '../../../src/runtime/container-record.js';
import { nextBackoff, parseRestartPolicy, shouldRestartAfterExit, shouldStartAtBoot, formatRestartPolicy } from '../../../src/runtime/restart-policy.js';
import { exitCodeOf, parseSignal } from '../../../src/runtime/signals.js';
import { statusText } from '../../../src/runtime/status-text.js';

const NOW = Date.parse('2026-11-22T12:00:00Z');
const state = (s: Partial<ContainerState>): ContainerState => ({ ...initialState(), ...s });
const ago = (ms: number) => new Date(NOW - ms).toISOString();

test('status words are Docker\'s, word for word', () => {
  const table: Array<[Partial<ContainerState>, string]> = [
    [{ status: 'created' }, 'Created'],
    [{ status: 'running', startedAt: ago(3000) }, 'Up 3 seconds'],
    [{ status: 'running', startedAt: ago(200) }, 'Up Less than a second'],
    [{ status: 'running', startedAt: ago(65_000), health: { status: 'healthy', failingStreak: 0, log: [] } }, 'Up About a minute (healthy)'],
    [{ status: 'running', startedAt: ago(5000), health: { status: 'starting', failingStreak: 0, log: [] } }, 'Up 5 seconds (health: starting)'],
    [{ status: 'paused', startedAt: ago(5000) }, 'Up 5 seconds (Paused)'],
    [{ status: 'exited', exitCode: 0, finishedAt: ago(120_000) }, 'Exited (0) 2 minutes ago'],
    [{ status: 'exited', exitCode: 137, finishedAt: ago(1000) }, 'Exited (137) 1 second ago'],
    [{ status: 'restarting', exitCode: 1, finishedAt: ago(4000) }, 'Restarting (1) 4 seconds ago'],
    [{ status: 'dead' }, 'Dead'],
  ];
  for (const [s, want] of table) assert.equal(statusText(state(s), NOW), want);
});

test('restart policies parse as docker run --restart', () => {
  assert.deepEqual(parseRestartPolicy(undefined), { name: 'no', maxRetries: 0 });
  assert.deepEqual(parseRestartPolicy('on-failure'), { name: 'on-failure', maxRetries: 0 });
  assert.deepEqual(parseRestartPolicy('on-failure:3'), { name: 'on-failure', maxRetries: 3 });
  assert.deepEqual(parseRestartPolicy('unless-stopped'), { name: 'unless-stopped', maxRetries: 0 });
  assert.equal(formatRestartPolicy(parseRestartPolicy('on-failure:3')), 'on-failure:3');
  for (const bad of ['sometimes', 'always:2', 'on-failure:x', 'on-failure:-1', 'on-failure:1:2']) assert.throws(() => parseRestartPolicy(bad), { code: 'USAGE' }, bad);
});

test('restart decisions after an exit follow the policy and a manual stop', () => {
  const p = parseRestartPolicy;
  const f = (exitCode: number, manuallyStopped = false, restartCount = 0) => ({ exitCode, manuallyStopped, restartCount });
  assert.equal(shouldRestartAfterExit(p('no'), f(1)), false);
  assert.equal(shouldRestartAfterExit(p('always'), f(0)), true);
  assert.equal(shouldRestartAfterExit(p('always'), f(0, true)), false, 'stop/kill by hand wins');
  assert.equal(shouldRestartAfterExit(p('unless-stopped'), f(0)), true);
  assert.equal(shouldRestartAfterExit(p('on-failure'), f(0)), false);
  assert.equal(shouldRestartAfterExit(p('on-failure'), f(2, false, 100)), true, 'no limit');
  assert.equal(shouldRestartAfterExit(p('on-failure:2'), f(2, false, 1)), true);
  assert.equal(shouldRestartAfterExit(p('on-failure:2'), f(2, false, 2)), false, 'retry budget spent');
});

test('at boot, always starts even what was stopped by hand; unless-stopped does not', () => {
  const p = parseRestartPolicy;
  assert.equal(shouldStartAtBoot(p('always'), { exitCode: 0, manuallyStopped: true, restartCount: 0 }), true);
  assert.equal(shouldStartAtBoot(p('unless-stopped'), { exitCode: 255, manuallyStopped: true, restartCount: 0 }), false);
  assert.equal(shouldStartAtBoot(p('unless-stopped'), { exitCode: 255, manuallyStopped: false, restartCount: 0 }), true);
  assert.equal(shouldStartAtBoot(p('on-failure'), { exitCode: 255, manuallyStopped: false, restartCount: 0 }), true);
  assert.equal(shouldStartAtBoot(p('on-failure'), { exitCode: 0, manuallyStopped: false, restartCount: 0 }), false);
  assert.equal(shouldStartAtBoot(p('no'), { exitCode: 255, manuallyStopped: false, restartCount: 0 }), false);
});

test('restart backoff doubles to a minute and resets after a 10 s run', () => {
  assert.equal(nextBackoff(0, 50), 100);
  assert.equal(nextBackoff(100, 50), 200);
  assert.equal(nextBackoff(40_000, 50), 60_000);
  assert.equal(nextBackoff(60_000, 50), 60_000);
  assert.equal(nextBackoff(6400, 10_000), 100);
});

test('signals are accepted in every spelling; a signal exit is 128+n', () => {
  assert.equal(parseSignal('KILL'), 'SIGKILL');
  assert.equal(parseSignal('sigterm'), 'SIGTERM');
  assert.equal(parseSignal('9'), 'SIGKILL');
  assert.throws(() => parseSignal('SIGNOPE'), { code: 'USAGE' });
  assert.equal(exitCodeOf(null, 'SIGKILL'), 137);
  assert.equal(exitCodeOf(null, 'SIGTERM'), 143);
  assert.equal(exitCodeOf(3, null), 3);
});
