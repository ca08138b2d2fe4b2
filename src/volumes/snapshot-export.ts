/**
 * `volume export SNAP -o file.tar[.gz|.zst]`: a snapshot as a plain POSIX tar that anyone can read
 * without Lifeboat (GNU tar, bsdtar, Python's tarfile). Written with our own tar codec
 * (diff/tar/tar-writer.ts), not node-tar or archiver's tar: theirs drop or mangle binary xattr
 * values (SCHILY.xattr.*), and a volume's ACLs and capabilities must survive the trip.
 *
 * Entries come in snapshot order, paths relative to the volume root (no "./" entry: importers
 * apply into a root of their own). Files of one inode become a file and hardlinks to it. Holes are
 * written as zeros (tar has no portable sparse form we emit). Every chunk is verified as it is read.
 * Names that are not valid UTF-8 cannot be written by our codec and are skipped and counted.
 */
import { isUtf8 } from 'node:buffer';
import { isHole, entryTarget, type ChunkRef, type ContentRef, type TreeEntry } from '../core/volume-snapshot-format.js';
import type { Provider } from '../content/content-store.js';
import type { TarHeader } from '../diff/tar/entry.js';
import type { TarWriteEntry } from '../diff/tar/tar-writer.js';
import type { PathFilter } from './path-filter.js';
import { nsToSeconds } from './node-apply.js';
import { walkSnapshot } from './snapshot-walk.js';
import type { SnapshotInfo } from './snapshot-refs.js';
import { readChunk } from './tree-io.js';

export interface ExportCounters {
  entries: number;
  bytes: number;
  /** Entries left out: names that are not UTF-8. */
  skipped: number;
}

const ZERO_BLOCK = Buffer.alloc(1024 * 1024);

/** A file's bytes: verified chunks, and zeros for holes. */
export async function* fileBytes(content: Provider, chunks: readonly ContentRef[]): AsyncGenerator<Buffer> {
  for (const c of chunks) {
    if (isHole(c)) {
      for (let left = c.hole; left > 0; left -= ZERO_BLOCK.length) yield ZERO_BLOCK.subarray(0, Math.min(left, ZERO_BLOCK.length));
      continue;
    }
    yield await readChunk(content, c as ChunkRef);
  }
}

function header(path: string, e: TreeEntry): TarHeader {
  const xattrs = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(e.xattrs ?? {})) xattrs.set(k, Buffer.from(v, 'base64'));
  return {
    path,
    type: e.type,
    mode: e.mode,
    uid: e.uid,
    gid: e.gid,
    size: e.type === 'file' ? (e.size ?? 0) : 0,
    mtime: Math.floor(nsToSeconds(e.mtime)),
    linkname: e.type === 'symlink' ? entryTarget(e).toString('utf8') : '',
    devmajor: e.devmajor ?? 0,
    devminor: e.devminor ?? 0,
    xattrs,
  };
}

export async function* snapshotTarEntries(content: Provider, snap: SnapshotInfo, counters: ExportCounters, filter?: PathFilter): AsyncGenerator<TarWriteEntry> {
  const firstLink = new Map<string, string>();
  for await (const { components, entry } of walkSnapshot(content, snap.record.tree.digest, filter)) {
    const target = entry.type === 'symlink' ? entryTarget(entry) : undefined;
    if (!components.every((c) => isUtf8(c)) || (target && !isUtf8(target))) {
      counters.skipped++;
      continue;
    }
    const path = components.map((c) => c.toString('utf8')).join('/');
    counters.entries++;
    if (entry.type === 'file' && entry.nlink !== undefined && entry.nlink > 1 && entry.inode !== undefined) {
      const first = firstLink.get(entry.inode);
      if (first !== undefined) {
        yield { header: { ...header(path, entry), type: 'hardlink', size: 0, linkname: first } };
        continue;
      }
      firstLink.set(entry.inode, path);
    }
    if (entry.type !== 'file') {
      yield { header: header(path, entry) };
      continue;
    }
    counters.bytes += entry.size ?? 0;
    yield { header: header(path, entry), body: fileBytes(content, entry.chunks ?? []) };
  }
}
