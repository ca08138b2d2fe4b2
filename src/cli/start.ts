/**
 * What both CLI entries (bin.ts, bin-light.ts) do: run the CLI with their command modules and set
 * the exit status. A `run` gets its supervisor spawned first (early-supervisor.ts), before the rest
 * of the CLI is loaded, so the supervisor's Node start-up overlaps ours; other commands load none
 * of that. bin/lifeboat starts node without NODE_EXTRA_CA_CERTS (cli/launcher-env.ts), put back
 * here before anything can spawn a child.
 */
import { isPlainRun } from './argv.js';
import { restoreDeferredCaCerts } from './launcher-env.js';
import type { CommandModules } from './main.js';

export async function start(modules: CommandModules): Promise<void> {
  restoreDeferredCaCerts();
  const early = isPlainRun(process.argv) ? await import('./early-supervisor.js') : undefined;
  early?.spawnEarlySupervisor(process.argv);
  try {
    const { main } = await import('./main.js');
    process.exitCode = await main(process.argv, modules);
  } finally {
    early?.releaseEarlySupervisor();
  }
}
