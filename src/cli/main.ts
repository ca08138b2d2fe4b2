/**
 * The CLI entry point: builds the program from the modules in cli/commands/, parses argv, runs the
 * command and maps whatever it throws to stderr and an exit status (cli/exit.ts). Nothing below the
 * CLI calls process.exit.
 */
import { Command } from 'commander';
import { commandName, wantsHelp } from './argv.js';
import { reportError } from './exit.js';

export interface CommandModule {
  register(program: Command): void;
}

/** Command modules by name (the file in cli/commands/), each loaded only when wanted. */
export type CommandModules = Readonly<Record<string, () => Promise<CommandModule>>>;

/**
 * Which module defines a top-level command: a start-up hint only. `lifeboat run` then loads one
 * small module instead of all of them. When a hint is missing or wrong (the hinted modules do not
 * define the command), every module is loaded, so the hints never decide correctness.
 */
const CONTAINER_COMMANDS = ['run', 'create', 'start', 'stop', 'kill', 'restart', 'pause', 'unpause', 'rm', 'ps', 'logs', 'exec', 'top', 'wait', 'container', 'info'];
const IMAGE_LIST_COMMANDS = ['images', 'tag', 'rmi', 'history'];

/**
 * The commands whose cost is their start-up and whose heaps stay small: bin/lifeboat starts them
 * without V8 flags (its sh list must name exactly these: test/e2e/launcher.test.ts), and they run
 * from the light bundle (bin-light.ts, light-command-modules.ts).
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

async function register(program: Command, modules: CommandModules, names: string[]): Promise<Command> {
  const loaded = await Promise.all(names.map((n) => modules[n]!()));
  for (const m of loaded) m.register(program);
  for (const sub of allCommands(program)) sub.exitOverride();
  return program;
}

function allCommands(cmd: Command): Command[] {
  return cmd.commands.flatMap((c) => [c, ...allCommands(c)]);
}

/** The program with the commands of `modules`: for a hinted command only its module's. */
export async function buildProgram(argv: readonly string[], modules: CommandModules): Promise<Command> {
  const name = commandName(argv);
  const hinted = name !== undefined && !wantsHelp(argv) ? HINTS[name] : undefined;
  if (hinted && name !== undefined && hinted.every((m) => m in modules)) {
    const program = await register(createProgram(), modules, hinted).catch(() => undefined);
    if (program?.commands.some((c) => c.name() === name || c.aliases().includes(name))) return program;
  }
  return register(createProgram(), modules, Object.keys(modules));
}

export async function main(argv: readonly string[], modules: CommandModules): Promise<number> {
  const json = argv.includes('--json');
  const debug = argv.includes('--debug') || process.env.LIFEBOAT_DEBUG === '1';
  try {
    const program = await buildProgram(argv, modules);
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    return reportError(err, { json, debug });
  }
}
