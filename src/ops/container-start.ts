/**
 * `start` (and the second half of `run`): hands a created or exited container to a new detached
 * supervisor and waits until the command really runs, or reports why it could not (exit 125, 126
 * or 127 as in Docker). At most one supervisor per container: the new supervisor's PID is recorded
 * under the container's lock before anything else happens, and a live one refuses a second start.
 */
import { ConflictError } from '../core/errors.js';
import { isActive, type ContainerRecord } from '../runtime/container-record.js';
import { ContainerStore } from '../runtime/container-store.js';
import type { LogStream } from '../runtime/json-log.js';
import { reconcile } from '../runtime/liveness.js';
import { isAlive, startTimeOf } from '../runtime/proc.js';
import type { PendingSupervisor, SupervisorSession } from '../runtime/supervisor-client.js';
import { spawnSupervisor } from './supervisor-spawn.js';

export interface StartOptions {
  /** Keep the session and receive output (an attached `run`); otherwise detach once started. */
  attach?: boolean;
  /** Feed the container's stdin through the session (-i). */
  stdin?: boolean;
  onOutput?: (stream: LogStream, data: Uint8Array) => void;
  /** A supervisor spawned ahead of time (spawnSupervisor), so its start-up overlapped other work. */
  supervisor?: PendingSupervisor;
}

export interface StartResult {
  rec: ContainerRecord;
  /** Present when the container was started here (undefined: it was already running). */
  session?: SupervisorSession;
}

export async function startContainer(root: string, idOrName: string, opts: StartOptions = {}): Promise<StartResult> {
  const store = new ContainerStore(root);
  const rec = await store.resolve(idOrName).catch((err: unknown) => {
    opts.supervisor?.cancel();
    throw err;
  });
  const state = await reconcile(store, rec);
  if (state.status === 'paused' || isActive(state.status)) opts.supervisor?.cancel();
  if (state.status === 'paused') throw new ConflictError(`cannot start a paused container (${rec.name}), try unpause instead`);
  if (isActive(state.status)) return { rec };
  let session: SupervisorSession | undefined;
  await store.updateState(rec.id, (s) => {
    if (isActive(s.status) || (s.supervisorPid && isAlive(s.supervisorPid, s.supervisorStart))) {
      opts.supervisor?.cancel();
      throw new ConflictError(`container ${rec.name} is already being started`);
    }
    const supervisor = opts.supervisor ?? spawnSupervisor(root, { autoRemove: rec.autoRemove });
    s.supervisorPid = supervisor.pid;
    s.supervisorStart = startTimeOf(supervisor.pid);
    s.manuallyStopped = false;
    s.restartCount = 0;
    s.error = '';
    session = supervisor.assign({
      id: rec.id,
      attach: !!opts.attach,
      stdin: !!opts.stdin,
      ...(opts.onOutput ? { onOutput: opts.onOutput } : {}),
    });
  });
  const started = session!;
  try {
    await started.started;
  } catch (err) {
    // With --rm the supervisor removes the container after a failed start: report once it is gone.
    if (rec.autoRemove) await Promise.race([started.exited.catch(() => undefined), new Promise((r) => setTimeout(r, 10_000).unref())]);
    started.detach();
    throw err;
  }
  if (!opts.attach) started.detach();
  return { rec, session: started };
}
