/**
 * What a container runs, merged from the image config and the user's flags with Docker's rules:
 *
 * - --entrypoint replaces the image's ENTRYPOINT and drops its CMD ("" clears the entrypoint);
 *   arguments after the image replace CMD. An empty result is an error ("no command specified").
 * - Env: the image's, then --env-file lines, then -e, a later key replacing an earlier one; `-e K`
 *   without "=" copies K from the caller's environment (skipped when unset). PATH defaults to
 *   Docker's when nobody set it.
 * - Workdir: -w, else the image's WORKDIR, else "/"; it must be absolute.
 * - User: -u, else the image's USER, else root.
 */
import { UsageError } from '../core/errors.js';
import type { ContainerConfigSpec } from '../core/oci.js';

export const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface ProcessFlags {
  /** Arguments after the image name. */
  args: string[];
  entrypoint?: string;
  /** -e values, in order. */
  env?: string[];
  /** Lines already read from --env-file files, in order. */
  envFileLines?: string[];
  workdir?: string;
  user?: string;
}

export interface MergedProcess {
  entrypoint: string[];
  cmd: string[];
  args: string[];
  env: string[];
  cwd: string;
  user: string;
}

/** Parses env-file text: KEY=VALUE lines, bare KEY lines (from the caller's env), # comments. */
export function parseEnvFile(text: string, hostEnv: NodeJS.ProcessEnv = process.env): string[] {
  const out: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/^\s+/, '');
    if (line === '' || line.startsWith('#')) continue;
    const entry = expandEnvEntry(line, hostEnv);
    if (entry !== undefined) out.push(entry);
  }
  return out;
}

/** `K=V` as is; `K` becomes `K=<caller's value>` or undefined when the caller has no K. */
export function expandEnvEntry(entry: string, hostEnv: NodeJS.ProcessEnv = process.env): string | undefined {
  const eq = entry.indexOf('=');
  const key = eq < 0 ? entry : entry.slice(0, eq);
  if (key === '' || /\s/.test(key)) throw new UsageError(`invalid environment variable "${entry}"`);
  if (eq >= 0) return entry;
  const value = hostEnv[key];
  return value === undefined ? undefined : `${key}=${value}`;
}

/** Later entries replace earlier ones with the same key; first-seen order is kept. */
export function mergeEnv(...lists: Array<readonly string[]>): string[] {
  const byKey = new Map<string, string>();
  for (const list of lists) {
    for (const entry of list) {
      const eq = entry.indexOf('=');
      byKey.set(eq < 0 ? entry : entry.slice(0, eq), entry);
    }
  }
  return [...byKey.values()];
}

export function mergeProcess(image: ContainerConfigSpec | null | undefined, flags: ProcessFlags, hostEnv: NodeJS.ProcessEnv = process.env): MergedProcess {
  const img = image ?? {};
  let entrypoint: string[];
  let cmd: string[];
  if (flags.entrypoint !== undefined) {
    entrypoint = flags.entrypoint === '' ? [] : [flags.entrypoint];
    cmd = flags.args;
  } else {
    entrypoint = img.Entrypoint ?? [];
    cmd = flags.args.length > 0 ? flags.args : (img.Cmd ?? []);
  }
  const args = [...entrypoint, ...cmd];
  if (args.length === 0) throw new UsageError('no command specified', { hint: 'give a command after the image name, or an image with CMD or ENTRYPOINT' });

  const cli = [...(flags.envFileLines ?? []), ...(flags.env ?? [])].map((e) => expandEnvEntry(e, hostEnv)).filter((e): e is string => e !== undefined);
  let env = mergeEnv(img.Env ?? [], cli);
  if (!env.some((e) => e.startsWith('PATH='))) env = [DEFAULT_PATH, ...env];

  const cwd = flags.workdir ?? (img.WorkingDir || '/');
  if (!cwd.startsWith('/')) throw new UsageError(`the working directory "${cwd}" is invalid: it needs to be an absolute path`);
  const user = flags.user ?? img.User ?? '';
  return { entrypoint, cmd, args, env, cwd, user };
}
