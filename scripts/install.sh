#!/usr/bin/env bash
# Installs everything runc-ts needs on a fresh Debian machine (run as root): Debian packages
# (a C compiler for the native namespace stage, libseccomp, busybox-static for test rootfs,
# runc as the reference the tests compare against, dbus-daemon for the systemd driver's D-Bus
# tests, strace for the reliability suites, GNU time for the benchmark's RSS figures, docker.io
# for the end-to-end suite, QEMU and debootstrap for the guest VM suite in test/guest), the npm
# dependencies (Bun, the default engine, is one: the npm package @oven/bun-linux-<arch>, a
# binary inside a registry package, nothing fetched from elsewhere), the build (the compiled
# Bun executable and the Node bundles); then runs
# a hello-world container to prove it works.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then echo "scripts/install.sh: run as root" >&2; exit 1; fi
export DEBIAN_FRONTEND=noninteractive
need=()
for p in gcc libc6-dev libseccomp2 busybox-static runc python3 iproute2 dbus strace time qemu-system-x86 debootstrap; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# Docker and containerd (Debian's docker.io) for the end-to-end suite with real clients.
bash scripts/install-docker.sh

if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; else npm install --no-audit --no-fund --loglevel=error; fi
npm run --silent build
bash examples/hello.sh
