/**
 * PackSink's record of what a snapshot names (refer): chunks are kept by size alone, other blobs
 * as their descriptors, and the answers are what they were with one map of descriptors: lacking()
 * gives back full descriptors of what neither the repository nor the sink has, refers() knows
 * every digest named, named() counts each digest once and says which the repository already had.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Digest } from '../../../src/core/digest.js';
import { sha256 } from '../../../src/core/hashing.js';
import { MediaType } from '../../../src/core/media-types.js';
import { LocalBackend } from '../../../src/repository/backends/local-backend.js';
import { PackSink } from '../../../src/repository/pack-sink.js';
import { RepoIndex } from '../../../src/repository/repo-index.js';
import { tempDir } from '../../helpers/tmp.js';

const digestOf = (s: string): Digest => sha256(Buffer.from(s));

test('refer, lacking, refers and named over chunks and trees', async (t) => {
  const backend = new LocalBackend(await tempDir(t));
  const index = new RepoIndex();
  const inRepo = digestOf('in the repository');
  index.addPack({ pack: digestOf('pack'), size: 100, blobs: [{ digest: inRepo, offset: 0, length: 10, encoding: 'raw', rawLength: 10 }] });
  const sink = new PackSink(backend, index);
  const given = digestOf('given to the sink');
  await sink.put(given, Buffer.from('given to the sink'));

  const chunk = (d: Digest, size: number) => ({ mediaType: MediaType.LifeboatChunk, digest: d, size });
  const tree = { mediaType: MediaType.LifeboatTree, digest: digestOf('a tree'), size: 7 };
  const lost = chunk(digestOf('nowhere'), 5);
  sink.refer([tree, chunk(inRepo, 10), chunk(given, 17), lost]);
  sink.refer([chunk(inRepo, 10), lost]); // named again by another directory

  assert.deepEqual(sink.lacking().sort((a, b) => a.digest.localeCompare(b.digest)), [tree, lost].sort((a, b) => a.digest.localeCompare(b.digest)));
  for (const d of [tree.digest, inRepo, given, lost.digest]) assert.equal(sink.refers(d), true, d);
  assert.equal(sink.refers(digestOf('never named')), false);
  assert.deepEqual(sink.named(), { blobs: 4, bytes: 7 + 10 + 17 + 5, skipped: { blobs: 1, bytes: 10 } });

  // One entry per digest whatever form it was named in last: an annotated descriptor is kept whole.
  const annotated = { ...lost, annotations: { 'org.example.note': 'x' } };
  sink.refer([annotated]);
  assert.deepEqual(sink.lacking().find((d) => d.digest === lost.digest), annotated);
  sink.refer([lost]);
  assert.deepEqual(sink.lacking().find((d) => d.digest === lost.digest), lost);
  assert.equal(sink.named().blobs, 4);
  await sink.abandon();
});
