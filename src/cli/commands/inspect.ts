/**
 * `inspect NAME...`: low-level JSON for whatever the name is. Containers are looked up first, then
 * images, then volumes, as Docker does; each kind knows how to describe itself (cli/views/inspectors.ts).
 */
import type { Command } from 'commander';
import { NotFoundError } from '../../core/errors.js';
import { action, common } from '../command.js';

export function register(program: Command): void {
  common(program.command('inspect'))
    .description('Return low-level information on containers, images or volumes')
    .argument('<name...>')
    .option('--type <type>', 'only look for this kind: container, image or volume')
    .action(
      action(async (cli, names: string[], opts: { type?: string }) => {
        const { INSPECTORS } = await import('../views/inspectors.js');
        const kinds = opts.type ? INSPECTORS.filter((i) => i.kind === opts.type) : INSPECTORS;
        const out: unknown[] = [];
        for (const name of names) {
          let found: unknown;
          for (const inspector of kinds) {
            found = await inspector.inspect(cli, name);
            if (found !== undefined) break;
          }
          if (found === undefined) throw new NotFoundError(opts.type ?? 'object', name);
          out.push(found);
        }
        process.stdout.write(JSON.stringify(out, null, 2) + '\n');
      }),
    );
}
