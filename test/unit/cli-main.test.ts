/**
 * The CLI's start-up fast path: the command name is found past global options, a hinted command
 * loads only its module, and anything else (help, unknown names) gets every module.
 */
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { commandName, isPlainRun } from '../../src/cli/argv.js';
import { COMMAND_MODULES } from '../../src/cli/command-modules.js';
import { LIGHT_COMMAND_MODULES } from '../../src/cli/light-command-modules.js';
import { buildProgram, LIGHT_COMMANDS } from '../../src/cli/main.js';
import { lifeboat } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

test('the command name is the first argument that is not a global option or its value', () => {
  assert.equal(commandName(['node', 'lifeboat', 'run', '--rm', 'x']), 'run');
  assert.equal(commandName(['node', 'lifeboat', '--root', '/tmp/r', '--json', 'images']), 'images');
  assert.equal(commandName(['node', 'lifeboat', '--json']), undefined);
});

test('a run (or container run) without --help or --root spawns its supervisor early', () => {
  const argv = (...a: string[]) => ['node', 'lifeboat', ...a];
  assert.ok(isPlainRun(argv('run', '--rm', 'img', 'true')));
  assert.ok(isPlainRun(argv('--json', 'container', 'run', '-d', 'img')));
  assert.ok(!isPlainRun(argv('run', '--help')));
  assert.ok(!isPlainRun(argv('--root', '/tmp/r', 'run', 'img')));
  assert.ok(!isPlainRun(argv('run', '--root=/tmp/r', 'img')));
  assert.ok(!isPlainRun(argv('create', 'img')));
  assert.ok(!isPlainRun(argv('container', 'ls')));
});

test('a hinted command loads only its own module; help and unknown names load all of them', async () => {
  const fast = await buildProgram(['node', 'lifeboat', 'images'], COMMAND_MODULES);
  const all = await buildProgram(['node', 'lifeboat', '--help'], COMMAND_MODULES);
  const unknown = await buildProgram(['node', 'lifeboat', 'no-such-command'], COMMAND_MODULES);
  const names = (p: typeof all) => p.commands.map((c) => c.name());
  assert.ok(names(fast).includes('images'));
  assert.ok(!names(fast).includes('volume'), 'the volume module was not loaded for `images`');
  for (const cmd of ['images', 'volume', 'run', 'repo', 'system', 'save']) assert.ok(names(all).includes(cmd), `${cmd} registered for --help`);
  assert.deepEqual(names(unknown).sort(), names(all).sort());
});

test('a run whose early supervisor cannot be spawned still fails through the CLI error handler, not a raw stack trace', async (t) => {
  const dir = await tempDir(t);
  writeFileSync(join(dir, 'file'), '');
  const r = await lifeboat(['run', 'localhost/lifeboat-base', 'true'], { env: { LIFEBOAT_ROOT: join(dir, 'file', 'root') } });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /^Error: ENOTDIR/m, r.stderr);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace without --debug');
});

test('the list of command modules names every module in cli/commands/ (the bundle loads no other)', () => {
  const dir = fileURLToPath(new URL('../../src/cli/commands/', import.meta.url));
  const files = readdirSync(dir).filter((f) => f.endsWith('.js')).map((f) => f.slice(0, -3));
  assert.ok(files.length > 5, `the compiled command modules are at ${dir}`);
  assert.deepEqual(Object.keys(COMMAND_MODULES).sort(), files.sort());
});

test('the light entry holds every light command, and each loads only its own module there', async () => {
  const light = await buildProgram(['node', 'lifeboat', '--help'], LIGHT_COMMAND_MODULES);
  const names = new Set(light.commands.flatMap((c) => [c.name(), ...c.aliases()]));
  for (const name of LIGHT_COMMANDS) assert.ok(names.has(name), `${name} is defined by the light command modules`);
  assert.ok(!names.has('volume') && !names.has('backup'), 'and nothing else');
  const ps = await buildProgram(['node', 'lifeboat', 'ps'], LIGHT_COMMAND_MODULES);
  assert.ok(!ps.commands.some((c) => c.name() === 'images'), 'ps loads the containers module alone');
});

