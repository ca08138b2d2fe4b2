/**
 * One directory's listing with everything a snapshot needs to know about each node, read
 * synchronously in an I/O worker (io-worker.ts): the names as raw bytes (sorted), lstat (never
 * following a symlink; nanosecond times as bigints), every xattr through the no-follow calls, and
 * symlink targets as bytes. The main thread only compares and builds trees; the syscalls run in
 * the workers, several directories at a time.
 */
import { lstatSync, readdirSync, readlinkSync, type BigIntStats } from 'node:fs';
import { isErrno } from '../core/errors.js';
import { nodeTypeOf, type NodeType } from '../core/volume-snapshot-format.js';
import { HostDir, type HostPath } from './host-dir.js';
import { deviceNumbers, readXattrs } from './node-meta.js';

export interface ScanEntry {
  /** The raw name bytes as a latin1 string (lossless; cheap to send between threads). */
  name: string;
  /** undefined: a socket (or a node that vanished since readdir). */
  type: NodeType | undefined;
  mode: number;
  uid: number;
  gid: number;
  /** Nanoseconds since the epoch, as decimal strings. */
  mtime: string;
  ctime: string;
  inode: string;
  nlink: number;
  size: number;
  /** st_dev, to spot mount points below the volume root. */
  dev: string;
  devmajor?: number;
  devminor?: number;
  /** Base64 values; undefined when none. */
  xattrs?: Record<string, string>;
  /** The name has no string path for the native xattr calls (not UTF-8, not a directory). */
  xattrsUnreadable?: boolean;
  /** Symlink target bytes, latin1. */
  target?: string;
}

/** The scanned form of one node's lstat. */
export function scanEntry(name: Buffer, st: BigIntStats): ScanEntry {
  const type = nodeTypeOf(st);
  const e: ScanEntry = {
    name: name.toString('latin1'),
    type,
    mode: Number(st.mode & 0o7777n),
    uid: Number(st.uid),
    gid: Number(st.gid),
    mtime: st.mtimeNs.toString(),
    ctime: st.ctimeNs.toString(),
    inode: st.ino.toString(),
    nlink: Number(st.nlink),
    size: Number(st.size),
    dev: st.dev.toString(),
  };
  if (type === 'char' || type === 'block') Object.assign(e, deviceNumbers(st.rdev));
  return e;
}

/** Lists `path` (whose string alias for native calls is `alias`). Nodes deleted meanwhile are left out. */
export function scanDirSync(path: HostPath, alias: string): ScanEntry[] {
  const dir = HostDir.at(path, alias);
  const out: ScanEntry[] = [];
  for (const name of readdirSync(path, { encoding: 'buffer' }).sort(Buffer.compare)) {
    try {
      const e = scanEntry(name, lstatSync(dir.child(name), { bigint: true }));
      if (e.type === 'symlink') e.target = (readlinkSync(dir.child(name), { encoding: 'buffer' }) as Buffer).toString('latin1');
      const childAlias = dir.childAlias(name);
      if (childAlias !== undefined) e.xattrs = readXattrs(childAlias);
      else if (e.type !== 'dir') e.xattrsUnreadable = true; // a directory's are read once it is opened
      out.push(e);
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
    }
  }
  return out;
}
