/** A valid backup record for the unit tests, declared as data (every field a restore reads). */
import { MediaType } from '../../../src/core/media-types.js';
import type { Digest } from '../../../src/core/digest.js';
import type { BackupRecord } from '../../../src/ops/backup-format.js';

export const D = (c: string) => `sha256:${c.repeat(64).slice(0, 64)}` as Digest;

export function sampleRecord(): BackupRecord {
  return {
    schemaVersion: 1,
    mediaType: MediaType.LifeboatBackup,
    created: '2026-01-02T03:04:05.000Z',
    hostname: 'web1',
    tags: ['nightly'],
    consistency: 'pause',
    container: {
      id: 'c'.repeat(64),
      name: 'web',
      created: '2026-01-01T00:00:00.000Z',
      image: 'busybox',
      imageId: D('1'),
      entrypoint: [],
      cmd: ['sh', '-c', 'sleep 1000'],
      process: { args: ['sh', '-c', 'sleep 1000'], env: ['PATH=/bin', 'MODE=prod'], cwd: '/', user: '' },
      hostname: 'web',
      network: 'none',
      ports: [{ hostIp: '', hostPort: '8080', containerPort: '80', protocol: 'tcp' }],
      labels: { tier: 'web' },
      restartPolicy: { name: 'on-failure', maxRetries: 3 },
      stopSignal: 'SIGTERM',
      stopTimeout: 10,
      healthcheck: { test: ['CMD-SHELL', 'true'], intervalMs: 1000, timeoutMs: 1000, startPeriodMs: 0, retries: 3 },
      openStdin: false,
      tty: false,
      mounts: [
        { type: 'volume', source: 'data', target: '/data', readOnly: false },
        { type: 'volume', source: 'a'.repeat(64), target: '/cache', readOnly: false, anonymous: true },
        { type: 'bind', source: '/srv/conf', target: '/etc/app', readOnly: true },
      ],
    },
    image: { manifest: { mediaType: MediaType.OciManifest, digest: D('2'), size: 400 }, names: ['docker.io/library/busybox:latest'] },
    writableLayer: { layer: { mediaType: MediaType.OciLayer, digest: D('3'), size: 2048 }, diffId: D('3'), entries: 4 },
    volumes: [
      { name: 'data', target: '/data', anonymous: false, snapshot: { mediaType: MediaType.LifeboatVolumeSnapshot, digest: D('4'), size: 900 }, files: 3, bytes: 100 },
      { name: 'a'.repeat(64), target: '/cache', anonymous: true, snapshot: { mediaType: MediaType.LifeboatVolumeSnapshot, digest: D('5'), size: 900 }, files: 0, bytes: 0 },
    ],
    binds: [{ source: '/srv/conf', target: '/etc/app', readOnly: true, snapshot: { mediaType: MediaType.LifeboatVolumeSnapshot, digest: D('6'), size: 900 }, files: 1, bytes: 5 }],
    stats: { bytes: 3000, addedBytes: 2000, sentBytes: 1500, unchangedFiles: 1, files: 4, heldMs: 20, durationMs: 300 },
  };
}
