/**
 * The runtime suite with crun as the executor. crun 1.8 refuses this machine's hybrid cgroup v1
 * layout; the start script hides /sys/fs/cgroup/unified in the container's private mount namespace.
 */
import { runtimeSuite } from './runtime-suite.js';

runtimeSuite({ executor: 'crun', snapshotter: 'overlay' });
