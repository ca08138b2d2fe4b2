/**
 * Resume after kill -9: a push process is SIGKILLed after N packs arrived; the next push adopts the
 * orphan packs and sends only the rest (bytes asserted), and `repo check --read-data` (the real
 * CLI) is clean. On a local repository, and over SFTP to a real sshd.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Repository } from '../../../src/repository/repository.js';
import { LocalBackend } from '../../../src/repository/backends/local-backend.js';
import { lifeboat } from '../../helpers/cli.js';
import { runPush } from '../../helpers/push-process.js';
import { storeFixture } from '../../helpers/repo-fixtures.js';
import { needs } from '../../helpers/requirements.js';
import { SSHD, startSshd, type Sshd } from '../../helpers/sshd.js';
import { tempDir } from '../../helpers/tmp.js';

const KiB = 1024;
const packTarget = 128 * KiB;

async function killAndResume(t: { after: (fn: () => unknown) => void }, url: string, sshArgs: string[], backend: object) {
  const fx = await storeFixture(t, [{ count: 48, size: 64 * KiB, kind: 'random' }]); // 3 MiB, 24 packs
  const job = { store: fx.store.root, url, roots: [fx.root], packTarget, concurrency: 2, backend };
  const first = await runPush(job, { killAfterPacks: 6 });
  assert.equal(first.signal, 'SIGKILL', first.output);
  assert.ok(first.packs.length >= 6 && first.packs.length < 24, `killed mid-way after ${first.packs.length} packs`);

  const second = await runPush(job);
  assert.equal(second.code, 0, second.output);
  const r = second.report!;
  assert.ok(r.adopted.packs >= 6, `adopted ${r.adopted.packs} packs`);
  assert.equal(r.sent.blobs + r.adopted.blobs, r.blobs, 'every blob was either adopted or sent, none twice');
  assert.ok(r.skipped.bytes >= 6 * packTarget, `the adopted packs' ${r.skipped.bytes} bytes were not sent again`);
  assert.equal(r.sent.bytes + r.skipped.bytes, r.bytes, 'the rest was sent, once');
  assert.ok(r.sent.bytes < fx.totalBytes - 6 * packTarget + 4 * KiB, `sent ${r.sent.bytes} of ${fx.totalBytes} bytes`);

  const third = await runPush(job);
  assert.equal(third.report!.sent.bytes, 0, 'nothing left to send');

  const check = await lifeboat(['repo', 'check', url, '--read-data', '--json', ...sshArgs]);
  assert.equal(check.code, 0, check.stdout + check.stderr);
  const report = JSON.parse(check.stdout) as { problems: string[]; blobs: number; bytesRead: number };
  assert.deepEqual(report.problems, []);
  assert.equal(report.blobs, r.blobs);
}

test('local repository: a push killed with SIGKILL resumes without re-sending whole packs', async (t) => {
  const path = join(await tempDir(t), 'repo');
  await Repository.init(new LocalBackend(path));
  await killAndResume(t, path, [], {});
});

describe('over SFTP', { skip: needs({ commands: [SSHD, 'ssh-keygen'] }) }, () => {
  let sshd: Sshd;
  const cleanup: Array<() => unknown> = [];
  before(async () => {
    sshd = await startSshd({ after: (fn) => cleanup.push(fn) });
  });
  after(async () => {
    for (const fn of cleanup.reverse()) await fn();
  });

  test('a push killed with SIGKILL resumes without re-sending whole packs', async (t) => {
    const url = sshd.url(join(await tempDir(t), 'repo'));
    const ssh = ['-i', sshd.key, '--known-hosts', sshd.knownHosts];
    const init = await lifeboat(['repo', 'init', url, ...ssh]);
    assert.equal(init.code, 0, init.stderr);
    await killAndResume(t, url, ssh, { identity: sshd.key, knownHosts: sshd.knownHosts });
  });
});
