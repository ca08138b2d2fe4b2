/**
 * OpenSSH known_hosts, read the way `ssh` reads it, so Lifeboat trusts exactly the hosts the user's
 * own ssh trusts:
 *
 *   host1,host2 ssh-ed25519 AAAA…            plain patterns (`*` and `?` wildcards, `!` negates)
 *   [host]:2222 ssh-ed25519 AAAA…            a non-default port
 *   |1|<base64 salt>|<base64 hmac> ssh-…     hashed (HashKnownHosts): HMAC-SHA1(salt, "host" or "[host]:port")
 *   @revoked * ssh-rsa AAAA…                 a key never to accept, for any host it matches
 *   @cert-authority …                        CA lines: Lifeboat does not do certificates; skipped
 *
 * `verdict` answers: trusted (some entry for the host has the presented key), revoked, changed
 * (entries for the host exist, none has this key), or unknown (no entry for the host). The caller
 * decides what to do with unknown (refuse, or append with --accept-new-host-key); changed is always
 * refused. Keys are compared as raw SSH wire blobs, so key type names never confuse the match.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isErrno } from '../../core/errors.js';

export interface KnownHostEntry {
  marker?: 'revoked' | 'cert-authority';
  /** Either plain comma-separated patterns or one hashed `|1|salt|hash` token. */
  hosts: string;
  keyType: string;
  key: Buffer;
}

export type HostKeyVerdict = 'trusted' | 'unknown' | 'changed' | 'revoked';

/** The name known_hosts uses for a host and port: `host`, or `[host]:port` when the port is not 22. */
export function hostToken(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

export function parseKnownHosts(text: string): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0] === '@revoked' || fields[0] === '@cert-authority') marker = fields.shift()!.slice(1) as KnownHostEntry['marker'];
    const [hosts, keyType, b64] = fields;
    if (!hosts || !keyType || !b64 || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) continue;
    out.push({ ...(marker ? { marker } : {}), hosts, keyType, key: Buffer.from(b64, 'base64') });
  }
  return out;
}

function globToRegExp(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

/** Whether an entry's host field names `token` (`host` or `[host]:port`). */
export function hostsMatch(hosts: string, token: string): boolean {
  if (hosts.startsWith('|1|')) {
    const [, , salt, hash] = hosts.split('|');
    if (!salt || !hash) return false;
    const mac = createHmac('sha1', Buffer.from(salt, 'base64')).update(token).digest();
    const want = Buffer.from(hash, 'base64');
    return want.length === mac.length && timingSafeEqual(want, mac);
  }
  let matched = false;
  for (const p of hosts.split(',')) {
    const negated = p.startsWith('!');
    if (globToRegExp(negated ? p.slice(1) : p).test(token)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

/** The key type named inside an SSH public key blob (its first wire-format string). */
export function keyTypeOf(blob: Buffer): string {
  if (blob.length < 4) return '';
  const n = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + n).toString('latin1');
}

export function verdict(entries: KnownHostEntry[], token: string, key: Buffer): HostKeyVerdict {
  const mine = entries.filter((e) => e.marker !== 'cert-authority' && hostsMatch(e.hosts, token));
  if (mine.some((e) => e.marker === 'revoked' && e.key.equals(key))) return 'revoked';
  const plain = mine.filter((e) => e.marker === undefined);
  if (plain.some((e) => e.key.equals(key))) return 'trusted';
  return plain.length > 0 ? 'changed' : 'unknown';
}

/** Key types the file already trusts for this host, so the handshake can ask for one of those first. */
export function knownKeyTypes(entries: KnownHostEntry[], token: string): string[] {
  return [...new Set(entries.filter((e) => e.marker === undefined && hostsMatch(e.hosts, token)).map((e) => keyTypeOf(e.key) || e.keyType))];
}

/** `SHA256:<base64>`, the fingerprint `ssh-keygen -l` prints. Public; safe to show. */
export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

export async function readKnownHosts(file: string): Promise<KnownHostEntry[]> {
  try {
    return parseKnownHosts(await readFile(file, 'utf8'));
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return [];
    throw err;
  }
}

/** Appends a plain entry (what `ssh -o StrictHostKeyChecking=accept-new` does), creating the file 0600. */
export async function appendKnownHost(file: string, token: string, key: Buffer): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  let prefix = '';
  try {
    const text = await readFile(file, 'utf8');
    if (text.length > 0 && !text.endsWith('\n')) prefix = '\n';
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
  }
  await appendFile(file, `${prefix}${token} ${keyTypeOf(key)} ${key.toString('base64')}\n`, { mode: 0o600 });
}
