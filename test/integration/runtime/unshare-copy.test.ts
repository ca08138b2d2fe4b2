/** The runtime suite on the copying snapshotter (the fallback without overlayfs). */
import { runtimeSuite } from './runtime-suite.js';

runtimeSuite({ executor: 'unshare', snapshotter: 'copy' });
