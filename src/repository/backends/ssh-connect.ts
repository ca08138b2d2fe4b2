/**
 * Opening an SSH connection the way a careful `ssh` does, and saying clearly why it failed.
 *
 * - Identity: `-i FILE` alone when given; otherwise the agent at SSH_AUTH_SOCK and the first of
 *   ~/.ssh/id_ed25519, id_ecdsa, id_rsa that exists. Passphrase-protected files are refused with a
 *   hint to load them into the agent (Lifeboat never asks for or stores a passphrase).
 * - Host key: checked against known_hosts (backends/known-hosts.ts). An unknown host is refused
 *   (AuthError HOST_KEY_UNKNOWN) unless `acceptNewHostKey`, which appends it; a changed or revoked
 *   key is always refused (HOST_KEY_CHANGED / HOST_KEY_REVOKED). The handshake asks first for the
 *   key types known_hosts holds for the host, so a host with several keys is matched on one we know.
 * - Failures: connection-level ones become UnreachableError naming host:port; refused keys become
 *   AuthError AUTH_FAILED. Messages name the user, host, port and key files, never key material.
 */
import { readFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ConnectConfig, ServerHostKeyAlgorithm } from 'ssh2';
import { AuthError, UnreachableError, UsageError, isErrno } from '../../core/errors.js';
import { appendKnownHost, fingerprint, hostToken, knownKeyTypes, readKnownHosts, verdict, type HostKeyVerdict } from './known-hosts.js';

export interface SshOptions {
  /** Private key file (`-i`). */
  identity?: string;
  /** known_hosts file; default ~/.ssh/known_hosts. */
  knownHosts?: string;
  /** Trust and record a host seen for the first time. */
  acceptNewHostKey?: boolean;
  /** Handshake deadline. Default 20 s. */
  readyTimeoutMs?: number;
  /** Keepalive probe interval; the link counts as dead after keepaliveCountMax unanswered. Default 5 s × 3. */
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
}

export interface SshTarget {
  user: string;
  host: string;
  port: number;
}

/** What the host-key check saw during the last handshake (the verifier cannot throw through ssh2). */
export interface HostCheck {
  verdict?: HostKeyVerdict;
  fingerprint?: string;
  accepted?: boolean;
}

const KEY_TYPE_ALGORITHMS: Record<string, ServerHostKeyAlgorithm[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};

export function knownHostsPath(opts: SshOptions): string {
  return opts.knownHosts ?? join(homedir(), '.ssh', 'known_hosts');
}

async function identityKey(opts: SshOptions): Promise<{ privateKey?: Buffer; agent?: string }> {
  if (opts.identity) {
    try {
      return { privateKey: await readFile(opts.identity) };
    } catch (err) {
      throw new UsageError(`cannot read identity file ${opts.identity}: ${(err as Error).message}`);
    }
  }
  const out: { privateKey?: Buffer; agent?: string } = {};
  if (process.env.SSH_AUTH_SOCK) out.agent = process.env.SSH_AUTH_SOCK;
  for (const name of ['id_ed25519', 'id_ecdsa', 'id_rsa']) {
    try {
      out.privateKey = await readFile(join(homedir(), '.ssh', name));
      break;
    } catch (err) {
      if (!isErrno(err, 'ENOENT', 'EACCES')) throw err;
    }
  }
  return out;
}

/**
 * The TCP connection, opened here rather than by ssh2 so Nagle can be turned off: SFTP is
 * request/response, and with Nagle plus delayed ACKs every round trip waits ~40 ms.
 */
export function openSocket(target: SshTarget, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: target.host, port: target.port });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' }));
    }, timeoutMs);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.setNoDelay(true);
      resolve(sock);
    });
    sock.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** The ssh2 configuration for `target`; `check` records what the host-key verifier decided. */
export async function sshConfig(target: SshTarget, opts: SshOptions, check: HostCheck): Promise<ConnectConfig> {
  const file = knownHostsPath(opts);
  const token = hostToken(target.host, target.port);
  const entries = await readKnownHosts(file);
  const preferred = knownKeyTypes(entries, token).flatMap((t) => KEY_TYPE_ALGORITHMS[t] ?? []);
  const auth = await identityKey(opts);
  if (!auth.privateKey && !auth.agent) {
    throw new AuthError(`no SSH key to log in to ${target.host} with`, { code: 'NO_IDENTITY', hint: 'pass -i KEYFILE, or start ssh-agent and add a key' });
  }
  const sock = await openSocket(target, opts.readyTimeoutMs ?? 20_000);
  return {
    sock,
    host: target.host,
    port: target.port,
    username: target.user,
    ...auth,
    readyTimeout: opts.readyTimeoutMs ?? 20_000,
    keepaliveInterval: opts.keepaliveIntervalMs ?? 5_000,
    keepaliveCountMax: opts.keepaliveCountMax ?? 3,
    algorithms: {
      cipher: { prepend: ['aes128-gcm@openssh.com'], append: [], remove: [] },
      ...(preferred.length ? { serverHostKey: { prepend: preferred, append: [], remove: [] } } : {}),
    },
    hostVerifier: (key: Buffer, verify: (valid: boolean) => void) => {
      check.fingerprint = fingerprint(key);
      check.verdict = verdict(entries, token, key);
      if (check.verdict === 'trusted') return verify(true);
      if (check.verdict === 'unknown' && opts.acceptNewHostKey) {
        appendKnownHost(file, token, key).then(
          () => {
            check.accepted = true;
            verify(true);
          },
          () => verify(false),
        );
        return;
      }
      verify(false);
    },
  };
}

interface Ssh2Error extends Error {
  level?: string;
  code?: string;
}

/** Turns whatever a failed connect produced into the error the user should see. */
export function connectError(err: unknown, target: SshTarget, check: HostCheck, opts: SshOptions): Error {
  const where = `${target.host}:${target.port}`;
  const file = knownHostsPath(opts);
  const fp = check.fingerprint ?? 'unknown';
  const data = { host: target.host, port: target.port, fingerprint: fp };
  switch (check.verdict) {
    case 'unknown':
      if (check.accepted) break;
      return new AuthError(`the host key of ${where} is not in ${file} (fingerprint ${fp})`, {
        code: 'HOST_KEY_UNKNOWN',
        data,
        hint: 'check the fingerprint with the host owner, then run again with --accept-new-host-key (or add it with ssh-keyscan)',
      });
    case 'changed':
      return new AuthError(`the host key of ${where} has CHANGED (now ${fp}); it does not match ${file}`, {
        code: 'HOST_KEY_CHANGED',
        data,
        hint: 'someone may be intercepting the connection, or the host was reinstalled; if you are sure, remove the old key with ssh-keygen -R and connect again',
      });
    case 'revoked':
      return new AuthError(`the host key of ${where} (${fp}) is marked @revoked in ${file}`, { code: 'HOST_KEY_REVOKED', data });
    default:
      break;
  }
  const e = err as Ssh2Error;
  const message = e instanceof Error ? e.message : String(err);
  if (e?.level === 'client-authentication') {
    return new AuthError(`permission denied logging in as ${target.user} at ${where} (the server refused every key offered)`, {
      code: 'AUTH_FAILED',
      data: { host: target.host, port: target.port, user: target.user },
      hint: opts.identity ? `is the public key of ${opts.identity} in ~${target.user}/.ssh/authorized_keys there?` : 'pass -i KEYFILE, or add the key to ssh-agent',
    });
  }
  if (/encrypted private (openssh )?key|passphrase/i.test(message)) {
    return new AuthError(`the identity file ${opts.identity ?? ''} is protected by a passphrase`, { code: 'KEY_ENCRYPTED', hint: 'add it to ssh-agent (ssh-add FILE) and leave out -i' });
  }
  if (/cannot parse privatekey|unsupported key format/i.test(message)) {
    return new AuthError(`the identity file ${opts.identity ?? ''} is not a private key Lifeboat can read`, { code: 'BAD_IDENTITY' });
  }
  const reason = e?.level === 'client-timeout' ? 'timed out' : (e?.code ?? message);
  return new UnreachableError(`cannot reach ${where}: ${reason}`, { cause: err, data: { host: target.host, port: target.port }, hint: 'is the host up and sshd listening on that port?' });
}
