/**
 * The receiving side of a migration, asked before anything moves (`lifeboat receive check` and
 * `lifeboat receive has`, run over SSH by the source): facts about this host and its store that
 * the source's preflight judges (ops/migrate-preflight.ts).
 *
 * Both only READ: no store directory is created, no lock taken, nothing written, so a dry run
 * leaves the target exactly as it was (a store root that does not exist yet is reported as such,
 * with the free space of the filesystem it would be made on).
 *
 *   facts   architecture, the store root, free bytes on its filesystem, this host's clock (the
 *           rollback removes only what was made after it), whether the container name and the
 *           volume names are taken, which ports are busy (a bind attempt: only asked for
 *           containers on the host network), which bind host paths are missing
 *   has     which of the given blob digests the store holds (a file of the right name; the
 *           restore verifies what it uses)
 */
import { createSocket } from 'node:dgram';
import { statfs, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { hexOf, isDigest, type Digest } from '../core/digest.js';
import { storeLayout } from '../core/layout.js';
import { hostPlatform } from '../core/oci.js';
import type { PortMapping } from '../runtime/container-record.js';
import { ContainerStore } from '../runtime/container-store.js';
import { VolumeStore } from '../volumes/volume-store.js';

/** Bumped when the commands a migration runs on the target change incompatibly. */
export const RECEIVE_PROTOCOL = 1;

export interface ReceiveQuery {
  container: string;
  volumes: string[];
  /** Ports the container binds on the host (host network only). */
  ports: PortMapping[];
  /** Host paths of bind mounts: they must exist on the target. */
  paths: string[];
}

export interface ReceiveFacts {
  protocol: number;
  root: string;
  storeExists: boolean;
  architecture: string;
  os: string;
  /** This host's clock when asked (ISO). */
  now: string;
  /** Bytes available to this user on the store's filesystem. */
  freeBytes: number;
  containerExists: boolean;
  volumesExisting: string[];
  portsBusy: string[];
  pathsMissing: string[];
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

/** Available bytes on the filesystem that holds `path` (or would: the nearest existing parent). */
export async function freeBytesAt(path: string): Promise<number> {
  for (let p = path; ; p = dirname(p)) {
    const s = await statfs(p).catch(() => undefined);
    if (s) return s.bavail * s.bsize;
    if (dirname(p) === p) return 0;
  }
}

function tcpFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

function udpFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    s.once('error', () => {
      s.close();
      resolve(false);
    });
    s.bind({ port, address: host, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

/** Each port of a mapping ("8000" or "8000-8003"), as the host network sees it. */
function portsOf(p: PortMapping): number[] {
  const [from, to] = p.containerPort.split('-').map(Number);
  const out: number[] = [];
  for (let n = from!; n <= (to ?? from!) && out.length < 1024; n++) out.push(n);
  return out;
}

async function busyPorts(ports: PortMapping[]): Promise<string[]> {
  const busy: string[] = [];
  for (const p of ports) {
    if (p.protocol === 'sctp') continue; // Node cannot bind SCTP: not checked
    const host = p.hostIp || '0.0.0.0';
    for (const n of portsOf(p)) {
      const free = p.protocol === 'udp' ? await udpFree(n, host) : await tcpFree(n, host);
      if (!free) busy.push(`${n}/${p.protocol}`);
    }
  }
  return busy;
}

export async function receiveFacts(root: string, q: ReceiveQuery): Promise<ReceiveFacts> {
  const layout = storeLayout(root);
  const storeExists = await exists(join(root, 'oci-layout'));
  const containers = storeExists ? await new ContainerStore(root).list().catch(() => []) : [];
  const volumes = new VolumeStore(root);
  const volumesExisting: string[] = [];
  for (const v of q.volumes) if (storeExists && (await volumes.exists(v))) volumesExisting.push(v);
  const pathsMissing: string[] = [];
  for (const p of q.paths) if (!(await exists(p))) pathsMissing.push(p);
  const platform = hostPlatform();
  return {
    protocol: RECEIVE_PROTOCOL,
    root: layout.root,
    storeExists,
    architecture: platform.architecture,
    os: platform.os,
    now: new Date().toISOString(),
    freeBytes: await freeBytesAt(root),
    containerExists: containers.some((c) => c.name === q.container),
    volumesExisting,
    portsBusy: await busyPorts(q.ports),
    pathsMissing,
  };
}

/** The digests (of `wanted`) whose blob files the store at `root` holds. */
export async function receiveHas(root: string, wanted: Iterable<string>): Promise<Digest[]> {
  const blobs = storeLayout(root).blobs;
  const out: Digest[] = [];
  for (const w of new Set(wanted)) {
    if (!isDigest(w)) continue;
    if (await exists(join(blobs, hexOf(w)))) out.push(w);
  }
  return out;
}
