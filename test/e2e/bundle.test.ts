/**
 * The CLI as it ships: dist/bundle/lifeboat.cjs, started by cli/lifeboat.cts. The bundle must
 * build the same program as the modules it was made from, find this installation's files as they
 * do (the native addon, the schedule schema), and keep its code cache beside itself.
 */
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { BIN, lifeboat } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const BUNDLE_DIR = join(dirname(BIN), '..', '..', 'bundle');

test('the bundle and the modules print the same help for every command', async () => {
  const viaModules = { LIFEBOAT_NO_BUNDLE: '1' };
  for (const args of [['--help'], ['run', '--help'], ['volume', 'snapshot', '--help'], ['repo', '--help'], ['schedule', 'validate', '--help']]) {
    const [bundled, modules] = await Promise.all([lifeboat(args), lifeboat(args, { env: viaModules })]);
    assert.equal(bundled.code, 0, bundled.stderr);
    assert.ok(bundled.stdout.length > 100, `${args.join(' ')} printed its help`);
    assert.equal(bundled.stdout, modules.stdout, args.join(' '));
  }
});

test('from the bundle, the CLI finds the schedule schema and the native addon, and keeps its cache', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'bad.yaml');
  writeFileSync(file, 'jobs:\n  - name: x\n    kind: backup\n    retension: 3\n');
  const r = await lifeboat(['schedule', 'validate', file]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr + r.stdout, /unknown field "retension"/, 'the schema from schedules/schema.json was applied');
  const ps = await lifeboat(['ps', '-a'], { root: join(dir, 'store') }); // takes the store's lock: the addon's flock
  assert.equal(ps.code, 0, ps.stderr);
  assert.ok(readdirSync(BUNDLE_DIR).some((f) => /^lifeboat\.[0-9a-f]{8}\.v8cache$/.test(f)), `a code cache in ${BUNDLE_DIR}`);
});

/**
 * node:crypto and node:child_process each cost a process ~3.5 ms to load, most of what these
 * commands do besides starting Node; they need neither (hashing and spawning load them when used).
 */
test('ps, stop and rm load neither node:crypto nor node:child_process', async (t) => {
  const dir = await tempDir(t);
  const preload = join(dir, 'builtins.cjs');
  writeFileSync(preload, "process.on('exit', () => process.stderr.write('BUILTINS ' + JSON.stringify(process.moduleLoadList) + '\\n'));\n");
  const loaded = (...args: string[]) => {
    const r = spawnSync(process.execPath, ['-r', preload, BIN, ...args], { encoding: 'utf8', env: { ...process.env, LIFEBOAT_ROOT: join(dir, 'store') } });
    const line = r.stderr.split('\n').find((l) => l.startsWith('BUILTINS '));
    assert.ok(line, `${args.join(' ')}: ${r.stderr}`);
    return new Set((JSON.parse(line.slice(9)) as string[]).filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13)));
  };
  const control = loaded('ps', '--help');
  assert.ok(control.has('vm') && control.has('fs'), 'the list names the built-ins the process loaded');
  for (const args of [['ps', '-a'], ['stop', 'nonesuch'], ['rm', 'nonesuch'], ['rm', '-f', 'nonesuch']]) {
    const mods = loaded(...args);
    for (const heavy of ['crypto', 'child_process']) assert.ok(!mods.has(heavy), `${args.join(' ')} loaded node:${heavy}`);
  }
  const hashing = loaded('image', 'build-base'); // hashes its layer: the check can see crypto when it loads
  assert.ok(hashing.has('crypto'), 'image build-base loads node:crypto');
});

