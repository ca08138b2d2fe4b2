/**
 * `lifeboat migrate CONTAINER ssh://user@host[:port]`: declaration only; the body is
 * cli/views/migrate-actions.ts, loaded when the command runs. The SSH flags are those of every
 * repository command (cli/commands/repo.ts). The far side's half is `lifeboat receive`
 * (cli/commands/receive.ts).
 */
import type { Command } from 'commander';
import { action, collect, common } from '../command.js';
import type * as MA from '../views/migrate-actions.js';
import { sshOptions } from './repo.js';

const HELP = `
How it goes:
  1. preflight (nothing changes before it passes): the target is reachable and its host key known,
     Lifeboat answers there, same architecture, enough free space (about 3x what the target
     lacks), the container and volume names free there, ports free (host network)
  2. pre-copy while the container runs: image, writable layer and volume data go into a temporary
     repository on the target (<remote root>/migrate/<id>/repo, over SFTP), skipping what the
     target's store has; repeated while the delta shrinks
  3. cut-over: the container is stopped (or paused), the last delta sent, the container restored
     and started on the target, and verified there (up after --verify-time and healthy, or exited 0)
  4. the source is left stopped (removed with --rm-source); on any failure before the verdict,
     the target's partial state is removed and the source is started (or unpaused) again

Memory state does not move (no checkpoint/restore): the container starts afresh on the target,
as after a restart. Bind-mounted host directories are not moved; they must exist there.

The target needs Lifeboat (the same version) and an SSH login that can run it as root.

Exit status:
  0   migrated (or, with --dry-run, the plan passed its preflight)
  2   usage: a bad flag, an unknown --volume key, a bad target URL
  3   no such container
  4   conflict: a name, volume or port taken on the target (--name, --volume, -p), another
      architecture, a bind path missing there, a --rm container, a volume shared with a running one
  6   integrity: a corrupt or missing blob
  7   the container failed to start on the target (rolled back)
  8   the container failed verification on the target (rolled back)
  12  SSH login or host key refused (see --accept-new-host-key)
  13  target unreachable, or Lifeboat missing or too old there (LIFEBOAT_MISSING, LIFEBOAT_TOO_OLD)
  14  not enough free space on the target
  130 cancelled (rolled back)`;

export function register(program: Command): void {
  sshOptions(common(program.command('migrate')))
    .description('Move a container (config, image, writable layer, volumes) to another host over SSH, verified there, or roll back')
    .argument('<container>', 'the container to move')
    .argument('<target>', 'ssh://user@host[:port] of a host that runs Lifeboat')
    .option('--name <name>', "the container's name on the target (default: its name here)")
    .option('-v, --volume <old=new>', 'restore volume OLD (name or mount target) as volume NEW on the target (repeatable)', collect)
    .option('-p, --publish <spec>', 'replace or add a port mapping on the target (repeatable)', collect)
    .option('-e, --env <key=value>', 'set or replace an environment variable on the target (repeatable)', collect)
    .option('-n, --dry-run', 'run the preflight, measure the link, print the plan and the expected downtime; change nothing')
    .option('--rm-source', 'remove the source container once the target is verified (its named volumes stay)')
    .option('--cutover <mode>', 'stop: stop the source for the cut-over; pause: freeze it (quicker to give back on failure)', 'stop')
    .option('--verify-time <duration>', 'how long the migrated container must stay up on the target', '10s')
    .option('--max-rounds <n>', 'pre-copy rounds at most while the container runs (0: copy everything during the cut-over)', '3')
    .option('--link-timeout <duration>', 'how long to wait for a lost link to come back before rolling back', '60s')
    .option('--pack-size <size>', 'target size of the packs sent (e.g. 4m; default 16m)')
    .option('--remote-root <dir>', "the target's store root (default: its own default)")
    .option('--remote-lifeboat <cmd>', 'the command that runs Lifeboat on the target (a shell command)', 'lifeboat')
    .addHelpText('after', HELP)
    .action(action(async (cli, container: string, target: string, opts: MA.MigrateFlags) => (await import('../views/migrate-actions.js')).migrate(cli, container, target, opts)));
}
