/**
 * A streaming tar writer. The 512-byte ustar block is encoded by node-tar's `Header` (prefix
 * splitting, octal and base-256 numbers, checksum); what does not fit ustar, and every xattr, goes
 * into a PAX header whose values we encode as bytes (node-tar's Pax class only knows text fields).
 * Output is POSIX pax format, read by GNU tar, bsdtar, Go's archive/tar, Docker and containerd.
 */
import { Header } from 'tar';
import { BLOCK, type TarHeader } from './entry.js';

export interface TarWriteEntry {
  header: TarHeader;
  /** Exactly header.size bytes, for regular files. */
  body?: AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
}

const TYPE_NAMES: Record<TarHeader['type'], string> = {
  file: 'File',
  dir: 'Directory',
  symlink: 'SymbolicLink',
  hardlink: 'Link',
  char: 'CharacterDevice',
  block: 'BlockDevice',
  fifo: 'FIFO',
};

const ZERO = Buffer.alloc(BLOCK);
const USTAR_MAX_ID = 0o7777777;
const USTAR_MAX_SIZE = 0o77777777777;

/** One PAX record: "<len> <key>=<value>\n", where len counts the whole record including itself. */
export function paxRecord(key: string, value: string | Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), Buffer.isBuffer(value) ? value : Buffer.from(value), Buffer.from('\n')]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return Buffer.concat([Buffer.from(String(len)), body]);
}

function encodeBlock(fields: Record<string, unknown>): { block: Buffer; needPax: boolean } {
  const h = new Header(fields as ConstructorParameters<typeof Header>[0]);
  const block = Buffer.alloc(BLOCK);
  const needPax = h.encode(block, 0);
  return { block, needPax };
}

function pad(n: number): Buffer {
  return ZERO.subarray(0, (BLOCK - (n % BLOCK)) % BLOCK);
}

/** Encodes the header blocks (a PAX header first when needed) for one entry. */
export function encodeHeader(h: TarHeader): Buffer[] {
  const path = h.type === 'dir' && !h.path.endsWith('/') ? `${h.path}/` : h.path;
  const fields = {
    path,
    mode: h.mode & 0o7777,
    uid: h.uid,
    gid: h.gid,
    size: h.type === 'file' ? h.size : 0,
    mtime: new Date(Math.floor(h.mtime) * 1000),
    type: TYPE_NAMES[h.type],
    linkpath: h.linkname || undefined,
    uname: h.uname ?? '',
    gname: h.gname ?? '',
    devmaj: h.devmajor,
    devmin: h.devminor,
  };
  const { block, needPax } = encodeBlock(fields);
  const records: Buffer[] = [];
  if (needPax) {
    if (Buffer.byteLength(path) >= 100 || /[^\x00-\x7f]/.test(path)) records.push(paxRecord('path', path));
    if (h.linkname && (Buffer.byteLength(h.linkname) > 100 || /[^\x00-\x7f]/.test(h.linkname))) records.push(paxRecord('linkpath', h.linkname));
    if (h.uid > USTAR_MAX_ID) records.push(paxRecord('uid', String(h.uid)));
    if (h.gid > USTAR_MAX_ID) records.push(paxRecord('gid', String(h.gid)));
    if (fields.size > USTAR_MAX_SIZE) records.push(paxRecord('size', String(fields.size)));
    if (h.uname && (Buffer.byteLength(h.uname) > 32 || /[^\x00-\x7f]/.test(h.uname))) records.push(paxRecord('uname', h.uname));
    if (h.gname && (Buffer.byteLength(h.gname) > 32 || /[^\x00-\x7f]/.test(h.gname))) records.push(paxRecord('gname', h.gname));
  }
  for (const [name, value] of [...h.xattrs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    records.push(paxRecord(`SCHILY.xattr.${name}`, value));
  }
  if (records.length === 0) return [block];
  const pax = Buffer.concat(records);
  const base = path.replace(/\/$/, '').split('/').pop() ?? 'entry';
  const paxName = `PaxHeaders.0/${base}`.slice(0, 99);
  const { block: paxBlock } = encodeBlock({ path: paxName, mode: 0o644, uid: 0, gid: 0, size: pax.length, mtime: fields.mtime, type: 'ExtendedHeader' });
  return [paxBlock, pax, pad(pax.length), block];
}

/** Serializes entries into a tar stream, ending with the two zero blocks. */
export async function* writeTar(entries: AsyncIterable<TarWriteEntry> | Iterable<TarWriteEntry>): AsyncGenerator<Buffer> {
  for await (const { header, body } of entries) {
    for (const b of encodeHeader(header)) yield b;
    if (header.type !== 'file') continue;
    let written = 0;
    if (body) {
      for await (const chunk of body) {
        written += chunk.byteLength;
        if (written > header.size) throw new Error(`tar entry ${header.path} grew while being written (${header.size} bytes expected)`);
        yield Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      }
    }
    if (written !== header.size) throw new Error(`tar entry ${header.path} has ${written} bytes, ${header.size} expected (changed while being read?)`);
    const p = pad(header.size);
    if (p.length) yield p;
  }
  yield ZERO;
  yield ZERO;
}
