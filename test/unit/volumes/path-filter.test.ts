/** `--include` paths: inside, ancestor or unrelated; ".." is refused, never resolved. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../../../src/core/errors.js';
import { PathFilter } from '../../../src/volumes/path-filter.js';

const c = (p: string) => p.split('/').map((x) => Buffer.from(x));

test('matches paths at, below and above the include paths', () => {
  const f = new PathFilter(['/db/base', 'logs']);
  assert.equal(f.match(c('db')), 'ancestor');
  assert.equal(f.match(c('db/base')), 'inside');
  assert.equal(f.match(c('db/base/1/2')), 'inside');
  assert.equal(f.match(c('db/other')), undefined);
  assert.equal(f.match(c('logs/x')), 'inside');
  assert.equal(f.match(c('dbx')), undefined);
  assert.equal(new PathFilter([]).match(c('anything')), 'inside');
});

test('".." and the root itself are refused', () => {
  assert.throws(() => new PathFilter(['../etc']), UsageError);
  assert.throws(() => new PathFilter(['a/../../b']), UsageError);
  assert.throws(() => new PathFilter(['/']), UsageError);
});
