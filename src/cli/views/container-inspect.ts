/**
 * `inspect` for containers, in Docker's shape and field names (Id, State, Config, HostConfig,
 * Mounts, GraphDriver, ...), so scripts written against `docker inspect` mostly carry over.
 * GraphDriver.Name says which snapshotter holds the container's filesystem.
 */
import { formatRestartPolicy } from '../../runtime/restart-policy.js';
import { formatPort } from '../../runtime/run-flags.js';
import type { ContainerRecord, ContainerState } from '../../runtime/container-record.js';
import type { ContainerPaths } from '../../runtime/container-record.js';

const ZERO_TIME = '0001-01-01T00:00:00Z';

function portMap(rec: ContainerRecord): Record<string, Array<{ HostIp: string; HostPort: string }> | null> {
  const out: Record<string, Array<{ HostIp: string; HostPort: string }> | null> = {};
  for (const p of rec.ports) {
    const key = `${p.containerPort}/${p.protocol}`;
    out[key] = p.hostPort === '' ? null : [...(out[key] ?? []), { HostIp: p.hostIp, HostPort: p.hostPort }];
  }
  return out;
}

export function describeContainer(rec: ContainerRecord, state: ContainerState, paths: ContainerPaths): Record<string, unknown> {
  const health = state.health && rec.healthcheck
    ? { Status: state.health.status, FailingStreak: state.health.failingStreak, Log: state.health.log.map((l) => ({ Start: l.start, End: l.end, ExitCode: l.exitCode, Output: l.output })) }
    : undefined;
  return {
    Id: rec.id,
    Created: rec.created,
    Path: rec.process.args[0] ?? '',
    Args: rec.process.args.slice(1),
    State: {
      Status: state.status,
      Running: state.status === 'running' || state.status === 'paused',
      Paused: state.status === 'paused',
      Restarting: state.status === 'restarting',
      OOMKilled: false,
      Dead: state.status === 'dead',
      Pid: state.pid,
      ExitCode: state.exitCode,
      Error: state.error,
      StartedAt: state.startedAt ?? ZERO_TIME,
      FinishedAt: state.finishedAt ?? ZERO_TIME,
      ...(health ? { Health: health } : {}),
    },
    Image: rec.imageId,
    ResolvConfPath: paths.resolvConf,
    HostnamePath: paths.hostname,
    HostsPath: paths.hosts,
    LogPath: paths.log,
    Name: `/${rec.name}`,
    RestartCount: state.restartCount,
    Driver: rec.rootfs.snapshotter,
    Platform: 'linux',
    HostConfig: {
      Binds: rec.mounts.filter((m) => !m.anonymous).map((m) => `${m.source}:${m.target}${m.readOnly ? ':ro' : ''}`),
      NetworkMode: rec.network,
      PortBindings: portMap(rec),
      RestartPolicy: { Name: rec.restartPolicy.name, MaximumRetryCount: rec.restartPolicy.maxRetries },
      AutoRemove: rec.autoRemove,
      Runtime: rec.executor,
    },
    GraphDriver: { Name: rec.rootfs.snapshotter, Data: rec.rootfs.graphDriverData },
    Mounts: rec.mounts.map((m) => ({
      Type: m.type,
      ...(m.type === 'volume' ? { Name: m.source, Driver: 'local' } : {}),
      Source: m.hostPath,
      Destination: m.target,
      Mode: m.readOnly ? 'ro' : '',
      RW: !m.readOnly,
      Propagation: m.type === 'bind' ? 'rprivate' : '',
    })),
    Config: {
      Hostname: rec.hostname,
      User: rec.process.user,
      AttachStdin: false,
      Tty: rec.tty,
      OpenStdin: rec.openStdin,
      ExposedPorts: Object.fromEntries(rec.ports.map((p) => [`${p.containerPort}/${p.protocol}`, {}])),
      Env: rec.process.env,
      Cmd: rec.cmd,
      Image: rec.image,
      Volumes: Object.fromEntries(rec.mounts.filter((m) => m.anonymous).map((m) => [m.target, {}])),
      WorkingDir: rec.process.cwd,
      Entrypoint: rec.entrypoint.length ? rec.entrypoint : null,
      Labels: rec.labels,
      StopSignal: rec.stopSignal,
      StopTimeout: rec.stopTimeout,
      ...(rec.healthcheck
        ? { Healthcheck: { Test: rec.healthcheck.test, Interval: rec.healthcheck.intervalMs * 1e6, Timeout: rec.healthcheck.timeoutMs * 1e6, StartPeriod: rec.healthcheck.startPeriodMs * 1e6, Retries: rec.healthcheck.retries } }
        : {}),
    },
    NetworkSettings: { Ports: state.status === 'running' || state.status === 'paused' ? portMap(rec) : {} },
    Lifeboat: { RestartPolicy: formatRestartPolicy(rec.restartPolicy), Ports: rec.ports.map(formatPort), Chain: rec.rootfs.chain },
  };
}

/** The inspector hook (cli/views/inspectors.ts): undefined when no container has that name. */
export async function inspectContainer(root: string, name: string): Promise<Record<string, unknown> | undefined> {
  const { ContainerStore } = await import('../../runtime/container-store.js');
  const { reconcile } = await import('../../runtime/liveness.js');
  const { NotFoundError } = await import('../../core/errors.js');
  const store = new ContainerStore(root);
  try {
    const rec = await store.resolve(name);
    return describeContainer(rec, await reconcile(store, rec), store.paths(rec.id));
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}
