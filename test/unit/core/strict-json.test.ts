import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidInputError } from '../../../src/core/errors.js';
import { parseStrictJson } from '../../../src/core/strict-json.js';
import { parseImageConfig, parseIndex, parseManifest } from '../../../src/core/oci-validate.js';

const D = `sha256:${'b'.repeat(64)}`;
const desc = (mt = 'application/vnd.oci.image.layer.v1.tar') => ({ mediaType: mt, digest: D, size: 3 });

test('duplicate member names are refused (I-JSON)', () => {
  assert.throws(() => parseStrictJson('{"a":1,"a":2}'), /duplicate member names: "a"/);
});

test('member names differing only in case are refused (Layers vs layers)', () => {
  assert.throws(() => parseStrictJson('{"layers":[],"Layers":[]}'), /"layers" and "Layers"/);
});

test('the same key in different objects is fine, and strings with braces do not confuse the scan', () => {
  assert.deepEqual(parseStrictJson('{"a":{"k":"}{\\"k\\":"},"b":{"k":2},"c":[{"k":1},{"k":2}]}'), { a: { k: '}{"k":' }, b: { k: 2 }, c: [{ k: 1 }, { k: 2 }] });
});

test('escapes: a name spelled with unicode escapes is the same name, and backslashes before a quote are counted', () => {
  assert.throws(() => parseStrictJson('{"layers":[],"L\\u0061yers":[]}'), /"layers" and "Layers"/);
  assert.throws(() => parseStrictJson('{"a\\\\":1,"a\\u005c":2}'), /duplicate member names: "a\\"/);
  // "x\\" ends at the second quote (an escaped backslash, then the closing quote): the next name is k.
  assert.deepEqual(parseStrictJson('{"v":"x\\\\","k":1,"w":"\\\\\\"","K2":2}'), { v: 'x\\', k: 1, w: '\\"', K2: 2 });
  assert.throws(() => parseStrictJson('{"v":"x\\\\","k":1,"K":2}'), /"k" and "K"/);
});

test('oversized JSON is refused before parsing', () => {
  assert.throws(() => parseStrictJson('[' + '1,'.repeat(100) + '1]', 'doc', 50), (e: unknown) => e instanceof InvalidInputError && e.code === 'JSON_TOO_LARGE');
});

test('invalid UTF-8 is refused', () => {
  assert.throws(() => parseStrictJson(Buffer.from([0x22, 0xff, 0x22])), /./);
});

test('a valid manifest parses; schemaVersion 1 and bad digests are refused', () => {
  const m = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: desc('application/vnd.oci.image.config.v1+json'), layers: [desc()] };
  assert.equal(parseManifest(JSON.stringify(m)).layers.length, 1);
  assert.throws(() => parseManifest(JSON.stringify({ ...m, schemaVersion: 1 })), /schemaVersion: unsupported value 1/);
  assert.throws(() => parseManifest(JSON.stringify({ ...m, layers: [{ ...desc(), digest: 'sha256:XYZ' }] })), /layers.0.digest/);
  assert.throws(() => parseManifest(JSON.stringify({ ...m, layers: [{ ...desc(), size: -1 }] })), /layers.0.size/);
});

test('an index must have a manifests array (null is refused)', () => {
  assert.throws(() => parseIndex('{"schemaVersion":2,"manifests":null}'), /manifests/);
  assert.equal(parseIndex('{"schemaVersion":2,"manifests":[]}').manifests.length, 0);
});

test('config: rootfs.type must be layers, history may not outnumber diff_ids', () => {
  const c = { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [D] }, history: [{ created: 'x' }] };
  assert.equal(parseImageConfig(JSON.stringify(c)).rootfs.diff_ids.length, 1);
  assert.throws(() => parseImageConfig(JSON.stringify({ ...c, rootfs: { type: 'zfs', diff_ids: [D] } })), /rootfs.type must be "layers"/);
  assert.throws(() => parseImageConfig(JSON.stringify({ ...c, history: [{}, {}] })), /2 history entries with layers but only 1 diff_ids/);
  assert.throws(() => parseImageConfig(JSON.stringify({ ...c, config: { Env: ['NOEQUALS'] } })), /Env/);
});
