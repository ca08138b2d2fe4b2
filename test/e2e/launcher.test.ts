/**
 * bin/lifeboat, the sh launcher: it keeps NODE_EXTRA_CA_CERTS out of Node's start-up, and starts
 * node with the memory flags only for commands that walk data (any V8 flag costs every start ~15 ms
 * of recompiling Node's own modules). The flag choice is checked on a copy whose final `exec node`
 * prints its arguments instead, so the scan itself runs as users run it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { COMMAND_MODULES } from '../../src/cli/command-modules.js';
import { buildProgram, LIGHT_COMMANDS } from '../../src/cli/main.js';
import { BIN, LAUNCHER } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

test('the launcher keeps the CA bundle out of Node start-up', () => {
  const env = { ...process.env, NODE_EXTRA_CA_CERTS: '/nonexistent/ca-bundle.pem' };
  const direct = spawnSync(process.execPath, [BIN, '--version'], { env, encoding: 'utf8' });
  assert.match(direct.stderr, /Ignoring extra certs from `\/nonexistent\/ca-bundle\.pem`/, 'node alone reads the bundle as it starts');
  const launched = spawnSync(LAUNCHER, ['--version'], { env, encoding: 'utf8' });
  assert.equal(launched.status, 0, launched.stderr);
  assert.equal(launched.stderr, '', 'through bin/lifeboat it is not read at start-up');
  assert.match(launched.stdout, /^\d+\.\d+\.\d+/);
});

test('memory flags for the commands that walk data, none for the container commands', async (t) => {
  const copy = join(await tempDir(t), 'lifeboat');
  const text = readFileSync(LAUNCHER, 'utf8');
  assert.ok(text.includes('exec node '), 'the launcher execs node');
  writeFileSync(copy, text.replaceAll('exec node ', "exec printf '%s\\n' node "), { mode: 0o755 });
  const flagsFor = (...args: string[]) => {
    const r = spawnSync(copy, args, { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const argv = r.stdout.trimEnd().split('\n');
    assert.equal(argv[0], 'node');
    assert.deepEqual(argv.slice(argv.indexOf(copy) + 1), args, 'every argument reaches the CLI unchanged');
    return argv.slice(1, argv.indexOf(copy));
  };
  const memory = ['--max-semi-space-size=2', '--heap-growing-percent=50'];
  for (const light of [['ps', '-a'], ['run', '-d', '-e', 'A=b c', '-l', '*', 'img', 'sh', '-c', '', '$HOME "q"'], ['--root', '/srv/lb', 'stop', 'x'], ['--json', '--root=/x', 'rm', '-f', 'x'], ['--root', 'run', 'images']]) assert.deepEqual(flagsFor(...light), [], light.join(' '));
  for (const heavy of [['volume', 'snapshot', 'data'], ['--root', '/srv/lb', 'backup', 'app', '--to', '/r'], ['--json', 'restore', 'b1'], ['save', 'img'], ['--version'], []]) assert.deepEqual(flagsFor(...heavy), memory, heavy.join(' ') || '(no arguments)');
});

test("the launcher starts exactly the CLI's light commands without memory flags, and each is a real command", async () => {
  const list = /case \$lifeboat_cmd in ([a-z|-]+)\)/.exec(readFileSync(LAUNCHER, 'utf8'))?.[1];
  assert.ok(list, 'the launcher has its list of light commands');
  assert.deepEqual(list.split('|').sort(), [...LIGHT_COMMANDS].sort(), 'bin/lifeboat and cli/main.ts name the same commands');
  const program = await buildProgram(['node', 'lifeboat', '--help'], COMMAND_MODULES); // every command module
  const names = new Set(program.commands.flatMap((c) => [c.name(), ...c.aliases()]));
  for (const name of LIGHT_COMMANDS) assert.ok(names.has(name), `${name} is a command`);
});
