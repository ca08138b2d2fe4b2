/**
 * The OCI runtime-spec config.json for runc and crun, built from a container record. It is
 * written as a template: the user's uid and gid are resolved inside the container's /etc/passwd
 * only once the rootfs is mounted, so the start script substitutes "@LB_UID@" and "@LB_GID@".
 *
 * The rootfs, volumes and /etc files are already mounted (by the start script, in the private
 * mount namespace the runtime inherits) when runc starts; runc bind-mounts the rootfs recursively,
 * so they come along. The spec adds what runc's own `runc spec` would: /proc, /dev, /sys, masked
 * and read-only paths, and Docker's default capability set.
 */
import type { ContainerRecord } from './container-record.js';

export const DEFAULT_CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

const MASKED = ['/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware'];
const READONLY = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

export const UID_PLACEHOLDER = '@LB_UID@';
export const GID_PLACEHOLDER = '@LB_GID@';

/** The cgroup path runc creates under every v1 controller (and that pause/top/stats read). */
export function ociCgroupsPath(id: string): string {
  return `/lifeboat/${id}`;
}

export function ociSpec(rec: ContainerRecord, rootfs: string): Record<string, unknown> {
  const namespaces = [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }];
  if (rec.network === 'none') namespaces.push({ type: 'network' });
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: UID_PLACEHOLDER, gid: GID_PLACEHOLDER },
      args: rec.process.args,
      env: rec.process.env,
      cwd: rec.process.cwd,
      capabilities: {
        bounding: DEFAULT_CAPABILITIES,
        effective: DEFAULT_CAPABILITIES,
        permitted: DEFAULT_CAPABILITIES,
      },
      noNewPrivileges: false,
    },
    root: { path: rootfs, readonly: false },
    hostname: rec.hostname,
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      rec.network === 'none'
        ? { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] }
        : { destination: '/sys', type: 'bind', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] },
    ],
    linux: {
      namespaces,
      cgroupsPath: ociCgroupsPath(rec.id),
      resources: { devices: [{ allow: false, access: 'rwm' }] },
      maskedPaths: MASKED,
      readonlyPaths: READONLY,
    },
  };
}
