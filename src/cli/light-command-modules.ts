/**
 * The command modules of LIGHT_COMMANDS (cli/main.ts): the container commands, the image-listing
 * ones and inspect. Their own list, so that the bundle of bin-light.ts holds only these and what
 * they use (test/unit/cli-main.test.ts checks they define every light command).
 */
import type { CommandModules } from './main.js';

export const LIGHT_COMMAND_MODULES: CommandModules = {
  containers: () => import('./commands/containers.js'),
  images: () => import('./commands/images.js'),
  inspect: () => import('./commands/inspect.js'),
};
