/**
 * Where a migration goes and what it may delete there, as tables: ssh:// target URLs (defaults,
 * IPv6, refusals), the temporary repository's paths, and the guard of `receive cleanup`: only a
 * `<root>/migrate/<12 hex>` directory is ever removed (security regressions named as such); and
 * the shell quoting of the commands run over SSH.
 */
import assert from 'node:assert/strict';
import { userInfo } from 'node:os';
import { test } from 'node:test';
import { formatTarget, isMigrationDir, migrationDir, migrationRepoUrl, newMigrationId, parseTargetUrl } from '../../../src/ops/migrate-target.js';
import { shellQuote } from '../../../src/ops/migrate-ssh.js';

const me = userInfo().username;

const urls: Array<[string, { user: string; host: string; port: number }]> = [
  ['ssh://root@db1', { user: 'root', host: 'db1', port: 22 }],
  ['ssh://deploy@10.0.0.2:2222', { user: 'deploy', host: '10.0.0.2', port: 2222 }],
  ['ssh://db1/', { user: me, host: 'db1', port: 22 }],
  ['SSH://root@[fd00::2]:22', { user: 'root', host: 'fd00::2', port: 22 }],
];
for (const [url, want] of urls) test(`target ${url} parses`, () => assert.deepEqual(parseTargetUrl(url), want));

const badUrls = ['root@db1', 'sftp://root@db1', 'ssh://root:secret@db1', 'ssh://', 'ssh://root@db1/srv/lifeboat', 'ssh://root@db1?x=1'];
for (const url of badUrls) test(`target ${url} is refused as usage (exit 2)`, () => assert.throws(() => parseTargetUrl(url), { exitCode: 2 }));

test('a password in the target URL is refused without repeating it', () => {
  assert.throws(() => parseTargetUrl('ssh://root:hunter2@db1'), (e: Error) => !e.message.includes('hunter2'));
});

test('formatTarget and the temporary repository URL bracket IPv6 hosts', () => {
  const t = { user: 'root', host: 'fd00::2', port: 2222 };
  assert.equal(formatTarget(t), 'ssh://root@[fd00::2]:2222');
  assert.equal(migrationRepoUrl(t, '/var/lib/lifeboat', 'a1b2c3d4e5f6'), 'sftp://root@[fd00::2]:2222/var/lib/lifeboat/migrate/a1b2c3d4e5f6/repo');
});

test('migration IDs are 12 hex and the directory sits under <root>/migrate', () => {
  const id = newMigrationId();
  assert.match(id, /^[0-9a-f]{12}$/);
  assert.equal(migrationDir('/srv/lb/', id), `/srv/lb/migrate/${id}`);
  assert.throws(() => migrationDir('relative/root', id), { exitCode: 2 });
  assert.throws(() => migrationDir('/srv/lb', '../../etc'), { exitCode: 2 });
});

const cleanupGuard: Array<[string, string, boolean]> = [
  ['a migration directory', '/srv/lb/migrate/a1b2c3d4e5f6', true],
  ['the same with a trailing slash', '/srv/lb/migrate/a1b2c3d4e5f6/', true],
  ['the migrate folder itself is refused', '/srv/lb/migrate', false],
  ['the store root is refused', '/srv/lb', false],
  ['a path climbing out with .. is refused', '/srv/lb/migrate/../../../etc', false],
  ['a climbing path that normalizes to another root is refused', '/srv/lb/migrate/a1b2c3d4e5f6/../../../other/migrate/a1b2c3d4e5f6', false],
  ['another store root is refused', '/srv/other/migrate/a1b2c3d4e5f6', false],
  ['a name that is not 12 hex is refused', '/srv/lb/migrate/a1b2c3d4e5f6x', false],
  ['a directory inside a migration is refused', '/srv/lb/migrate/a1b2c3d4e5f6/repo', false],
];
for (const [what, dir, ok] of cleanupGuard) test(`cleanup guard: ${what}`, () => assert.equal(isMigrationDir('/srv/lb', dir), ok));

const quoting: Array<[string, string]> = [
  ['plain', 'plain'],
  ['/srv/lb/migrate/x', '/srv/lb/migrate/x'],
  ['a b', "'a b'"],
  ['', "''"],
  ["it's", `'it'\\''s'`],
  ['$(reboot)', "'$(reboot)'"],
  ['x;rm -rf /', "'x;rm -rf /'"],
  ['--volume=a=b', '--volume=a=b'],
];
for (const [arg, quoted] of quoting) test(`shellQuote(${JSON.stringify(arg)}) keeps the shell from interpreting it`, () => assert.equal(shellQuote(arg), quoted));
