/**
 * Tar archives described as data, encoded byte by byte without any tar library, so tests can build
 * what our writer (or any sane writer) never would: `../x` names, hardlinks to `/etc/passwd`,
 * whiteouts named `.wh..`, lying size fields, bad checksums, GNU sparse and unknown type flags,
 * huge PAX headers, data after a zero block, trailing garbage. Fixtures for hostile-input tests.
 */
import { Readable } from 'node:stream';

export type FixtureType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo';

export interface FixtureEntry {
  name: string;
  type?: FixtureType;
  /** A raw type flag, overriding `type` (e.g. 'S' GNU sparse, 'Z' unknown, 'g' PAX global header). */
  flag?: string;
  data?: string | Buffer;
  /** The header's size field when it must differ from the data (truncation tests). */
  size?: number;
  linkname?: string;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: number;
  devmajor?: number;
  devminor?: number;
  /** Records of a PAX 'x' header emitted before the entry (raw keys: 'path', 'GNU.sparse.map', ...). */
  pax?: Record<string, string | Buffer>;
  /** Extended attributes, as SCHILY.xattr.* PAX records. */
  xattrs?: Record<string, string | Buffer>;
  /** Put the name in a GNU 'L' long-name header instead of PAX when it is longer than 100 bytes. */
  gnuLongName?: boolean;
  /** Store the first part of the name in the ustar prefix field (name must contain '/'). */
  usePrefix?: boolean;
  corruptChecksum?: boolean;
}

export interface FixtureOptions {
  /** How the archive ends: two zero blocks (default), nothing, or one zero block. */
  end?: 'marker' | 'none' | 'one-block';
  /** Bytes appended after the end (garbage, padding, a second archive). */
  trailing?: Buffer;
}

const FLAGS: Record<FixtureType, string> = { file: '0', hardlink: '1', symlink: '2', char: '3', block: '4', dir: '5', fifo: '6' };
const BLOCK = 512;

function writeString(block: Buffer, off: number, len: number, value: string | Buffer): void {
  const b = Buffer.isBuffer(value) ? value : Buffer.from(value);
  b.copy(block, off, 0, Math.min(len, b.length));
}

/** Octal with a NUL, or GNU base-256 when the value does not fit. */
function writeNumber(block: Buffer, off: number, len: number, value: number): void {
  const octal = Math.trunc(value).toString(8);
  if (value >= 0 && octal.length <= len - 1) {
    block.write(octal.padStart(len - 1, '0') + '\0', off, len, 'latin1');
    return;
  }
  let v = BigInt(Math.trunc(value));
  if (v < 0n) v = (1n << BigInt(len * 8)) + v; // two's complement, first byte 0xff
  for (let i = len - 1; i >= 0; i--) {
    block[off + i] = Number(v & 0xffn);
    v >>= 8n;
  }
  if (value >= 0) block[off] = block[off]! | 0x80;
}

function header(name: string, flag: string, size: number, e: Partial<FixtureEntry>): Buffer {
  const block = Buffer.alloc(BLOCK);
  let stored = name;
  if (e.usePrefix) {
    const cut = name.lastIndexOf('/');
    writeString(block, 345, 155, name.slice(0, cut));
    stored = name.slice(cut + 1);
  }
  writeString(block, 0, 100, stored);
  writeNumber(block, 100, 8, e.mode ?? (flag === '5' ? 0o755 : 0o644));
  writeNumber(block, 108, 8, e.uid ?? 0);
  writeNumber(block, 116, 8, e.gid ?? 0);
  writeNumber(block, 124, 12, size);
  writeNumber(block, 136, 12, e.mtime ?? 1_700_000_000);
  block.write(flag, 156, 1, 'latin1');
  writeString(block, 157, 100, e.linkname ?? '');
  block.write('ustar\0', 257, 6, 'latin1');
  block.write('00', 263, 2, 'latin1');
  writeNumber(block, 329, 8, e.devmajor ?? 0);
  writeNumber(block, 337, 8, e.devminor ?? 0);
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of block) sum += b;
  if (e.corruptChecksum) sum += 1;
  block.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
  return block;
}

function padded(data: Buffer): Buffer[] {
  const pad = (BLOCK - (data.length % BLOCK)) % BLOCK;
  return pad ? [data, Buffer.alloc(pad)] : [data];
}

export function paxRecord(key: string, value: string | Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), Buffer.isBuffer(value) ? value : Buffer.from(value), Buffer.from('\n')]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return Buffer.concat([Buffer.from(String(len)), body]);
}

/** Encodes `entries` as a tar archive. */
export function tarBytes(entries: FixtureEntry[], opts: FixtureOptions = {}): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const flag = e.flag ?? FLAGS[e.type ?? 'file'];
    const data = e.data === undefined ? Buffer.alloc(0) : Buffer.isBuffer(e.data) ? e.data : Buffer.from(e.data);
    const records: Buffer[] = Object.entries(e.pax ?? {}).map(([k, v]) => paxRecord(k, v));
    for (const [k, v] of Object.entries(e.xattrs ?? {})) records.push(paxRecord(`SCHILY.xattr.${k}`, v));
    let name = e.name;
    if (Buffer.byteLength(name) > 100 && !e.usePrefix) {
      if (e.gnuLongName) {
        const long = Buffer.from(name + '\0');
        parts.push(header('././@LongLink', 'L', long.length, {}), ...padded(long));
      } else {
        records.push(paxRecord('path', name));
      }
      name = name.slice(0, 99);
    }
    if (e.linkname && Buffer.byteLength(e.linkname) > 100) records.push(paxRecord('linkpath', e.linkname));
    if (records.length > 0) {
      const pax = Buffer.concat(records);
      parts.push(header('PaxHeaders/x', 'x', pax.length, {}), ...padded(pax));
    }
    parts.push(header(name, flag, e.size ?? data.length, e));
    if (data.length > 0) parts.push(...padded(data));
  }
  const end = opts.end ?? 'marker';
  if (end !== 'none') parts.push(Buffer.alloc(end === 'marker' ? 2 * BLOCK : BLOCK));
  if (opts.trailing) parts.push(opts.trailing);
  return Buffer.concat(parts);
}

/** `data` as a stream of `chunk`-byte pieces (small pieces exercise every boundary in the reader). */
export function chunked(data: Buffer, chunk = 4096): Readable {
  const pieces: Buffer[] = [];
  for (let off = 0; off < data.length; off += chunk) pieces.push(data.subarray(off, off + chunk));
  return Readable.from(pieces, { objectMode: false });
}
