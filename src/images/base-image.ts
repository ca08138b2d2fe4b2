/**
 * The tiny base image for the demo and the tests, built with no network: busybox-static plus a
 * symlink per applet when it is installed, otherwise the host's own binaries and the shared
 * libraries `ldd` names for them. The tar is generated in memory from a file list (no staging
 * directory) with fixed timestamps, so the same busybox gives the same layer digest on every host.
 */
import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync, lstatSync, realpathSync } from 'node:fs';
import { Readable } from 'node:stream';
import { NotFoundError } from '../core/errors.js';
import type { Progress } from '../core/progress.js';
import type { TarHeader } from '../diff/tar/entry.js';
import { writeTar, type TarWriteEntry } from '../diff/tar/tar-writer.js';
import type { ImageRecord, ImageStore } from './image-store.js';
import { importRootfs } from './import.js';

export const BASE_IMAGE = 'localhost/lifeboat-base:latest';
const MTIME = 946684800; // 2000-01-01: fixed so the layer digest depends only on the binaries
const BUSYBOX_CANDIDATES = ['/bin/busybox', '/usr/bin/busybox'];
const HOST_TOOLS = ['sh', 'ls', 'cat', 'echo', 'sleep', 'true', 'false', 'env', 'mkdir', 'rm', 'cp', 'mv', 'id', 'hostname', 'ps', 'kill', 'touch', 'grep', 'head', 'tail', 'wc', 'stat', 'readlink', 'dd', 'sync', 'date'];

const DIRS: Array<[string, number]> = [
  ['bin', 0o755], ['dev', 0o755], ['etc', 0o755], ['home', 0o755], ['proc', 0o555], ['root', 0o700], ['run', 0o755],
  ['sbin', 0o755], ['sys', 0o555], ['tmp', 0o1777], ['usr', 0o755], ['usr/bin', 0o755], ['usr/sbin', 0o755], ['var', 0o755], ['var/tmp', 0o1777],
];
const FILES: Array<[string, string]> = [
  ['etc/passwd', 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n'],
  ['etc/group', 'root:x:0:\nnobody:x:65534:\n'],
  ['etc/os-release', 'NAME="Lifeboat base"\nID=lifeboat-base\n'],
];

function header(path: string, type: TarHeader['type'], extra: Partial<TarHeader> = {}): TarHeader {
  return { path, type, mode: 0o755, uid: 0, gid: 0, size: 0, mtime: MTIME, linkname: '', devmajor: 0, devminor: 0, xattrs: new Map(), ...extra };
}

function fileEntry(path: string, source: string, mode = 0o755): TarWriteEntry {
  const size = lstatSync(source).size;
  return { header: header(path, 'file', { size, mode }), body: createReadStream(source) };
}

function busyboxEntries(busybox: string): TarWriteEntry[] {
  const applets = execFileSync(busybox, ['--list-full'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  const entries: TarWriteEntry[] = [fileEntry('bin/busybox', busybox)];
  for (const applet of applets.sort()) {
    if (applet === 'bin/busybox') continue;
    entries.push({ header: header(applet, 'symlink', { mode: 0o777, linkname: '/bin/busybox' }) });
  }
  return entries;
}

/** Host binaries and every library ldd lists for them, at their real paths. */
function hostEntries(): TarWriteEntry[] {
  const files = new Map<string, string>(); // path in image → source on host
  const links = new Map<string, string>();
  for (const tool of HOST_TOOLS) {
    let path: string;
    try {
      path = execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim();
    } catch {
      continue;
    }
    if (!path.startsWith('/')) continue;
    files.set(`bin/${tool}`, realpathSync(path));
    const ldd = (() => { try { return execFileSync('ldd', [path], { encoding: 'utf8' }); } catch { return ''; } })();
    for (const m of ldd.matchAll(/(\/\S+)\s+\(0x/g)) {
      const lib = m[1]!;
      files.set(lib.slice(1), realpathSync(lib));
      if (lib !== realpathSync(lib)) links.set(lib.slice(1), realpathSync(lib));
    }
  }
  const entries: TarWriteEntry[] = [];
  const dirs = new Set<string>();
  for (const p of [...files.keys(), ...links.keys()]) for (let d = p; d.includes('/'); ) dirs.add((d = d.slice(0, d.lastIndexOf('/'))));
  for (const d of [...dirs].sort()) if (!DIRS.some(([x]) => x === d)) entries.push({ header: header(d, 'dir') });
  for (const [p, src] of [...files].sort()) entries.push(fileEntry(p, src));
  return entries;
}

export function findBusybox(): string | undefined {
  return BUSYBOX_CANDIDATES.find((p) => existsSync(p) && lstatSync(p).isFile());
}

/** The base image's root filesystem as a tar stream. */
export function baseRootfs(opts: { hostTools?: boolean } = {}): { tar: Readable; source: string } {
  const busybox = opts.hostTools ? undefined : findBusybox();
  const entries: TarWriteEntry[] = DIRS.map(([p, mode]) => ({ header: header(p, 'dir', { mode }) }));
  for (const [p, text] of FILES) entries.push({ header: header(p, 'file', { mode: 0o644, size: Buffer.byteLength(text) }), body: [Buffer.from(text)] });
  const payload = busybox ? busyboxEntries(busybox) : hostEntries();
  if (payload.length === 0) throw new NotFoundError('base userland', 'busybox or host binaries', { hint: 'install busybox-static' });
  entries.push(...payload);
  return { tar: Readable.from(writeTar(entries)), source: busybox ? `busybox (${busybox})` : 'host binaries' };
}

export async function buildBaseImage(images: ImageStore, opts: { name?: string; hostTools?: boolean; progress?: Progress } = {}): Promise<ImageRecord> {
  const { tar, source } = baseRootfs(opts);
  return importRootfs(images, tar, {
    name: opts.name ?? BASE_IMAGE,
    changes: ['CMD ["sh"]', 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
    message: `Lifeboat base image from ${source}`,
    created: new Date(MTIME * 1000).toISOString(),
    ...(opts.progress ? { progress: opts.progress } : {}),
  });
}
