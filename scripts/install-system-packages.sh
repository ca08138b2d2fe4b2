#!/usr/bin/env bash
# Installs the Debian packages Lifeboat and its tests use. Idempotent: does nothing when all are
# present. Used by .ci/run (fresh machine) and demo/run (a newcomer's machine).
#   busybox-static  the tiny base image          runc, crun        OCI runtimes (optional executor)
#   openssh-server  SFTP repositories, migration  docker.io         interop: our save -> docker load
#   skopeo, umoci   interop: OCI readers/writers  podman            interop: docker-archive loader
#   docker-registry a real registry on loopback   restic, borg      peers for bench/
#   attr            getfattr/setfattr in tests    nftables, iproute2 two-host network tests
#   zstd            zstd fixtures                 uidmap, fuse-overlayfs  rootless runtime
#   time            GNU time: peak RSS in bench/    openssl           a test certificate for HTTPS webhooks
#   g++, make, python3  node-gyp builds the native addon
set -euo pipefail
PACKAGES=(busybox-static time runc crun openssh-server docker.io skopeo umoci podman docker-registry restic borgbackup attr nftables iproute2 zstd uidmap fuse-overlayfs util-linux procps ca-certificates openssl g++ make python3)

# sshd refuses to start without its privilege-separation user; some images ship openssh-server
# without it (the package's postinst was skipped), so make sure of it whether or not we install.
ensure_sshd_user() {
  if [ "$(id -u)" -eq 0 ] && ! id -u sshd >/dev/null 2>&1; then
    adduser --quiet --system --no-create-home --home /run/sshd --shell /usr/sbin/nologin sshd
  fi
  if [ "$(id -u)" -eq 0 ]; then mkdir -p /run/sshd; fi
}

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  ensure_sshd_user
  echo "system packages: all present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "missing packages: ${missing[*]}; run as root (or: sudo $0)" >&2
  exit 1
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
ensure_sshd_user
