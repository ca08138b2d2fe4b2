/** One tar entry as the rest of Lifeboat sees it, independent of how the archive spelled it. */

export type EntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo';

export interface TarHeader {
  /** Path as written in the archive (PAX/GNU long names already applied), never normalized here. */
  path: string;
  type: EntryType;
  /** Permission bits including setuid, setgid and sticky (0o7777). */
  mode: number;
  uid: number;
  gid: number;
  uname?: string;
  gname?: string;
  /** Bytes of file data; 0 for everything but regular files. */
  size: number;
  /** Seconds since the epoch; PAX headers may carry fractions. */
  mtime: number;
  /** Symlink target (verbatim) or hardlink target (a path inside the archive). */
  linkname: string;
  devmajor: number;
  devminor: number;
  /** Extended attributes from `SCHILY.xattr.*`, values byte for byte. */
  xattrs: Map<string, Buffer>;
}

export interface TarLimits {
  /** Largest PAX or GNU long-name payload (Go caps it at 1 MiB after CVE-2022-2879). */
  maxHeaderBytes: number;
  maxEntries: number;
  /** Longest path or link target, in bytes. */
  maxPathBytes: number;
  /** Most components in a path (node-tar CVE-2024-28863). */
  maxPathDepth: number;
}

export const DEFAULT_LIMITS: TarLimits = {
  maxHeaderBytes: 1024 * 1024,
  maxEntries: 2_000_000,
  maxPathBytes: 4096,
  maxPathDepth: 1024,
};

export const BLOCK = 512;
