/**
 * Our own layer applier: a layer tar stream (already decompressed) → changes in a directory.
 *
 * Why not node-tar's extractor: it rewrites absolute symlink targets (`bin/sh -> /usr/bin/dash`
 * becomes `usr/bin/dash`) and writes `.wh.` markers as ordinary files (formats.md section 5), so it
 * cannot build a rootfs. We parse with our strict reader (tar/tar-reader.ts) and apply here.
 *
 * Rules (formats.md section 2 is the spec; each case has a named test in test/unit/diff):
 * - Every entry is resolved as if `root` were `/` (resolve-in-root.ts). Names and hardlink targets
 *   that climb out with `..` are refused; absolute ones are re-rooted (entry-path.ts). Symlink
 *   targets are stored verbatim and followed only inside the root.
 * - The final component is never followed: it is removed and recreated (create-node.ts); dir over
 *   dir merges, with the entry's metadata.
 * - Whiteouts: apply-whiteouts.ts. Owners, xattrs, modes, times: node-metadata.ts.
 * - Entries that resolve to the root itself are ignored (containerd does the same).
 * - Hardlinks must point at something that exists inside the root and is not a directory.
 *
 * Contract with callers: the applier writes into `root` only, and on error it throws and leaves
 * whatever it had done. Apply into a fresh private directory (mode 0700 parent, see CVE-2021-41103)
 * that nothing else writes, and rename it into place only when applyLayer (and, for unpackLayer,
 * the DiffID check) has succeeded; delete it otherwise.
 */
import { join, resolve } from 'node:path';
import { stat } from 'node:fs/promises';
import { CancelledError, ExitCode, HostileArchiveError, InvalidInputError, LifeboatError, NotFoundError, fromSystemError, isErrno } from '../core/errors.js';
import { applyOpaque, applyWhiteout, type WhiteoutContext } from './apply-whiteouts.js';
import { ByteBudget, clearName, createHardlink, createSpecial, createSymlink, ensureDirectory, writeRegularFile } from './create-node.js';
import { childKey, cleanArchivePath } from './entry-path.js';
import { LayerState } from './layer-state.js';
import { applyNodeMetadata, applyOwner, applyXattrs, checkDeviceNumbers, checkIds, type SkipCounts } from './node-metadata.js';
import { lstatOrUndefined, RootResolver } from './resolve-in-root.js';
import type { TarLimits } from './tar/entry.js';
import { readTar, type TarEntry } from './tar/tar-reader.js';
import { checkParentNames, classifyWhiteout, type OverlayXattrPrefix } from './whiteout.js';

export interface ApplyOptions {
  /** 'flatten': a whiteout deletes the lower path (export, copying snapshotter).
   *  'overlay': whiteouts become overlayfs whiteouts (char device 0/0; opaque dir = xattr <prefix>.overlay.opaque="y")
   *  so the directory can be an overlay lowerdir of its own. */
  whiteouts: 'flatten' | 'overlay';
  overlayXattrPrefix?: OverlayXattrPrefix; // default 'trusted'
  sameOwner?: boolean; // default: process is root
  limits?: Partial<TarLimits & { maxBytes: number }>; // maxBytes = total file bytes written (decompression bombs)
  signal?: AbortSignal;
}

export interface ApplyResult {
  entries: number;
  /** File data bytes written. */
  bytes: number;
  /** What was left out on purpose (devices when unprivileged, unsupported xattrs). */
  skipped: SkipCounts;
}

/** Default cap on file bytes per layer: far above any real layer, far below a filled disk. */
export const DEFAULT_MAX_LAYER_BYTES = 64 * 1024 ** 3;

interface Context extends WhiteoutContext {
  budget: ByteBudget;
  signal: AbortSignal | undefined;
}

export async function applyLayer(root: string, tar: AsyncIterable<Buffer>, opts: ApplyOptions): Promise<ApplyResult> {
  const rootHost = resolve(root);
  const rootStat = await stat(rootHost).catch((err: unknown) => {
    throw isErrno(err, 'ENOENT') ? new NotFoundError('directory', root) : fromSystemError(err, `opening ${root}`);
  });
  if (!rootStat.isDirectory()) throw new InvalidInputError(`layer root ${root} is not a directory`);
  const isRoot = process.getuid?.() === 0;
  const { maxBytes = DEFAULT_MAX_LAYER_BYTES, ...tarLimits } = opts.limits ?? {};
  const skipped: SkipCounts = { devices: 0, xattrs: 0 };
  const resolver = new RootResolver(rootHost);
  const ctx: Context = {
    resolver,
    state: new LayerState(resolver),
    policy: { sameOwner: opts.sameOwner ?? isRoot, isRoot, escapeOverlayXattrs: opts.whiteouts === 'overlay', skipped },
    mode: opts.whiteouts,
    prefix: opts.overlayXattrPrefix ?? 'trusted',
    budget: new ByteBudget(maxBytes),
    signal: opts.signal,
  };
  let entries = 0;
  // drainTrailing: read to the very end, so the decompressor checks its trailer (gzip CRC) and a
  // hash wrapped around `tar` covers bytes after the end-of-archive marker (a DiffID must).
  for await (const entry of readTar(tar, { limits: tarLimits, drainTrailing: true })) {
    if (ctx.signal?.aborted) throw new CancelledError('layer application cancelled');
    entries++;
    try {
      await applyEntry(ctx, entry);
    } catch (err) {
      throw describe(err, entry.path);
    }
  }
  try {
    await ctx.state.finish();
  } catch (err) {
    throw describe(err, '(directory metadata)');
  }
  return { entries, bytes: ctx.budget.used, skipped };
}

async function applyEntry(ctx: Context, entry: TarEntry): Promise<void> {
  const components = cleanArchivePath(entry.path);
  if (components.length === 0) return; // the root itself: ignored
  const base = components[components.length - 1]!;
  const parent = components.slice(0, -1);
  if (checkParentNames(parent, entry.path) === 'skip') return;
  if (ctx.policy.sameOwner) checkIds(entry);
  const wh = classifyWhiteout(base, entry.path);
  if (wh.kind === 'meta') return; // AUFS metadata
  if (wh.kind === 'opaque') return applyOpaque(ctx, parent);
  if (wh.kind === 'whiteout') return applyWhiteout(ctx, parent, wh.name, entry);

  if (entry.type === 'char' || entry.type === 'block') {
    checkDeviceNumbers(entry);
    if (!ctx.policy.isRoot) {
      ctx.policy.skipped.devices++; // containerd and go-archive skip devices when unprivileged
      return;
    }
  }
  // The hardlink target is checked before anything is created for the entry.
  const linkSource = entry.type === 'hardlink' ? await hardlinkSource(ctx, entry) : undefined;
  const dir = (await ctx.resolver.resolveDir(parent, true))!;
  const host = join(dir.host, base);
  const key = childKey(dir.key, base);
  if (linkSource === host) return ctx.state.markTouched(key); // a hardlink to itself: nothing to do
  if (await clearName(host, entry.type === 'dir')) ctx.state.removed(key);

  switch (entry.type) {
    case 'dir':
      await ensureDirectory(host);
      applyOwner(host, entry, ctx.policy);
      applyXattrs(host, entry, ctx.policy);
      ctx.state.deferDir(key, entry.mode & 0o7777, entry.mtime);
      break;
    case 'file':
      await writeRegularFile(host, entry, entry.body, ctx.budget, ctx.signal);
      applyNodeMetadata(host, entry, ctx.policy);
      break;
    case 'symlink':
      await createSymlink(host, entry);
      applyNodeMetadata(host, entry, ctx.policy);
      break;
    case 'hardlink':
      // The inode's metadata is the target's; a link entry carries none of its own.
      await createHardlink(linkSource!, host);
      break;
    case 'char':
    case 'block':
    case 'fifo':
      try {
        createSpecial(host, entry);
      } catch (err) {
        if (entry.type !== 'fifo' && isErrno(err, 'EPERM')) {
          ctx.policy.skipped.devices++; // root in a user namespace may not mknod devices
          return;
        }
        throw err;
      }
      applyNodeMetadata(host, entry, ctx.policy);
      break;
  }
  ctx.state.markTouched(key);
}

/** The host path a hardlink entry links to: inside the root, existing, not a directory (C.16, C.21). */
async function hardlinkSource(ctx: Context, entry: TarEntry): Promise<string> {
  const target = cleanArchivePath(entry.linkname, 'hardlink target');
  const shown = `hardlink ${JSON.stringify(entry.path)} -> ${JSON.stringify(entry.linkname)}`;
  if (target.length === 0) throw new HostileArchiveError(`${shown} points at the root directory`, { path: entry.path });
  if (target.some((c) => c.startsWith('.wh.'))) {
    throw new InvalidInputError(`${shown} points into whiteout or AUFS metadata, which is not supported`, { code: 'BAD_LAYER' });
  }
  const dir = await ctx.resolver.resolveDir(target.slice(0, -1), false);
  const source = dir && join(dir.host, target[target.length - 1]!);
  const st = source === undefined ? undefined : lstatOrUndefined(source);
  if (source === undefined || st === undefined) {
    throw new InvalidInputError(`${shown}: the target does not exist in the layer or below it`, {
      code: 'BAD_LAYER',
      hint: 'a hardlink must come after its target in the same layer, or point at a file of a lower layer',
    });
  }
  if (st.isDirectory()) throw new HostileArchiveError(`${shown} points at a directory`, { path: entry.path });
  return source;
}

/** Typed errors with the entry's name; system errors become their Lifeboat equivalents. */
function describe(err: unknown, path: string): unknown {
  const mapped = fromSystemError(err, `applying layer entry ${JSON.stringify(path)}`);
  if (mapped instanceof LifeboatError || !(mapped instanceof Error)) return mapped;
  return new LifeboatError('LAYER_APPLY_FAILED', ExitCode.FAILURE, `applying layer entry ${JSON.stringify(path)}: ${mapped.message}`, {
    cause: mapped,
    data: { path },
  });
}
