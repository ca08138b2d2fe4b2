/**
 * A real OpenSSH sshd for tests, on 127.0.0.1 (or inside a network namespace): its own ed25519 host
 * key and client key in a temp dir, its own sshd_config (key-only auth, `Subsystem sftp
 * internal-sftp`, StrictModes no because the keys live in /tmp, UsePAM no, quick dead-client
 * detection), run as `/usr/sbin/sshd -D -f cfg -E log` with stdio to /dev/null (an inherited pipe
 * would keep the test runner waiting), on a free port, and stopped BY PID in after(). It stays a
 * child of the test process, so it is reaped at once (PID 1 here reaps orphans lazily).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, copyFileSync, chmodSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { tempDir } from './tmp.js';

export const SSHD = '/usr/sbin/sshd';

export interface Sshd {
  pid: number;
  host: string;
  port: number;
  user: string;
  dir: string;
  /** Client private key that the server accepts. */
  key: string;
  /** A known_hosts file that trusts this server's host key. */
  knownHosts: string;
  /** The host key's known_hosts line. */
  hostKeyLine: string;
  url(path: string): string;
  stop(): Promise<void>;
}

export interface SshdOptions {
  /** Address to listen on (default 127.0.0.1). */
  listen?: string;
  /** Run inside this network namespace (`ip netns exec`); the port is then picked at random. */
  netns?: string;
}

function keygen(file: string): void {
  const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', file], { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`ssh-keygen failed for ${file}`);
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect({ host, port });
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

export async function startSshd(t: { after: (fn: () => unknown) => void }, opts: SshdOptions = {}): Promise<Sshd> {
  const dir = await tempDir(t, 'lb-sshd-');
  const host = opts.listen ?? '127.0.0.1';
  const port = opts.netns ? 20000 + Math.floor(Math.random() * 20000) : await freePort(host);
  const user = userInfo().username;
  keygen(join(dir, 'host_key'));
  keygen(join(dir, 'client_key'));
  copyFileSync(join(dir, 'client_key.pub'), join(dir, 'authorized_keys'));
  chmodSync(join(dir, 'authorized_keys'), 0o600);
  if (process.getuid?.() === 0) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const cfg = join(dir, 'sshd_config');
  writeFileSync(
    cfg,
    [
      `Port ${port}`,
      `ListenAddress ${host}`,
      `HostKey ${join(dir, 'host_key')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password',
      `AllowUsers ${user}`,
      'StrictModes no',
      'UsePAM no',
      'Subsystem sftp internal-sftp',
      'ClientAliveInterval 5',
      'ClientAliveCountMax 2',
      'MaxStartups 100',
      'LogLevel ERROR',
      '',
    ].join('\n'),
  );
  const check = spawnSync(SSHD, ['-t', '-f', cfg], { encoding: 'utf8' });
  if (check.status !== 0) {
    const hint = /Privilege separation user/.test(check.stderr) ? ' (the openssh-server package normally creates it: adduser --system --no-create-home --home /run/sshd --shell /usr/sbin/nologin sshd)' : '';
    throw new Error(`sshd -t refused the config: ${check.stderr.trim()}${hint}`);
  }
  const argv = [SSHD, '-D', '-f', cfg, '-E', join(dir, 'sshd.log')];
  const child: ChildProcess = opts.netns ? spawn('ip', ['netns', 'exec', opts.netns, ...argv], { stdio: 'ignore' }) : spawn(argv[0]!, argv.slice(1), { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(3000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  };
  t.after(stop);
  const up = async () => {
    if (!opts.netns) return canConnect(host, port);
    // never connect to a namespace address from the root namespace: probe from inside
    return spawnSync('ip', ['netns', 'exec', opts.netns, 'bash', '-c', `exec 3<>/dev/tcp/${host}/${port}`], { stdio: 'ignore' }).status === 0;
  };
  for (let i = 0; i < 100 && !(await up()); i++) {
    if (child.exitCode !== null) break;
    await sleep(50);
  }
  if (!(await up())) {
    await stop();
    let log = '';
    try {
      log = readFileSync(join(dir, 'sshd.log'), 'utf8');
    } catch {
      /* no log */
    }
    throw new Error(`sshd did not come up on ${host}:${port}: ${log}`);
  }
  const pub = readFileSync(join(dir, 'host_key.pub'), 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
  const hostKeyLine = `[${host}]:${port} ${pub}`;
  const knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, hostKeyLine + '\n');
  return {
    pid: child.pid!,
    host,
    port,
    user,
    dir,
    key: join(dir, 'client_key'),
    knownHosts,
    hostKeyLine,
    url: (path: string) => `sftp://${user}@${host}:${port}${path.startsWith('/') ? '' : '/'}${path}`,
    stop,
  };
}
