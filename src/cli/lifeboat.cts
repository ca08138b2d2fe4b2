/**
 * The CLI's entry as node runs it: bin/lifeboat and the tests start here. It starts cli/bin-light.ts
 * from its bundle with a code cache (platform/run-bundled.cts says why), which runs the container
 * commands itself and hands the others to the whole CLI's bundle.
 */
import { runBundled } from '../platform/run-bundled.cjs';

runBundled('lifeboat-light');
