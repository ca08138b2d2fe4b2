/**
 * bin/lifeboat keeps NODE_EXTRA_CA_CERTS out of Node's start-up (test/e2e/launcher.test.ts) and the
 * CLI puts it back: a scheduler started through the launcher still posts to an HTTPS webhook whose
 * certificate only that bundle vouches for.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { needs } from '../../helpers/requirements.js';
import { selfSignedCert, startScheduler, webhookReceiver } from '../../helpers/scheduler-process.js';
import { tempDir } from '../../helpers/tmp.js';

const FAKE = fileURLToPath(new URL('../../helpers/fake-job-actions.js', import.meta.url));

test('a scheduler started by bin/lifeboat posts to an HTTPS webhook trusted through NODE_EXTRA_CA_CERTS', { skip: needs({ commands: ['openssl'] }) }, async (t) => {
  const dir = await tempDir(t);
  const tls = selfSignedCert(dir);
  const hook = await webhookReceiver(t, { tls });
  const schedules = join(dir, 'schedules');
  await mkdir(schedules);
  await writeFile(join(schedules, 'jobs.yaml'), ['jobs:', '  - name: nightly', '    cron: "* * * * * *"', '    volumes: [data]', `    notify: { webhook: "${hook.url}", on: failure }`, ''].join('\n'));
  const fake = { jobs: { nightly: { fail: 'disk on fire' } }, calls: join(dir, 'calls.jsonl') };
  const s = startScheduler(t, { root: join(dir, 'store'), schedules, launcher: true, env: { NODE_EXTRA_CA_CERTS: tls.cert, LIFEBOAT_SCHEDULER_ACTIONS: FAKE, LIFEBOAT_FAKE_ACTIONS: JSON.stringify(fake) } });
  await s.waitForLine(/job nightly: failure/);
  for (const until = Date.now() + 15_000; hook.posts.length === 0 && Date.now() < until; ) await new Promise((r) => setTimeout(r, 50));
  assert.equal((await s.stop('SIGTERM')).code, 0);
  assert.ok(hook.posts.length >= 1, `no webhook delivered; log:\n${s.lines.join('\n')}`);
  assert.equal(hook.posts[0]!.body.job, 'nightly');
  assert.equal(hook.posts[0]!.body.result, 'failure');
  assert.ok(!s.lines.some((l) => /notify: .*(failed|giving up)/.test(l)), s.lines.join('\n'));
});
