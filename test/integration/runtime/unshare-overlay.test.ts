/** The runtime suite with util-linux unshare as the executor, on the overlay snapshotter. */
import { runtimeSuite } from './runtime-suite.js';

runtimeSuite({ executor: 'unshare', snapshotter: 'overlay' });
