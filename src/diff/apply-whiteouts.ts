/**
 * Applies whiteout markers, in one of two modes:
 *
 * - flatten (export, copying snapshotter): `.wh.x` deletes the lower `x`; `.wh..wh..opq` deletes
 *   the lower children of its directory. Nothing this same layer created is ever deleted,
 *   whatever the order in the stream (layer-state.ts).
 * - overlay (one directory per layer, stacked as overlay lowerdirs): `.wh.x` becomes a char device
 *   0/0 named `x`; `.wh..wh..opq` sets `<prefix>.overlay.opaque = "y"` on its directory (moby
 *   `OverlayConvertWhiteout`, formats.md 1.7). Untouched children of an opaque directory are removed
 *   too, which matters only when applying on top of existing content.
 *
 * The marker itself and its payload are never written (D.26).
 */
import { lchown } from 'node:fs/promises';
import { join } from 'node:path';
import { native } from '../platform/native.js';
import { childKey } from './entry-path.js';
import { clearName, createOverlayWhiteout } from './create-node.js';
import type { LayerState } from './layer-state.js';
import type { MetadataPolicy } from './node-metadata.js';
import type { RootResolver } from './resolve-in-root.js';
import type { TarHeader } from './tar/entry.js';
import { opaqueXattr, type OverlayXattrPrefix } from './whiteout.js';

export interface WhiteoutContext {
  resolver: RootResolver;
  state: LayerState;
  policy: MetadataPolicy;
  mode: 'flatten' | 'overlay';
  prefix: OverlayXattrPrefix;
}

/** `<parent>/.wh.<name>`. */
export async function applyWhiteout(ctx: WhiteoutContext, parent: readonly string[], name: string, h: TarHeader): Promise<void> {
  if (ctx.mode === 'flatten') {
    const dir = await ctx.resolver.resolveDir(parent, false);
    if (dir === undefined) return; // nothing below a missing directory to delete
    const key = childKey(dir.key, name);
    if (ctx.state.isTouched(key)) return; // created by this layer: only later layers can hide it
    if (await clearName(join(dir.host, name), false)) ctx.state.removed(key);
    return;
  }
  const dir = await ctx.resolver.resolveDir(parent, true);
  const key = childKey(dir!.key, name);
  if (ctx.state.isTouched(key)) return;
  const host = join(dir!.host, name);
  if (await clearName(host, false)) ctx.state.removed(key);
  createOverlayWhiteout(host);
  if (ctx.policy.sameOwner) await lchown(host, h.uid, h.gid);
  ctx.state.markTouched(key);
}

/** `<dir>/.wh..wh..opq`. */
export async function applyOpaque(ctx: WhiteoutContext, dirComponents: readonly string[]): Promise<void> {
  const dir = await ctx.resolver.resolveDir(dirComponents, ctx.mode === 'overlay');
  if (dir === undefined) return; // flatten: no lower directory, nothing to hide
  if (!ctx.state.coveredByOpaque(dir.key)) await ctx.state.clearLowerChildren(dir.host, dir.key);
  if (ctx.mode === 'overlay') native.lsetxattr(dir.host, opaqueXattr(ctx.prefix), Buffer.from('y'));
  ctx.state.markTouched(dir.key);
}
