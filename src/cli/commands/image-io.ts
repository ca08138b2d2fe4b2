/** import, save, load (and export): images in and out of tarballs. */
import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import { action, collect, common, group, type Cli } from '../command.js';

function saveCommand(cmd: Command): Command {
  return common(cmd)
    .description('Save images to a tar that is both an OCI layout and a docker-archive (stdout by default)')
    .argument('<image...>', 'name:tag, a repository (all its tags) or an image ID')
    .option('-o, --output <file>', 'write to a file instead of stdout (replaced only when complete)')
    .option('--compress <kind>', 'recompress layers: none, gzip or zstd (default: as stored)')
    .action(action(save));
}

async function save(cli: Cli, inputs: string[], opts: { output?: string; compress?: string }) {
  if (opts.compress !== undefined && !['none', 'gzip', 'zstd'].includes(opts.compress)) throw new UsageError(`--compress takes none, gzip or zstd, not "${opts.compress}"`);
  const { openOutput } = await import('../io.js');
  const { saveImages } = await import('../../images/save.js');
  const out = openOutput(opts.output);
  try {
    const saved = await saveImages(await cli.images(), inputs, out.stream, {
      ...(opts.compress ? { compression: opts.compress as 'none' | 'gzip' | 'zstd' } : {}),
      progress: await cli.progress(),
    });
    await out.commit();
    if (opts.output) cli.print(saved.map((s) => ({ id: s.image.id, names: s.names })), '');
  } catch (err) {
    await out.abort();
    throw err;
  }
}

function loadCommand(cmd: Command): Command {
  return common(cmd)
    .description('Load images from a tar (OCI layout or docker-archive; plain, gzip or zstd) from a file or stdin')
    .option('-i, --input <file>', 'read from a file instead of stdin')
    .option('-q, --quiet', 'suppress progress output')
    .action(action(load));
}

async function load(cli: Cli, opts: { input?: string; quiet?: boolean }) {
  const { openInput } = await import('../io.js');
  const { loadImages } = await import('../../images/load.js');
  const { withStoreWrite } = await import('../../content/gc.js');
  const { familiarString, parseReference } = await import('../../core/reference.js');
  const { silentProgress } = await import('../../core/progress.js');
  const input = await openInput(opts.input ?? '-');
  const progress = opts.quiet ? silentProgress : await cli.progress();
  const loaded = await withStoreWrite(cli.root, async () => loadImages(await cli.images(), input, { progress }));
  cli.print(loaded, () =>
    loaded.flatMap((l) => (l.names.length ? l.names.map((n) => `Loaded image: ${familiarString(parseReference(n))}\n`) : [`Loaded image ID: ${l.id}\n`])).join(''),
  );
}

function exportCommand(cmd: Command): Command {
  return common(cmd)
    .description("Export an image's flattened root filesystem as a tar (stdout by default)")
    .argument('<image>', 'name or ID')
    .option('-o, --output <file>', 'write to a file instead of stdout (replaced only when complete)')
    .action(
      action(async (cli, input: string, opts: { output?: string }) => {
        const { openOutput } = await import('../io.js');
        const { exportImage } = await import('../../images/export.js');
        const images = await cli.images();
        const img = await images.resolve(input);
        const out = openOutput(opts.output);
        try {
          await exportImage(images, img, out.stream, { progress: await cli.progress() });
          await out.commit();
        } catch (err) {
          await out.abort();
          throw err;
        }
      }),
    );
}

export function register(program: Command): void {
  exportCommand(program.command('export'));
  saveCommand(program.command('save'));
  loadCommand(program.command('load'));
  const image = group(program, 'image', 'Manage images');
  saveCommand(image.command('save'));
  loadCommand(image.command('load'));

  common(program.command('import'))
    .description('Create a one-layer image from a root filesystem tarball (plain, gzip or zstd)')
    .argument('<file>', 'tarball path, or - for stdin')
    .argument('[reference]', 'REPOSITORY[:TAG] to tag the image with')
    .option('-c, --change <instruction>', 'apply a Dockerfile instruction: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER, VOLUME, WORKDIR, STOPSIGNAL', collect)
    .option('-m, --message <text>', 'commit message for the history entry')
    .action(
      action(async (cli, file: string, reference: string | undefined, opts: { change?: string[]; message?: string }) => {
        const { openInput } = await import('../io.js');
        const { importRootfs } = await import('../../images/import.js');
        const { withStoreWrite } = await import('../../content/gc.js');
        const input = await openInput(file);
        const img = await withStoreWrite(cli.root, async () =>
          importRootfs(await cli.images(), input, {
            ...(reference ? { name: reference } : {}),
            changes: opts.change ?? [],
            ...(opts.message ? { message: opts.message } : {}),
            source: file === '-' ? '-' : file,
            progress: await cli.progress(),
          }),
        );
        cli.print({ id: img.id, names: img.names }, `${img.id}\n`);
      }),
    );
}
