/**
 * The CLI with every command (bundled as dist/bundle/lifeboat.cjs). bin-light.ts hands the
 * commands it does not hold over to this one. No top-level await: the bundle is CommonJS.
 */
import { COMMAND_MODULES } from './command-modules.js';
import { start } from './start.js';

void start(COMMAND_MODULES);
