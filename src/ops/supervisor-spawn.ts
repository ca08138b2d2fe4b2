/**
 * Where a container's supervisor process comes from: the compiled entry beside this file
 * (container-supervisor-main.js), started waiting for its container. Kept apart from
 * container-start.ts so the CLI can start one before it has loaded anything else.
 */
import { fileURLToPath } from 'node:url';
import { PendingSupervisor } from '../runtime/supervisor-client.js';

/** The compiled supervisor entry beside this file. */
export const SUPERVISOR_ENTRY = fileURLToPath(new URL('./container-supervisor-main.js', import.meta.url));

/**
 * Spawns a supervisor that waits for its container (assign it, or cancel it). `autoRemove`: the
 * container will likely be --rm, so the supervisor loads the removal code while it waits.
 */
export function spawnSupervisor(root: string, opts: { autoRemove?: boolean } = {}): PendingSupervisor {
  return PendingSupervisor.spawn(SUPERVISOR_ENTRY, opts.autoRemove ? [root, '--rm'] : [root]);
}
