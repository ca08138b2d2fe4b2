/**
 * bin/lifeboat starts node with NODE_EXTRA_CA_CERTS moved aside; the CLI puts it back before
 * anything else, so child processes see what the user set, and Lifeboat's own TLS trusts it.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { test } from 'node:test';
import { DEFERRED_CA_ENV, restoreDeferredCaCerts } from '../../../src/cli/launcher-env.js';
import { tlsTrust } from '../../../src/platform/tls-trust.js';
import { tempDir } from '../../helpers/tmp.js';

test('the deferred bundle is put back as NODE_EXTRA_CA_CERTS and the carrier removed', () => {
  const env: NodeJS.ProcessEnv = { [DEFERRED_CA_ENV]: '/etc/corp-ca.pem', PATH: '/bin' };
  restoreDeferredCaCerts(env);
  assert.deepEqual(env, { NODE_EXTRA_CA_CERTS: '/etc/corp-ca.pem', PATH: '/bin' });
  const untouched: NodeJS.ProcessEnv = { PATH: '/bin' };
  restoreDeferredCaCerts(untouched);
  assert.deepEqual(untouched, { PATH: '/bin' }, 'nothing deferred, nothing set');
});

test('tlsTrust: Node roots plus the bundle when one is named; defaults otherwise', async (t) => {
  assert.deepEqual(tlsTrust({}), {});
  const file = join(await tempDir(t), 'extra.pem');
  await writeFile(file, '-----BEGIN CERTIFICATE-----\nextra\n-----END CERTIFICATE-----\n');
  const { ca } = tlsTrust({ NODE_EXTRA_CA_CERTS: file });
  assert.equal(ca!.length, rootCertificates.length + 1);
  assert.equal(ca!.at(-1), await import('node:fs/promises').then((fs) => fs.readFile(file, 'utf8')));
  assert.equal(tlsTrust({ NODE_EXTRA_CA_CERTS: join(file, 'missing') }).ca!.length, rootCertificates.length, 'an unreadable bundle is left out, as Node does');
});
