/**
 * Every module in cli/commands/, each loaded only when wanted. Listed, not read from the folder,
 * so that the bundler sees every one (test/unit/cli-main.test.ts checks the list is whole).
 */
import { LIGHT_COMMAND_MODULES } from './light-command-modules.js';
import type { CommandModules } from './main.js';

export const COMMAND_MODULES: CommandModules = {
  ...LIGHT_COMMAND_MODULES,
  backup: () => import('./commands/backup.js'),
  commit: () => import('./commands/commit.js'),
  config: () => import('./commands/config.js'),
  'image-io': () => import('./commands/image-io.js'),
  migrate: () => import('./commands/migrate.js'),
  receive: () => import('./commands/receive.js'),
  repo: () => import('./commands/repo.js'),
  schedule: () => import('./commands/schedule.js'),
  system: () => import('./commands/system.js'),
  volumes: () => import('./commands/volumes.js'),
};
