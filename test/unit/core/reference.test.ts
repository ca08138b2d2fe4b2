import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidReferenceError } from '../../../src/core/errors.js';
import { familiarString, normalizeReference, parseReference } from '../../../src/core/reference.js';

const HEX = 'a'.repeat(64);

// input → normalized stored form → familiar form
const VALID: Array<[string, string, string]> = [
  ['busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
  ['busybox:1.36', 'docker.io/library/busybox:1.36', 'busybox:1.36'],
  ['library/busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
  ['docker.io/busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
  ['index.docker.io/library/busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
  ['team/app', 'docker.io/team/app:latest', 'team/app:latest'],
  ['localhost/app', 'localhost/app:latest', 'localhost/app:latest'],
  ['localhost:5000/a/b:tag', 'localhost:5000/a/b:tag', 'localhost:5000/a/b:tag'],
  ['host.example.com:5000/a/b/c:v1.2-rc_3', 'host.example.com:5000/a/b/c:v1.2-rc_3', 'host.example.com:5000/a/b/c:v1.2-rc_3'],
  [`busybox@sha256:${HEX}`, `docker.io/library/busybox@sha256:${HEX}`, `busybox@sha256:${HEX}`],
  [`busybox:1@sha256:${HEX}`, `docker.io/library/busybox:1@sha256:${HEX}`, `busybox:1@sha256:${HEX}`],
  ['a__b/c-d.e:x', 'docker.io/a__b/c-d.e:x', 'a__b/c-d.e:x'],
  ['[::1]:5000/app:1', '[::1]:5000/app:1', '[::1]:5000/app:1'],
];

for (const [input, stored, familiar] of VALID) {
  test(`reference ${input} normalizes to ${stored}`, () => {
    assert.equal(normalizeReference(input), stored);
    assert.equal(familiarString(parseReference(input)), familiar);
  });
}

const INVALID: Array<[string, RegExp]> = [
  ['', /empty/],
  ['Busybox', /lowercase/],
  ['team/App', /lowercase/],
  ['busybox:', /invalid tag/],
  ['busybox:-bad', /invalid tag/],
  [`busybox:${'x'.repeat(129)}`, /invalid tag/],
  ['busybox@sha256:abc', /invalid digest/],
  [`busybox@sha512:${HEX}`, /invalid digest/],
  ['a//b', /invalid repository path/],
  ['-app', /invalid repository path/],
  ['app_', /invalid repository path/],
  ['bad_host.com/app', /invalid registry host/],
  [`${'a'.repeat(256)}`, /longer than 255/],
];

for (const [input, why] of INVALID) {
  test(`reference ${JSON.stringify(input.slice(0, 40))} is refused`, () => {
    assert.throws(() => parseReference(input), (err: unknown) => err instanceof InvalidReferenceError && why.test(err.message));
  });
}

test('a reference without tag keeps none when asked', () => {
  assert.equal(parseReference('busybox', { defaultTag: false }).tag, undefined);
});
