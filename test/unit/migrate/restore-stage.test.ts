/**
 * The stage directory of a migration (ops/restore-stage.ts) as the CLI and readStaged see it: a
 * directory that is not `<root>/migrate/<id>/staged` is refused with a usage error (exit 2) by
 * both `receive stage` and `restore --staged`, before any repository is opened; a stage without
 * its base.json (cut off half-way) or with a base.json this Lifeboat did not write is not used,
 * or whose data directory is gone (used by an earlier patch) is not used, so that volume is
 * restored whole; a whole one is found by volume name.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { MediaType } from '../../../src/core/media-types.js';
import { UsageError } from '../../../src/core/errors.js';
import type { RestorePlan } from '../../../src/ops/restore-plan.js';
import { readStaged } from '../../../src/ops/restore-stage.js';
import { lifeboat } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/tmp.js';

const snapshot = (hex: string) => ({ mediaType: MediaType.LifeboatVolumeSnapshot, digest: `sha256:${hex.repeat(64)}` as const, size: 123 });

function planWith(names: string[]): RestorePlan {
  const volumes = names.map((name, i) => ({ name, anonymous: false, target: `/v${i}`, readOnly: false, snapshot: snapshot(String(i + 1)) }));
  return { volumes } as unknown as RestorePlan;
}

describe('migration stage directory', () => {
  test('a directory that is not <root>/migrate/<id>/staged is refused (exit 2) by receive stage and restore --staged', async (t) => {
    const root = await tempDir(t);
    const elsewhere = await tempDir(t);
    const stage = await lifeboat(['receive', 'stage', 'abcdef', '--repo', join(root, 'nowhere'), '--into', elsewhere], { root });
    assert.equal(stage.code, 2, stage.stderr);
    assert.match(stage.stderr, /not a migration's stage directory/);
    const restore = await lifeboat(['restore', 'abcdef', '--from', join(root, 'nowhere'), '--staged', join(root, 'migrate', '0123456789ab', 'other')], { root });
    assert.equal(restore.code, 2, restore.stderr);
    assert.match(restore.stderr, /not a migration's stage directory/);
    await assert.rejects(readStaged(root, join(root, 'migrate', '0123456789ab', 'other'), planWith(['a'])), UsageError);
    await assert.rejects(readStaged(root, join(root, 'migrate', 'not-an-id', 'staged'), planWith(['a'])), UsageError);
  });

  test('only whole stages are used: a missing or foreign base.json, or no data directory, means a whole restore', async (t) => {
    const root = await tempDir(t);
    const dir = join(root, 'migrate', '0123456789ab', 'staged');
    const whole = snapshot('1');
    for (const name of ['whole', 'partial', 'foreign']) await mkdir(join(dir, name, 'data'), { recursive: true });
    await writeFile(join(dir, 'whole', 'base.json'), JSON.stringify({ snapshot: whole }));
    await writeFile(join(dir, 'foreign', 'base.json'), JSON.stringify({ snapshot: { ...whole, mediaType: 'application/octet-stream' } }));
    // Used already (the data was patched and renamed into a volume), or a file where the data should be.
    await mkdir(join(dir, 'used'), { recursive: true });
    await writeFile(join(dir, 'used', 'base.json'), JSON.stringify({ snapshot: whole }));
    await mkdir(join(dir, 'notadir'), { recursive: true });
    await writeFile(join(dir, 'notadir', 'base.json'), JSON.stringify({ snapshot: whole }));
    await writeFile(join(dir, 'notadir', 'data'), 'not a directory');
    const { staged, bases } = await readStaged(root, dir, planWith(['whole', 'partial', 'foreign', 'used', 'notadir']));
    assert.deepEqual([...staged.keys()], ['whole']);
    assert.deepEqual(staged.get('whole'), { dir: join(dir, 'whole', 'data'), base: whole.digest });
    assert.deepEqual(bases, [whole]);
  });
});
