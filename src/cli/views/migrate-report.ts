/**
 * What `migrate` prints on stdout: the plan (--dry-run) or the report of a migration, as text for
 * people or as JSON (--json). The JSON keeps the numbers a script or a benchmark needs (bytes per
 * round, downtime, the verdict) and leaves out the image's blob list.
 */
import { humanSize } from '../../core/units.js';
import type { MigrateResult } from '../../ops/migrate.js';

const secs = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

export function migrationJson(r: MigrateResult): unknown {
  const c = r.cutover;
  return {
    id: r.id,
    outcome: r.outcome,
    container: r.container,
    target: r.target,
    plan: {
      name: r.plan.names.container,
      state: r.plan.container.state,
      network: r.plan.container.network,
      image: { manifest: r.plan.image.manifest.digest, bytes: r.plan.image.bytes, blobs: r.plan.image.blobs.length },
      layerBytes: r.plan.layerBytes,
      volumes: r.plan.volumes,
      ports: r.plan.names.ports,
    },
    preflight: r.preflight,
    ...(r.estimate ? { estimate: r.estimate } : {}),
    rounds: [...r.rounds, ...(c ? [c.final] : [])],
    ...(c
      ? {
          downtimeMs: c.downtimeMs,
          downtime: c.phases,
          // patched: the volume staged after the pre-copy was patched at the cut-over, not restored whole
          volumesRestored: c.restored.volumes.map((v) => ({ name: v.name, created: v.created, patched: !!v.patched })),
          ...(c.verifiedAfterMs !== undefined ? { verifiedAfterMs: c.verifiedAfterMs } : {}),
          verification: c.verdict ? { passed: c.verdict.passed, reason: c.verdict.reason, state: c.verdict.state, health: c.verdict.health } : undefined,
        }
      : {}),
    ...(r.source ? { source: r.source } : {}),
    bytes: r.bytes,
    durationMs: r.durationMs,
  };
}

function what(r: MigrateResult): string[] {
  const p = r.plan;
  const present = r.preflight.imageBlobsPresent;
  return [
    `  image           ${humanSize(p.image.bytes)}, ${humanSize(r.preflight.lacked.image)} to send (the target has ${present} of its ${p.image.blobs.length} blobs)`,
    `  writable layer  ${humanSize(p.layerBytes)}`,
    ...p.volumes.map((v) => `  volume          ${v.source} → ${v.target ?? '(a new anonymous volume)'} at ${v.mountTarget}: ${humanSize(v.bytes)}`),
    ...p.names.binds.map((b) => `  bind            ${b} (not moved: it must exist on the target)`),
  ];
}

export function planText(r: MigrateResult): string {
  const e = r.estimate;
  const lines = [
    `Migration plan: ${r.container.name} → ${r.target.url} as ${r.target.name} (store ${r.target.root})`,
    ...what(r),
    `  the target lacks ${humanSize(r.preflight.lacked.total)}; it needs about ${humanSize(r.preflight.needBytes)} free while the migration runs and has ${humanSize(r.preflight.freeBytes)}`,
  ];
  if (e) {
    lines.push(`  link            ${humanSize(e.linkRate)}/s (${e.measured ? 'measured' : 'assumed: could not measure'})`);
    if (r.plan.container.state === 'stopped') {
      lines.push(`  copy            about ${secs(e.precopyMs)}; the container is not running, so there is no downtime (it is not started on the target)`);
    } else {
      lines.push(`  pre-copy        about ${secs(e.precopyMs)}, while ${r.container.name} keeps running`);
      lines.push(`  downtime        about ${secs(e.downtimeMs)}: stop, a final delta of ~${humanSize(e.deltaBytes)} (its writable layer and 1% of its volume data), restore and start`);
      lines.push(`                  (up to ${secs(e.stopTimeoutMs)} more if it ignores its stop signal; then it is verified for --verify-time)`);
    }
  }
  lines.push('Preflight passed. Nothing was changed (--dry-run).', '');
  return lines.join('\n');
}

export function resultText(r: MigrateResult): string {
  const c = r.cutover;
  const lines = [`Migrated ${r.container.name} to ${r.target.url} as ${r.target.name}${r.target.container ? ` (container ${r.target.container.slice(0, 12)})` : ''}`];
  for (const round of [...r.rounds, ...(c ? [c.final] : [])]) {
    const label = round.kind === 'final' ? 'final (cut-over)' : `round ${round.round} (pre-copy)`;
    lines.push(`  ${label.padEnd(18)} sent ${humanSize(round.sentBytes).padEnd(8)} ${String(round.changedFiles).padStart(6)} of ${round.files} files read   ${secs(round.durationMs)}`);
  }
  lines.push(`  sent ${humanSize(r.bytes.sent)} in all; the target lacked ${humanSize(r.bytes.lacked)}`);
  if (c) {
    if (c.verdict) {
      const p = c.phases;
      lines.push(`  downtime ${secs(c.downtimeMs)} (stop → started on the target: stop ${secs(p.holdMs)}, final copy ${secs(p.finalCopyMs)}, restore and start ${secs(p.restoreMs)})`);
      lines.push(`  verified ${secs(c.verifiedAfterMs ?? c.downtimeMs)} after the stop: ${c.verdict.reason}`);
    } else {
      lines.push('  the container was not running: restored on the target, not started');
    }
  }
  lines.push(`  source: ${r.source === 'removed' ? 'removed' : r.source === 'stopped' ? 'stopped (remove it with `lifeboat rm`, or use --rm-source next time)' : 'left as it was'}`);
  lines.push('  memory state did not move: the container started afresh on the target', '');
  return lines.join('\n');
}
