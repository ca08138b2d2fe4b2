/**
 * Lifeboat's settings (store root and defaults), from, in order of precedence: a command-line flag,
 * the environment (LIFEBOAT_ROOT, LIFEBOAT_CONFIG_DIR), the config file, built-in defaults.
 *
 * The config file is owned by `conf` (schema-validated, atomic writes) through `lifeboat config`.
 * conf takes ~120 ms to import, so every other command reads the same JSON file directly: the hot
 * path (`lifeboat run`) must not pay for a settings editor it does not use.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface Settings {
  root?: string;
  /** Layer compression for save and commit: none | gzip | zstd. */
  compression?: 'none' | 'gzip' | 'zstd';
  /** Default for restore --verify-time. */
  verifyTime?: string;
  /** Schedules directory for the scheduler. */
  schedules?: string;
}

export const SETTINGS_SCHEMA = {
  root: { type: 'string', minLength: 1 },
  compression: { enum: ['none', 'gzip', 'zstd'] },
  verifyTime: { type: 'string', pattern: '^\\d+(ms|s|m|h)?$' },
  schedules: { type: 'string', minLength: 1 },
} as const;

export function configDir(): string {
  if (process.env.LIFEBOAT_CONFIG_DIR) return process.env.LIFEBOAT_CONFIG_DIR;
  return join(process.env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'lifeboat');
}

export function readSettings(): Settings {
  try {
    return JSON.parse(readFileSync(join(configDir(), 'config.json'), 'utf8')) as Settings;
  } catch {
    return {};
  }
}

/** /var/lib/lifeboat for root, $XDG_DATA_HOME/lifeboat (~/.local/share/lifeboat) otherwise. */
export function defaultRoot(): string {
  if (process.getuid?.() === 0) return '/var/lib/lifeboat';
  return join(process.env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'lifeboat');
}

export function resolveRoot(flag?: string): string {
  return flag || process.env.LIFEBOAT_ROOT || readSettings().root || defaultRoot();
}

/** The conf instance behind `lifeboat config`; loaded only by that command. */
export async function openConf() {
  const { default: Conf } = await import('conf');
  return new Conf<Settings>({
    projectName: 'lifeboat',
    projectSuffix: '',
    cwd: configDir(),
    configName: 'config',
    schema: SETTINGS_SCHEMA as never,
  });
}
