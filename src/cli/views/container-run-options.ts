/**
 * The flags `create` and `run` share (Docker's names and short letters), and their translation into
 * ops' CreateOptions. -h is --hostname here, as in Docker; help stays on --help.
 */
import type { Command } from 'commander';
import { collect } from '../command.js';
import type { CreateOptions } from '../../ops/container-create.js';

export interface RunFlags {
  detach?: boolean;
  rm?: boolean;
  name?: string;
  env?: string[];
  envFile?: string[];
  workdir?: string;
  user?: string;
  hostname?: string;
  volume?: string[];
  network?: string;
  publish?: string[];
  label?: string[];
  restart?: string;
  entrypoint?: string;
  healthCmd?: string;
  healthInterval?: string;
  healthTimeout?: string;
  healthRetries?: string;
  healthStartPeriod?: string;
  healthcheck?: boolean;
  stopSignal?: string;
  stopTimeout?: string;
  interactive?: boolean;
  tty?: boolean;
  runtime?: string;
}

export const EXIT_STATUS_HELP = `
Exit status (as docker run):
  125  Lifeboat itself failed (no such image, bad flag value, the runtime could not start it)
  126  the command cannot be executed (permission denied, is a directory)
  127  the command was not found
  N    otherwise the container's own exit code; 128+n when a signal n ended it
`;

export function addRunFlags(cmd: Command): Command {
  return cmd
    .helpOption('--help', 'display help for command')
    .argument('<image>', 'image name or ID')
    .argument('[command...]', 'command and arguments (replace the image CMD)')
    .passThroughOptions()
    .option('--name <name>', 'assign a name to the container')
    .option('-e, --env <KEY=VALUE>', 'set an environment variable (KEY alone copies it from here)', collect)
    .option('--env-file <file>', 'read environment variables from a file', collect)
    .option('-w, --workdir <dir>', 'working directory inside the container (created when missing)')
    .option('-u, --user <user[:group]>', 'user name or UID, optionally with group')
    .option('-h, --hostname <name>', 'container host name (default: the short ID)')
    .option('-v, --volume <spec>', 'volume: name:/path[:ro], /host/path:/path[:ro], or /path (anonymous)', collect)
    .option('--network <mode>', 'network: none (default; "bridge" means none here) or host')
    .option('-p, --publish <spec>', 'record a port mapping [ip:]host:container[/proto] (kept for restores; not forwarded)', collect)
    .option('-l, --label <key=value>', 'set a label', collect)
    .option('--restart <policy>', 'no, on-failure[:max-retries], always or unless-stopped', 'no')
    .option('--entrypoint <command>', 'replace the image ENTRYPOINT ("" clears it)')
    .option('--health-cmd <command>', 'command to check health (run with /bin/sh -c)')
    .option('--health-interval <duration>', 'time between checks (default 30s)')
    .option('--health-timeout <duration>', 'time a check may take (default 30s)')
    .option('--health-retries <n>', 'consecutive failures that make it unhealthy (default 3)')
    .option('--health-start-period <duration>', 'failures in this time after start do not count')
    .option('--no-healthcheck', "disable the image's HEALTHCHECK")
    .option('--stop-signal <signal>', 'signal that stops the container (default: the image STOPSIGNAL, else SIGTERM)')
    .option('--stop-timeout <seconds>', 'seconds between the stop signal and SIGKILL (default 10)')
    .option('-i, --interactive', 'keep stdin open and pass ours to the container')
    .option('-t, --tty', 'accepted for compatibility: Lifeboat does not allocate a TTY')
    .option('--runtime <name>', 'executor: unshare (default, or $LIFEBOAT_RUNTIME), runc or crun')
    .addHelpText('after', EXIT_STATUS_HELP);
}

export async function toCreateOptions(image: string, args: string[], f: RunFlags): Promise<CreateOptions> {
  const { readFile } = await import('node:fs/promises');
  const { parseEnvFile } = await import('../../runtime/process-config.js');
  const { NotFoundError } = await import('../../core/errors.js');
  const envFileLines: string[] = [];
  for (const file of f.envFile ?? []) {
    const text = await readFile(file, 'utf8').catch(() => {
      throw new NotFoundError('env file', file);
    });
    envFileLines.push(...parseEnvFile(text));
  }
  if (f.tty) process.stderr.write('WARNING: Lifeboat does not allocate a TTY; the container runs without one\n');
  const stopTimeout = f.stopTimeout === undefined ? undefined : Number(f.stopTimeout);
  return {
    image,
    args,
    ...(f.name !== undefined ? { name: f.name } : {}),
    ...(f.entrypoint !== undefined ? { entrypoint: f.entrypoint } : {}),
    env: f.env ?? [],
    envFileLines,
    ...(f.workdir !== undefined ? { workdir: f.workdir } : {}),
    ...(f.user !== undefined ? { user: f.user } : {}),
    ...(f.hostname !== undefined ? { hostname: f.hostname } : {}),
    volumes: f.volume ?? [],
    ...(f.network !== undefined ? { network: f.network } : {}),
    publish: f.publish ?? [],
    labels: f.label ?? [],
    ...(f.restart !== undefined ? { restart: f.restart } : {}),
    autoRemove: !!f.rm,
    health: {
      ...(f.healthCmd !== undefined ? { cmd: f.healthCmd } : {}),
      ...(f.healthInterval !== undefined ? { interval: f.healthInterval } : {}),
      ...(f.healthTimeout !== undefined ? { timeout: f.healthTimeout } : {}),
      ...(f.healthRetries !== undefined ? { retries: f.healthRetries } : {}),
      ...(f.healthStartPeriod !== undefined ? { startPeriod: f.healthStartPeriod } : {}),
      ...(f.healthcheck === false ? { none: true } : {}),
    },
    ...(f.stopSignal !== undefined ? { stopSignal: f.stopSignal } : {}),
    ...(stopTimeout !== undefined ? { stopTimeout } : {}),
    interactive: !!f.interactive,
    tty: !!f.tty,
    ...(f.runtime !== undefined ? { runtime: f.runtime } : {}),
  };
}
