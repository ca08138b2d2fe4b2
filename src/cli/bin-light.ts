/**
 * Where the CLI starts (bundled as dist/bundle/lifeboat-light.cjs): the container commands, the
 * image-listing ones and inspect, whose cost is Node's start-up, run from a bundle of only what
 * they use (~450 KB instead of ~1 MB: ~5 ms less to read and deserialize). Every other command,
 * and any --help, is handed over to the whole CLI (bin.ts) in this same process before anything
 * ran. No top-level await: the bundle is CommonJS.
 */
import { createRequire } from 'node:module';
import { builtPath } from '../platform/install-paths.js';
import { commandName, wantsHelp } from './argv.js';
import { LIGHT_COMMAND_MODULES } from './light-command-modules.js';
import { LIGHT_COMMANDS } from './main.js';
import { start } from './start.js';

const name = commandName(process.argv);
const light = name !== undefined && LIGHT_COMMANDS.includes(name) && !wantsHelp(process.argv);
if (light) {
  void start(LIGHT_COMMAND_MODULES);
} else {
  const loader = builtPath('platform', 'run-bundled.cjs');
  (createRequire(loader)(loader) as typeof import('../platform/run-bundled.cjs')).runBundled('lifeboat');
}
