/**
 * Every path under a store root, in one place. The root is an OCI image layout (oci-layout,
 * index.json, blobs/) that skopeo and umoci read as is; Lifeboat's own state sits beside it.
 *
 *   oci-layout, index.json, blobs/sha256/   OCI layout: every blob but snapshot chunks; image refs
 *   packs/                                  volume snapshot chunks, packed (content/local-packs.ts)
 *   ingest/                                 blob and pack writes in progress
 *   quarantine/                             blobs that failed verification (evidence)
 *   locks/                                  flock files (store, refs, containers, volumes)
 *   snapshots/<chainid-hex>/                unpacked layers, one per chain ID, shared by containers
 *   containers/<id>/                        config, state, upper/ work/ rootfs/, logs
 *   volumes/<name>/                         _data/ and meta.json
 *   refs/volume-snapshots/                  snapshot records by volume
 *   run/                                    supervisor sockets and pid files (cleared on reboot)
 *   scheduler/                              run history (history.jsonl) and job locks
 */
import { join } from 'node:path';

export interface StoreLayout {
  root: string;
  blobs: string;
  packs: string;
  ingest: string;
  quarantine: string;
  locks: string;
  snapshots: string;
  containers: string;
  volumes: string;
  volumeSnapshotRefs: string;
  run: string;
  scheduler: string;
}

export function storeLayout(root: string): StoreLayout {
  return {
    root,
    blobs: join(root, 'blobs', 'sha256'),
    packs: join(root, 'packs'),
    ingest: join(root, 'ingest'),
    quarantine: join(root, 'quarantine'),
    locks: join(root, 'locks'),
    snapshots: join(root, 'snapshots'),
    containers: join(root, 'containers'),
    volumes: join(root, 'volumes'),
    volumeSnapshotRefs: join(root, 'refs', 'volume-snapshots'),
    run: join(root, 'run'),
    scheduler: join(root, 'scheduler'),
  };
}
