import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { initialState } from '../../../src/runtime/container-record.js';
import { nextHealth } from '../../../src/runtime/health.js';
import { JsonLogWriter, parseLogLines } from '../../../src/runtime/json-log.js';
import { judge } from '../../../src/runtime/liveness.js';
import { readLogs } from '../../../src/runtime/log-reader.js';
import { bootId, isAlive, parseProcStat, startTimeOf } from '../../../src/runtime/proc.js';
import { ociSpec } from '../../../src/runtime/oci-spec.js';
import { tempDir } from '../../helpers/tmp.js';

test('logs are Docker json-file lines, split at newlines, partial lines flushed at the end', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'c-json.log');
  const w = new JsonLogWriter(path);
  w.write('stdout', Buffer.from('one\ntw'));
  w.write('stderr', Buffer.from('err\n'));
  w.write('stdout', Buffer.from('o\nthree'));
  w.close();
  const lines = parseLogLines(await readFile(path, 'utf8'));
  assert.deepEqual(lines.map((l) => [l.stream, l.log]), [['stdout', 'one\n'], ['stderr', 'err\n'], ['stdout', 'two\n'], ['stdout', 'three']]);
  assert.match(lines[0]!.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  const tail: string[] = [];
  for await (const l of readLogs(path, { tail: 2 })) tail.push(l.log);
  assert.deepEqual(tail, ['two\n', 'three']);
});

test('/proc/PID/stat parses even with spaces and parentheses in the command name', () => {
  const st = parseProcStat('42 (my (odd) name) S 1 42 42 0 -1 4194560 100 0 0 0 5 6 0 0 20 0 1 0 987654 1000 100');
  assert.equal(st?.pid, 42);
  assert.equal(st?.comm, 'my (odd) name');
  assert.equal(st?.state, 'S');
  assert.equal(st?.ppid, 1);
  assert.equal(st?.startTime, 987654);
});

test('pid reuse does not fool liveness: the start time must match too', () => {
  const mine = startTimeOf(process.pid);
  assert.ok(mine > 0);
  assert.equal(isAlive(process.pid, mine), true);
  assert.equal(isAlive(process.pid, mine + 1), false, 'same PID, another process');
  assert.equal(isAlive(process.pid, 0), false, 'unknown start time never matches');
});

test('a running record whose supervisor is gone, or from another boot, is judged dead', () => {
  const running = { ...initialState(), status: 'running' as const, bootId: bootId(), supervisorPid: process.pid, supervisorStart: startTimeOf(process.pid) };
  assert.deepEqual(judge(running), { ok: true });
  assert.deepEqual(judge({ ...running, supervisorStart: 1 }), { ok: false, exitCode: 255, error: 'the container supervisor died', kill: false });
  const rebooted = judge({ ...running, bootId: 'another-boot' });
  assert.equal(rebooted.ok, false);
  assert.equal(!rebooted.ok && rebooted.exitCode, 255);
  assert.deepEqual(judge({ ...initialState(), status: 'exited' }), { ok: true });
});

test('health: healthy at the first pass, unhealthy after `retries` failures, start period forgiven', () => {
  const spec = { test: ['CMD', 'x'], intervalMs: 1, timeoutMs: 1, startPeriodMs: 0, retries: 2 };
  const r = (exitCode: number) => ({ start: '', end: '', exitCode, output: '' });
  let h = { status: 'starting' as const, failingStreak: 0, log: [] };
  const after = [1, 1].reduce((s, c) => nextHealth(s, spec, r(c), false), h as ReturnType<typeof nextHealth>);
  assert.equal(after.status, 'unhealthy');
  assert.equal(after.failingStreak, 2);
  assert.equal(nextHealth(after, spec, r(0), false).status, 'healthy');
  assert.equal(nextHealth(h, spec, r(1), true).failingStreak, 0, 'start period');
  let many = nextHealth(h, spec, r(0), false);
  for (let i = 0; i < 9; i++) many = nextHealth(many, spec, r(0), false);
  assert.equal(many.log.length, 5, 'keeps the last five');
  h = { status: 'starting', failingStreak: 0, log: [] };
});

test('the OCI spec gets a network namespace only for network none', () => {
  const rec = { id: 'x'.repeat(64), network: 'none', hostname: 'h', process: { args: ['sh'], env: [], cwd: '/', user: '' } } as never;
  const spec = ociSpec(rec, '/rootfs') as { linux: { namespaces: Array<{ type: string }>; cgroupsPath: string }; process: { user: unknown } };
  assert.ok(spec.linux.namespaces.some((n) => n.type === 'network'));
  assert.equal(spec.linux.cgroupsPath, `/lifeboat/${'x'.repeat(64)}`);
  assert.deepEqual(spec.process.user, { uid: '@LB_UID@', gid: '@LB_GID@' });
  const host = ociSpec({ ...(rec as object), network: 'host' } as never, '/rootfs') as typeof spec;
  assert.ok(!host.linux.namespaces.some((n) => n.type === 'network'));
});
