/**
 * Process entry of a container's supervisor (runtime/supervisor.ts): `node
 * container-supervisor-main.js ROOT [--rm]`, started detached with an IPC channel by the CLI, often
 * before the container exists (runtime/supervisor-client.ts). It waits for its assignment, then
 * runs the container to the end. It lives in ops because --rm needs the composed removal
 * (snapshotter, volumes); everything else is the runtime's. Its imports are loaded while it waits,
 * the removal code too when the spawner passes --rm (a hint: the container's record decides).
 */
import { ContainerStore } from '../runtime/container-store.js';
import { Supervisor, type SupervisorAssignment, type SupervisorEvent, type SupervisorMessage } from '../runtime/supervisor.js';

const [root, hint] = process.argv.slice(2);
if (!root || !process.send) {
  process.stderr.write('usage: container-supervisor-main.js ROOT [--rm] (started by lifeboat, with an IPC channel)\n');
  process.exit(2);
}
process.chdir('/');
for (const sig of ['SIGHUP', 'SIGINT', 'SIGPIPE'] as const) process.on(sig, () => undefined);

const notify = (event: SupervisorEvent) => {
  if (process.connected && process.send) process.send(event, undefined, {}, () => undefined);
};
const log = (message: string) => process.stderr.write(`${new Date().toISOString()} ${message}\n`);

const preloaded = hint === '--rm' ? import('./container-remove.js') : undefined;

/** Waits for the assignment, then runs the container to the end (a function: the bundle is CommonJS, without top-level await). */
async function supervise(root: string): Promise<void> {
  const assignment = await new Promise<SupervisorAssignment | undefined>((resolve) => {
    process.once('message', (m: SupervisorAssignment) => resolve(m?.type === 'assign' ? m : undefined));
    process.once('disconnect', () => resolve(undefined)); // the CLI gave up before creating the container
  });
  if (!assignment) return process.exit(0);

  const { id } = assignment;
  const supervisor = new Supervisor(new ContainerStore(root), id, {
    attach: assignment.attach,
    stdin: assignment.stdin,
    notify,
    autoRemove: async (containerId) => {
      const { removeContainers } = await (preloaded ?? import('./container-remove.js')); // autoRemove is only called for --rm
      await removeContainers(root, [containerId], { volumes: true });
    },
    log: (message) => log(`${id.slice(0, 12)} ${message}`),
  });
  process.on('message', (m) => supervisor.handle(m as SupervisorMessage));
  process.on('disconnect', () => supervisor.handle({ type: 'stdin-end' }));

  try {
    await supervisor.run();
  } catch (err) {
    log(`supervisor of ${id} failed: ${(err as Error).stack ?? String(err)}`);
    process.exitCode = 1;
  } finally {
    if (process.connected) process.disconnect();
  }
}

void supervise(root);
