import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_PATH, mergeEnv, mergeProcess, parseEnvFile } from '../../../src/runtime/process-config.js';
import { formatPort, mergeHealth, parseLabels, parsePort } from '../../../src/runtime/run-flags.js';
import { resolveUser } from '../../../src/runtime/users.js';

const image = { Entrypoint: ['/entry'], Cmd: ['serve', '--port', '80'], Env: ['PATH=/app/bin:/bin', 'A=image', 'B=image'], WorkingDir: '/app', User: 'app' };

test('arguments replace CMD; --entrypoint replaces ENTRYPOINT and drops CMD', () => {
  assert.deepEqual(mergeProcess(image, { args: [] }).args, ['/entry', 'serve', '--port', '80']);
  assert.deepEqual(mergeProcess(image, { args: ['sh'] }).args, ['/entry', 'sh']);
  assert.deepEqual(mergeProcess(image, { args: [], entrypoint: '/bin/sh' }).args, ['/bin/sh']);
  assert.deepEqual(mergeProcess(image, { args: ['-c', 'true'], entrypoint: '/bin/sh' }).args, ['/bin/sh', '-c', 'true']);
  assert.deepEqual(mergeProcess({ Cmd: ['sh'] }, { args: ['ls'], entrypoint: '' }).args, ['ls']);
  assert.throws(() => mergeProcess({}, { args: [] }), /no command specified/);
});

test('env: image, then env files, then -e; KEY alone copies from the caller; PATH defaults', () => {
  const m = mergeProcess(image, { args: [], envFileLines: ['B=file', 'C=file'], env: ['C=flag', 'HOME_COPY', 'MISSING'] }, { HOME_COPY: '/root' });
  assert.deepEqual(m.env, ['PATH=/app/bin:/bin', 'A=image', 'B=file', 'C=flag', 'HOME_COPY=/root']);
  assert.equal(mergeProcess({ Cmd: ['x'] }, { args: [] }).env[0], DEFAULT_PATH);
  assert.deepEqual(mergeEnv(['A=1', 'B=2'], ['A=3']), ['A=3', 'B=2']);
  assert.deepEqual(parseEnvFile('# comment\n\nA=1\n  B=two words\nHOST\n', { HOST: 'h' }), ['A=1', 'B=two words', 'HOST=h']);
  assert.throws(() => mergeProcess(image, { args: [], env: ['=x'] }), /invalid environment variable/);
});

test('workdir and user come from flags, else the image; workdir must be absolute', () => {
  const m = mergeProcess(image, { args: [] });
  assert.equal(m.cwd, '/app');
  assert.equal(m.user, 'app');
  assert.equal(mergeProcess({ Cmd: ['x'] }, { args: [] }).cwd, '/');
  assert.equal(mergeProcess(image, { args: [], workdir: '/tmp', user: '0:0' }).user, '0:0');
  assert.throws(() => mergeProcess(image, { args: [], workdir: 'relative' }), /absolute path/);
});

test('ports parse like docker run -p and print like docker ps', () => {
  const table: Array<[string, string]> = [
    ['8080:80', '0.0.0.0:8080->80/tcp'],
    ['127.0.0.1:8080:80/udp', '127.0.0.1:8080->80/udp'],
    ['80', '80/tcp'],
    ['[::1]:53:53/udp', '::1:53->53/udp'],
  ];
  for (const [spec, shown] of table) assert.equal(formatPort(parsePort(spec)), shown, spec);
  for (const bad of ['x:80', '80/icmp', '1:2:3:4', '99999']) assert.throws(() => parsePort(bad), { code: 'USAGE' }, bad);
});

test('labels and health checks merge flags over the image', () => {
  assert.deepEqual(parseLabels(['a=1', 'b', 'c=x=y']), { a: '1', b: '', c: 'x=y' });
  const fromImage = { Test: ['CMD', 'check'], Interval: 5e9, Retries: 2 };
  assert.deepEqual(mergeHealth(fromImage, {}), { test: ['CMD', 'check'], intervalMs: 5000, timeoutMs: 30_000, startPeriodMs: 0, retries: 2 });
  assert.deepEqual(mergeHealth(fromImage, { cmd: 'curl -f x', interval: '1s' })?.test, ['CMD-SHELL', 'curl -f x']);
  assert.equal(mergeHealth(fromImage, { cmd: 'x', interval: '1s' })?.intervalMs, 1000);
  assert.equal(mergeHealth(fromImage, { none: true }), undefined);
  assert.equal(mergeHealth({ Test: ['NONE'] }, {}), undefined);
  assert.equal(mergeHealth(undefined, {}), undefined);
});

test('users resolve from passwd and group, numbers pass through, unknown names fail', () => {
  const passwd = 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n';
  const group = 'root:x:0:\nstaff:x:50:\n';
  assert.deepEqual(resolveUser('', passwd, group), { uid: 0, gid: 0 });
  assert.deepEqual(resolveUser('app', passwd, group), { uid: 1000, gid: 1001 });
  assert.deepEqual(resolveUser('1000', passwd, group), { uid: 1000, gid: 1001 });
  assert.deepEqual(resolveUser('4242', passwd, group), { uid: 4242, gid: 0 });
  assert.deepEqual(resolveUser('app:staff', passwd, group), { uid: 1000, gid: 50 });
  assert.deepEqual(resolveUser('app:77', passwd, group), { uid: 1000, gid: 77 });
  assert.throws(() => resolveUser('ghost', passwd, group), /unable to find user ghost/);
  assert.throws(() => resolveUser('app:ghosts', passwd, group), /unable to find group ghosts/);
});
