/**
 * The backup record: one container, whole, as ONE blob (media type LifeboatBackup) that names
 * everything else by digest, so a backup's closure is "this record and what it points at":
 *
 *   backup record ─┬─ image manifest → config, layers                (the image it ran)
 *                  ├─ writable layer (an uncompressed layer tar)     (what the container changed)
 *                  ├─ volume snapshot record per named volume → trees → chunks
 *                  └─ bind snapshot records (with --include-binds)  → trees → chunks
 *
 * plus the container's config (everything needed to create it again), host, time, tags and stats.
 * The repository ref (backups/<id>.json, id = the record's hex digest) is a small summary of the
 * record, so `backups` lists without reading packs. Pure codec: records read back from a
 * repository are untrusted and validated field by field (paths, names, digests, sizes).
 */
import { posix } from 'node:path';
import { isDigest, type Digest } from '../core/digest.js';
import { InvalidInputError } from '../core/errors.js';
import { MediaType } from '../core/media-types.js';
import type { Descriptor } from '../core/oci.js';
import { parseStrictJson } from '../core/strict-json.js';

export interface BackupPort {
  hostIp: string;
  hostPort: string;
  containerPort: string;
  protocol: 'tcp' | 'udp' | 'sctp';
}

export interface BackupHealth {
  test: string[];
  intervalMs: number;
  timeoutMs: number;
  startPeriodMs: number;
  retries: number;
}

export interface BackupMount {
  type: 'volume' | 'bind';
  /** Volume name, or the host path of a bind. */
  source: string;
  target: string;
  readOnly: boolean;
  anonymous?: boolean;
}

/** What `create` needs to make the container again (the runtime's ContainerRecord, minus host state). */
export interface BackupContainer {
  id: string;
  name: string;
  created: string;
  /** The image as the user named it. */
  image: string;
  imageId: Digest;
  entrypoint: string[];
  cmd: string[];
  process: { args: string[]; env: string[]; cwd: string; user: string };
  hostname: string;
  network: 'none' | 'host';
  ports: BackupPort[];
  labels: Record<string, string>;
  restartPolicy: { name: 'no' | 'on-failure' | 'always' | 'unless-stopped'; maxRetries: number };
  stopSignal: string;
  stopTimeout: number;
  healthcheck?: BackupHealth;
  openStdin: boolean;
  tty: boolean;
  mounts: BackupMount[];
}

export interface BackupVolume {
  name: string;
  target: string;
  anonymous: boolean;
  snapshot: Descriptor;
  files: number;
  bytes: number;
}

export interface BackupBind {
  source: string;
  target: string;
  readOnly: boolean;
  /** With --include-binds: the bind's data as a snapshot record (volume = "bind:<source>"). */
  snapshot?: Descriptor;
  files?: number;
  bytes?: number;
}

export interface BackupStats {
  /** Logical bytes: image (as stored) + writable layer + volume and bind files. */
  bytes: number;
  /** Decoded bytes of blobs this backup added to the repository (what it did not have; the record itself aside). */
  addedBytes: number;
  /** Bytes that went over the wire for them (packs, compressed). */
  sentBytes: number;
  /** Files read unchanged from the parent snapshots, and files in all. */
  unchangedFiles: number;
  files: number;
  /** How long the container was held (paused or stopped). */
  heldMs: number;
  durationMs: number;
}

export interface BackupRecord {
  schemaVersion: 1;
  mediaType: typeof MediaType.LifeboatBackup;
  created: string;
  hostname: string;
  tags: string[];
  consistency: 'pause' | 'stop' | 'none';
  container: BackupContainer;
  image: { manifest: Descriptor; names: string[] };
  /** Absent when the container changed nothing in its root filesystem. */
  writableLayer?: { layer: Descriptor; diffId: Digest; entries: number; full?: boolean };
  volumes: BackupVolume[];
  binds: BackupBind[];
  stats: BackupStats;
}

/** The ref document: a summary of the record for listings; `backup` names the record. */
export interface BackupRef {
  backup: Descriptor;
  container: string;
  containerId: string;
  image: string;
  created: string;
  hostname: string;
  tags: string[];
  volumes: string[];
  stats: BackupStats;
}

export function encodeBackupRecord(r: BackupRecord): Buffer {
  return Buffer.from(JSON.stringify(r, null, 1));
}

/** The blobs a record names (its edges for GC, push, pull and prune). */
export function backupChildren(r: BackupRecord): Descriptor[] {
  return [
    r.image.manifest,
    ...(r.writableLayer ? [r.writableLayer.layer] : []),
    ...r.volumes.map((v) => v.snapshot),
    ...r.binds.flatMap((b) => (b.snapshot ? [b.snapshot] : [])),
  ];
}

export function refOf(desc: Descriptor, r: BackupRecord): BackupRef {
  return {
    backup: desc,
    container: r.container.name,
    containerId: r.container.id,
    image: r.container.image,
    created: r.created,
    hostname: r.hostname,
    tags: r.tags,
    volumes: r.volumes.map((v) => v.name),
    stats: r.stats,
  };
}

function bad(what: string, detail: string): never {
  throw new InvalidInputError(`invalid ${what}: ${detail}`, { code: 'BAD_BACKUP', hint: 'the repository holds a record this Lifeboat cannot trust; run `lifeboat repo check`' });
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string' && !v.includes('\0');
const strs = (v: unknown): v is string[] => Array.isArray(v) && v.every(isStr);
const nonNeg = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const strMap = (v: unknown): v is Record<string, string> => isObj(v) && Object.values(v).every(isStr);

function descriptor(v: unknown, type: string | ((t: string) => boolean), what: string): Descriptor {
  const d = v as Partial<Descriptor>;
  const typeOk = typeof type === 'string' ? d?.mediaType === type : typeof d?.mediaType === 'string' && type(d.mediaType);
  if (!isObj(v) || !typeOk || !isDigest(d.digest) || !nonNeg(d.size)) bad(what, 'bad descriptor');
  return v as unknown as Descriptor;
}

/** An absolute, normalized path that is not "/" (mount targets, bind sources). */
export function isMountPath(p: unknown): p is string {
  return isStr(p) && p.startsWith('/') && p !== '/' && posix.normalize(p) === p && !p.endsWith('/');
}

function checkContainer(c: BackupContainer, what: string): void {
  if (!isObj(c)) bad(what, 'no container');
  if (!isStr(c.id) || !isStr(c.name) || !isStr(c.image) || !isDigest(c.imageId) || !isStr(c.hostname)) bad(what, 'container id, name, image or hostname');
  if (!strs(c.entrypoint) || !strs(c.cmd) || !isObj(c.process) || !strs(c.process.args) || !strs(c.process.env) || !isStr(c.process.cwd) || !c.process.cwd.startsWith('/') || !isStr(c.process.user)) bad(what, 'container process');
  if (c.network !== 'none' && c.network !== 'host') bad(what, `network ${JSON.stringify(c.network)}`);
  if (!Array.isArray(c.ports) || !c.ports.every((p) => isObj(p) && isStr(p.hostIp) && isStr(p.hostPort) && isStr(p.containerPort) && ['tcp', 'udp', 'sctp'].includes(p.protocol))) bad(what, 'ports');
  if (!strMap(c.labels)) bad(what, 'labels');
  if (!isObj(c.restartPolicy) || !['no', 'on-failure', 'always', 'unless-stopped'].includes(c.restartPolicy.name) || !nonNeg(c.restartPolicy.maxRetries)) bad(what, 'restart policy');
  if (!isStr(c.stopSignal) || !nonNeg(c.stopTimeout) || typeof c.openStdin !== 'boolean' || typeof c.tty !== 'boolean') bad(what, 'stop signal, timeout or stdio');
  const h = c.healthcheck;
  if (h !== undefined && (!isObj(h) || !strs(h.test) || h.test.length === 0 || ![h.intervalMs, h.timeoutMs, h.startPeriodMs, h.retries].every(nonNeg))) bad(what, 'health check');
  if (!Array.isArray(c.mounts)) bad(what, 'mounts');
  for (const m of c.mounts) {
    if (!isObj(m) || (m.type !== 'volume' && m.type !== 'bind') || !isStr(m.source) || !isMountPath(m.target) || typeof m.readOnly !== 'boolean') bad(what, `mount ${JSON.stringify(m?.target)}`);
    if (m.type === 'bind' && !isMountPath(m.source)) bad(what, `bind source ${JSON.stringify(m.source)}`);
  }
}

function checkStats(s: BackupStats, what: string): void {
  if (!isObj(s) || ![s.bytes, s.addedBytes, s.sentBytes, s.unchangedFiles, s.files, s.heldMs, s.durationMs].every(nonNeg)) bad(what, 'stats');
}

/** Parses and validates a backup record read from a repository (or the store). */
export function parseBackupRecord(bytes: Uint8Array, what = 'backup record'): BackupRecord {
  const r = parseStrictJson(bytes, what) as BackupRecord;
  if (!isObj(r) || r.schemaVersion !== 1 || r.mediaType !== MediaType.LifeboatBackup) bad(what, 'not a backup record');
  if (!isStr(r.created) || Number.isNaN(Date.parse(r.created)) || !isStr(r.hostname) || !strs(r.tags)) bad(what, 'created, hostname or tags');
  if (!['pause', 'stop', 'none'].includes(r.consistency)) bad(what, 'consistency');
  checkContainer(r.container, what);
  if (!isObj(r.image) || !strs(r.image.names)) bad(what, 'image');
  descriptor(r.image.manifest, (t) => t === MediaType.OciManifest || t === MediaType.DockerManifest, `${what} image manifest`);
  const w = r.writableLayer;
  if (w !== undefined) {
    if (!isObj(w) || !isDigest(w.diffId) || !nonNeg(w.entries)) bad(what, 'writable layer');
    descriptor(w.layer, (t) => t === MediaType.OciLayer || t === MediaType.DockerLayer, `${what} writable layer`);
  }
  if (!Array.isArray(r.volumes) || !Array.isArray(r.binds)) bad(what, 'volumes or binds');
  for (const v of r.volumes) {
    if (!isObj(v) || !isStr(v.name) || !isMountPath(v.target) || typeof v.anonymous !== 'boolean' || !nonNeg(v.files) || !nonNeg(v.bytes)) bad(what, 'volume entry');
    descriptor(v.snapshot, MediaType.LifeboatVolumeSnapshot, `${what} volume ${v.name}`);
  }
  for (const b of r.binds) {
    if (!isObj(b) || !isMountPath(b.source) || !isMountPath(b.target) || typeof b.readOnly !== 'boolean') bad(what, 'bind entry');
    if (b.snapshot !== undefined) descriptor(b.snapshot, MediaType.LifeboatVolumeSnapshot, `${what} bind ${b.source}`);
  }
  checkStats(r.stats, what);
  return r;
}

/** Parses a ref document; its id must be the hex of the record digest it names. */
export function parseBackupRef(doc: unknown, id: string): BackupRef {
  const what = `backup ref ${id}`;
  const r = doc as BackupRef;
  if (!isObj(r)) bad(what, 'not an object');
  const d = descriptor(r.backup, MediaType.LifeboatBackup, what);
  if (d.digest !== `sha256:${id}`) bad(what, 'its file name is not the digest of the record it names');
  if (!isStr(r.container) || !isStr(r.containerId) || !isStr(r.image) || !isStr(r.created) || !isStr(r.hostname) || !strs(r.tags) || !strs(r.volumes)) bad(what, 'fields');
  checkStats(r.stats, what);
  return r;
}

/** The ref id of a record: its hex digest (so a backup ID is checkable, and prefixes work as for images). */
export function backupIdOf(record: Digest): string {
  return record.slice('sha256:'.length);
}
