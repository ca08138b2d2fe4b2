/**
 * The shell program that turns a container record into a running process. It runs as PID 1 of
 * fresh namespaces (unshare executor) or in a private mount namespace in front of an OCI runtime,
 * so every mount it makes vanishes with the container and nothing is ever mounted on the host.
 *
 * Steps: report the host PID → mount the rootfs (the snapshotter's mounts) → volumes and binds
 * (with Docker's copy-up of image content into an empty new volume) → /etc/hostname, hosts,
 * resolv.conf → /proc, a minimal /dev, /sys (unshare executor; OCI runtimes do their own) →
 * resolve user, workdir and command *inside* the rootfs → report READY → exec.
 *
 * Paths inside the container are resolved by lb_path (start-script-lib.ts), so an image cannot
 * make a mount or mkdir land on the host. Mounts are batched into fstab files (one exec each).
 *
 * Protocol on fd 3 (read by the supervisor): "LB-PID <pid>", "LB-FAIL <exit code> <message>",
 * "LB-READY"; any other line is a diagnostic (the setup's own stderr is sent there too). The
 * container's stderr is kept on fd 9 until the final exec. Values are embedded single-quoted.
 */
import type { Mount } from '../snapshots/snapshotter.js';
import type { ExecutorKind, MountSpec, ProcessSpec } from './container-record.js';
import { DEFAULT_CAPABILITIES } from './oci-spec.js';
import { START_FUNCTIONS } from './start-script-lib.js';

export interface HostTools {
  mount: string;
  umount: string;
  unshare: string;
  env: string;
  readlink: string;
  cp: string;
  ls: string;
  sed: string;
  ip?: string;
  hostname?: string;
  setpriv?: string;
}

export interface StartScriptInput {
  rootfs: string;
  /** The container's directory: the fstab files are written there. */
  dir: string;
  /** Files and symlinks copied into the container's /dev tmpfs (container-files.ts). */
  devTemplate: string;
  rootMounts: Mount[];
  mounts: MountSpec[];
  etcFiles: Array<{ source: string; target: string }>;
  hostname: string;
  network: 'none' | 'host';
  process: ProcessSpec;
  executor: ExecutorKind;
  /** Rootless: inside a user namespace (no device nodes to bind, no sysfs without a netns). */
  userns: boolean;
  tools: HostTools;
  /** For runc/crun: the command line to exec once the rootfs is ready, and the bundle files. */
  oci?: { argv: string[]; template: string; config: string; hideUnifiedCgroup: boolean };
}

export function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function mountLine(m: Mount, tools: HostTools): string {
  const bind = m.options.includes('bind') || m.options.includes('rbind');
  const rest = m.options.filter((o) => o !== 'bind' && o !== 'rbind');
  const opts = rest.length ? `-o ${shq(rest.join(','))} ` : '';
  const target = m.target ? shq(m.target) : '"$R"';
  const head = bind ? `${shq(tools.mount)} --bind ${opts}` : `${shq(tools.mount)} -t ${shq(m.type)} ${opts}`;
  return `${head}${shq(m.source)} ${target} || fail 125 ${shq(`mounting the root filesystem (${m.type}) failed`)}`;
}

/** /proc, /dev (a tmpfs filled from the template, the host's null/zero/... bound in), /sys. */
function systemMounts(input: StartScriptInput): { first: string[]; then: string[] } {
  const sys = input.userns && input.network === 'host' ? `lb_tab "$F1" /sys "$s" none rbind,ro` : `lb_tab "$F1" sysfs "$s" sysfs ro,nosuid,nodev,noexec`;
  const first = [
    `lb_path /proc dir && lb_tab "$F1" proc "$P" proc nosuid,nodev,noexec || fail 125 'no /proc mountpoint'`,
    `lb_path /dev dir && d=$P && lb_tab "$F1" tmpfs "$d" tmpfs nosuid,strictatime,mode=755,size=65536k || fail 125 'no /dev mountpoint'`,
    `lb_path /sys dir && s=$P && ${sys} || fail 125 'no /sys mountpoint'`,
  ];
  const then = [
    `"$T_CP" -a ${shq(input.devTemplate)}/. "$d/" || fail 125 'filling /dev failed'`,
    `for n in null zero full random urandom tty; do lb_tab "$F2" "/dev/$n" "$d/$n" none bind; done`,
    `lb_tab "$F2" devpts "$d/pts" devpts newinstance,ptmxmode=0666,mode=0620`,
    `lb_tab "$F2" shm "$d/shm" tmpfs nosuid,nodev,noexec,mode=1777,size=65536k`,
    `lb_tab "$F2" mqueue "$d/mqueue" mqueue nosuid,nodev,noexec`,
    // 64 = some entries failed (devpts or mqueue where the kernel refuses them); the devices must be there.
    `"$T_MOUNT" -a --fstab "$F2"; rc=$?; [ $rc = 0 ] || [ $rc = 64 ] || fail 125 'mounting /dev failed'`,
    `[ -c "$d/null" ] || fail 125 'mounting /dev/null failed'`,
    // Writing the sysctl saves an exec; in a user namespace only sethostname(2) is allowed.
    `{ printf '%s' ${shq(input.hostname)} > /proc/sys/kernel/hostname; } 2>/dev/null${input.tools.hostname ? ` || ${shq(input.tools.hostname)} ${shq(input.hostname)}` : ''} || fail 125 'setting the hostname failed'`,
  ];
  if (input.network === 'none' && input.tools.ip) then.push(`${shq(input.tools.ip)} link set lo up 2>/dev/null || true`);
  return { first, then };
}

export function buildStartScript(input: StartScriptInput): string {
  const t = input.tools;
  const pathEntry = input.process.env.find((e) => e.startsWith('PATH='));
  const lines: string[] = [
    'set -f',
    `exec 9>&2 2>&3`,
    `R=${shq(input.rootfs)} T_READLINK=${shq(t.readlink)} T_LS=${shq(t.ls)} T_CP=${shq(t.cp)} T_MOUNT=${shq(t.mount)} T_SED=${shq(t.sed)}`,
    `F1=${shq(`${input.dir}/mounts.fstab`)} F2=${shq(`${input.dir}/dev.fstab`)}`,
    `CPATH=${shq(pathEntry ? pathEntry.slice(5) : '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin')}`,
    START_FUNCTIONS,
    `read -r hostpid _ < /proc/self/stat && printf 'LB-PID %s\\n' "$hostpid" >&3`,
    ...input.rootMounts.map((m) => mountLine(m, t)),
    `: > "$F1" && : > "$F2" || fail 125 'cannot write the mount tables'`,
  ];
  for (const m of input.mounts) lines.push(`lb_bind "$F1" ${shq(m.hostPath)} ${shq(m.target)} ${m.readOnly ? 1 : 0} ${m.copyUp ? 1 : 0}`);
  for (const f of input.etcFiles) lines.push(`lb_bind "$F1" ${shq(f.source)} ${shq(f.target)} 0 0`);
  const sys = input.executor === 'unshare' ? systemMounts(input) : { first: [], then: [] };
  lines.push(...sys.first, `[ ! -s "$F1" ] || "$T_MOUNT" -a --fstab "$F1" || fail 125 'mounting volumes and system file systems failed'`, ...sys.then);
  lines.push(
    `lb_user ${shq(input.process.user)}`,
    `lb_path ${shq(input.process.cwd)} dir && [ -d "$P" ] || fail 125 ${shq(`the working directory ${input.process.cwd} is not a directory`)}`,
    `lb_command ${shq(input.process.args[0]!)}`,
  );
  if (input.oci) {
    const o = input.oci;
    lines.push(
      `${shq(t.sed)} -e "s/\\"@LB_UID@\\"/$UID_/" -e "s/\\"@LB_GID@\\"/$GID_/" ${shq(o.template)} > ${shq(o.config)} || fail 125 'writing the OCI bundle config failed'`,
      ...(o.hideUnifiedCgroup ? [`${shq(t.umount)} /sys/fs/cgroup/unified 2>/dev/null || true`] : []),
      `printf 'LB-READY\\n' >&3`,
      `exec 2>&9 9>&- 3>&- ${o.argv.map(shq).join(' ')}`,
    );
  } else {
    const ids = input.process.user === '' ? '' : ' --setgid "$GID_" --setuid "$UID_"';
    // Docker's default capability set: the bounding set is cut before the last two execs.
    const caps = t.setpriv ? `${shq(t.setpriv)} --bounding-set -all,${DEFAULT_CAPABILITIES.map((c) => `+${c.slice(4).toLowerCase()}`).join(',')} -- ` : '';
    lines.push(
      `printf 'LB-READY\\n' >&3`,
      `exec 2>&9 9>&- 3>&- ${shq(t.env)} -i ${input.process.env.map(shq).join(' ')} ${caps}${shq(t.unshare)} --root="$R" --wd=${shq(input.process.cwd)}${ids} -- ${input.process.args.map(shq).join(' ')}`,
    );
  }
  return lines.join('\n') + '\n';
}
