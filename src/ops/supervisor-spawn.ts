/**
 * Where a container's supervisor process comes from: container-supervisor-main.ts, started through
 * platform/run-bundled.cts (from its bundle, like the CLI), waiting for its container. Kept apart
 * from container-start.ts so the CLI can start one before it has loaded anything else.
 */
import { builtPath } from '../platform/install-paths.js';
import { PendingSupervisor } from '../runtime/supervisor-client.js';

/** `node SUPERVISOR_ENTRY ROOT [--rm]` starts a supervisor: run-bundled's main with the entry's name first. */
export const SUPERVISOR_ENTRY = [builtPath('platform', 'run-bundled.cjs'), 'supervisor'] as const;

/**
 * Spawns a supervisor that waits for its container (assign it, or cancel it). `autoRemove`: the
 * container will likely be --rm, so the supervisor loads the removal code while it waits.
 */
export function spawnSupervisor(root: string, opts: { autoRemove?: boolean } = {}): PendingSupervisor {
  return PendingSupervisor.spawn(SUPERVISOR_ENTRY, opts.autoRemove ? [root, '--rm'] : [root]);
}
