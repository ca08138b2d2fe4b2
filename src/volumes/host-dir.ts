/**
 * A directory on the host as the snapshot walker and the restorer see it: file names are raw bytes
 * (Linux names need not be UTF-8, and a snapshot must keep them), so a path may have to be a Buffer.
 * Node's fs takes Buffer paths, but the native xattr calls take strings; `alias` is a string path
 * to the same directory that they can use: the path itself when every component is UTF-8,
 * otherwise `/proc/self/fd/<fd>` of the directory held open (the kernel follows that magic link as
 * an intermediate component, and the l*xattr calls still never follow the final one).
 * A non-directory whose own name is not UTF-8 has no alias: callers handle it (see nodeAlias).
 */
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { isUtf8 } from 'node:buffer';

export type HostPath = string | Buffer;

const SLASH = Buffer.from('/');

export function joinHost(dir: HostPath, name: Buffer): HostPath {
  if (typeof dir === 'string' && isUtf8(name)) return dir === '/' ? `/${name.toString('utf8')}` : `${dir}/${name.toString('utf8')}`;
  return Buffer.concat([typeof dir === 'string' ? Buffer.from(dir) : dir, SLASH, name]);
}

/** Shows a host path in messages (invalid UTF-8 replaced). */
export function showPath(p: HostPath): string {
  return typeof p === 'string' ? p : p.toString('utf8');
}

export class HostDir {
  private constructor(
    readonly path: HostPath,
    /** A string path to this directory usable by native calls. */
    readonly alias: string,
    private readonly fh: FileHandle | undefined,
  ) {}

  static root(path: string): HostDir {
    return new HostDir(path, path, undefined);
  }

  /** A directory already known by path and alias (in a worker: an alias may be another thread's fd). */
  static at(path: HostPath, alias: string): HostDir {
    return new HostDir(path, alias, undefined);
  }

  /** The path of a child. */
  child(name: Buffer): HostPath {
    return joinHost(this.path, name);
  }

  /** A string path to a child for native calls, or undefined when its name is not UTF-8. */
  childAlias(name: Buffer): string | undefined {
    return isUtf8(name) ? `${this.alias}/${name.toString('utf8')}` : undefined;
  }

  /** A string path for this directory itself, usable by native calls. */
  get selfAlias(): string {
    return this.fh ? `${this.alias}/.` : this.alias;
  }

  /** Opens a subdirectory. Refuses a symlink (O_NOFOLLOW): the caller lstat'ed a directory there. */
  async subdir(name: Buffer): Promise<HostDir> {
    const path = this.child(name);
    const alias = this.childAlias(name);
    if (alias !== undefined) return new HostDir(path, alias, undefined);
    const fh = await open(path, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
    return new HostDir(path, `/proc/self/fd/${fh.fd}`, fh);
  }

  async close(): Promise<void> {
    await this.fh?.close();
  }
}
