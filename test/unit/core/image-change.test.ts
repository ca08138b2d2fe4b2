import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyChanges } from '../../../src/core/image-change.js';
import { UsageError } from '../../../src/core/errors.js';

test('--change instructions apply as Dockerfile instructions do', () => {
  const spec = applyChanges({ Env: ['A=1'] }, [
    'CMD ["sh","-c","echo hi"]',
    'ENTRYPOINT /entry.sh --flag',
    'ENV A=2 B="two words"',
    'ENV LEGACY some value',
    'LABEL app=web tier=front',
    'EXPOSE 80 53/udp',
    'VOLUME ["/data", "/logs"]',
    'USER 1000:1000',
    'WORKDIR /srv',
    'STOPSIGNAL SIGINT',
  ]);
  assert.deepEqual(spec.Cmd, ['sh', '-c', 'echo hi']);
  assert.deepEqual(spec.Entrypoint, ['/bin/sh', '-c', '/entry.sh --flag']);
  assert.deepEqual(spec.Env, ['A=2', 'B=two words', 'LEGACY=some value']);
  assert.deepEqual(spec.Labels, { app: 'web', tier: 'front' });
  assert.deepEqual(Object.keys(spec.ExposedPorts ?? {}), ['80/tcp', '53/udp']);
  assert.deepEqual(Object.keys(spec.Volumes ?? {}), ['/data', '/logs']);
  assert.equal(spec.User, '1000:1000');
  assert.equal(spec.WorkingDir, '/srv');
  assert.equal(spec.StopSignal, 'SIGINT');
});

test('unknown or malformed --change instructions are usage errors', () => {
  for (const bad of ['RUN echo hi', 'CMD', 'EXPOSE eighty', 'WORKDIR relative', 'VOLUME data']) {
    assert.throws(() => applyChanges({}, [bad]), UsageError, bad);
  }
});
