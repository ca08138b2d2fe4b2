/**
 * Rootless: the same runtime as an unprivileged user (nobody), which means the overlay-userxattr
 * snapshotter (overlay inside a user namespace, user.overlay.* whiteouts) and no cgroups. Run by
 * root through setpriv, so the suite needs root and util-linux setpriv.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chown, lstat, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { native } from '../../../src/platform/native.js';
import { BIN, type CliResult } from '../../helpers/cli.js';
import { needs } from '../../helpers/requirements.js';
import { mountsUnder } from '../../helpers/runtime-store.js';

const NOBODY = 65534;

function asNobody(root: string, args: string[], input?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, BIN, ...args], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: root, LIFEBOAT_ROOT: join(root, 'store'), LIFEBOAT_NO_PROGRESS: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr } as CliResult));
    child.stdin.end(input);
  });
}

describe('rootless runtime (as nobody)', { skip: needs({ root: true, commands: ['setpriv', 'unshare', 'nsenter'] }), concurrency: false }, () => {
  let root = '';
  before(async () => {
    root = await mkdtemp(join(process.env.LIFEBOAT_TEST_TMP ?? tmpdir(), 'lb-rootless-'));
    await chown(root, NOBODY, NOBODY);
    const built = await asNobody(root, ['image', 'build-base']);
    assert.equal(built.code, 0, built.stderr);
  });
  after(async () => {
    if (!root) return;
    for (const id of await readdir(join(root, 'store', 'containers')).catch(() => [] as string[])) await asNobody(root, ['rm', '-f', id]);
    await rm(root, { recursive: true, force: true });
  });

  test('the snapshotter in use is reported as overlay-userxattr', async () => {
    const info = JSON.parse((await asNobody(root, ['info', '--json'])).stdout) as { Driver: string; Rootless: boolean };
    assert.equal(info.Driver, 'overlay-userxattr');
    assert.equal(info.Rootless, true);
  });

  test('a rootless container is PID 1 and root inside; its changes land in upper with user.overlay.* markers', async () => {
    const r = await asNobody(root, ['run', '--name', 'rl', '--hostname', 'rl1', 'localhost/lifeboat-base', 'sh', '-c', 'echo $$ $(id -u) $(hostname); echo x > /f; rm /etc/os-release; rm -rf /home && mkdir /home']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '1 0 rl1\n');
    const id = (await readdir(join(root, 'store', 'containers')))[0]!;
    const upper = join(root, 'store', 'containers', id, 'upper');
    assert.equal(await readFile(join(upper, 'f'), 'utf8'), 'x\n');
    const wh = await lstat(join(upper, 'etc', 'os-release'));
    assert.ok(wh.isCharacterDevice() && wh.rdev === 0, 'whiteout char 0/0, made without CAP_MKNOD');
    assert.equal(native.lgetxattr(join(upper, 'home'), 'user.overlay.opaque')?.toString(), 'y');
    assert.deepEqual(await mountsUnder(root), []);
  });

  test('rm works without root (overlay leaves work/work at mode 000)', async () => {
    assert.equal((await asNobody(root, ['rm', 'rl'])).code, 0);
    assert.deepEqual(await readdir(join(root, 'store', 'containers')), []);
  });
});
