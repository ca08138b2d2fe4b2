/** commit: a container's changes become a new image (Docker's flags, including --pause=false). */
import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import { action, collect, common } from '../command.js';

function parseBool(value: string | undefined): boolean {
  if (value === undefined || value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new UsageError(`--pause takes true or false, not "${value}"`);
}

export function register(program: Command): void {
  const cmd = program.command('commit');
  common(cmd)
    .description("Create a new image from a container's changes (its writable layer)")
    .argument('<container>', 'name or ID')
    .argument('[reference]', 'REPOSITORY[:TAG] for the new image')
    .option('-a, --author <text>', 'author (e.g. "Jane <jane@example.com>")')
    .option('-c, --change <instruction>', 'apply a Dockerfile instruction: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER, VOLUME, WORKDIR, STOPSIGNAL', collect)
    .option('-m, --message <text>', 'commit message')
    .option('-p, --pause [bool]', 'pause the container while its changes are read (default true; --pause=false to skip)', parseBool, true)
    .option('--no-pause', 'do not pause the container')
    .action(
      action(async (cli, container: string, reference: string | undefined, opts: { author?: string; change?: string[]; message?: string; pause: boolean }) => {
        const { commitContainer } = await import('../../ops/commit.js');
        const r = await commitContainer(await cli.images(), container, {
          ...(reference ? { name: reference } : {}),
          ...(opts.author ? { author: opts.author } : {}),
          ...(opts.message ? { message: opts.message } : {}),
          changes: opts.change ?? [],
          pause: opts.pause,
        });
        cli.print({ id: r.image.id, names: r.image.names, layerAdded: r.layerAdded, layerBytes: r.layerBytes }, `${r.image.id}\n`);
      }),
    );
}
