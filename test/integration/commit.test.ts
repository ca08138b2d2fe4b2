/**
 * commit end to end on real containers: what enters the layer (changes, whiteouts, opaque dirs)
 * and what must not (volume contents), the config the new image keeps, --change/-m/-a, pausing,
 * an empty commit, and that a container from the new image runs the same way with the changes.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { needs } from '../helpers/requirements.js';
import { cleanupStore, runtimeStore, waitFor, type RuntimeStore } from '../helpers/runtime-store.js';

interface ImageJson {
  Id: string;
  Config: { Cmd: string[]; Env: string[]; WorkingDir: string; Labels: Record<string, string>; ExposedPorts?: Record<string, unknown> };
  Layers: Array<{ digest: string; size: number }>;
  History: Array<{ created_by?: string; comment?: string; author?: string; empty_layer?: boolean }>;
  Author: string;
}

describe('commit', { skip: needs({ root: true, commands: ['unshare', 'tar'] }), concurrency: false }, () => {
  let s: RuntimeStore;
  before(async () => {
    s = await runtimeStore();
  });
  after(async () => {
    if (s) await cleanupStore(s.root);
  });
  const ok = async (args: string[]) => {
    const r = await s.cli(args);
    assert.equal(r.code, 0, `lifeboat ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const image = async (name: string) => (JSON.parse(await ok(['inspect', '--type', 'image', name])) as ImageJson[])[0]!;
  const layerListing = (digest: string) => execFileSync('tar', ['-tf', join(s.root, 'blobs', 'sha256', digest.slice(7))], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();

  test('a running container is committed with its changes, whiteouts and opaque dirs, but not its volume data', async () => {
    await ok([
      'run', '-d', '--name', 'c1', '-v', 'vol1:/data', '-e', 'APP=1', '-w', '/srv', '--label', 'tier=web', '-p', '8080:80',
      s.image, 'sh', '-c', 'echo changed > /etc/motd; rm /bin/vi; rm -rf /home; mkdir /home; touch /home/new; echo secret > /data/db; echo ready > /tmp/ready; sleep 300',
    ]);
    await waitFor('the container to write its files', async () => (await s.cli(['exec', 'c1', 'cat', '/tmp/ready'])).stdout === 'ready\n');
    const id = (await ok(['commit', '-m', 'snapshot of c1', '-a', 'Ann <ann@example.com>', '-c', 'ENV EXTRA=yes', 'c1', 'committed:1'])).trim();
    assert.match(id, /^sha256:[a-f0-9]{64}$/);
    const img = await image('committed:1');
    const base = await image(s.image);
    assert.equal(img.Layers.length, base.Layers.length + 1);
    const listing = layerListing(img.Layers.at(-1)!.digest);
    for (const expected of ['bin/.wh.vi', 'etc/motd', 'home/.wh..wh..opq', 'home/new', 'tmp/ready']) assert.ok(listing.includes(expected), `${expected} in ${listing.join(', ')}`);
    assert.ok(listing.includes('data/'), 'the mount point itself is kept');
    assert.ok(!listing.some((p) => p.startsWith('data/') && p !== 'data/'), 'no volume contents in the layer');
    assert.ok(!listing.some((p) => /\.wh\.(hostname|hosts|resolv\.conf)$/.test(p) || p === 'proc/' || p.startsWith('dev/')), `runtime mountpoints stay out: ${listing.join(', ')}`);
    assert.ok(img.Config.Env.includes('APP=1') && img.Config.Env.includes('EXTRA=yes'));
    assert.equal(img.Config.WorkingDir, '/srv');
    assert.equal(img.Config.Labels.tier, 'web');
    assert.ok(img.Config.ExposedPorts && '80/tcp' in img.Config.ExposedPorts);
    assert.equal(img.Author, 'Ann <ann@example.com>');
    const top = img.History.at(-1)!;
    assert.equal(top.comment, 'snapshot of c1');
    assert.match(top.created_by ?? '', /^sh -c echo changed/);
    const state = JSON.parse(await ok(['inspect', '--type', 'container', 'c1'])) as Array<{ State: { Status: string } }>;
    assert.equal(state[0]!.State.Status, 'running', 'resumed after the commit');
  });

  test('a container from the committed image sees the changes and runs the same way', async () => {
    const out = await ok(['run', '--rm', 'committed:1', 'sh', '-c', 'cat /etc/motd; ls /bin/vi 2>&1; ls /home; ls -A /data | wc -l; pwd; echo $APP$EXTRA']);
    assert.equal(out, 'changed\nls: /bin/vi: No such file or directory\nnew\n0\n/srv\n1yes\n');
  });

  test('a commit with no changes adds an empty_layer history entry and no layer; --pause=false is accepted', async () => {
    await ok(['create', '--name', 'idle', s.image, 'true']);
    await ok(['commit', '--pause=false', 'idle', 'same:1']);
    const img = await image('same:1');
    const base = await image(s.image);
    assert.deepEqual(img.Layers, base.Layers);
    assert.equal(img.History.at(-1)!.empty_layer, true);
    assert.equal(img.History.length, base.History.length + 1);
  });

  test('commit of an unknown container is exit 3; a bad --change is exit 2', async () => {
    assert.equal((await s.cli(['commit', 'nope'])).code, 3);
    const bad = await s.cli(['commit', '-c', 'RUN rm -rf /', 'idle']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unsupported --change instruction RUN/);
  });
});
