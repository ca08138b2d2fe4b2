/**
 * The applier run by an unprivileged process (a child as uid 65534), as in rootless use (formats.md
 * E.29–E.31): devices are skipped and counted, FIFOs still made, trusted.* xattrs skipped and
 * counted, owners left to the process, setuid bits kept on its own files.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmod, chown, lstat, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { native } from '../../../src/platform/native.js';
import { needs } from '../../helpers/requirements.js';
import { tarBytes } from '../../helpers/tar-fixtures.js';
import { tempDir } from '../../helpers/tmp.js';

const NOBODY = 65534;
const applyModule = new URL('../../../src/diff/apply.js', import.meta.url).href;
const script = `
import { createReadStream } from 'node:fs';
import { applyLayer } from ${JSON.stringify(applyModule)};
const [root, tar] = process.argv.slice(1);
try {
  const r = await applyLayer(root, createReadStream(tar), { whiteouts: 'flatten' });
  console.log(JSON.stringify(r));
} catch (e) {
  console.log(JSON.stringify({ error: e.code, message: e.message }));
}`;

test('unprivileged: devices are skipped and counted, trusted xattrs skipped, owners are the process', { skip: needs({ root: true }) }, async (t) => {
  const base = await tempDir(t, 'lb-rootless-');
  await chmod(base, 0o755);
  const root = join(base, 'root');
  await mkdir(root);
  await chown(root, NOBODY, NOBODY);
  const tar = join(base, 'layer.tar');
  await writeFile(
    tar,
    tarBytes([
      { name: 'dev/', type: 'dir', mode: 0o755 },
      { name: 'dev/null', type: 'char', devmajor: 1, devminor: 3 },
      { name: 'dev/sda', type: 'block', devmajor: 8, devminor: 0 },
      { name: 'fifo', type: 'fifo', mode: 0o600 },
      { name: 'suid', data: 'x', mode: 0o4755, uid: 0, gid: 0, xattrs: { 'trusted.x': 'no', 'user.ok': 'yes' } },
      { name: 'ro/', type: 'dir', mode: 0o555 },
      { name: 'ro/inside', data: 'written before the directory became read-only' },
    ]),
    { mode: 0o644 },
  );
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, root, tar], { uid: NOBODY, gid: NOBODY, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const result = JSON.parse(r.stdout) as { skipped?: { devices: number; xattrs: number }; error?: string; message?: string };
  assert.equal(result.error, undefined, result.message);
  assert.deepEqual(result.skipped, { devices: 2, xattrs: 1 });
  assert.deepEqual(await readdir(join(root, 'dev')), [], 'no device node was made');
  assert.ok((await lstat(join(root, 'fifo'))).isFIFO());
  const suid = await lstat(join(root, 'suid'));
  assert.deepEqual([suid.uid, suid.mode & 0o7777], [NOBODY, 0o4755]);
  assert.equal(native.lgetxattr(join(root, 'suid'), 'user.ok')?.toString(), 'yes');
  assert.equal((await lstat(join(root, 'ro'))).mode & 0o777, 0o555, 'directory modes come last, so its children could be written');
});
