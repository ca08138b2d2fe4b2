#!/usr/bin/env bash
# The demo's steps. Each one is a plain lifeboat command, printed before it runs.
set -euo pipefail
cd "$(dirname "$0")/.."
export LIFEBOAT_ROOT="${LIFEBOAT_DEMO_ROOT:-/var/lib/lifeboat-demo}"
rm -rf "$LIFEBOAT_ROOT"
lb() { printf '\n\033[1m$ lifeboat %s\033[0m\n' "$*"; ./bin/lifeboat "$@"; }

echo "Demo store: $LIFEBOAT_ROOT (an OCI image layout; removed and recreated on every run)"
lb image build-base
lb images
lb history localhost/lifeboat-base
printf '\n\033[1m$ tar -C <dir> -c . | lifeboat import -c "CMD [\\"cat\\",\\"/hello.txt\\"]" - demo/hello:1\033[0m\n'
scratch=$(mktemp -d); echo "hello from an imported image" > "$scratch/hello.txt"
tar -C "$scratch" -c . | ./bin/lifeboat import -c 'CMD ["cat","/hello.txt"]' - demo/hello:1
rm -rf "$scratch"
lb images
lb system df -v
lb system check
printf '\n\033[1m$ skopeo inspect --raw oci:%s:localhost/lifeboat-base:latest\033[0m   (the store is an OCI layout)\n' "$LIFEBOAT_ROOT"
if command -v skopeo >/dev/null; then TMPDIR=/tmp skopeo inspect --raw "oci:$LIFEBOAT_ROOT:localhost/lifeboat-base:latest"; echo; fi
echo
echo "Demo finished. Explore with: LIFEBOAT_ROOT=$LIFEBOAT_ROOT ./bin/lifeboat --help"
