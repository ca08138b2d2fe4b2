/**
 * What the CLI reads from argv before commander is loaded: the command name (which command modules
 * to load, main.ts) and whether this is a `run` that should start its supervisor right away
 * (early-supervisor.ts). Both are hints; commander's parse decides what actually runs.
 */

/** The first argument that is not a global option (or the value of one). */
export function commandName(argv: readonly string[]): string | undefined {
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--root') i++;
    else if (!a.startsWith('-')) return a;
  }
  return undefined;
}

/** `run` or `container run`, not asking for help, and not naming a store with --root. */
export function isPlainRun(argv: readonly string[]): boolean {
  const name = commandName(argv);
  const sub = name === 'container' ? commandName(['', '', ...argv.slice(argv.indexOf('container') + 1)]) : name;
  if (sub !== 'run') return false;
  return !wantsHelp(argv) && !argv.some((a) => a === '--root' || a.startsWith('--root='));
}

/** Whether argv asks for help: help lists every command, so it needs every command module. */
export function wantsHelp(argv: readonly string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}
