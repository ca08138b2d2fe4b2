/**
 * A snapshot taken while a process writes keeps one consistent state: the writer (a plain process
 * standing in for a container until the runtime's pause is wired in) is frozen through the cgroup
 * v1 freezer for as long as the volume is read, the snapshot equals the frozen state exactly, and
 * the writer runs again afterwards, also when the snapshot fails.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { snapshotVolume } from '../../../src/ops/volume-snapshot.js';
import { FREEZER_ROOT, FreezerQuiescer } from '../../../src/volumes/freezer-quiescer.js';
import { restoreVolume } from '../../../src/volumes/restore-volume.js';
import { needs } from '../../helpers/requirements.js';
import { tempDir } from '../../helpers/tmp.js';
import { stores } from '../../helpers/volume-fixtures.js';

const FILES = 20;

/** Rewrites f0..f19 with the same counter, one after the other, with a 1 ms pause per round (busy, not flooding the disk). */
const WRITER = `
const fs = require('fs'); const dir = process.argv[1];
const pad = Buffer.alloc(16384, 120); const nap = new Int32Array(new SharedArrayBuffer(4));
for (let i = 1; ; i++) { for (let f = 0; f < ${FILES}; f++) fs.writeFileSync(dir + '/f' + f, Buffer.concat([Buffer.from(String(i).padStart(12, '0') + '\\n'), pad])); Atomics.wait(nap, 0, 0, 1); }
`;

/** The counter in each file; -1 for a file caught between writeFileSync's truncate and its write. */
function values(dir: string): number[] {
  return Array.from({ length: FILES }, (_, f) => {
    const head = readFileSync(join(dir, `f${f}`)).subarray(0, 12).toString();
    return head.length === 12 ? Number(head) : -1;
  });
}

/** One point in time of the writer: files before the one being written hold n+1, the rest n. */
function onePointInTime(v: number[]): boolean {
  const whole = v.filter((x) => x >= 0);
  return v.filter((x) => x < 0).length <= 1 && Math.max(...whole) - Math.min(...whole) <= 1 && whole.every((x, i) => i === 0 || x <= whole[i - 1]!);
}

/** Starts the writer in a cgroup of its own; stop() kills it and removes the cgroup (call it in finally). */
async function writerIn(dir: string): Promise<{ cgroup: string; stop: () => Promise<void> }> {
  const cgroup = join(FREEZER_ROOT, `lifeboat-test-${randomBytes(4).toString('hex')}`);
  mkdirSync(cgroup);
  const child: ChildProcess = spawn(process.execPath, ['-e', WRITER, dir], { stdio: 'ignore' });
  const exited = new Promise((r) => child.once('exit', r));
  writeFileSync(join(cgroup, 'cgroup.procs'), String(child.pid));
  const stop = async () => {
    writeFileSync(join(cgroup, 'freezer.state'), 'THAWED');
    child.kill('SIGKILL');
    await exited;
    for (let i = 0; i < 250 && existsSync(cgroup); i++) {
      try {
        rmdirSync(cgroup);
      } catch {
        await sleep(20);
      }
    }
  };
  while (!existsSync(join(dir, `f${FILES - 1}`))) await sleep(10);
  return { cgroup, stop };
}

const state = (cgroup: string) => readFileSync(join(cgroup, 'freezer.state'), 'utf8').trim();

test('a snapshot of a volume being written holds the writer frozen and equals the frozen state', { skip: needs({ root: true }) || (existsSync(FREEZER_ROOT) ? undefined : 'no cgroup v1 freezer') }, async (t) => {
  const root = await tempDir(t);
  const { content, volumes } = await stores(root);
  await volumes.create('db');
  const data = volumes.dataPath('db');
  const { cgroup, stop } = await writerIn(data);
  try {
    let frozenValues: number[] = [];
    const freezer = new FreezerQuiescer(cgroup);
    const observing = {
      async hold() {
        const release = await freezer.hold();
        frozenValues = values(data); // what the volume holds while the writer stands still
        return release;
      },
    };
    const snap = await snapshotVolume({ content, volumes }, 'db', { consistency: { mode: 'none' }, quiescer: observing });
    assert.equal(state(cgroup), 'THAWED', 'the writer runs again');
    await volumes.create('copy');
    await restoreVolume(content, volumes, snap, { to: 'copy', overwrite: true });
    const got = values(volumes.dataPath('copy'));
    assert.deepEqual(got, frozenValues, 'the snapshot is exactly the frozen state');
    assert.ok(onePointInTime(got), `one point in time: ${got.join(',')}`);
    const later = Math.max(...values(data));
    await sleep(100);
    assert.ok(Math.max(...values(data)) > later, 'the writer made progress after the snapshot');
  } finally {
    await stop();
  }
});

test('the writer is thawed when the snapshot fails while it is frozen', { skip: needs({ root: true }) || (existsSync(FREEZER_ROOT) ? undefined : 'no cgroup v1 freezer') }, async (t) => {
  const root = await tempDir(t);
  const { content, volumes } = await stores(root);
  await volumes.create('db');
  const { cgroup, stop } = await writerIn(volumes.dataPath('db'));
  try {
    const abort = new AbortController();
    abort.abort(new Error('stop right there'));
    await assert.rejects(snapshotVolume({ content, volumes }, 'db', { quiescer: new FreezerQuiescer(cgroup), signal: abort.signal }), /stop right there/);
    assert.equal(state(cgroup), 'THAWED');
  } finally {
    await stop();
  }
});
