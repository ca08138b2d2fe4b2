/**
 * The CLI entry point: builds the program from every module in cli/commands/, parses argv, runs the
 * command and maps whatever it throws to stderr and an exit status (cli/exit.ts). Nothing below the
 * CLI calls process.exit.
 */
import { Command } from 'commander';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { reportError } from './exit.js';

interface CommandModule {
  register(program: Command): void;
}

export async function buildProgram(): Promise<Command> {
  const program = new Command('lifeboat')
    .description('Container backups, restores and migrations you can prove: commit, save/load, volume snapshots, repositories, verified restores.')
    .version(process.env.npm_package_version ?? '0.1.0')
    .option('--root <dir>', 'store root (default: $LIFEBOAT_ROOT, the config file, /var/lib/lifeboat)')
    .option('--json', 'print machine-readable JSON')
    .option('--debug', 'print stack traces for errors')
    .enablePositionalOptions()
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  const dir = join(dirname(fileURLToPath(import.meta.url)), 'commands');
  const files = readdirSync(dir).filter((f) => f.endsWith('.js')).sort();
  const modules = await Promise.all(files.map((f) => import(pathToFileURL(join(dir, f)).href) as Promise<CommandModule>));
  for (const m of modules) m.register(program);
  for (const sub of allCommands(program)) sub.exitOverride();
  return program;
}

function allCommands(cmd: Command): Command[] {
  return cmd.commands.flatMap((c) => [c, ...allCommands(c)]);
}

export async function main(argv = process.argv): Promise<number> {
  const json = argv.includes('--json');
  const debug = argv.includes('--debug') || process.env.LIFEBOAT_DEBUG === '1';
  try {
    const program = await buildProgram();
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    return reportError(err, { json, debug });
  }
}
