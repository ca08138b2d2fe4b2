/**
 * Process entry: run the CLI and set the exit status. bin/lifeboat and the e2e tests start here.
 * A `run` gets its supervisor spawned first (early-supervisor.ts), before the rest of the CLI is
 * loaded, so the supervisor's Node start-up overlaps ours; other commands load none of that.
 */
import { isPlainRun } from './argv.js';

const early = isPlainRun(process.argv) ? await import('./early-supervisor.js') : undefined;
early?.spawnEarlySupervisor(process.argv);
try {
  const { main } = await import('./main.js');
  process.exitCode = await main();
} finally {
  early?.releaseEarlySupervisor();
}
