/**
 * Builds a real directory tree with every kind of node a layer can hold, for round-trip and interop
 * tests: regular, empty and large sparse files, directories with setgid and sticky bits, absolute,
 * relative and dangling symlinks, a hardlink group across directories, a FIFO, char and block
 * devices (as root), setuid, xattrs (binary user.*, trusted.*, a real security.capability set by
 * setcap when installed), odd names (unicode, spaces, newline, leading dots, long, deep), numeric
 * owners, and mtimes (directories last, so adding children does not change them).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, lchown, link, lutimes, mkdir, open, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { S_IFBLK, S_IFCHR, S_IFIFO, native } from '../../src/platform/native.js';
import { hasCommand, isRoot } from './requirements.js';

/** A valid VFS_CAP_REVISION_2 value: cap_net_bind_service=ep (what `setcap` writes). */
export const CAP_NET_BIND_SERVICE = Buffer.from('0100000200040000000000000000000000000000', 'hex');
export const BINARY_XATTR = Buffer.from([0, 1, 2, 0xff, 0xfe, 0x0a, 0x3d, 0]);

export interface FixtureTreeOptions {
  /** Size of the sparse file (data at both ends, a hole between). Default 24 MiB. */
  sparseBytes?: number;
}

export async function buildFixtureTree(root: string, opts: FixtureTreeOptions = {}): Promise<void> {
  const p = (rel: string) => join(root, rel);
  const root0 = isRoot();
  const dirs = ['dir', 'dir/sub', 'setgid', 'sticky', 'unicode ✓', `deep/${Array.from({ length: 12 }, (_, i) => `l${i}`).join('/')}`];
  for (const d of dirs) await mkdir(p(d), { recursive: true });

  await writeFile(p('regular.txt'), 'hello, layer\n');
  await writeFile(p('empty'), '');
  await writeFile(p('dir/random.bin'), randomBytes(200_000));
  const sparse = await open(p('sparse.bin'), 'w');
  const size = opts.sparseBytes ?? 24 * 1024 * 1024;
  await sparse.write(randomBytes(65536), 0, 65536, 0);
  await sparse.write(Buffer.from('tail'), 0, 4, size - 4);
  await sparse.close();
  await writeFile(p('héllo wörld 🚀.txt'), 'unicode');
  await writeFile(p('with space'), 'space');
  await writeFile(p('new\nline'), 'newline');
  await writeFile(p('..gitme'), 'dots');
  await writeFile(p(`dir/${'long-name-'.repeat(20)}`), 'long');
  await writeFile(p(`deep/${Array.from({ length: 12 }, (_, i) => `l${i}`).join('/')}/bottom`), 'deep');
  await writeFile(p('setuid'), '#!/bin/sh\n', { mode: 0o755 });

  await symlink('/usr/bin/dash', p('abs-link'));
  await symlink('../regular.txt', p('dir/rel-link'));
  await symlink('does/not/exist', p('dangling'));
  await writeFile(p('hl-first'), 'shared inode');
  await link(p('hl-first'), p('dir/hl-second'));
  await link(p('hl-first'), p('dir/sub/hl-third'));

  native.mknod(p('fifo'), S_IFIFO | 0o644, 0, 0);
  if (root0) {
    native.mknod(p('dev-null'), S_IFCHR | 0o666, 1, 3);
    native.mknod(p('dev-loop'), S_IFBLK | 0o660, 7, 0);
  }

  native.lsetxattr(p('regular.txt'), 'user.binary', BINARY_XATTR);
  native.lsetxattr(p('dir'), 'user.on-dir', Buffer.from('d'));
  if (root0) {
    native.lsetxattr(p('regular.txt'), 'trusted.lifeboat', Buffer.from('t'));
    native.lsetxattr(p('abs-link'), 'trusted.on-symlink', Buffer.from('s'));
    await lchown(p('regular.txt'), 1234, 5678);
    await lchown(p('dir/rel-link'), 4321, 8765);
    await lchown(p('setgid'), 1000, 50);
    await lchown(p('setuid'), 0, 0);
    const cap = hasCommand('setcap') ? spawnSync('setcap', ['cap_net_bind_service=+ep', p('setuid')]).status : 1;
    if (cap !== 0) native.lsetxattr(p('setuid'), 'security.capability', CAP_NET_BIND_SERVICE);
  }
  await chmod(p('setuid'), 0o4755); // after setcap: chmod keeps the capability
  await chmod(p('setgid'), 0o2775);
  await chmod(p('sticky'), 0o1777);
  await chmod(p('empty'), 0o600);

  let t = 1_600_000_000;
  for (const f of ['regular.txt', 'empty', 'dir/random.bin', 'sparse.bin', 'héllo wörld 🚀.txt', 'with space', 'new\nline', 'setuid', 'hl-first', 'fifo']) {
    await utimes(p(f), t, t++);
  }
  for (const l of ['abs-link', 'dir/rel-link', 'dangling']) await lutimes(p(l), t, t++);
  for (const d of [...dirs].sort().reverse()) await utimes(p(d), t, t++);
  await utimes(p('deep'), t, t++);
}
