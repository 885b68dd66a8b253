#!/usr/bin/env bash
# Installs Debian's Docker engine and containerd (docker.io pulls in containerd, the
# containerd-shim-runc-v2 shim, ctr and runc) if they are missing, for the end-to-end suite in
# test/docker. Idempotent: with everything present it does nothing (no apt-get update).
# The packages' own services are NOT started or enabled here: the suite starts private daemons
# of its own (scripts/docker-env.sh) so a machine's own Docker setup is never touched.
# Usage (as root): bash scripts/install-docker.sh
set -euo pipefail

if [ "$(id -u)" != 0 ]; then echo "scripts/install-docker.sh: run as root" >&2; exit 1; fi
export DEBIAN_FRONTEND=noninteractive

need=()
for p in docker.io containerd runc busybox-static util-linux; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
for b in dockerd containerd containerd-shim-runc-v2 ctr; do
  command -v "$b" >/dev/null 2>&1 || { [ ${#need[@]} -gt 0 ] || need+=(docker.io containerd); break; }
done

if [ ${#need[@]} -gt 0 ]; then
  echo "scripts/install-docker.sh: installing ${need[*]}" >&2
  # Keep the packages' maintainer scripts from starting docker/containerd services: a
  # temporary policy-rc.d (only when none exists) answers "no" to every invoke-rc.d start.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

for b in dockerd containerd containerd-shim-runc-v2 ctr; do
  command -v "$b" >/dev/null 2>&1 || { echo "scripts/install-docker.sh: $b still missing" >&2; exit 1; }
done
[ -x /usr/bin/docker ] || command -v docker >/dev/null 2>&1 || { echo "scripts/install-docker.sh: docker CLI missing" >&2; exit 1; }
