/**
 * Files the runtime owns in a container's directory: /etc/hostname, /etc/hosts and
 * /etc/resolv.conf (bind-mounted over the container's), and the init layer: a read-only overlay
 * lower above the image holding the mountpoints the start script needs (/proc, /sys, /dev and the
 * three /etc files). Because they exist below the upper dir, mounting onto them never creates
 * anything in upper/, so commit sees only what the container itself changed (Docker's "-init" layer).
 * Plus the template of /dev (copied into the container's /dev tmpfs at every start).
 */
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContainerPaths } from './container-record.js';

const LOCAL_HOSTS = [
  '127.0.0.1\tlocalhost',
  '::1\tlocalhost ip6-localhost ip6-loopback',
  'fe00::0\tip6-localnet',
  'ff00::0\tip6-mcastprefix',
  'ff02::1\tip6-allnodes',
  'ff02::2\tip6-allrouters',
];

/** /etc/hosts: the host's for --network host; localhost entries (plus the hostname) otherwise. */
export function hostsFile(network: 'none' | 'host', hostname: string, hostHosts: string): string {
  if (network === 'host') return hostHosts;
  return [...LOCAL_HOSTS, `127.0.0.1\t${hostname}`].join('\n') + '\n';
}

/** /etc/resolv.conf: the host's, or a comment when the host has none. */
export function resolvConf(hostResolv: string | undefined): string {
  return hostResolv ?? '# no resolv.conf on the host\n';
}

export async function writeContainerFiles(paths: ContainerPaths, opts: { hostname: string; network: 'none' | 'host' }): Promise<void> {
  const hostHosts = await readFile('/etc/hosts', 'utf8').catch(() => LOCAL_HOSTS.join('\n') + '\n');
  const hostResolv = await readFile('/etc/resolv.conf', 'utf8').catch(() => undefined);
  await writeFile(paths.hostname, `${opts.hostname}\n`, { mode: 0o644 });
  await writeFile(paths.hosts, hostsFile(opts.network, opts.hostname, hostHosts), { mode: 0o644 });
  await writeFile(paths.resolvConf, resolvConf(hostResolv), { mode: 0o644 });
  for (const d of ['proc', 'sys', 'dev', 'etc']) await mkdir(join(paths.init, d), { recursive: true, mode: 0o755 });
  for (const f of ['hostname', 'hosts', 'resolv.conf']) await writeFile(join(paths.init, 'etc', f), '', { mode: 0o644 });
  await writeDevTemplate(paths.devTemplate);
}

/** The starting content of /dev: mountpoints for the host's devices, and the usual symlinks. */
export async function writeDevTemplate(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o755 });
  for (const d of ['pts', 'shm', 'mqueue']) await mkdir(join(dir, d), { mode: 0o755 });
  for (const f of DEVICES) await writeFile(join(dir, f), '', { mode: 0o666 });
  for (const [name, target] of DEV_LINKS) await symlink(target, join(dir, name));
}

export const DEVICES = ['null', 'zero', 'full', 'random', 'urandom', 'tty'];
const DEV_LINKS: Array<[string, string]> = [
  ['fd', '/proc/self/fd'],
  ['stdin', '/proc/self/fd/0'],
  ['stdout', '/proc/self/fd/1'],
  ['stderr', '/proc/self/fd/2'],
  ['ptmx', 'pts/ptmx'],
];
