/**
 * Process entry: run the CLI and set the exit status (cli/lifeboat.cts starts this, usually from
 * the bundle). A `run` gets its supervisor spawned first (early-supervisor.ts), before the rest of
 * the CLI is loaded, so the supervisor's Node start-up overlaps ours; other commands load none of
 * that. bin/lifeboat starts node without NODE_EXTRA_CA_CERTS (cli/launcher-env.ts), put back here.
 * No top-level await: the bundle is CommonJS.
 */
import { isPlainRun } from './argv.js';
import { restoreDeferredCaCerts } from './launcher-env.js';

async function start(): Promise<void> {
  restoreDeferredCaCerts(); // before anything can spawn a child: they see NODE_EXTRA_CA_CERTS as the user set it
  const early = isPlainRun(process.argv) ? await import('./early-supervisor.js') : undefined;
  early?.spawnEarlySupervisor(process.argv);
  try {
    const { main } = await import('./main.js');
    process.exitCode = await main();
  } finally {
    early?.releaseEarlySupervisor();
  }
}

void start();
