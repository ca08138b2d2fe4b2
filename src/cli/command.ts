/**
 * What every command shares: the `Cli` context (output mode, store root, progress, lazily opened
 * stores) and `action()`, which turns a commander action into one that gets a ready `Cli`.
 *
 * Command modules (cli/commands/*.ts) declare their commands and options only; the code that does
 * the work is imported inside the action, so `lifeboat --help` and `lifeboat run` load only what
 * they use.
 */
import type { Command } from 'commander';
import type { Progress } from '../core/progress.js';
import type { LocalContentStore } from '../content/local-store.js';
import type { ImageStore } from '../images/image-store.js';
import { formatJson, formatTable } from './output.js';
import { resolveRoot } from './settings.js';

export interface CommonOptions {
  json?: boolean;
  root?: string;
  debug?: boolean;
}

export class Cli {
  readonly json: boolean;
  readonly debug: boolean;
  readonly root: string;
  private progressP?: Promise<Progress>;
  private contentP?: Promise<LocalContentStore>;
  private imagesP?: Promise<ImageStore>;

  constructor(opts: CommonOptions) {
    this.json = !!opts.json;
    this.debug = !!opts.debug;
    this.root = resolveRoot(opts.root);
  }

  /** Writes a result: `json` with --json, otherwise the human text. */
  print(json: unknown, human: string | (() => string)): void {
    process.stdout.write(this.json ? formatJson(json) : typeof human === 'function' ? human() : human);
  }

  /** A Docker-style table, or the rows as JSON objects keyed by `keys`. */
  table<T>(items: T[], columns: Array<[header: string, cell: (item: T) => string]>, json: (item: T) => unknown): void {
    this.print(items.map(json), () => formatTable(columns.map((c) => c[0]), items.map((it) => columns.map((c) => c[1](it)))));
  }

  progress(): Promise<Progress> {
    this.progressP ??= import('./progress.js').then((m) => m.createProgress({ json: this.json }));
    return this.progressP;
  }

  content(): Promise<LocalContentStore> {
    this.contentP ??= import('../content/local-store.js').then((m) => m.LocalContentStore.open(this.root));
    return this.contentP;
  }

  images(): Promise<ImageStore> {
    this.imagesP ??= Promise.all([this.content(), import('../images/image-store.js')]).then(([content, m]) => new m.ImageStore(content));
    return this.imagesP;
  }
}

/** Adds the options every command accepts. */
export function common(cmd: Command): Command {
  return cmd.option('--json', 'print machine-readable JSON').option('--root <dir>', 'store root (default: $LIFEBOAT_ROOT, the config file, /var/lib/lifeboat)');
}

/** Wraps an action so it receives a Cli built from the command's (and the program's) options. */
export function action<A extends unknown[]>(fn: (cli: Cli, ...args: A) => Promise<void>) {
  return async (...args: unknown[]): Promise<void> => {
    const cmd = args[args.length - 1] as Command;
    const cli = new Cli(cmd.optsWithGlobals() as CommonOptions);
    await fn(cli, ...(args.slice(0, -1) as A));
  };
}

/** The command group `name` (`image`, `volume`, ...), created by whichever module asks first. */
export function group(program: Command, name: string, description: string): Command {
  return program.commands.find((c) => c.name() === name) ?? program.command(name).description(description);
}

/** Collects a repeatable option (`-e A=1 -e B=2`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** A retention count: digits, or "unlimited" (-1). Anything else (NaN: "3abc" too) is refused by policyOf. */
const count = (v: string) => (v === 'unlimited' ? -1 : /^\d+$/.test(v) ? Number(v) : Number.NaN);

/**
 * The retention flags (restic's names) that `volume forget` and `forget` share; `noun` is what
 * they keep ("snapshot", "backup"). Turned into a policy by cli/views/retention-flags.ts.
 */
export function retentionOptions(cmd: Command, noun: 'snapshot' | 'backup'): Command {
  const nouns = `${noun}s`;
  return cmd
    .option('-l, --keep-last <n>', `keep the last n ${nouns}`, count)
    .option('-H, --keep-hourly <n>', `keep the last n hourly ${nouns}`, count)
    .option('-d, --keep-daily <n>', `keep the last n daily ${nouns}`, count)
    .option('-w, --keep-weekly <n>', `keep the last n weekly ${nouns}`, count)
    .option('-m, --keep-monthly <n>', `keep the last n monthly ${nouns}`, count)
    .option('-y, --keep-yearly <n>', `keep the last n yearly ${nouns}`, count)
    .option('--keep-within <duration>', `keep ${nouns} newer than duration (e.g. 1y5m7d2h) relative to the newest`)
    .option('--keep-tag <tags>', `keep ${nouns} with all of these comma-separated tags (repeatable)`, collect)
    .option('--utc', 'count days, weeks, ... in UTC instead of local time')
    .option('-n, --dry-run', 'show what would be removed and why the rest is kept; change nothing')
    .option('--prune', `then delete the data no ${noun} needs any more`);
}
