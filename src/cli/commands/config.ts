/** config get/set/unset/list: Lifeboat's settings file (store root and defaults), through conf. */
import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import { action, common } from '../command.js';
import { SETTINGS_SCHEMA, type Settings } from '../settings.js';

function key(k: string): keyof Settings {
  if (!(k in SETTINGS_SCHEMA)) throw new UsageError(`unknown setting "${k}" (known: ${Object.keys(SETTINGS_SCHEMA).join(', ')})`);
  return k as keyof Settings;
}

export function register(program: Command): void {
  const config = program.command('config').description('Read and change settings (file: $LIFEBOAT_CONFIG_DIR or ~/.config/lifeboat/config.json)');
  common(config.command('list'))
    .description('Show every setting')
    .action(action(async (cli) => {
      const conf = await (await import('../settings.js')).openConf();
      cli.print({ path: conf.path, settings: conf.store }, () => `# ${conf.path}\n` + Object.entries(conf.store).map(([k, v]) => `${k}=${String(v)}\n`).join(''));
    }));
  common(config.command('get'))
    .argument('<key>')
    .description('Print one setting')
    .action(action(async (cli, k: string) => {
      const conf = await (await import('../settings.js')).openConf();
      const v = conf.get(key(k));
      cli.print({ [k]: v ?? null }, v === undefined ? '' : `${String(v)}\n`);
    }));
  common(config.command('set'))
    .argument('<key>')
    .argument('<value>')
    .description('Change one setting (validated)')
    .action(action(async (cli, k: string, v: string) => {
      const conf = await (await import('../settings.js')).openConf();
      try {
        conf.set(key(k), v);
      } catch (err) {
        throw new UsageError(`invalid value for ${k}: ${(err as Error).message}`);
      }
      cli.print({ [k]: v }, '');
    }));
  common(config.command('unset'))
    .argument('<key>')
    .description('Remove one setting (back to the default)')
    .action(action(async (cli, k: string) => {
      const conf = await (await import('../settings.js')).openConf();
      conf.delete(key(k));
      cli.print({ [k]: null }, '');
    }));
}
