/**
 * `volume export SNAP -o file.zip`: the snapshot as a zip, for people who want to open a volume's
 * files on a desktop. Written by `archiver` (a project dependency) because zip's central directory,
 * data descriptors and ZIP64 are a format of their own that we have no reason to re-implement.
 * Tar stays ours (snapshot-export.ts) because tar must carry owners and binary xattrs, which zip
 * cannot hold anyway: a zip keeps names, modes, mtimes, directories, symlinks and file bytes only.
 * FIFOs and devices have no zip form and are skipped and counted; hardlinks become copies.
 *
 * One entry is handed to archiver at a time (the next after its 'entry' event), so memory stays
 * flat however many files the snapshot has.
 */
import { once } from 'node:events';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isUtf8 } from 'node:buffer';
import { ZipArchive } from 'archiver';
import { entryTarget } from '../core/volume-snapshot-format.js';
import type { Provider } from '../content/content-store.js';
import type { ExportCounters } from './snapshot-export.js';
import { fileBytes } from './snapshot-export.js';
import { nsToSeconds } from './node-apply.js';
import type { PathFilter } from './path-filter.js';
import { walkSnapshot } from './snapshot-walk.js';
import type { SnapshotInfo } from './snapshot-refs.js';

export async function writeSnapshotZip(content: Provider, snap: SnapshotInfo, out: Writable, counters: ExportCounters, filter?: PathFilter): Promise<void> {
  const zip = new ZipArchive({ zlib: { level: 6 } });
  const done = pipeline(zip, out);
  let failure: Error | undefined;
  zip.on('error', (err) => (failure ??= err));
  zip.on('warning', (err) => (failure ??= err));
  try {
    for await (const { components, entry } of walkSnapshot(content, snap.record.tree.digest, filter)) {
      if (failure) throw failure;
      if (!components.every((c) => isUtf8(c)) || entry.type === 'fifo' || entry.type === 'char' || entry.type === 'block') {
        counters.skipped++;
        continue;
      }
      const name = components.map((c) => c.toString('utf8')).join('/');
      const date = new Date(nsToSeconds(entry.mtime) * 1000);
      const processed = once(zip, 'entry');
      if (entry.type === 'dir') zip.append('', { name: `${name}/`, type: 'directory', mode: entry.mode, date });
      else if (entry.type === 'symlink') zip.symlink(name, entryTarget(entry).toString('utf8'), entry.mode);
      else {
        counters.bytes += entry.size ?? 0;
        zip.append(Readable.from(fileBytes(content, entry.chunks ?? [])), { name, mode: entry.mode, date });
      }
      counters.entries++;
      await processed;
    }
    if (failure) throw failure;
    await zip.finalize();
    await done;
  } catch (err) {
    zip.abort();
    await done.catch(() => undefined);
    throw err;
  }
}
