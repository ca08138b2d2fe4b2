/**
 * Interop with the real tools on this machine: what `lifeboat save` writes, Docker, Podman, skopeo
 * and umoci read (and run); what Docker and skopeo write, `lifeboat load` reads. One private dockerd
 * serves the whole file and is stopped by pid at the end.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { lifeboatOk } from '../helpers/cli.js';
import { startDockerd, type Dockerd } from '../helpers/dockerd.js';
import { buildLayer, configFor, imageArchive } from '../helpers/image-archives.js';
import { podmanIn } from '../helpers/podman.js';
import { needs } from '../helpers/requirements.js';
import { tempDir } from '../helpers/tmp.js';

// Temp dirs made in before() are removed when the whole suite ends, not when the hook does.
const cleanups: Array<() => unknown> = [];
const suite = { after: (fn: () => unknown) => void cleanups.push(fn) };

/** A store holding the base image plus `app:1`, which prints a message baked into its layer. */
async function storeWithApp(): Promise<{ root: string; dir: string }> {
  const root = await tempDir(suite);
  const dir = await tempDir(suite);
  await lifeboatOk(['image', 'build-base'], { root });
  const base = JSON.parse((await lifeboatOk(['inspect', 'localhost/lifeboat-base'], { root })).stdout) as Array<{ Layers: Array<{ digest: string }> }>;
  const layerPath = join(root, 'blobs', 'sha256', base[0]!.Layers[0]!.digest.slice(7));
  const scratch = join(dir, 'rootfs');
  execFileSync('mkdir', ['-p', scratch]);
  execFileSync('tar', ['-xf', layerPath, '-C', scratch]);
  await writeFile(join(scratch, 'message.txt'), 'saved by lifeboat\n');
  execFileSync('sh', ['-c', `tar -C ${scratch} -cf ${join(dir, 'app.tar')} .`]);
  await lifeboatOk(['import', '-c', 'CMD ["cat","/message.txt"]', join(dir, 'app.tar'), 'app:1'], { root });
  return { root, dir };
}

describe('save/load interop', { skip: needs({ root: true, commands: ['dockerd', 'docker', 'skopeo', 'umoci', 'podman'] }) }, () => {
  let dockerd: Dockerd;
  let root: string;
  let dir: string;
  before(async () => {
    dockerd = await startDockerd();
    ({ root, dir } = await storeWithApp());
  });
  after(async () => {
    await dockerd?.stop();
    for (const c of cleanups) await c();
  });

  for (const compress of ['none', 'gzip'] as const) {
    test(`lifeboat save (${compress}) → docker load → docker run prints the image's file`, async () => {
      const file = join(dir, `save-${compress}.tar`);
      await lifeboatOk(['save', 'app:1', '--compress', compress, '-o', file], { root });
      const loaded = dockerd.docker(['load', '-i', file]);
      assert.equal(loaded.status, 0, loaded.stderr);
      assert.match(loaded.stdout, /Loaded image: app:1/);
      const run = dockerd.docker(['run', '--rm', '--network', 'none', 'app:1']);
      assert.equal(run.status, 0, run.stderr);
      assert.equal(run.stdout, 'saved by lifeboat\n');
      dockerd.docker(['rmi', 'app:1']);
    });
  }

  test('docker import + commit → docker save → lifeboat load keeps layers, config and names', async () => {
    const tar = join(dir, 'app.tar');
    assert.equal(dockerd.docker(['import', tar, 'dbase:1']).status, 0);
    const run = dockerd.docker(['run', '--name', 'lbc', '--network', 'none', 'dbase:1', '/bin/sh', '-c', 'echo from docker commit > /committed.txt']);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(dockerd.docker(['commit', '-c', 'CMD ["cat","/committed.txt"]', 'lbc', 'dcommit:1']).status, 0);
    dockerd.docker(['rm', 'lbc']);
    const file = join(dir, 'docker-save.tar');
    assert.equal(dockerd.docker(['save', '-o', file, 'dcommit:1']).status, 0);
    const other = await tempDir(suite);
    assert.match((await lifeboatOk(['load', '-i', file], { root: other })).stdout, /^Loaded image: dcommit:1\n$/);
    const [img] = JSON.parse((await lifeboatOk(['inspect', 'dcommit:1'], { root: other })).stdout) as Array<{ Config: { Cmd: string[] }; RootFS: { Layers: string[] } }>;
    assert.deepEqual(img!.Config.Cmd, ['cat', '/committed.txt']);
    const dockerDiffIds = JSON.parse(dockerd.docker(['inspect', '--format', '{{json .RootFS.Layers}}', 'dcommit:1']).stdout) as string[];
    assert.deepEqual(img!.RootFS.Layers, dockerDiffIds);
    assert.equal((await lifeboatOk(['system', 'check', '--json'], { root: other })).code, 0);
  });

  test('lifeboat run → commit → save → docker load → docker run prints what the container wrote', async () => {
    await lifeboatOk(['run', '--name', 'writer', 'localhost/lifeboat-base', 'sh', '-c', 'echo written before commit > /greeting.txt'], { root });
    await lifeboatOk(['commit', '-c', 'CMD ["cat","/greeting.txt"]', 'writer', 'committed:1'], { root });
    await lifeboatOk(['rm', 'writer'], { root });
    const file = join(dir, 'committed.tar');
    await lifeboatOk(['save', 'committed:1', '-o', file], { root });
    assert.equal(dockerd.docker(['load', '-i', file]).status, 0);
    const run = dockerd.docker(['run', '--rm', '--network', 'none', 'committed:1']);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout, 'written before commit\n');
  });

  test('docker commit → docker save → lifeboat load → lifeboat run prints what the docker container wrote', async () => {
    const tar = join(dir, 'app.tar');
    assert.equal(dockerd.docker(['import', tar, 'dimported:1']).status, 0);
    assert.equal(dockerd.docker(['run', '--name', 'dwriter', '--network', 'none', 'dimported:1', '/bin/sh', '-c', 'echo written by docker > /from-docker.txt']).status, 0);
    assert.equal(dockerd.docker(['commit', '-c', 'CMD ["cat","/from-docker.txt"]', 'dwriter', 'fromdocker:1']).status, 0);
    dockerd.docker(['rm', 'dwriter']);
    const file = join(dir, 'fromdocker.tar');
    assert.equal(dockerd.docker(['save', '-o', file, 'fromdocker:1']).status, 0);
    const other = await tempDir(suite);
    await lifeboatOk(['load', '-i', file], { root: other });
    const run = await lifeboatOk(['run', '--rm', 'fromdocker:1'], { root: other });
    assert.equal(run.stdout, 'written by docker\n');
  });

  test('lifeboat save → podman load → podman run', async () => {
    const file = join(dir, 'podman.tar');
    await lifeboatOk(['save', 'app:1', '--compress', 'gzip', '-o', file], { root });
    const podman = podmanIn(await tempDir(suite));
    const load = podman(['load', '-i', file]);
    assert.equal(load.status, 0, load.stderr);
    const run = podman(['run', '--rm', '--pull=never', '--network', 'none', 'docker.io/library/app:1']);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout, 'saved by lifeboat\n');
  });

  test('lifeboat save → skopeo copy (verifies every digest) and umoci unpack', async () => {
    const file = join(dir, 'skopeo.tar');
    await lifeboatOk(['save', 'app:1', '-o', file], { root });
    const out = await tempDir(suite);
    const env = { ...process.env, TMPDIR: out };
    execFileSync('skopeo', ['copy', '--quiet', `oci-archive:${file}:1`, `oci:${join(out, 'oci')}:app`], { env });
    execFileSync('skopeo', ['copy', '--quiet', `docker-archive:${file}`, `dir:${join(out, 'dir')}`], { env });
    execFileSync('mkdir', [join(out, 'layout')]);
    execFileSync('tar', ['-xf', file, '-C', join(out, 'layout')]);
    execFileSync('umoci', ['unpack', '--image', `${join(out, 'layout')}:1`, join(out, 'bundle')], { env });
    assert.equal(await readFile(join(out, 'bundle', 'rootfs', 'message.txt'), 'utf8'), 'saved by lifeboat\n');
  });

  test('a corrupted lifeboat archive is refused by skopeo too (the digests mean something)', async () => {
    const layer = await buildLayer({ files: { a: 'x'.repeat(5000) } });
    const good = await imageArchive([layer], { config: configFor([layer]) });
    const bad = Buffer.from(good);
    const at = bad.indexOf(Buffer.from('x'.repeat(100)));
    bad[at] = 0x79;
    const file = join(dir, 'bad.tar');
    await writeFile(file, bad);
    const out = await tempDir(suite);
    assert.throws(() => execFileSync('skopeo', ['copy', '--quiet', `oci-archive:${file}:1`, `oci:${join(out, 'x')}:y`], { env: { ...process.env, TMPDIR: out }, stdio: 'pipe' }), /[Dd]igest/);
  });

  test('skopeo-written oci-archive and docker-archive → lifeboat load', async () => {
    const out = await tempDir(suite);
    const env = { ...process.env, TMPDIR: out };
    execFileSync('skopeo', ['copy', '--quiet', `oci:${root}:docker.io/library/app:1`, `docker-archive:${join(out, 'da.tar')}:skopeo/app:2`], { env });
    execFileSync('skopeo', ['copy', '--quiet', `oci:${root}:docker.io/library/app:1`, `oci-archive:${join(out, 'oa.tar')}:docker.io/skopeo/app:3`], { env });
    const other = await tempDir(suite);
    assert.match((await lifeboatOk(['load', '-i', join(out, 'da.tar')], { root: other })).stdout, /Loaded image: skopeo\/app:2/);
    assert.match((await lifeboatOk(['load', '-i', join(out, 'oa.tar')], { root: other })).stdout, /Loaded image: skopeo\/app:3/);
    const layers = (name: string, r: string) => lifeboatOk(['inspect', name], { root: r }).then((x) => (JSON.parse(x.stdout) as Array<{ RootFS: { Layers: string[] } }>)[0]!.RootFS.Layers);
    assert.deepEqual(await layers('skopeo/app:2', other), await layers('app:1', root));
    assert.deepEqual(await layers('skopeo/app:3', other), await layers('app:1', root));
  });
});
