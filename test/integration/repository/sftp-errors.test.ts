/**
 * Each SSH failure gets its own clear error and exit status, through the real CLI against a real
 * sshd: a changed host key (12 HOST_KEY_CHANGED, always), an unknown host (12 HOST_KEY_UNKNOWN,
 * then accepted and recorded with --accept-new-host-key), a refused client key (12 AUTH_FAILED), a
 * missing repository (10), a closed port (13); no key material in any error.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { lifeboat } from '../../helpers/cli.js';
import { needs } from '../../helpers/requirements.js';
import { SSHD, freePort, startSshd, type Sshd } from '../../helpers/sshd.js';
import { tempDir } from '../../helpers/tmp.js';

function errorOf(stderr: string): { error: string; message: string; hint?: string } {
  return JSON.parse(stderr.trim().split('\n').pop()!) as { error: string; message: string; hint?: string };
}

describe('SSH failures through the CLI', { skip: needs({ commands: [SSHD, 'ssh-keygen'] }) }, () => {
  let sshd: Sshd;
  let url: string;
  const cleanup: Array<() => unknown> = [];
  before(async () => {
    const t = { after: (fn: () => unknown) => cleanup.push(fn) };
    sshd = await startSshd(t);
    url = sshd.url(join(await tempDir(t), 'repo'));
    const r = await lifeboat(['repo', 'init', url, '-i', sshd.key, '--known-hosts', sshd.knownHosts]);
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    for (const fn of cleanup.reverse()) await fn();
  });

  test('a CHANGED host key is refused (exit 12), even with --accept-new-host-key', async (t) => {
    const dir = await tempDir(t);
    spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'other')]);
    const other = (await readFile(join(dir, 'other.pub'), 'utf8')).split(' ').slice(0, 2).join(' ');
    const kh = join(dir, 'known_hosts');
    await writeFile(kh, `[${sshd.host}]:${sshd.port} ${other}\n`);
    for (const extra of [[], ['--accept-new-host-key']]) {
      const r = await lifeboat(['repo', 'check', url, '-i', sshd.key, '--known-hosts', kh, '--json', ...extra]);
      assert.equal(r.code, 12, r.stderr);
      const e = errorOf(r.stderr);
      assert.equal(e.error, 'HOST_KEY_CHANGED');
      assert.match(e.message, /CHANGED.*SHA256:/);
    }
    assert.equal(await readFile(kh, 'utf8'), `[${sshd.host}]:${sshd.port} ${other}\n`, 'known_hosts untouched');
  });

  test('an unknown host is refused (exit 12) with a hint, then accepted and recorded with --accept-new-host-key', async (t) => {
    const kh = join(await tempDir(t), 'known_hosts');
    const refused = await lifeboat(['repo', 'stats', url, '-i', sshd.key, '--known-hosts', kh, '--json']);
    assert.equal(refused.code, 12);
    const e = errorOf(refused.stderr);
    assert.equal(e.error, 'HOST_KEY_UNKNOWN');
    assert.match(e.hint ?? '', /--accept-new-host-key/);
    const accepted = await lifeboat(['repo', 'stats', url, '-i', sshd.key, '--known-hosts', kh, '--accept-new-host-key']);
    assert.equal(accepted.code, 0, accepted.stderr);
    assert.equal((await readFile(kh, 'utf8')).trim(), sshd.hostKeyLine);
    const later = await lifeboat(['repo', 'stats', url, '-i', sshd.key, '--known-hosts', kh]);
    assert.equal(later.code, 0, 'known from now on');
  });

  test('a key the server does not accept is an auth failure (exit 12) that shows no key material', async (t) => {
    const dir = await tempDir(t);
    spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'stranger')]);
    const r = await lifeboat(['repo', 'check', url, '-i', join(dir, 'stranger'), '--known-hosts', sshd.knownHosts, '--json']);
    assert.equal(r.code, 12, r.stderr);
    assert.equal(errorOf(r.stderr).error, 'AUTH_FAILED');
    const secret = (await readFile(join(dir, 'stranger'), 'utf8')).split('\n')[1]!;
    assert.ok(!r.stderr.includes(secret) && !r.stderr.includes('PRIVATE KEY'), 'no private key in the output');
  });

  test('a path with no repository over SFTP exits 10', async () => {
    const r = await lifeboat(['repo', 'check', sshd.url('/nonexistent/lifeboat/repo'), '-i', sshd.key, '--known-hosts', sshd.knownHosts]);
    assert.equal(r.code, 10, r.stderr);
  });

  test('a closed port is unreachable (exit 13), naming the host', async () => {
    const port = await freePort();
    const r = await lifeboat(['repo', 'check', `sftp://${sshd.user}@127.0.0.1:${port}/repo`, '-i', sshd.key, '--known-hosts', sshd.knownHosts, '--json']);
    assert.equal(r.code, 13, r.stderr);
    assert.match(errorOf(r.stderr).message, new RegExp(`127\\.0\\.0\\.1:${port}`));
  });
});
