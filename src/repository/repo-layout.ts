/**
 * Where everything lives in a repository, and its one mutable-once document, config.json:
 *
 *   config.json                  {"format":"lifeboat-repository","version":1,"id":"<64 hex>","created":"<ISO>"}
 *   data/<2 hex>/<64 hex>        packs, named by the sha256 of the whole file (pack-format.ts)
 *   index/<64 hex>               index files, named by the sha256 of their bytes (index-format.ts)
 *   backups/<id>.json            refs: small JSON documents naming root records
 *   locks/<id>.json              locks (repo-locks.ts)
 *
 * Names read back from a listing are parsed here and anything else is ignored (temp files of cut
 * uploads, stray files), so a hostile repository cannot smuggle a path through a file name.
 */
import { randomBytes } from 'node:crypto';
import { digestFromHex, hexOf, isDigest, type Digest } from '../core/digest.js';
import { InvalidInputError, UsageError } from '../core/errors.js';
import { parseStrictJson } from '../core/strict-json.js';

export const CONFIG_FILE = 'config.json';
export const DATA_DIR = 'data';
export const INDEX_DIR = 'index';
export const REFS_DIR = 'backups';
export const LOCKS_DIR = 'locks';
export const REPOSITORY_VERSION = 1;

export interface RepoConfig {
  format: 'lifeboat-repository';
  version: number;
  /** Random, 64 hex: tells repositories apart (caches, messages). */
  id: string;
  created: string;
}

export function newConfig(now = new Date()): RepoConfig {
  return { format: 'lifeboat-repository', version: REPOSITORY_VERSION, id: randomBytes(32).toString('hex'), created: now.toISOString() };
}

export function parseConfig(bytes: Uint8Array): RepoConfig {
  const v = parseStrictJson(bytes, 'repository config.json') as Partial<RepoConfig> | null;
  const bad = (why: string) => new InvalidInputError(`repository config.json is invalid: ${why}`, { code: 'BAD_REPOSITORY_CONFIG' });
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad('not an object');
  if (v.format !== 'lifeboat-repository') throw bad('this is not a Lifeboat repository');
  if (typeof v.version !== 'number' || !Number.isInteger(v.version)) throw bad('no version');
  if (v.version > REPOSITORY_VERSION) {
    throw new InvalidInputError(`the repository has format version ${v.version}; this Lifeboat reads up to ${REPOSITORY_VERSION}`, { code: 'REPOSITORY_TOO_NEW', hint: 'upgrade Lifeboat' });
  }
  if (typeof v.id !== 'string' || !/^[0-9a-f]{64}$/.test(v.id)) throw bad('bad id');
  if (typeof v.created !== 'string' || Number.isNaN(Date.parse(v.created))) throw bad('bad created time');
  return { format: v.format, version: v.version, id: v.id, created: v.created };
}

export function packName(pack: Digest): string {
  const hex = hexOf(pack);
  return `${DATA_DIR}/${hex.slice(0, 2)}/${hex}`;
}

export function indexName(file: Digest): string {
  return `${INDEX_DIR}/${hexOf(file)}`;
}

/** The pack a listed name is, or undefined for anything else (temp files, strays). */
export function parsePackName(name: string): Digest | undefined {
  const m = /^data\/([0-9a-f]{2})\/([0-9a-f]{64})$/.exec(name);
  return m && m[2]!.startsWith(m[1]!) ? digestFromHex(m[2]!) : undefined;
}

export function parseIndexName(name: string): Digest | undefined {
  const m = /^index\/([0-9a-f]{64})$/.exec(name);
  return m ? digestFromHex(m[1]!) : undefined;
}

const REF_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** Checks a ref id (a backup id): letters, digits, `_ . -`, not starting with a dot, at most 128. */
export function checkRefId(id: string): string {
  if (!REF_ID.test(id)) throw new UsageError(`invalid backup ref id ${JSON.stringify(id)}`, { hint: 'ids are 1-128 characters of A-Z a-z 0-9 _ . - and start with a letter or digit' });
  return id;
}

export function refName(id: string): string {
  return `${REFS_DIR}/${checkRefId(id)}.json`;
}

export function parseRefName(name: string): string | undefined {
  const m = /^backups\/([A-Za-z0-9][A-Za-z0-9_.-]{0,127})\.json$/.exec(name);
  return m?.[1];
}

export function lockName(id: string): string {
  return `${LOCKS_DIR}/${id}.json`;
}

export function parseLockName(name: string): string | undefined {
  return /^locks\/([0-9a-f]{32})\.json$/.exec(name)?.[1];
}

/** Validates a digest read from the repository before it is used anywhere (a path, a lookup). */
export function repoDigest(value: unknown, what: string): Digest {
  if (!isDigest(value)) throw new InvalidInputError(`${what}: invalid digest ${JSON.stringify(value)}`, { code: 'INVALID_DIGEST' });
  return value;
}
