/** images, tag, rmi, history, image prune, image build-base: Docker's image commands and output. */
import type { Command } from 'commander';
import { action, collect, common, group, type Cli } from '../command.js';

function listCommand(cmd: Command): Command {
  return common(cmd)
    .description('List images')
    .argument('[reference]', 'only images whose name matches (glob, e.g. "lifeboat*")')
    .option('-a, --all', 'show all images (Lifeboat keeps no intermediate images, so this equals the default)')
    .option('--digests', 'show manifest digests')
    .option('-f, --filter <filter>', 'filter: dangling=true|false, reference=<glob>, label=<key>[=<value>]', collect)
    .option('--no-trunc', 'do not truncate IDs')
    .option('-q, --quiet', 'only show image IDs')
    .action(action(listImages));
}

async function listImages(cli: Cli, reference: string | undefined, opts: { digests?: boolean; filter?: string[]; trunc?: boolean; quiet?: boolean }) {
  const { imageRows } = await import('../views/image-rows.js');
  const rows = await imageRows(await cli.images(), { reference, filters: opts.filter ?? [] });
  const id = (d: string) => (opts.trunc === false ? d : d.slice(7, 19));
  if (opts.quiet) {
    const ids = [...new Set(rows.map((r) => id(r.id)))];
    cli.print(ids, ids.map((i) => `${i}\n`).join(''));
    return;
  }
  const { ago, humanSize } = await import('../../core/units.js');
  cli.table(
    rows,
    [
      ['REPOSITORY', (r) => r.repository],
      ['TAG', (r) => r.tag],
      ...(opts.digests ? ([['DIGEST', (r) => r.digest]] as Array<[string, (r: (typeof rows)[number]) => string]>) : []),
      ['IMAGE ID', (r) => id(r.id)],
      ['CREATED', (r) => ago(r.created)],
      ['SIZE', (r) => humanSize(r.size)],
    ],
    (r) => r,
  );
}

function tagCommand(cmd: Command): Command {
  return common(cmd)
    .description('Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE')
    .argument('<source>', 'SOURCE_IMAGE[:TAG] or image ID')
    .argument('<target>', 'TARGET_IMAGE[:TAG]')
    .action(
      action(async (cli, source: string, target: string) => {
        const images = await cli.images();
        const name = await images.tag(await images.resolve(source), target);
        cli.print({ tagged: name }, '');
      }),
    );
}

function rmiCommand(cmd: Command): Command {
  return common(cmd)
    .description('Remove one or more images')
    .argument('<image...>', 'names or IDs')
    .option('-f, --force', 'remove even if a container uses the image or it has several names')
    .action(
      action(async (cli, inputs: string[], opts: { force?: boolean }) => {
        const { removeImages } = await import('../../ops/images.js');
        const { imageUsers } = await import('../views/image-users.js');
        const lines = await removeImages(await cli.images(), inputs, { force: !!opts.force, usedBy: imageUsers(cli.root) });
        cli.print(lines, lines.map((l) => `${l.kind}: ${l.ref}\n`).join(''));
      }),
    );
}

function pruneCommand(cmd: Command): Command {
  return common(cmd)
    .description('Remove dangling images (with --all, every image no container uses)')
    .option('-a, --all', 'remove all images not used by a container')
    .option('-f, --force', 'do not prompt (Lifeboat never prompts; accepted for Docker compatibility)')
    .action(
      action(async (cli, opts: { all?: boolean }) => {
        const { pruneImages } = await import('../../ops/images.js');
        const { imageUsers } = await import('../views/image-users.js');
        const { humanSize } = await import('../../core/units.js');
        const r = await pruneImages(await cli.images(), { all: !!opts.all, usedBy: imageUsers(cli.root) });
        const listing = r.deleted.length ? `Deleted Images:\n${r.deleted.map((d) => `deleted: ${d}\n`).join('')}\n` : '';
        cli.print(r, `${listing}Total reclaimed space: ${humanSize(r.reclaimedBytes)}\n`);
      }),
    );
}

function historyCommand(cmd: Command): Command {
  return common(cmd)
    .description('Show the history of an image')
    .argument('<image>')
    .option('--no-trunc', 'do not truncate output')
    .option('-q, --quiet', 'only show image IDs')
    .action(
      action(async (cli, input: string, opts: { trunc?: boolean; quiet?: boolean }) => {
        const { imageHistory } = await import('../../ops/images.js');
        const { ago, humanSize } = await import('../../core/units.js');
        const { truncate } = await import('../output.js');
        const rows = imageHistory(await (await cli.images()).resolve(input));
        const full = opts.trunc === false;
        const id = (s: string) => (s.startsWith('sha256:') && !full ? s.slice(7, 19) : s);
        if (opts.quiet) return cli.print(rows.map((r) => r.id), rows.map((r) => `${id(r.id)}\n`).join(''));
        cli.table(
          rows,
          [
            ['IMAGE', (r) => id(r.id)],
            ['CREATED', (r) => ago(r.created)],
            ['CREATED BY', (r) => (full ? r.createdBy : truncate(r.createdBy, 45))],
            ['SIZE', (r) => humanSize(r.size)],
            ['COMMENT', (r) => (full ? r.comment : truncate(r.comment, 45))],
          ],
          (r) => r,
        );
      }),
    );
}

function buildBaseCommand(cmd: Command): Command {
  return common(cmd)
    .description('Build the tiny base image (busybox-static, or host binaries) without network')
    .argument('[name]', 'image name', 'localhost/lifeboat-base:latest')
    .option('--host-tools', 'use the host binaries and their libraries even if busybox is installed')
    .action(
      action(async (cli, name: string, opts: { hostTools?: boolean }) => {
        const { buildBaseImage } = await import('../../images/base-image.js');
        const { withStoreWrite } = await import('../../content/gc.js');
        const img = await withStoreWrite(cli.root, async () => buildBaseImage(await cli.images(), { name, hostTools: !!opts.hostTools, progress: await cli.progress() }));
        cli.print({ id: img.id, names: img.names }, `${img.id}\n`);
      }),
    );
}

export function register(program: Command): void {
  listCommand(program.command('images'));
  tagCommand(program.command('tag'));
  rmiCommand(program.command('rmi'));
  historyCommand(program.command('history'));
  const image = group(program, 'image', 'Manage images');
  listCommand(image.command('ls').alias('list'));
  tagCommand(image.command('tag'));
  rmiCommand(image.command('rm'));
  historyCommand(image.command('history'));
  pruneCommand(image.command('prune'));
  buildBaseCommand(image.command('build-base'));
}
