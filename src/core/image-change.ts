/**
 * `--change` instructions for import and commit: the Dockerfile subset Docker accepts there (CMD,
 * ENTRYPOINT, ENV, EXPOSE, LABEL, USER, VOLUME, WORKDIR, STOPSIGNAL), applied to an image config.
 */
import { UsageError } from './errors.js';
import type { ContainerConfigSpec } from './oci.js';

/** Splits `a=1 b="two words" c=3` (or the legacy `KEY value` form) into pairs. */
function parsePairs(text: string, what: string): Array<[string, string]> {
  const trimmed = text.trim();
  if (!trimmed.includes('=')) {
    const sp = trimmed.search(/\s/);
    if (sp < 0) throw new UsageError(`${what} needs KEY=VALUE or KEY VALUE`);
    return [[trimmed.slice(0, sp), trimmed.slice(sp).trim()]];
  }
  const out: Array<[string, string]> = [];
  const re = /\s*([^\s=]+)=("((?:[^"\\]|\\.)*)"|'([^']*)'|(\S*))/gy;
  let m: RegExpExecArray | null;
  let end = 0;
  while ((m = re.exec(trimmed))) {
    const value = m[3] !== undefined ? m[3].replace(/\\(.)/g, '$1') : m[4] !== undefined ? m[4] : (m[5] ?? '');
    out.push([m[1]!, value]);
    end = re.lastIndex;
  }
  if (end !== trimmed.length) throw new UsageError(`cannot parse ${what} "${text}"`);
  return out;
}

/** JSON array form (`["a","b"]`) or shell form (`a b` → /bin/sh -c "a b"). */
function parseCommand(text: string): string[] {
  const t = text.trim();
  if (t.startsWith('[')) {
    try {
      const v = JSON.parse(t) as unknown;
      if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
    } catch {
      /* not JSON: shell form */
    }
  }
  return ['/bin/sh', '-c', t];
}

function parseList(text: string): string[] {
  const t = text.trim();
  if (t.startsWith('[')) {
    const v = JSON.parse(t) as unknown;
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
    throw new UsageError(`expected a JSON array of strings: ${text}`);
  }
  return t.split(/\s+/).filter(Boolean);
}

/** Returns a new config spec with one instruction applied. */
export function applyChange(spec: ContainerConfigSpec, change: string): ContainerConfigSpec {
  const m = /^\s*([A-Za-z]+)\s+([\s\S]*)$/.exec(change);
  if (!m) throw new UsageError(`invalid --change "${change}": expected INSTRUCTION ARGUMENTS`);
  const op = m[1]!.toUpperCase();
  const arg = m[2]!;
  const next: ContainerConfigSpec = { ...spec };
  switch (op) {
    case 'CMD':
      next.Cmd = parseCommand(arg);
      break;
    case 'ENTRYPOINT':
      next.Entrypoint = parseCommand(arg);
      break;
    case 'ENV': {
      const env = [...(spec.Env ?? [])];
      for (const [k, v] of parsePairs(arg, 'ENV')) {
        const i = env.findIndex((e) => e.startsWith(`${k}=`));
        if (i >= 0) env[i] = `${k}=${v}`;
        else env.push(`${k}=${v}`);
      }
      next.Env = env;
      break;
    }
    case 'LABEL':
      next.Labels = { ...(spec.Labels ?? {}), ...Object.fromEntries(parsePairs(arg, 'LABEL')) };
      break;
    case 'EXPOSE': {
      const ports = { ...(spec.ExposedPorts ?? {}) };
      for (const p of parseList(arg)) {
        if (!/^\d{1,5}(\/(tcp|udp|sctp))?$/.test(p)) throw new UsageError(`invalid port "${p}" in EXPOSE`);
        ports[p.includes('/') ? p : `${p}/tcp`] = {};
      }
      next.ExposedPorts = ports;
      break;
    }
    case 'VOLUME': {
      const vols = { ...(spec.Volumes ?? {}) };
      for (const v of parseList(arg)) {
        if (!v.startsWith('/')) throw new UsageError(`VOLUME path must be absolute: ${v}`);
        vols[v] = {};
      }
      next.Volumes = vols;
      break;
    }
    case 'USER':
      next.User = arg.trim();
      break;
    case 'WORKDIR':
      if (!arg.trim().startsWith('/')) throw new UsageError(`WORKDIR must be absolute: ${arg.trim()}`);
      next.WorkingDir = arg.trim();
      break;
    case 'STOPSIGNAL':
      next.StopSignal = arg.trim();
      break;
    default:
      throw new UsageError(`unsupported --change instruction ${op} (use CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER, VOLUME, WORKDIR or STOPSIGNAL)`);
  }
  return next;
}

export function applyChanges(spec: ContainerConfigSpec, changes: readonly string[]): ContainerConfigSpec {
  return changes.reduce(applyChange, spec);
}
