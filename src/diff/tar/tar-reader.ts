/**
 * A strict, streaming tar reader (ustar, GNU long names, PAX), written for untrusted layers:
 * - PAX values are kept as bytes, so binary xattrs (`security.capability`) survive;
 * - header checksums are checked, names must be valid UTF-8 without NUL, sizes must be sane;
 * - PAX global headers are skipped without applying anything (go-archive, node-tar af04392);
 * - sparse, multi-volume and unknown entry types are refused rather than guessed at;
 * - caps on header payloads, entry count, path length and depth bound memory and work.
 * With `drainTrailing`, whatever follows the end-of-archive marker is read too, so a hash wrapped
 * around the source covers the whole stream (a DiffID must).
 */
import { InvalidInputError } from '../../core/errors.js';
import { ByteSource } from './byte-source.js';
import { BLOCK, DEFAULT_LIMITS, type EntryType, type TarHeader, type TarLimits } from './entry.js';

export interface TarEntry extends TarHeader {
  /** The file's data; must be consumed (or is skipped) before the next entry is requested. */
  body: AsyncIterable<Buffer>;
}

export interface ReadTarOptions {
  limits?: Partial<TarLimits>;
  drainTrailing?: boolean;
}

function bad(message: string): InvalidInputError {
  return new InvalidInputError(`malformed tar archive: ${message}`, { code: 'BAD_TAR' });
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeText(bytes: Buffer, what: string): string {
  const end = bytes.indexOf(0);
  const slice = end < 0 ? bytes : bytes.subarray(0, end);
  try {
    return utf8.decode(slice);
  } catch {
    throw bad(`${what} is not valid UTF-8`);
  }
}

function decodeNumber(field: Buffer, what: string): number {
  if (field.length > 0 && (field[0]! & 0x80) !== 0) {
    if (field[0] === 0xff) throw bad(`negative ${what}`);
    let v = BigInt(field[0]! & 0x7f);
    for (let i = 1; i < field.length; i++) v = (v << 8n) | BigInt(field[i]!);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw bad(`${what} too large`);
    return Number(v);
  }
  const text = field.toString('latin1').replace(/\0.*$/s, '').trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw bad(`${what} is not an octal number: ${JSON.stringify(text)}`);
  const v = parseInt(text, 8);
  if (!Number.isSafeInteger(v)) throw bad(`${what} too large`);
  return v;
}

function checksumOk(block: Buffer): boolean {
  const stored = decodeNumber(block.subarray(148, 156), 'checksum');
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : block[i]!;
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  return stored === unsigned || stored === signed;
}

/** Parses PAX records ("<len> <key>=<value>\n") keeping values as bytes. */
export function parsePax(data: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let off = 0;
  while (off < data.length) {
    if (data[off] === 0) break; // some writers pad the payload with NULs
    const sp = data.indexOf(0x20, off);
    if (sp < 0) throw bad('PAX record without a length');
    const len = Number(data.toString('latin1', off, sp));
    if (!Number.isSafeInteger(len) || len <= sp - off || off + len > data.length) throw bad('PAX record length out of range');
    const rec = data.subarray(sp + 1, off + len);
    if (rec[rec.length - 1] !== 0x0a) throw bad('PAX record not terminated by a newline');
    const eq = rec.indexOf(0x3d);
    if (eq <= 0) throw bad('PAX record without a key');
    out.set(decodeText(rec.subarray(0, eq), 'PAX key'), rec.subarray(eq + 1, rec.length - 1));
    off += len;
  }
  return out;
}

const TYPES: Record<string, EntryType> = { '0': 'file', '\0': 'file', '7': 'file', '1': 'hardlink', '2': 'symlink', '3': 'char', '4': 'block', '5': 'dir', '6': 'fifo' };

interface Pending {
  pax?: Map<string, Buffer>;
  longName?: string;
  longLink?: string;
}

function paxString(pax: Map<string, Buffer> | undefined, key: string): string | undefined {
  const v = pax?.get(key);
  if (v === undefined) return undefined;
  if (v.includes(0)) throw bad(`PAX ${key} contains a NUL byte`);
  return decodeText(v, `PAX ${key}`);
}

function paxNumber(pax: Map<string, Buffer> | undefined, key: string): number | undefined {
  const s = paxString(pax, key);
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!/^-?\d+(\.\d+)?$/.test(s) || !Number.isFinite(n)) throw bad(`PAX ${key} is not a number`);
  return n;
}

function decodeHeader(block: Buffer, pending: Pending, limits: TarLimits): TarHeader & { flag: string; dataSize: number } {
  const flag = String.fromCharCode(block[156]!);
  const magic = block.toString('latin1', 257, 263);
  let path = decodeText(block.subarray(0, 100), 'entry name');
  if (magic === 'ustar\0') {
    const prefix = decodeText(block.subarray(345, 500), 'name prefix');
    if (prefix) path = `${prefix}/${path}`;
  }
  const pax = pending.pax;
  path = paxString(pax, 'path') ?? pending.longName ?? path;
  const linkname = paxString(pax, 'linkpath') ?? pending.longLink ?? decodeText(block.subarray(157, 257), 'link name');
  const dataSize = paxNumber(pax, 'size') ?? decodeNumber(block.subarray(124, 136), 'size');
  if (dataSize < 0 || !Number.isSafeInteger(dataSize)) throw bad('invalid size');
  let type = TYPES[flag];
  if (type === undefined) {
    if (flag === 'S' || [...(pax?.keys() ?? [])].some((k) => k.startsWith('GNU.sparse.'))) throw bad(`sparse entries are not supported (${path})`);
    throw bad(`unsupported entry type ${JSON.stringify(flag)} for ${path}`);
  }
  if (pax && [...pax.keys()].some((k) => k.startsWith('GNU.sparse.'))) throw bad(`sparse entries are not supported (${path})`);
  if (type === 'file' && flag !== '7' && path.endsWith('/')) type = 'dir'; // V7 directories
  for (const [name, what] of [[path, 'path'], [linkname, 'link target']] as const) {
    if (name.includes('\0')) throw bad(`${what} contains a NUL byte`);
    if (Buffer.byteLength(name) > limits.maxPathBytes) throw bad(`${what} longer than ${limits.maxPathBytes} bytes`);
  }
  if (path.split('/').length > limits.maxPathDepth) throw bad(`path deeper than ${limits.maxPathDepth} components`);
  if (path === '') throw bad('empty entry name');
  const xattrs = new Map<string, Buffer>();
  for (const [k, v] of pax ?? []) if (k.startsWith('SCHILY.xattr.')) xattrs.set(k.slice('SCHILY.xattr.'.length), v);
  const isUstar = magic === 'ustar\0' || magic === 'ustar ';
  const uname = paxString(pax, 'uname') ?? (isUstar ? decodeText(block.subarray(265, 297), 'uname') : undefined);
  const gname = paxString(pax, 'gname') ?? (isUstar ? decodeText(block.subarray(297, 329), 'gname') : undefined);
  return {
    flag,
    dataSize,
    path,
    type,
    mode: decodeNumber(block.subarray(100, 108), 'mode') & 0o7777,
    uid: paxNumber(pax, 'uid') ?? decodeNumber(block.subarray(108, 116), 'uid'),
    gid: paxNumber(pax, 'gid') ?? decodeNumber(block.subarray(116, 124), 'gid'),
    ...(uname ? { uname } : {}),
    ...(gname ? { gname } : {}),
    size: type === 'file' ? dataSize : 0,
    mtime: paxNumber(pax, 'mtime') ?? decodeNumber(block.subarray(136, 148), 'mtime'),
    linkname,
    devmajor: isUstar ? decodeNumber(block.subarray(329, 337), 'devmajor') : 0,
    devminor: isUstar ? decodeNumber(block.subarray(337, 345), 'devminor') : 0,
    xattrs,
  };
}

const isZero = (b: Buffer) => b.every((x) => x === 0);
const padding = (n: number) => (BLOCK - (n % BLOCK)) % BLOCK;

export async function* readTar(source: AsyncIterable<Buffer | Uint8Array | string>, opts: ReadTarOptions = {}): AsyncGenerator<TarEntry> {
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const src = new ByteSource(source);
  const truncated = () => bad('unexpected end of data (truncated archive)');
  let pending: Pending = {};
  let entries = 0;
  let unread = 0; // body bytes (plus padding) the consumer left behind

  for (;;) {
    if (unread > 0 && !(await src.skip(unread))) throw truncated();
    unread = 0;
    const block = await src.read(BLOCK);
    if (block.length === 0) break; // EOF on a block boundary without the marker: accepted, as Go does
    if (block.length < BLOCK) throw truncated();
    if (isZero(block)) {
      const second = await src.read(BLOCK);
      if (second.length === BLOCK && !isZero(second)) throw bad('data after a zero block');
      break;
    }
    if (!checksumOk(block)) throw bad(`header checksum mismatch at byte ${src.consumed - BLOCK}`);
    const flag = String.fromCharCode(block[156]!);
    if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
      const size = decodeNumber(block.subarray(124, 136), 'size');
      if (size > limits.maxHeaderBytes) throw bad(`extended header of ${size} bytes exceeds the ${limits.maxHeaderBytes}-byte limit`);
      const payload = await src.read(size + padding(size));
      if (payload.length < size + padding(size)) throw truncated();
      const data = payload.subarray(0, size);
      if (flag === 'x') pending.pax = parsePax(data);
      else if (flag === 'L') pending.longName = decodeText(data, 'GNU long name');
      else if (flag === 'K') pending.longLink = decodeText(data, 'GNU long link name');
      // 'g': global headers are parsed for validity elsewhere by nobody; ignored on purpose.
      continue;
    }
    const header = decodeHeader(block, pending, limits);
    pending = {};
    if (++entries > limits.maxEntries) throw bad(`more than ${limits.maxEntries} entries`);
    const { flag: _flag, dataSize, ...entry } = header;
    const total = dataSize + padding(dataSize);
    let started = false;
    unread = total;
    const body: AsyncIterable<Buffer> =
      header.type === 'file'
        ? {
            [Symbol.asyncIterator]: async function* () {
              if (started) throw new Error('tar entry body read twice');
              started = true;
              for await (const chunk of src.pull(dataSize, truncated)) {
                unread -= chunk.length;
                yield chunk;
              }
              if (!(await src.skip(unread))) throw truncated();
              unread = 0;
            },
          }
        : { [Symbol.asyncIterator]: async function* () {} };
    yield { ...entry, body };
  }
  if (pending.pax || pending.longName || pending.longLink) throw bad('extended header without an entry');
  if (opts.drainTrailing) await src.drain();
}
