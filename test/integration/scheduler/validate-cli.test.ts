/**
 * `lifeboat schedule validate` as users run it: the example shipped in schedules/ passes (exit 0)
 * with warnings for what this host lacks (container, volume) and for the unreachable nas.example
 * repository; a file with mistakes exits 5 with one `file:line:column` line per mistake; --json
 * gives the same as data; the scheduler refuses to start on such a file.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { ScheduleIssue } from '../../../src/scheduler/schedule-source.js';
import { lifeboat } from '../../helpers/cli.js';
import { startScheduler } from '../../helpers/scheduler-process.js';
import { tempDir } from '../../helpers/tmp.js';

const EXAMPLE = fileURLToPath(new URL('../../../../schedules/example.yaml', import.meta.url));

test('the example validates as written: warnings only, the unreachable repository among them', async (t) => {
  const root = await tempDir(t);
  const r = await lifeboat(['schedule', 'validate', EXAMPLE], { root, timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.at(-1), '1 file, 2 valid jobs: 0 errors, 5 warnings');
  assert.ok(lines.some((l) => l.startsWith(`${EXAMPLE}:7:5: warning: job nightly-app: repository: unreachable repository: `)), r.stdout);
  assert.ok(lines.some((l) => l.startsWith(`${EXAMPLE}:15:33: warning: job weekly-drill: drill.repository: unreachable repository: `)), r.stdout);
  assert.ok(lines.some((l) => l.startsWith(`${EXAMPLE}:5:5: warning: job nightly-app: containers: no container named "app"`)));
  assert.ok(lines.some((l) => l.startsWith(`${EXAMPLE}:6:5: warning: job nightly-app: volumes: no volume named "shared-uploads"`)));
});

test('mistakes: exit 5, each at file:line:column with its field; --json; the scheduler will not start', async (t) => {
  const dir = await tempDir(t);
  const schedules = join(dir, 'schedules');
  await mkdir(schedules);
  const file = join(schedules, 'bad.yaml');
  await writeFile(file, ['jobs:', '  - name: web', '    cron: "0 */5 * * *"', '    containers: [web]', '    repository: ./repo', '    retention: { keep-daily: seven }', '    notify: { webhook: "https://x.example/h", on: sometimes }', ''].join('\n'));
  const r = await lifeboat(['schedule', 'validate', '--offline', '--schedules', schedules], { root: join(dir, 'store') });
  assert.equal(r.code, 5, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n'), [
    `${file}:6:30: error: job web: retention.keep-daily: must be a whole number of snapshots, or -1 for unlimited`,
    `${file}:7:51: error: job web: notify.on: must be one of failure, success, always`,
    '1 file, 0 valid jobs: 2 errors, 0 warnings',
  ]);
  assert.match(r.stderr, /^Error: 2 error\(s\) in the schedule files/);
  const j = await lifeboat(['schedule', 'validate', '--offline', '--json', '--schedules', schedules], { root: join(dir, 'store') });
  assert.equal(j.code, 5);
  const report = JSON.parse(j.stdout) as { files: string[]; jobs: string[]; issues: ScheduleIssue[] };
  assert.deepEqual(report.issues.map((i) => [i.line, i.column, i.field]), [[6, 30, 'retention.keep-daily'], [7, 51, 'notify.on']]);
  assert.equal(JSON.parse(j.stderr).exitCode, 5);

  const s = startScheduler(t, { root: join(dir, 'store'), schedules });
  const exit = await s.exited;
  assert.equal(exit.code, 5);
  assert.ok(s.lines.some((l) => /error .*bad\.yaml:6:30: error: job web: retention\.keep-daily/.test(l)), s.lines.join('\n'));
});
