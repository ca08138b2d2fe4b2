/**
 * The CLI entry point: builds the program from the modules in cli/commands/, parses argv, runs the
 * command and maps whatever it throws to stderr and an exit status (cli/exit.ts). Nothing below the
 * CLI calls process.exit.
 */
import { Command } from 'commander';
import { commandName } from './argv.js';
import { reportError } from './exit.js';

interface CommandModule {
  register(program: Command): void;
}

/**
 * The modules in cli/commands/, each loaded only when wanted. Listed, not read from the folder, so
 * that the bundler sees every one (test/unit/cli/command-modules.test.ts checks the list is whole).
 */
export const COMMAND_MODULES: Record<string, () => Promise<CommandModule>> = {
  backup: () => import('./commands/backup.js'),
  commit: () => import('./commands/commit.js'),
  config: () => import('./commands/config.js'),
  containers: () => import('./commands/containers.js'),
  'image-io': () => import('./commands/image-io.js'),
  images: () => import('./commands/images.js'),
  inspect: () => import('./commands/inspect.js'),
  migrate: () => import('./commands/migrate.js'),
  receive: () => import('./commands/receive.js'),
  repo: () => import('./commands/repo.js'),
  schedule: () => import('./commands/schedule.js'),
  system: () => import('./commands/system.js'),
  volumes: () => import('./commands/volumes.js'),
};

/**
 * Which module defines a top-level command: a start-up hint only. `lifeboat run` then loads one
 * small module instead of all of them. When a hint is missing or wrong (the hinted modules do not
 * define the command), every module is loaded, so the hints never decide correctness.
 */
const CONTAINER_COMMANDS = ['run', 'create', 'start', 'stop', 'kill', 'restart', 'pause', 'unpause', 'rm', 'ps', 'logs', 'exec', 'top', 'wait', 'container', 'info'];
const IMAGE_LIST_COMMANDS = ['images', 'tag', 'rmi', 'history'];

/**
 * The commands whose cost is their start-up and whose heaps stay small: bin/lifeboat starts them
 * without V8 flags. Its sh list must name exactly these (test/e2e/launcher.test.ts).
 */
export const LIGHT_COMMANDS = [...CONTAINER_COMMANDS, ...IMAGE_LIST_COMMANDS, 'inspect'];

const HINTS: Record<string, string[]> = {
  ...Object.fromEntries(CONTAINER_COMMANDS.map((c) => [c, ['containers']])),
  ...Object.fromEntries(IMAGE_LIST_COMMANDS.map((c) => [c, ['images']])),
  ...Object.fromEntries(['import', 'export', 'save', 'load'].map((c) => [c, ['image-io']])),
  image: ['images', 'image-io'],
  commit: ['commit'],
  config: ['config'],
  inspect: ['inspect'],
  system: ['system'],
  volume: ['volumes'],
  repo: ['repo'],
  migrate: ['migrate'],
  receive: ['receive'],
};

function createProgram(): Command {
  return new Command('lifeboat')
    .description('Container backups, restores and migrations you can prove: commit, save/load, volume snapshots, repositories, verified restores.')
    .version(process.env.npm_package_version ?? '0.1.0')
    .option('--root <dir>', 'store root (default: $LIFEBOAT_ROOT, the config file, /var/lib/lifeboat)')
    .option('--json', 'print machine-readable JSON')
    .option('--debug', 'print stack traces for errors')
    .enablePositionalOptions()
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
}

async function register(program: Command, names: string[]): Promise<Command> {
  const modules = await Promise.all(names.map((n) => COMMAND_MODULES[n]!()));
  for (const m of modules) m.register(program);
  for (const sub of allCommands(program)) sub.exitOverride();
  return program;
}

function allCommands(cmd: Command): Command[] {
  return cmd.commands.flatMap((c) => [c, ...allCommands(c)]);
}

export async function buildProgram(argv: readonly string[] = process.argv): Promise<Command> {
  const name = commandName(argv);
  const hinted = name !== undefined && !argv.includes('--help') && !argv.includes('-h') ? HINTS[name] : undefined;
  if (hinted && name !== undefined) {
    const program = await register(createProgram(), hinted).catch(() => undefined);
    if (program?.commands.some((c) => c.name() === name || c.aliases().includes(name))) return program;
  }
  return register(createProgram(), Object.keys(COMMAND_MODULES));
}

export async function main(argv = process.argv): Promise<number> {
  const json = argv.includes('--json');
  const debug = argv.includes('--debug') || process.env.LIFEBOAT_DEBUG === '1';
  try {
    const program = await buildProgram(argv);
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    return reportError(err, { json, debug });
  }
}
