/**
 * Directory → layer entries (the "diff" side of the codec; walk.ts turns them into a blob).
 *
 * - `plain`: every node of the tree is an addition (a base layer, an export, a volume).
 * - `overlay-upper`: the tree is an overlayfs upper dir (a container's writable layer). A char device
 *   0/0 becomes `.wh.<name>` (dropped when `lowerHas` says no lower layer has the name); a directory
 *   with `{trusted,user}.overlay.opaque = "y"` becomes its entry plus `<dir>/.wh..wh..opq`; every
 *   `*.overlay.*` xattr is left out (moby overlayWhiteoutConverter, continuity DiffDirChanges).
 *   An upper dir that uses redirect_dir or metacopy cannot be diffed from the upper alone: we refuse
 *   it rather than write a wrong layer (formats.md 1.7; mount with redirect_dir=off,metacopy=off).
 *
 * Output is deterministic: depth first, parents before children, the children of each directory in
 * bytewise order of the names they are stored under (a whiteout sorts as `.wh.<name>`), an opaque
 * marker right after its directory. A node with several links is stored once, at the first path,
 * and as hardlink entries at the others (keyed by dev and inode, after whiteouts are recognised:
 * the kernel shares one inode among whiteouts). Memory grows with the widest directory on the
 * current path and the number of multiply-linked inodes, never with file sizes.
 */
import { lstatSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidInputError } from '../core/errors.js';
import { nodeTypeOf } from '../core/volume-snapshot-format.js';
import { childKey, cleanArchivePath, relKey } from './entry-path.js';
import type { TarHeader } from './tar/entry.js';
import type { TarWriteEntry } from './tar/tar-writer.js';
import { decodeName, fileBody, headerFor, readXattrs, wholeSeconds } from './walk-entry.js';
import { WHITEOUT_OPAQUE, WHITEOUT_PREFIX, isOverlayWhiteout, isOverlayXattr } from './whiteout.js';

export interface DiffOptions {
  source: 'plain' | 'overlay-upper';
  /** Relative paths (volume mount points): keep the directory entry itself, leave out its children. */
  excludeContents?: string[];
  /** overlay-upper: drop whiteouts for names no lower layer has. */
  lowerHas?: (relPath: string) => Promise<boolean>;
}

interface Child {
  name: string;
  /** The name stored in the archive: `.wh.<name>` for an overlay whiteout. */
  stored: Buffer;
  host: string;
  whiteout: boolean;
}

interface Frame {
  host: string;
  key: string;
  children: Child[];
  next: number;
}

const OPAQUE_VALUE = 'y';
const UNSUPPORTED_OVERLAY = /^(trusted|user)\.overlay\.(redirect|metacopy)$/;

async function listChildren(host: string, key: string, overlay: boolean): Promise<Child[]> {
  const out: Child[] = [];
  for (const d of await readdir(host, { withFileTypes: true, encoding: 'buffer' })) {
    const name = decodeName(d.name, `in ${JSON.stringify(key || '/')}`);
    const childHost = join(host, name);
    const whiteout = overlay && d.isCharacterDevice() && isOverlayWhiteout(lstatSync(childHost, { bigint: true }));
    if (!whiteout && name.startsWith(WHITEOUT_PREFIX)) {
      throw new InvalidInputError(`${JSON.stringify(childKey(key, name))}: names starting with ".wh." are whiteouts in layers and cannot be stored`, {
        code: 'BAD_FILE_NAME',
        hint: 'rename or remove the file',
      });
    }
    out.push({ name, stored: Buffer.from(whiteout ? WHITEOUT_PREFIX + name : name), host: childHost, whiteout });
  }
  return out.sort((a, b) => Buffer.compare(a.stored, b.stored));
}

/** Strips overlay-private xattrs; says whether the directory is opaque. */
function overlayXattrs(xattrs: Map<string, Buffer>, key: string): { kept: Map<string, Buffer>; opaque: boolean } {
  const kept = new Map<string, Buffer>();
  let opaque = false;
  for (const [name, value] of xattrs) {
    if (UNSUPPORTED_OVERLAY.test(name)) {
      throw new InvalidInputError(`${JSON.stringify(key)} carries ${name}: an upper dir that uses redirect_dir or metacopy cannot be diffed on its own`, {
        code: 'UNSUPPORTED_UPPER',
        hint: 'mount the overlay with redirect_dir=off,metacopy=off',
      });
    }
    if (/^(trusted|user)\.overlay\.opaque$/.test(name) && value.toString('latin1') === OPAQUE_VALUE) opaque = true;
    if (!isOverlayXattr(name)) kept.set(name, value);
  }
  return { kept, opaque };
}

function emptyFile(path: string, mode: number, from: TarHeader | { uid: number; gid: number; mtime: number }): TarHeader {
  return { path, type: 'file', mode, uid: from.uid, gid: from.gid, size: 0, mtime: from.mtime, linkname: '', devmajor: 0, devminor: 0, xattrs: new Map() };
}

export async function* diffEntries(root: string, opts: DiffOptions): AsyncGenerator<TarWriteEntry> {
  const overlay = opts.source === 'overlay-upper';
  const excluded = new Set((opts.excludeContents ?? []).map((p) => relKey(cleanArchivePath(p, 'excluded path'))));
  const firstPathOf = new Map<string, string>(); // `${dev}:${ino}` → first path stored
  if (excluded.has('')) return;
  const stack: Frame[] = [{ host: root, key: '', children: await listChildren(root, '', overlay), next: 0 }];

  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    const child = frame.children[frame.next++];
    if (child === undefined) {
      stack.pop();
      continue;
    }
    const key = childKey(frame.key, child.name);
    const st = lstatSync(child.host, { bigint: true });
    if (child.whiteout) {
      if (opts.lowerHas && !(await opts.lowerHas(key))) continue;
      const owner = { uid: Number(st.uid), gid: Number(st.gid), mtime: wholeSeconds(st.mtimeNs) };
      yield { header: emptyFile(childKey(frame.key, child.stored.toString()), 0o600, owner) };
      continue;
    }
    const type = nodeTypeOf(st);
    if (type === undefined) continue; // a socket
    let xattrs = readXattrs(child.host);
    let opaque = false;
    if (overlay) ({ kept: xattrs, opaque } = overlayXattrs(xattrs, key));

    if (type !== 'dir' && st.nlink > 1n) {
      const id = `${st.dev}:${st.ino}`;
      const first = firstPathOf.get(id);
      if (first !== undefined) {
        const h = await headerFor(child.host, key, st, type, new Map());
        yield { header: { ...h, type: 'hardlink', linkname: first, size: 0, devmajor: 0, devminor: 0 } };
        continue;
      }
      firstPathOf.set(id, key);
    }
    const header = await headerFor(child.host, key, st, type, xattrs);
    yield type === 'file' ? { header, body: fileBody(child.host, header.size) } : { header };
    if (type !== 'dir') continue;
    if (opaque) yield { header: emptyFile(`${key}/${WHITEOUT_OPAQUE}`, header.mode & 0o777, header) };
    if (!excluded.has(key)) stack.push({ host: child.host, key, children: await listChildren(child.host, key, overlay), next: 0 });
  }
}
