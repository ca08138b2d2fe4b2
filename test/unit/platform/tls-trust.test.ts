/**
 * bin/lifeboat starts node with NODE_EXTRA_CA_CERTS moved aside; the CLI puts it back before
 * anything else, so child processes see what the user set, and Lifeboat's own TLS trusts it.
 */
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync } from 'node:fs';
import { createServer, get } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFERRED_CA_ENV, restoreDeferredCaCerts } from '../../../src/cli/launcher-env.js';
import { tlsTrust } from '../../../src/platform/tls-trust.js';
import { needs } from '../../helpers/requirements.js';
import { selfSignedCert } from '../../helpers/scheduler-process.js';
import { tempDir } from '../../helpers/tmp.js';

test('the deferred bundle is put back as NODE_EXTRA_CA_CERTS and the carrier removed', () => {
  const env: NodeJS.ProcessEnv = { [DEFERRED_CA_ENV]: '/etc/corp-ca.pem', PATH: '/bin' };
  restoreDeferredCaCerts(env);
  assert.deepEqual(env, { NODE_EXTRA_CA_CERTS: '/etc/corp-ca.pem', PATH: '/bin' });
  const untouched: NodeJS.ProcessEnv = { PATH: '/bin' };
  restoreDeferredCaCerts(untouched);
  assert.deepEqual(untouched, { PATH: '/bin' }, 'nothing deferred, nothing set');
});

test('tlsTrust: the default store plus the bundle when one is named; defaults otherwise; an unreadable bundle is left out and read again later', { skip: needs({ commands: ['openssl'] }) }, async (t) => {
  assert.deepEqual(tlsTrust({}), {});
  const dir = await tempDir(t);
  const tls = selfSignedCert(dir);
  const server = createServer({ key: readFileSync(tls.key), cert: readFileSync(tls.cert) }, (_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => (server.close(() => resolve()), server.closeAllConnections())));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const status = (opts: object) => new Promise<number | string>((resolve) => get(url, opts, (res) => (res.resume(), resolve(res.statusCode!))).on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message)));

  const missing = join(dir, 'later.pem');
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.message);
  process.on('warning', onWarning);
  t.after(() => process.off('warning', onWarning));
  assert.deepEqual(tlsTrust({ NODE_EXTRA_CA_CERTS: missing }), {}, 'an unreadable bundle: the defaults');
  assert.deepEqual(tlsTrust({ NODE_EXTRA_CA_CERTS: missing }), {});
  await new Promise((r) => setImmediate(r));
  assert.equal(warnings.filter((w) => w.includes(missing)).length, 1, 'warned about once, as Node does');
  assert.equal(await status({ agent: false }), 'DEPTH_ZERO_SELF_SIGNED_CERT', 'the defaults do not trust the test CA');

  copyFileSync(tls.cert, missing); // the file appears: the next connection reads it
  const trust = tlsTrust({ NODE_EXTRA_CA_CERTS: missing });
  assert.ok(trust.secureContext);
  assert.equal(await status({ agent: false, ...trust }), 200, 'the bundle is trusted');
  assert.equal(tlsTrust({ NODE_EXTRA_CA_CERTS: missing }), trust, 'and the context is built once');
});
