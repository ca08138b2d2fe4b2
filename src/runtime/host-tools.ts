/**
 * The host programs the runtime drives (util-linux mount/unshare/nsenter/setpriv, coreutils, and
 * runc or crun when installed), found once by absolute path. The start script runs before the
 * container's environment applies and after it execs with `env -i`, so it never depends on the
 * container's PATH or its libraries.
 */
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { ContainerError, UsageError } from '../core/errors.js';
import type { ExecutorKind } from './container-record.js';
import type { HostTools } from './start-script.js';

const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const cache = new Map<string, string | undefined>();

/** Absolute path of `name` on the caller's PATH or the system directories; undefined when absent. */
export function which(name: string): string | undefined {
  if (cache.has(name)) return cache.get(name);
  let found: string | undefined;
  for (const dir of [...(process.env.PATH ?? '').split(':'), ...SYSTEM_PATH.split(':')]) {
    if (!dir.startsWith('/')) continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      found = join(dir, name);
      break;
    } catch {
      /* next */
    }
  }
  cache.set(name, found);
  return found;
}

function need(name: string, pkg: string): string {
  const path = which(name);
  if (!path) throw new ContainerError(`${name} is not installed, and the runtime needs it`, { hint: `install ${pkg}` });
  return path;
}

export function hostTools(): HostTools {
  const ip = which('ip');
  const hostname = which('hostname');
  const setpriv = which('setpriv');
  return {
    mount: need('mount', 'util-linux'),
    umount: need('umount', 'util-linux'),
    unshare: need('unshare', 'util-linux'),
    env: need('env', 'coreutils'),
    readlink: need('readlink', 'coreutils'),
    cp: need('cp', 'coreutils'),
    ls: need('ls', 'coreutils'),
    sed: need('sed', 'sed'),
    ...(ip ? { ip } : {}),
    ...(hostname ? { hostname } : {}),
    ...(setpriv ? { setpriv } : {}),
  };
}

export function shellPath(): string {
  return which('sh') ?? '/bin/sh';
}

/** The OCI runtime binary for an executor, or a clear error. */
export function ociRuntime(kind: Exclude<ExecutorKind, 'unshare'>): string {
  return need(kind, kind);
}

/**
 * The executor to use: LIFEBOAT_RUNTIME=unshare|runc|crun (or --runtime), else unshare, which needs
 * nothing but util-linux. Rootless containers always use unshare.
 */
export function chooseExecutor(requested: string | undefined, rootless: boolean): ExecutorKind {
  const want = requested ?? process.env.LIFEBOAT_RUNTIME ?? 'unshare';
  if (want !== 'unshare' && want !== 'runc' && want !== 'crun') throw new UsageError(`unknown runtime "${want}" (use unshare, runc or crun)`);
  if (want !== 'unshare' && rootless) throw new ContainerError(`the ${want} runtime is not supported without root here; use unshare`);
  if (want !== 'unshare') ociRuntime(want);
  return want;
}
