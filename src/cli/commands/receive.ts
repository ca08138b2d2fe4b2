/**
 * `lifeboat receive ...`: plumbing, the target's half of `migrate`. The source runs these over SSH
 * (ops/migrate-remote.ts); they are ordinary commands, so they can be run by hand too (a rollback
 * that could not reach the target prints the `receive cleanup` line that finishes it).
 *
 *   receive check      facts for the preflight (read only)
 *   receive has        which blob digests (stdin, one a line) the store holds (read only)
 *   receive stage      restores a pre-copy round's volumes into the migration's directory, so the
 *                      cut-over's `restore --staged` only patches them (ops/restore-stage.ts)
 *   receive verify     the verdict on a restored, started container (exit 8 when it fails)
 *   receive cleanup    removes what a migration made: its directory, container, volumes, image
 *
 * A group of its own (not under `system` or `container`): the CLI loads only the hinted module
 * for those names, so plumbing there would need an edit of cli/main.ts.
 */
import type { Command } from 'commander';
import { action, collect, common, group } from '../command.js';
import type * as RA from '../views/receive-actions.js';

const EXIT_HELP = `
Exit status:
  0   success
  2   usage: a bad flag or argument (cleanup, stage: a directory that is not a migration's)
  3   verify: no such container
  8   verify: the container failed verification (the verdict is printed all the same)`;

const views = () => import('../views/receive-actions.js');

export function register(program: Command): void {
  const receive = group(program, 'receive', "The target's half of `migrate` (plumbing, run over SSH by the source)");

  common(receive.command('check'))
    .description('Report what a migration preflight needs: architecture, store root, free space, clock, names and ports in use')
    .option('--container <name>', 'a container name the migration would take')
    .option('--volume <name>', 'a volume name the migration would take (repeatable)', collect)
    .option('--port <spec>', 'a port the container would bind on the host network (repeatable)', collect)
    .option('--path <dir>', 'a bind-mounted host path that must exist (repeatable)', collect)
    .addHelpText('after', EXIT_HELP)
    .action(action(async (cli, opts: RA.CheckFlags) => (await views()).check(cli, opts)));

  common(receive.command('has'))
    .description('Read blob digests (sha256:<hex>, one a line) on stdin; print those the store holds')
    .addHelpText('after', EXIT_HELP)
    .action(action(async (cli) => (await views()).has(cli)));

  common(receive.command('stage'))
    .description("Restore a backup's volumes into a migration's stage directory, for `restore --staged` to patch at the cut-over")
    .argument('<backup>', 'backup ID or unique prefix')
    .option('--repo <path>', "the migration's temporary repository (a local path)")
    .option('--into <dir>', "the stage directory, <root>/migrate/<id>/staged")
    .option('-v, --volume <old=new>', 'the same volume remaps the restore will get (repeatable)', collect)
    .addHelpText('after', EXIT_HELP)
    .action(action(async (cli, id: string, opts: RA.StageFlags) => (await views()).stage(cli, id, opts)));

  common(receive.command('verify'))
    .description('Judge a running container as `restore --verify` judges its sandbox: up after --time and healthy, or exited 0')
    .argument('<container>', 'container name or ID')
    .option('--time <duration>', 'how long it must stay up', '10s')
    .addHelpText('after', EXIT_HELP)
    .action(action(async (cli, name: string, opts: RA.VerifyFlags) => (await views()).verify(cli, name, opts)));

  common(receive.command('cleanup'))
    .description('Remove what a migration made here: its directory, and the container, volumes and image made after --since')
    .option('--dir <dir>', 'the migration directory (<root>/migrate/<id>)')
    .option('--container <name>', 'the container it restored')
    .option('--volume <name>', 'a volume it restored (repeatable)', collect)
    .option('--image <digest>', 'the manifest digest of an image the store did not have before')
    .option('--since <time>', 'ISO time on this host before which nothing was made by the migration')
    .addHelpText('after', EXIT_HELP)
    .action(action(async (cli, opts: RA.CleanupFlags) => (await views()).cleanup(cli, opts)));
}
