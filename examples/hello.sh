#!/usr/bin/env bash
# Runs a hello-world container with runc-ts: a busybox rootfs, `runc-ts spec`, `runc-ts run`.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bundle=$(mktemp -d /tmp/runc-ts-hello.XXXXXX)
trap 'rm -rf "$bundle"' EXIT
mkdir -p "$bundle/rootfs/bin"
cp "$(command -v busybox)" "$bundle/rootfs/bin/busybox"
for a in sh echo hostname id cat ls; do ln -s busybox "$bundle/rootfs/bin/$a"; done
cd "$bundle"
"$here/bin/runc-ts" spec
# Not interactive: no terminal; say hello with the container's hostname.
sed -i 's/"terminal": true/"terminal": false/; s/"sh"$/"sh", "-c", "echo Hello from $(hostname), a runc-ts container running as uid $(id -u)"/' config.json
"$here/bin/runc-ts" run "hello-$$"
