/**
 * The container runtime as volume snapshots and restores need it (ops/volume-quiesce.ts
 * ContainerControl): a container's run state, pause/unpause (cgroup freezer), stop/start, and exec
 * with captured output for the before/after hooks. Composes the runtime's lifecycle functions with
 * container-start.ts; the CLI hands it to the volume commands (cli/views/container-control.ts).
 */
import { ContainerStore } from '../runtime/container-store.js';
import { execCapture } from '../runtime/exec.js';
import { pauseContainer, stopContainer, unpauseContainer } from '../runtime/lifecycle.js';
import { reconcile } from '../runtime/liveness.js';
import { startContainer } from './container-start.js';
import type { ContainerControl, ContainerRunState } from './volume-quiesce.js';

/** Hooks may take long (a database dump); this only stops a runaway. */
const HOOK_TIMEOUT_MS = 60 * 60 * 1000;

export function containerControl(root: string): ContainerControl {
  const store = new ContainerStore(root);
  return {
    async state(id: string): Promise<ContainerRunState> {
      const s = await reconcile(store, await store.resolve(id));
      return s.status === 'running' || s.status === 'restarting' ? 'running' : s.status === 'paused' ? 'paused' : 'stopped';
    },
    async pause(id: string): Promise<void> {
      await pauseContainer(store, await store.resolve(id));
    },
    async unpause(id: string): Promise<void> {
      await unpauseContainer(store, await store.resolve(id));
    },
    async stop(id: string): Promise<void> {
      await stopContainer(store, await store.resolve(id));
    },
    async start(id: string): Promise<void> {
      await startContainer(root, id);
    },
    async exec(id: string, argv: string[]): Promise<{ exitCode: number; output: string }> {
      const rec = await store.resolve(id);
      const r = await execCapture(rec, await reconcile(store, rec), { args: argv }, HOOK_TIMEOUT_MS);
      return { exitCode: r.exitCode, output: r.output };
    },
  };
}
