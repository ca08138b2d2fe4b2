/**
 * The CLI's entry as node runs it: bin/lifeboat and the tests start here. It starts cli/bin.ts from
 * the bundle with its code cache (platform/run-bundled.cts says why).
 */
import { runBundled } from '../platform/run-bundled.cjs';

runBundled('lifeboat');
