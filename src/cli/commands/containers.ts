/**
 * Container commands, Docker's names and flags: create, run, start, stop, kill, restart, pause,
 * unpause, rm, ps, logs, exec, top, wait, container prune (and the same under `container ...`),
 * plus `info`. Declarations only: every action imports what it needs when it runs, so
 * `lifeboat run` loads the runtime and nothing else (cli/views/container-*.ts hold the bodies).
 */
import type { Command } from 'commander';
import { action, collect, common, type Cli } from '../command.js';
import { addRunFlags, type RunFlags } from '../views/container-run-options.js';
import type { ExecFlags, LogsFlags, PsFlags } from '../views/container-query-actions.js';

async function runFlagsView() {
  return import('../views/container-run-options.js');
}

/** Runs `fn` for each name; reports every failure on stderr, throws the first at the end (as docker does). */
async function eachContainer(names: string[], fn: (name: string) => Promise<void>): Promise<void> {
  let first: unknown;
  for (const name of names) {
    try {
      await fn(name);
    } catch (err) {
      if (first === undefined) first = err;
      else process.stderr.write(`Error: ${(err as Error).message}\n`);
    }
  }
  if (first !== undefined) throw first;
}

async function createAction(cli: Cli, image: string, args: string[], flags: RunFlags): Promise<void> {
  const { toCreateOptions } = await runFlagsView();
  const { createContainer } = await import('../../ops/container-create.js');
  const rec = await createContainer(await cli.images(), await toCreateOptions(image, args, flags));
  cli.print({ id: rec.id, name: rec.name }, `${rec.id}\n`);
}

async function runAction(cli: Cli, image: string, args: string[], flags: RunFlags): Promise<void> {
  // The supervisor's Node start-up runs while this process creates the container (usually it was
  // spawned before the CLI was even loaded: early-supervisor.ts).
  const supervisor = (await import('../early-supervisor.js')).takeSupervisor(cli.root, { autoRemove: !!flags.rm });
  try {
    const { startContainer } = await import('../../ops/container-start.js');
    const { toCreateOptions } = await runFlagsView();
    const { createContainer } = await import('../../ops/container-create.js');
    const rec = await createContainer(await cli.images(), await toCreateOptions(image, args, flags)).catch((err: unknown) => {
      supervisor.cancel();
      throw err;
    });
    if (flags.detach) {
      await startContainer(cli.root, rec.id, { supervisor });
      return cli.print({ id: rec.id, name: rec.name }, `${rec.id}\n`);
    }
    const { attachedOutput, followSession } = await import('../views/container-attach.js');
    const { session } = await startContainer(cli.root, rec.id, { attach: true, stdin: !!flags.interactive, onOutput: attachedOutput, supervisor });
    process.exitCode = session ? await followSession(session, { stdin: !!flags.interactive }) : 0;
  } catch (err) {
    throw (await import('../../runtime/start-error.js')).asRunFailure(err);
  }
}

async function startAction(cli: Cli, names: string[], o: { attach?: boolean; interactive?: boolean }): Promise<void> {
  const { startContainer } = await import('../../ops/container-start.js');
  if (o.attach || o.interactive) {
    const { UsageError } = await import('../../core/errors.js');
    if (names.length !== 1) throw new UsageError('you cannot start and attach multiple containers at once');
    const { attachedOutput, followSession } = await import('../views/container-attach.js');
    const { session } = await startContainer(cli.root, names[0]!, { attach: true, stdin: !!o.interactive, onOutput: attachedOutput });
    process.exitCode = session ? await followSession(session, { stdin: !!o.interactive }) : 0;
    return;
  }
  await eachContainer(names, async (name) => {
    await startContainer(cli.root, name);
    if (!cli.json) process.stdout.write(`${name}\n`);
  });
}

/** stop, kill, pause, unpause, restart: one runtime call per container, its name echoed as docker does. */
function lifecycleAction(kind: 'stop' | 'kill' | 'pause' | 'unpause' | 'restart') {
  return action(async (cli, names: string[], o: { time?: string; signal?: string }) => {
    const lifecycle = await import('../../runtime/lifecycle.js');
    const { ContainerStore } = await import('../../runtime/container-store.js');
    const { UsageError } = await import('../../core/errors.js');
    const store = new ContainerStore(cli.root);
    const timeout = o.time === undefined ? undefined : Number(o.time);
    if (timeout !== undefined && (!Number.isFinite(timeout) || timeout < 0)) throw new UsageError(`invalid --time value "${o.time}"`);
    await eachContainer(names, async (name) => {
      const rec = await store.resolve(name);
      if (kind === 'stop') await lifecycle.stopContainer(store, rec, timeout);
      else if (kind === 'kill') await lifecycle.killContainer(store, rec, o.signal ?? 'SIGKILL');
      else if (kind === 'pause') await lifecycle.pauseContainer(store, rec);
      else if (kind === 'unpause') await lifecycle.unpauseContainer(store, rec);
      else {
        await lifecycle.stopContainer(store, rec, timeout);
        await (await import('../../ops/container-start.js')).startContainer(cli.root, rec.id);
      }
      if (!cli.json) process.stdout.write(`${name}\n`);
    });
  });
}

function timeOption(cmd: Command): Command {
  return cmd.option('-t, --time <seconds>', 'seconds to wait for the stop signal to work before SIGKILL (default: the container\'s, 10)');
}

function define(parent: Command, prefix: '' | 'container'): void {
  const sub = (name: string) => common(parent.command(name));
  addRunFlags(sub('create')).description('Create a container from an image without starting it')
    .option('--rm', 'remove the container when it exits')
    .action(action(createAction));
  addRunFlags(sub('run')).description('Create and start a container; without -d, attach and exit with its code')
    .option('-d, --detach', 'run in the background and print the container ID')
    .option('--rm', 'remove the container (and its anonymous volumes) when it exits')
    .action(action(runAction));

  sub('start').description('Start one or more stopped containers').argument('<container...>')
    .option('-a, --attach', 'attach stdout/stderr and exit with the container\'s code')
    .option('-i, --interactive', 'attach stdin as well')
    .action(action(startAction));
  timeOption(sub('stop')).description('Stop running containers: the stop signal, then SIGKILL after --time').argument('<container...>').action(lifecycleAction('stop'));
  sub('kill').description('Send a signal to running containers (default SIGKILL)').argument('<container...>').option('-s, --signal <signal>', 'signal to send', 'SIGKILL').action(lifecycleAction('kill'));
  timeOption(sub('restart')).description('Restart one or more containers').argument('<container...>').action(lifecycleAction('restart'));
  sub('pause').description('Freeze all processes of containers (cgroup freezer)').argument('<container...>').action(lifecycleAction('pause'));
  sub('unpause').description('Thaw paused containers').argument('<container...>').action(lifecycleAction('unpause'));
  sub('rm').description('Remove containers (their writable layer goes with them)').argument('<container...>')
    .option('-f, --force', 'kill and remove a running container')
    .option('-v, --volumes', 'also remove anonymous volumes')
    .action(action(async (cli, names: string[], o: { force?: boolean; volumes?: boolean }) => {
      const { removeContainers } = await import('../../ops/container-remove.js');
      await eachContainer(names, async (name) => {
        await removeContainers(cli.root, [name], { force: !!o.force, volumes: !!o.volumes });
        if (!cli.json) process.stdout.write(`${name}\n`);
      });
    }));
  (prefix ? sub('ls').alias('ps').alias('list') : sub('ps')).description('List containers')
    .option('-a, --all', 'show all containers (default: running ones)')
    .option('-q, --quiet', 'only show IDs')
    .option('-f, --filter <key=value>', 'filter: status, name, id, label, ancestor, exited, health', collect)
    .option('--no-trunc', 'do not truncate IDs and commands')
    .option('-n, --last <n>', 'show the n last created containers')
    .option('-l, --latest', 'show the latest created container')
    .action(action(async (cli, o: PsFlags) => (await import('../views/container-query-actions.js')).psAction(cli, o)));
  sub('logs').description("Fetch a container's logs").argument('<container>')
    .option('-f, --follow', 'follow the output while the container runs')
    .option('-n, --tail <n>', 'number of lines from the end ("all" by default)')
    .option('-t, --timestamps', 'show timestamps')
    .option('--since <time>', 'only lines since a timestamp or a relative time (10m)')
    .action(action(async (cli, name: string, o: LogsFlags) => (await import('../views/container-query-actions.js')).logsAction(cli, name, o)));
  sub('exec').description('Run a command in a running container (exit status: the command\'s)').argument('<container>').argument('<command...>')
    .helpOption('--help', 'display help for command')
    .passThroughOptions()
    .option('-i, --interactive', 'keep stdin open')
    .option('-t, --tty', 'accepted for compatibility: no TTY is allocated')
    .option('-d, --detach', 'run the command in the background')
    .option('-e, --env <KEY=VALUE>', 'set an environment variable', collect)
    .option('-u, --user <user[:group]>', 'user name or UID')
    .option('-w, --workdir <dir>', 'working directory inside the container')
    .action(action(async (cli, name: string, args: string[], o: ExecFlags) => (await import('../views/container-query-actions.js')).execAction(cli, name, args, o)));
  sub('top').description('Show the processes of a container (ps options as for ps -ef)').argument('<container>').argument('[ps-options...]').passThroughOptions()
    .action(action(async (cli, name: string, args: string[]) => (await import('../views/container-query-actions.js')).topAction(cli, name, args)));
  sub('wait').description('Block until containers stop, then print their exit codes').argument('<container...>')
    .action(action(async (cli, names: string[]) => (await import('../views/container-query-actions.js')).waitAction(cli, names)));
}

export function register(program: Command): void {
  define(program, '');
  const container = program.command('container').description('Manage containers');
  define(container, 'container');
  common(container.command('prune'))
    .description('Remove all stopped containers')
    .option('-f, --force', 'do not prompt (Lifeboat never prompts)')
    .action(action(async (cli) => {
      const { pruneContainers } = await import('../../ops/container-remove.js');
      const { humanSize } = await import('../../core/units.js');
      const r = await pruneContainers(cli.root);
      const listing = r.deleted.length ? `Deleted Containers:\n${r.deleted.map((d) => `${d}\n`).join('')}\n` : '';
      cli.print(r, `${listing}Total reclaimed space: ${humanSize(r.reclaimedBytes)}\n`);
    }));
  common(container.command('inspect')).description('Low-level information on containers').argument('<container...>')
    .action(action(async (cli, names: string[]) => {
      const { inspectContainer } = await import('../views/container-inspect.js');
      const { NotFoundError } = await import('../../core/errors.js');
      const out: unknown[] = [];
      for (const n of names) out.push((await inspectContainer(cli.root, n)) ?? Promise.reject(new NotFoundError('container', n)));
      process.stdout.write(JSON.stringify(await Promise.all(out), null, 2) + '\n');
    }));
  common(program.command('info')).description('Runtime facts: snapshotter in use and why, runtimes, cgroups, counts')
    .action(action(async (cli) => (await import('../views/container-query-actions.js')).infoAction(cli)));
}
