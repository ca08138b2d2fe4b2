/**
 * What Lifeboat keeps per container, under containers/<id>/:
 *
 *   config.json        ContainerRecord: what to run (written once at create; other tools read
 *                      `imageId` and `mounts[]`, see cli/views/image-users.ts and volume-users.ts)
 *   state.json         ContainerState: what is happening (the supervisor and the CLI update it
 *                      under locks/containers/<id>.lock; readers reconcile it with /proc, see liveness.ts)
 *   <id>-json.log      output as JSON lines {log, stream, time}, as Docker's json-file driver
 *   hostname, hosts, resolv.conf   bind-mounted over the files in the container
 *   init/              the read-only "init layer": mountpoints, so they never land in upper/
 *   dev/               what the container's /dev tmpfs starts with (device mountpoints, symlinks)
 *   mounts.fstab dev.fstab         the mount tables of the last start (start-script.ts)
 *   upper/ work/ rootfs/           the snapshotter's (upper/ is what commit and `system df` read)
 *   bundle/            the OCI bundle config.json when runc or crun runs the container
 * (Supervisors write their own diagnostics to run/supervisor.log.)
 */
import { join } from 'node:path';
import type { Digest } from '../core/digest.js';
import type { Descriptor } from '../core/oci.js';
import type { Mount, SnapshotterKind } from '../snapshots/snapshotter.js';

export type ContainerStatus = 'created' | 'running' | 'paused' | 'restarting' | 'exited' | 'dead';

export type ExecutorKind = 'unshare' | 'runc' | 'crun';

export type RestartPolicyName = 'no' | 'on-failure' | 'always' | 'unless-stopped';

export interface RestartPolicy {
  name: RestartPolicyName;
  /** on-failure only; 0 means no limit. */
  maxRetries: number;
}

/** A named volume or a bind mount (Docker's Mounts[]). */
export interface MountSpec {
  type: 'volume' | 'bind';
  /** Volume name, or the host path of a bind. */
  source: string;
  /** Absolute path inside the container. */
  target: string;
  readOnly: boolean;
  /** Host directory mounted: the volume's _data, or the bind source. */
  hostPath: string;
  /** Created for this container (image VOLUME, or `-v /path`); `rm -v` removes it. */
  anonymous?: boolean;
  /** Copy the image's content at `target` into the volume when the volume is empty (Docker's copy-up). */
  copyUp?: boolean;
}

export interface PortMapping {
  hostIp: string;
  hostPort: string;
  containerPort: string;
  protocol: 'tcp' | 'udp' | 'sctp';
}

export interface HealthSpec {
  /** ["CMD", args...] or ["CMD-SHELL", command]. */
  test: string[];
  intervalMs: number;
  timeoutMs: number;
  startPeriodMs: number;
  retries: number;
}

export interface ProcessSpec {
  args: string[];
  env: string[];
  cwd: string;
  /** user[:group], names or numbers; '' is root. Resolved inside the container at start. */
  user: string;
}

export interface RootfsSpec {
  snapshotter: SnapshotterKind;
  /** Chain IDs of the image's layers: keeps the shared unpacked layers alive. */
  chain: Digest[];
  mounts: Mount[];
  upperDir: string;
  /** Mount (and run) inside a user namespace: rootless overlay. */
  userns: boolean;
  graphDriverData: Record<string, string>;
}

export interface ContainerRecord {
  id: string;
  name: string;
  created: string;
  /** The image as the user named it (Docker's Config.Image). */
  image: string;
  /** Image config digest (the IMAGE ID). */
  imageId: Digest;
  /** The image's manifest: a garbage-collection root, so a container's image is never collected. */
  imageManifest: Descriptor;
  entrypoint: string[];
  cmd: string[];
  process: ProcessSpec;
  hostname: string;
  network: 'none' | 'host';
  ports: PortMapping[];
  labels: Record<string, string>;
  restartPolicy: RestartPolicy;
  autoRemove: boolean;
  stopSignal: string;
  /** Seconds between the stop signal and SIGKILL. */
  stopTimeout: number;
  healthcheck?: HealthSpec;
  openStdin: boolean;
  tty: boolean;
  mounts: MountSpec[];
  rootfs: RootfsSpec;
  executor: ExecutorKind;
}

export type HealthStatus = 'starting' | 'healthy' | 'unhealthy';

export interface HealthLogEntry {
  start: string;
  end: string;
  exitCode: number;
  output: string;
}

export interface HealthState {
  status: HealthStatus;
  failingStreak: number;
  log: HealthLogEntry[];
}

export interface ContainerState {
  status: ContainerStatus;
  /** Host PID of the container's PID 1, and its start time in clock ticks (/proc/PID/stat field 22). */
  pid: number;
  pidStart: number;
  supervisorPid: number;
  supervisorStart: number;
  /** /proc/sys/kernel/random/boot_id when the PIDs were recorded: a reboot invalidates them. */
  bootId: string;
  startedAt: string | null;
  finishedAt: string | null;
  exitCode: number;
  error: string;
  restartCount: number;
  /** Set by stop/kill: restart policies (except `always` at boot) leave the container alone. */
  manuallyStopped: boolean;
  /** Started at least once: `system start` only revives containers that ran. */
  hasRun: boolean;
  health?: HealthState;
}

export function initialState(): ContainerState {
  return {
    status: 'created',
    pid: 0,
    pidStart: 0,
    supervisorPid: 0,
    supervisorStart: 0,
    bootId: '',
    startedAt: null,
    finishedAt: null,
    exitCode: 0,
    error: '',
    restartCount: 0,
    manuallyStopped: false,
    hasRun: false,
  };
}

/** Paths of one container's files. */
export function containerPaths(containersDir: string, id: string) {
  const dir = join(containersDir, id);
  return {
    dir,
    config: join(dir, 'config.json'),
    state: join(dir, 'state.json'),
    log: join(dir, `${id}-json.log`),
    hostname: join(dir, 'hostname'),
    hosts: join(dir, 'hosts'),
    resolvConf: join(dir, 'resolv.conf'),
    init: join(dir, 'init'),
    devTemplate: join(dir, 'dev'),
    bundle: join(dir, 'bundle'),
    rootfs: join(dir, 'rootfs'),
  };
}
export type ContainerPaths = ReturnType<typeof containerPaths>;

/** True while something runs or may soon run again. */
export function isActive(status: ContainerStatus): boolean {
  return status === 'running' || status === 'paused' || status === 'restarting';
}
