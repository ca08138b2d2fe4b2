#!/usr/bin/env bash
# The demo's steps: Lifeboat's main job end to end on a throw-away store and repository.
# Each step is a plain lifeboat command, printed before it runs.
set -euo pipefail
cd "$(dirname "$0")/.."
export LIFEBOAT_ROOT="${LIFEBOAT_DEMO_ROOT:-/var/lib/lifeboat-demo}"
REPO="${LIFEBOAT_DEMO_REPO:-/var/lib/lifeboat-demo-repo}"
cleanup() { ./bin/lifeboat rm -f demo-app >/dev/null 2>&1 || true; }
trap cleanup EXIT
cleanup
rm -rf "$LIFEBOAT_ROOT" "$REPO"
lb() { printf '\n\033[1m$ lifeboat %s\033[0m\n' "$*"; ./bin/lifeboat "$@"; }
say() { printf '\n\033[36m# %s\033[0m\n' "$*"; }

say "Store: $LIFEBOAT_ROOT (an OCI image layout); repository: $REPO. Both are removed and recreated on every run."
say "1. A tiny image, built from busybox without network"
lb image build-base
lb images

say "2. A container with a named volume and a change in its writable layer"
lb run -d --name demo-app -v demo-data:/data --health-cmd 'test -f /data/greeting' --health-interval 1s \
  localhost/lifeboat-base sh -c 'echo "hello from the volume" > /data/greeting; echo "changed in the writable layer" > /etc/motd; exec sleep 100000'
sleep 2
lb ps
lb exec demo-app cat /data/greeting /etc/motd

say "3. Commit: the writable layer becomes a new image layer (the volume stays out of it)"
lb commit -m "demo commit" demo-app demo/app:1
lb history demo/app:1

say "4. Snapshot the volume on its own (incremental, deduplicated)"
lb volume snapshot demo-data --tag demo
lb volume snapshots demo-data

say "5. Back the whole container up: config, image, writable layer, volume"
lb repo init "$REPO"
lb backup demo-app --to "$REPO" --tag demo
lb backups --repo "$REPO"
ID=$(./bin/lifeboat backups --repo "$REPO" -q | head -n1)

say "6. Disaster: the container, its volume and every image are gone"
lb rm -f demo-app
lb volume rm demo-data
lb rmi -f demo/app:1 localhost/lifeboat-base
lb system gc
lb images

say "7. Restore from the repository, start it, and prove it: still up and healthy after 5 s"
lb restore "$ID" --from "$REPO" --verify --verify-time 5s --start
lb ps
lb exec demo-app cat /data/greeting /etc/motd
lb verify "$ID" --repo "$REPO" --verify-time 3s

say "8. Everything checks out"
lb system check
lb repo check "$REPO" --read-data
echo
echo "Demo finished. Explore with: LIFEBOAT_ROOT=$LIFEBOAT_ROOT ./bin/lifeboat --help"
