/**
 * Parsers for the other `create`/`run` flags, pure so they are tested as tables: published ports
 * (recorded only: Lifeboat's containers use network none or host, and a restore on another host
 * needs the mapping), labels, and health checks merged with the image's HEALTHCHECK.
 */
import { UsageError } from '../core/errors.js';
import type { HealthConfig } from '../core/oci.js';
import { parseDuration } from '../core/units.js';
import type { HealthSpec, PortMapping } from './container-record.js';

/** `[ip:][hostPort:]containerPort[/proto]`, as `docker run -p`. */
export function parsePort(spec: string): PortMapping {
  const slash = spec.lastIndexOf('/');
  const proto = slash < 0 ? 'tcp' : spec.slice(slash + 1);
  const body = slash < 0 ? spec : spec.slice(0, slash);
  if (proto !== 'tcp' && proto !== 'udp' && proto !== 'sctp') throw new UsageError(`invalid protocol "${proto}" in port "${spec}"`);
  let hostIp = '';
  let rest = body;
  const bracket = /^\[([^\]]+)\]:(.*)$/.exec(body);
  if (bracket) {
    hostIp = bracket[1]!;
    rest = bracket[2]!;
  }
  const parts = rest.split(':');
  if (!bracket && parts.length === 3) hostIp = parts.shift()!;
  if (parts.length > 2 || parts.length === 0) throw new UsageError(`invalid port mapping "${spec}"`);
  const containerPort = parts[parts.length - 1]!;
  const hostPort = parts.length === 2 ? parts[0]! : '';
  const portOk = (p: string) => /^\d{1,5}(-\d{1,5})?$/.test(p) && p.split('-').every((n) => Number(n) >= 1 && Number(n) <= 65535);
  if (!portOk(containerPort) || (hostPort !== '' && !portOk(hostPort))) throw new UsageError(`invalid port mapping "${spec}"`);
  return { hostIp, hostPort, containerPort, protocol: proto };
}

/** Docker's PORTS column: "0.0.0.0:8080->80/tcp", or "80/tcp" when not published. */
export function formatPort(p: PortMapping): string {
  if (p.hostPort === '') return `${p.containerPort}/${p.protocol}`;
  return `${p.hostIp || '0.0.0.0'}:${p.hostPort}->${p.containerPort}/${p.protocol}`;
}

/** `key=value` or bare `key` (empty value). */
export function parseLabels(entries: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of entries) {
    const eq = e.indexOf('=');
    const key = eq < 0 ? e : e.slice(0, eq);
    if (key === '') throw new UsageError(`invalid label "${e}"`);
    out[key] = eq < 0 ? '' : e.slice(eq + 1);
  }
  return out;
}

export interface HealthFlags {
  cmd?: string;
  interval?: string;
  timeout?: string;
  startPeriod?: string;
  retries?: string;
  none?: boolean;
}

const DEFAULT_INTERVAL = 30_000;
const DEFAULT_TIMEOUT = 30_000;
const DEFAULT_RETRIES = 3;
const NS_PER_MS = 1_000_000;

/**
 * The effective health check: flags override the image's HEALTHCHECK field by field (image
 * durations are nanoseconds). Undefined when there is none, or it is disabled (NONE / --no-healthcheck).
 */
export function mergeHealth(image: HealthConfig | null | undefined, flags: HealthFlags): HealthSpec | undefined {
  if (flags.none) return undefined;
  const test = flags.cmd !== undefined ? ['CMD-SHELL', flags.cmd] : (image?.Test ?? undefined);
  if (!test || test.length === 0 || test[0] === 'NONE') return undefined;
  if (test[0] !== 'CMD' && test[0] !== 'CMD-SHELL') throw new UsageError(`unsupported health check test "${test[0]}" (use CMD or CMD-SHELL)`);
  const ms = (flag: string | undefined, imageNs: number | undefined, def: number) => {
    if (flag !== undefined) {
      const v = parseDuration(flag);
      if (v < 0) throw new UsageError(`invalid duration "${flag}"`);
      return v;
    }
    return imageNs ? Math.round(imageNs / NS_PER_MS) : def;
  };
  const retries = flags.retries !== undefined ? Number(flags.retries) : (image?.Retries || DEFAULT_RETRIES);
  if (!Number.isInteger(retries) || retries < 0) throw new UsageError(`invalid --health-retries "${flags.retries}"`);
  return {
    test,
    intervalMs: ms(flags.interval, image?.Interval, DEFAULT_INTERVAL) || DEFAULT_INTERVAL,
    timeoutMs: ms(flags.timeout, image?.Timeout, DEFAULT_TIMEOUT) || DEFAULT_TIMEOUT,
    startPeriodMs: ms(flags.startPeriod, image?.StartPeriod, 0),
    retries: retries || DEFAULT_RETRIES,
  };
}
