/** known_hosts the way ssh reads it: plain, [host]:port, hashed, wildcards, negation, revoked. */
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { appendKnownHost, hostToken, parseKnownHosts, verdict } from '../../../src/repository/backends/known-hosts.js';
import { parseRepositoryUrl } from '../../../src/repository/backends/location.js';
import { UsageError } from '../../../src/core/errors.js';
import { tempDir } from '../../helpers/tmp.js';

function keyBlob(type: string, seed: string): Buffer {
  const t = Buffer.from(type);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(t.length);
  return Buffer.concat([len, t, Buffer.from(seed.padEnd(32, '.'))]);
}
const A = keyBlob('ssh-ed25519', 'a');
const B = keyBlob('ssh-ed25519', 'b');
const line = (hosts: string, k: Buffer, marker = '') => `${marker}${hosts} ssh-ed25519 ${k.toString('base64')}`;

function hashed(token: string): string {
  const salt = randomBytes(20);
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(token).digest('base64')}`;
}

test('plain, bracketed-port and hashed entries match the host they name', () => {
  const entries = parseKnownHosts([line('example.org,10.0.0.1', A), line('[example.org]:2222', B), line(hashed('[h.example]:2200'), A), '# comment', ''].join('\n'));
  assert.equal(verdict(entries, hostToken('example.org', 22), A), 'trusted');
  assert.equal(verdict(entries, hostToken('10.0.0.1', 22), A), 'trusted');
  assert.equal(verdict(entries, hostToken('example.org', 2222), B), 'trusted');
  assert.equal(verdict(entries, hostToken('h.example', 2200), A), 'trusted');
  assert.equal(verdict(entries, hostToken('h.example', 22), A), 'unknown', 'a hashed entry is for one host and port');
});

test('a different key for a known host is CHANGED; an unlisted host is unknown', () => {
  const entries = parseKnownHosts(line('[127.0.0.1]:2022', A));
  assert.equal(verdict(entries, '[127.0.0.1]:2022', B), 'changed');
  assert.equal(verdict(entries, '[127.0.0.1]:2023', B), 'unknown');
});

test('wildcards and negations follow ssh; @revoked keys are refused for every host they match', () => {
  const entries = parseKnownHosts([line('*.lan,!bad.lan', A), line('*', B, '@revoked ')].join('\n'));
  assert.equal(verdict(entries, 'box.lan', A), 'trusted');
  assert.equal(verdict(entries, 'bad.lan', A), 'unknown');
  assert.equal(verdict(entries, 'box.lan', B), 'revoked');
});

test('accepting a new host key appends one line and creates the file 0600', async (t) => {
  const file = join(await tempDir(t), 'ssh', 'known_hosts');
  await appendKnownHost(file, '[127.0.0.1]:2022', A);
  const text = await readFile(file, 'utf8');
  assert.equal(text, `${line('[127.0.0.1]:2022', A)}\n`);
  assert.equal(verdict(parseKnownHosts(text), '[127.0.0.1]:2022', A), 'trusted');
});

test('repository URLs: paths, sftp with user and port, ~ for the login dir; passwords refused without echo', () => {
  assert.deepEqual(parseRepositoryUrl('/srv/repo'), { kind: 'local', path: '/srv/repo' });
  assert.deepEqual(parseRepositoryUrl('sftp://backup@nas.lan:2222/srv/repo'), { kind: 'sftp', user: 'backup', host: 'nas.lan', port: 2222, path: '/srv/repo' });
  assert.equal((parseRepositoryUrl('sftp://nas.lan/~/repo') as { path: string }).path, 'repo');
  assert.equal((parseRepositoryUrl('sftp://u@[::1]:22/r') as { host: string }).host, '::1');
  const err = (() => {
    try {
      parseRepositoryUrl('sftp://u:hunter2@nas/r');
    } catch (e) {
      return e;
    }
  })();
  assert.ok(err instanceof UsageError);
  assert.doesNotMatch(JSON.stringify((err as UsageError).toJSON()), /hunter2/, 'the password never reaches an error message');
  assert.throws(() => parseRepositoryUrl('s3://bucket/x'), UsageError);
});
