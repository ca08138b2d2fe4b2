/**
 * What a restore will make, decided before anything is touched (pure: tested as tables):
 *
 * - the container's name: --name, else the one it had;
 * - its config: the backup's, with `-p` remaps (a mapping for the same container port and
 *   protocol is replaced, others added) and `--env K=V` overrides (a key replaces the backup's);
 * - volumes: each named volume is restored from its snapshot into the volume of the same name,
 *   or the one `--volume OLD=NEW` gives (OLD is the volume's name or its mount target); an
 *   anonymous volume gets a fresh anonymous name unless remapped;
 * - binds: mounted from the recorded host path (or `--volume /old=/new`); their data is written
 *   into that path only with --include-binds (host paths are the host's, not the backup's).
 *
 * A sandbox (verify) differs: a temporary name, network none, no published ports, restart policy
 * "no", throw-away anonymous volumes for every volume AND every bind (a bind's snapshot, when the
 * backup has one, is restored into its throw-away volume; the host path is never touched).
 */
import { posix } from 'node:path';
import { UsageError } from '../core/errors.js';
import type { Descriptor } from '../core/oci.js';
import { mergeEnv } from '../runtime/process-config.js';
import { parsePort } from '../runtime/run-flags.js';
import { isMountPath, type BackupContainer, type BackupRecord } from './backup-format.js';

export interface RestoreRequest {
  name?: string;
  /** OLD=NEW pairs: OLD a volume name, a mount target or a bind source; NEW a volume name (or a host path for a bind). */
  volumeMap?: string[];
  publish?: string[];
  env?: string[];
  /** Write bind snapshots into their host paths. */
  includeBinds?: boolean;
  /** Restore into a sandbox named with this suffix (verify). */
  sandbox?: string;
}

export interface PlannedVolume {
  name: string;
  anonymous: boolean;
  target: string;
  readOnly: boolean;
  /** The snapshot to restore; absent: an empty volume (a sandboxed bind without data). */
  snapshot?: Descriptor;
}

export interface PlannedBind {
  hostPath: string;
  target: string;
  readOnly: boolean;
  /** Set when the bind's data is restored into hostPath. */
  snapshot?: Descriptor;
}

export interface RestorePlan {
  name: string;
  container: BackupContainer;
  /** In mount order. */
  mounts: Array<{ kind: 'volume'; volume: PlannedVolume } | { kind: 'bind'; bind: PlannedBind }>;
  volumes: PlannedVolume[];
  binds: PlannedBind[];
  sandbox: boolean;
}

export function parseVolumeMap(pairs: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const p of pairs) {
    const eq = p.indexOf('=');
    const from = p.slice(0, eq);
    const to = p.slice(eq + 1);
    if (eq <= 0 || to === '') throw new UsageError(`invalid --volume "${p}": use OLD=NEW (a volume name, or a mount target, = a new volume name)`);
    if (out.has(from)) throw new UsageError(`--volume ${from} is given twice`);
    out.set(from, to);
  }
  return out;
}

function applyPorts(ports: BackupContainer['ports'], publish: readonly string[]): BackupContainer['ports'] {
  const out = [...ports];
  for (const spec of publish) {
    const p = parsePort(spec);
    const i = out.findIndex((q) => q.containerPort === p.containerPort && q.protocol === p.protocol);
    if (i >= 0) out[i] = p;
    else out.push(p);
  }
  return out;
}

export function planRestore(record: BackupRecord, req: RestoreRequest, freshName: () => string): RestorePlan {
  const map = parseVolumeMap(req.volumeMap ?? []);
  const used = new Set<string>();
  const lookup = (...keys: string[]) => {
    for (const k of keys) {
      const v = map.get(k);
      if (v !== undefined) {
        used.add(k);
        return v;
      }
    }
    return undefined;
  };
  for (const e of req.env ?? []) if (!/^[^=\s]+=/.test(e)) throw new UsageError(`invalid --env "${e}": use KEY=VALUE`);
  const c = record.container;
  const sandbox = req.sandbox !== undefined;
  const container: BackupContainer = {
    ...c,
    process: { ...c.process, env: mergeEnv(c.process.env, req.env ?? []) },
    ports: sandbox ? [] : applyPorts(c.ports, req.publish ?? []),
    ...(sandbox ? { network: 'none' as const, restartPolicy: { name: 'no' as const, maxRetries: 0 }, labels: { ...c.labels, 'org.lifeboat.verify': 'sandbox' } } : {}),
  };
  const mounts: RestorePlan['mounts'] = [];
  let n = 0;
  for (const m of c.mounts) {
    if (m.type === 'volume') {
      const backed = record.volumes.find((v) => v.target === m.target);
      const remapped = lookup(m.source, m.target);
      const anonymous = sandbox || (remapped === undefined && !!m.anonymous);
      const name = sandbox ? `${req.sandbox}-${n++}` : (remapped ?? (m.anonymous ? freshName() : m.source));
      mounts.push({ kind: 'volume', volume: { name, anonymous, target: m.target, readOnly: m.readOnly, ...(backed ? { snapshot: backed.snapshot } : {}) } });
      continue;
    }
    const bind = record.binds.find((b) => b.target === m.target);
    if (sandbox) {
      mounts.push({ kind: 'volume', volume: { name: `${req.sandbox}-${n++}`, anonymous: true, target: m.target, readOnly: m.readOnly, ...(bind?.snapshot ? { snapshot: bind.snapshot } : {}) } });
      continue;
    }
    const hostPath = lookup(m.source, m.target) ?? m.source;
    if (!isMountPath(hostPath)) throw new UsageError(`--volume ${m.source}=${hostPath}: a bind needs an absolute host path`);
    mounts.push({ kind: 'bind', bind: { hostPath: posix.normalize(hostPath), target: m.target, readOnly: m.readOnly, ...(req.includeBinds && bind?.snapshot ? { snapshot: bind.snapshot } : {}) } });
  }
  for (const k of map.keys()) if (!used.has(k)) throw new UsageError(`--volume ${k}=...: the backup has no volume, mount target or bind source ${k}`);
  return {
    name: sandbox ? req.sandbox! : (req.name ?? c.name),
    container,
    mounts,
    volumes: mounts.flatMap((m) => (m.kind === 'volume' ? [m.volume] : [])),
    binds: mounts.flatMap((m) => (m.kind === 'bind' ? [m.bind] : [])),
    sandbox,
  };
}
