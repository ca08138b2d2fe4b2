/** The runtime suite with runc (from an OCI bundle) as the executor, on the overlay snapshotter. */
import { runtimeSuite } from './runtime-suite.js';

runtimeSuite({ executor: 'runc', snapshotter: 'overlay' });
