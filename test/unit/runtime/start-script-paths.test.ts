/**
 * The start script's path resolver and checks, run for real in sh against a scratch rootfs: these
 * are the guards that keep an image's symlinks from steering mounts and mkdirs onto the host.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmod, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { START_FUNCTIONS } from '../../../src/runtime/start-script-lib.js';
import { buildStartScript, shq } from '../../../src/runtime/start-script.js';
import { tempDir } from '../../helpers/tmp.js';

/** Runs `body` after the functions with $R = root; fd 3 (the status channel) goes to stdout. */
function sh(root: string, body: string): { code: number; out: string } {
  const script = `R=${shq(root)} T_READLINK=readlink T_LS=ls T_CP=cp T_SED=sed CPATH=/usr/bin:/bin\n${START_FUNCTIONS}\n${body}`;
  const r = spawnSync('sh', ['-c', `exec 3>&1; ${script}`], { encoding: 'utf8' });
  return { code: r.status ?? -1, out: r.stdout.trim() };
}

async function scene(t: Parameters<typeof tempDir>[0]) {
  const outside = await tempDir(t, 'lb-outside-');
  const root = await tempDir(t, 'lb-rootfs-');
  await mkdir(join(root, 'etc'), { recursive: true });
  await mkdir(join(root, 'bin'));
  await mkdir(join(root, 'usr/bin'), { recursive: true });
  await writeFile(join(root, 'etc/passwd'), 'root:x:0:0::/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n');
  await writeFile(join(root, 'etc/group'), 'root:x:0:\nstaff:x:50:\n');
  await writeFile(join(root, 'bin/busybox'), '#!/bin/true\n', { mode: 0o755 });
  await symlink('/bin/busybox', join(root, 'usr/bin/tool'));
  await writeFile(join(root, 'etc/not-exec'), 'x', { mode: 0o644 });
  return { root, outside };
}

test('an absolute symlink in the image resolves inside the rootfs, not on the host', async (t) => {
  const { root } = await scene(t);
  await symlink('/etc', join(root, 'conf'));
  const r = sh(root, 'lb_path /conf/passwd && printf %s "$P"');
  assert.equal(r.out, join(root, 'etc/passwd'));
});

test('".." and links to ../../.. cannot climb above the rootfs', async (t) => {
  const { root } = await scene(t);
  await symlink('../../../../..', join(root, 'up'));
  assert.equal(sh(root, 'lb_path /../../etc/passwd && printf %s "$P"').out, join(root, 'etc/passwd'));
  assert.equal(sh(root, 'lb_path /up/etc/passwd && printf %s "$P"').out, join(root, 'etc/passwd'));
});

test('a mountpoint created through a hostile symlink lands inside the rootfs', async (t) => {
  const { root, outside } = await scene(t);
  await symlink(outside, join(root, 'data')); // absolute host path, as an image could ship it
  const r = sh(root, 'lb_path /data/volume dir && printf %s "$P"');
  assert.equal(r.code, 0);
  assert.equal(r.out, join(root, outside, 'volume'));
  assert.ok(existsSync(join(root, outside, 'volume')), 'created under the rootfs');
  assert.ok(!existsSync(join(outside, 'volume')), 'nothing created on the host');
});

test('a symlink loop gives up instead of hanging', async (t) => {
  const { root } = await scene(t);
  await symlink('/b', join(root, 'a'));
  await symlink('/a', join(root, 'b'));
  assert.notEqual(sh(root, 'lb_path /a/x').code, 0);
});

test('commands are found through PATH and busybox-style absolute links, with docker run exit codes', async (t) => {
  const { root } = await scene(t);
  assert.equal(sh(root, 'lb_command tool && echo found').out, 'found');
  const missing = sh(root, 'lb_command nosuch');
  assert.equal(missing.code, 127);
  assert.match(missing.out, /LB-FAIL 127 exec: "nosuch": executable file not found in \$PATH/);
  assert.equal(sh(root, 'lb_command /nope').code, 127);
  assert.equal(sh(root, 'lb_command /etc').code, 126);
  await chmod(join(root, 'etc/not-exec'), 0o644);
  if (process.getuid?.() !== 0) assert.equal(sh(root, 'lb_command /etc/not-exec').code, 126);
});

test('users resolve inside the container, not from the host', async (t) => {
  const { root } = await scene(t);
  assert.equal(sh(root, 'lb_user app && echo "$UID_ $GID_"').out, '1000 1001');
  assert.equal(sh(root, 'lb_user app:staff && echo "$UID_ $GID_"').out, '1000 50');
  assert.equal(sh(root, 'lb_user 4242 && echo "$UID_ $GID_"').out, '4242 0');
  const bad = sh(root, 'lb_user nobody-here');
  assert.equal(bad.code, 125);
  assert.match(bad.out, /unable to find user nobody-here/);
});

test('mount table entries escape whitespace so a path cannot add fstab fields', async (t) => {
  const { root } = await scene(t);
  const tab = join(root, 'tab');
  sh(root, `lb_tab ${shq(tab)} '/src dir' '/dst	x' none bind`);
  assert.equal((await readFile(tab, 'utf8')).trim(), '/src\\040dir /dst\\011x none bind 0 0');
});

test('the start script execs the command with only the container environment', () => {
  const script = buildStartScript({
    rootfs: '/r', dir: '/c', devTemplate: '/c/dev', rootMounts: [{ type: 'overlay', source: 'overlay', options: ['lowerdir=/a', 'upperdir=/u', 'workdir=/w'] }],
    mounts: [], etcFiles: [], hostname: 'h', network: 'none', process: { args: ['sh', '-c', "echo 'hi'"], env: ['PATH=/bin', 'A=b c'], cwd: '/', user: '' },
    executor: 'unshare', userns: false, tools: { mount: '/m', umount: '/um', unshare: '/u', env: '/e', readlink: '/r', cp: '/c', ls: '/l', sed: '/s' },
  });
  assert.match(script, /exec 2>&9 9>&- 3>&- '\/e' -i 'PATH=\/bin' 'A=b c' '\/u' --root="\$R" --wd='\/' -- 'sh' '-c' 'echo '\\''hi'\\'''\n$/);
  assert.match(script, /'\/m' -t 'overlay' -o 'lowerdir=\/a,upperdir=\/u,workdir=\/w' 'overlay' "\$R"/);
});
