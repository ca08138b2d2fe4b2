/**
 * The link taken down mid-upload: sshd runs in one network namespace, the push (and the CLI) in
 * another, the link is rate-limited so the upload takes seconds, then cut after a few packs. The
 * push fails as unreachable (exit 13) once keepalives and retries give up; with the link back, the
 * next push adopts what arrived whole and sends only the rest, and `repo check --read-data` is clean.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { BIN } from '../../helpers/cli.js';
import { netnsUnavailable, twoHosts } from '../../helpers/netns.js';
import { runPush } from '../../helpers/push-process.js';
import { storeFixture } from '../../helpers/repo-fixtures.js';
import { needs } from '../../helpers/requirements.js';
import { SSHD, startSshd } from '../../helpers/sshd.js';
import { tempDir } from '../../helpers/tmp.js';

const skip = needs({ root: true, commands: [SSHD, 'ssh-keygen', 'ip', 'tc'] }) ?? netnsUnavailable();

/** The real CLI, inside a namespace. */
function lifeboatIn(ns: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, BIN, ...args], { env: { ...process.env, LIFEBOAT_NO_PROGRESS: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

test('a push cut off by a link going down resumes once the link is back, and checks clean', { skip, timeout: 180_000 }, async (t) => {
  const hosts = twoHosts(t);
  const sshd = await startSshd(t, { netns: hosts.nsB, listen: hosts.ipB });
  const url = sshd.url(join(await tempDir(t), 'repo'));
  const ssh = ['-i', sshd.key, '--known-hosts', sshd.knownHosts];
  const init = await lifeboatIn(hosts.nsA, ['repo', 'init', url, ...ssh]);
  assert.equal(init.code, 0, init.stderr);

  const fx = await storeFixture(t, [{ count: 96, size: 64 * 1024, kind: 'random' }]); // 6 MiB
  const job = {
    store: fx.store.root,
    url,
    roots: [fx.root],
    packTarget: 512 * 1024,
    concurrency: 2,
    backend: { identity: sshd.key, knownHosts: sshd.knownHosts, keepaliveIntervalMs: 1000, keepaliveCountMax: 3, readyTimeoutMs: 3000, retry: { retries: 2, baseMs: 200, maxMs: 1000 } },
  };
  hosts.rate('8mbit'); // ~1 MB/s: about 6 s for the whole upload
  let cutAt = 0;
  const first = await runPush(job, {
    netns: hosts.nsA,
    onPack: (n) => {
      if (n === 3) {
        hosts.cut();
        cutAt = Date.now();
      }
    },
  });
  assert.ok(cutAt > 0, `the link was cut mid-upload: ${first.output}`);
  assert.equal(first.code, 13, `unreachable once retries gave up: ${first.output}`);
  assert.match(first.error ?? '', /^UNREACHABLE .*10\./);
  const arrived = first.packs.length;
  assert.ok(arrived >= 3 && arrived < 12, `${arrived} packs arrived before the cut`);

  await hosts.restore(sshd.port);
  hosts.clear();
  const second = await runPush(job, { netns: hosts.nsA });
  assert.equal(second.code, 0, second.output);
  const r = second.report!;
  assert.ok(r.adopted.packs >= 3, `adopted ${r.adopted.packs} packs`);
  assert.equal(r.sent.bytes + r.skipped.bytes, r.bytes);
  assert.ok(r.skipped.bytes >= 3 * 512 * 1024, `the ${r.skipped.bytes} bytes that arrived whole were not sent again`);

  const check = await lifeboatIn(hosts.nsA, ['repo', 'check', url, '--read-data', '--json', ...ssh]);
  assert.equal(check.code, 0, check.stdout + check.stderr);
  const report = JSON.parse(check.stdout) as { problems: string[]; blobs: number; warnings: string[] };
  assert.deepEqual(report.problems, []);
  assert.equal(report.blobs, r.blobs);
});
