#!/usr/bin/env bash
# A private containerd + dockerd pair for the end-to-end suite in test/docker (and for trying
# runc-ts with Docker by hand), with BOTH runtimes registered: "runc-ts" (this checkout's
# bin/runc-ts) and Docker's built-in "runc" (Debian's /usr/sbin/runc, the reference).
#
#   eval "$(bash scripts/docker-env.sh start [DIR])"   # starts what is not running yet in DIR
#   docker run --rm --network none --runtime runc-ts runcts-busybox echo hi
#   ctr run --rm --runc-binary "$RUNCTS_BIN" docker.io/library/runcts-busybox:latest c1 echo hi
#   bash scripts/docker-env.sh stop [DIR]              # undoes everything it started
#   eval "$(bash scripts/docker-env.sh start --cri [DIR])"  # containerd with its CRI plugin, no dockerd
#
# With --cri (Kubernetes, test/kubernetes) containerd runs its CRI plugin instead of dockerd:
# runtime handlers "runc-ts" and "runc" (both io.containerd.runc.v2, cgroupfs, each its own
# runtime Root in DIR), a private CNI config dir that stays empty (pods use the host network,
# so CRI never calls CNI), the streaming server on 127.0.0.1 only, and two images built from
# the host's busybox in the k8s.io namespace: runcts-busybox (CMD sh) and runcts-pause
# (CMD sleep inf, the sandbox_image). Pods are expected under the cgroup parent printed as
# RUNCTS_CRI_CGROUP_PARENT, which stop removes.
#
# Everything lives under DIR (default /tmp/runc-ts-docker): containerd's root, state and socket,
# dockerd's config file, data root, exec root, socket and pid file. The host's /etc/docker,
# /etc/containerd, /var/lib/docker, /run/containerd/containerd.sock and any daemon already
# running on them are never read, written or signalled. The daemons make no network changes
# (no bridge, no iptables): containers run with --network none or share another container's.
# Container cgroups go under the private parents /runc-ts-docker-TAG (dockerd) and
# /runc-ts-ctr-TAG (ctr's namespace; TAG from DIR's name), so "stop" can remove exactly those.
#
# "start" records in DIR/started which daemons it started itself; "stop" stops only those (a
# daemon found already running in DIR was started by someone else and is left running, unless
# stop --all). It then removes the containers' leftovers: shims, mounts, cgroups, DIR.
# Needs root and scripts/install-docker.sh having been run.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
cmd="${1:-}"; shift || true
all=0
cri=0
if [ "${1:-}" = "--all" ]; then all=1; shift; fi
if [ "${1:-}" = "--cri" ]; then cri=1; shift; fi
DIR="${1:-${RUNCTS_DOCKER_DIR:-/tmp/runc-ts-docker}}"
mkdir -p "$DIR"; DIR="$(cd "$DIR" && pwd)"
# The mode a DIR was started in sticks to it (stop and env need not repeat --cri).
if [ "$cri" = 1 ]; then touch "$DIR/cri"; elif [ -e "$DIR/cri" ]; then cri=1; fi

RUNCTS_BIN="${RUNCTS_BIN:-$repo/bin/runc-ts}"
CTRD_SOCK="$DIR/containerd.sock"
DOCKER_SOCK="$DIR/docker.sock"
# Names unique to DIR, so that two environments never share a cgroup: dockerd's containers go
# under /runc-ts-docker-TAG/<id>, ctr's (whose cgroup is /<namespace>/<id>) under
# /runc-ts-ctr-TAG/<id>.
TAG="$(basename "$DIR" | tr -c 'A-Za-z0-9\n' '-' | sed 's/-*$//')"
DOCKER_NS=runc-ts-docker           # containerd namespace dockerd uses (containerd is private)
CTR_NS="runc-ts-ctr-$TAG"          # containerd namespace for ctr (also its cgroup parent)
DOCKER_CGROUP_PARENT="/runc-ts-docker-$TAG"
IMAGE=runcts-busybox:latest
CRI_NS=k8s.io                      # the namespace containerd's CRI plugin uses
CRI_CGROUP_PARENT="/runc-ts-cri-$TAG"
PAUSE_IMAGE=runcts-pause:latest
RUNC_BIN="${RUNC_BIN:-$(command -v runc || echo /usr/sbin/runc)}"
# Prefer the docker CLI that comes with the daemon (same API version).
DOCKER_CLI="${DOCKER_CLI:-$( [ -x /usr/bin/docker ] && echo /usr/bin/docker || command -v docker )}"

log() { echo "docker-env: $*" >&2; }
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
dk() { "$DOCKER_CLI" -H "unix://$DOCKER_SOCK" "$@"; }
ck() { ctr --address "$CTRD_SOCK" "$@"; }

wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...
  local t=$(( $1 * 10 )) what="$2"; shift 2
  for ((i = 0; i < t; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  log "timed out waiting for $what"; return 1
}

print_env() {
  cat <<EOF
export RUNCTS_DOCKER_DIR='$DIR'
export DOCKER_HOST='unix://$DOCKER_SOCK'
export DOCKER_CLI='$DOCKER_CLI'
export CONTAINERD_ADDRESS='$CTRD_SOCK'
export CONTAINERD_NAMESPACE='$CTR_NS'
export RUNCTS_BIN='$RUNCTS_BIN'
export RUNCTS_IMAGE='$IMAGE'
export RUNCTS_CTR_IMAGE='docker.io/library/$IMAGE'
export RUNCTS_DOCKER_CGROUP_PARENT='$DOCKER_CGROUP_PARENT'
EOF
  [ "$cri" = 1 ] && cat <<EOF
export RUNCTS_CRI_ENDPOINT='unix://$CTRD_SOCK'
export RUNCTS_CRI_NAMESPACE='$CRI_NS'
export RUNCTS_CRI_IMAGE='docker.io/library/$IMAGE'
export RUNCTS_CRI_PAUSE_IMAGE='docker.io/library/$PAUSE_IMAGE'
export RUNCTS_CRI_CGROUP_PARENT='$CRI_CGROUP_PARENT'
export RUNC_BIN='$RUNC_BIN'
EOF
  return 0
}

make_rootfs() { # make_rootfs DIR: a busybox root filesystem from the host's busybox-static
  local rootfs="$1"
  rm -rf "$rootfs"; mkdir -p "$rootfs"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,root,home/app,proc,sys,dev,run,var/tmp}
  chmod 1777 "$rootfs/tmp" "$rootfs/var/tmp"
  cp /bin/busybox "$rootfs/bin/busybox"
  local p
  for p in $(/bin/busybox --list-full); do
    [ -e "$rootfs/$p" ] || [ -L "$rootfs/$p" ] || ln -s /bin/busybox "$rootfs/$p"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$rootfs/etc/passwd"
  printf 'root:x:0:\napp:x:1000:\nnogroup:x:65534:\n' > "$rootfs/etc/group"
  chown 1000:1000 "$rootfs/home/app"
}

build_image() {
  # A busybox image from the host's busybox-static: no registry needed.
  local rootfs="$DIR/image-rootfs"
  make_rootfs "$rootfs"
  tar -C "$rootfs" -c . | dk import -c 'CMD ["sh"]' -c 'ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin' - "$IMAGE" >/dev/null
  rm -rf "$rootfs"
}

oci_archive() { # oci_archive ROOTFS NAME CMD_JSON: an OCI image layout tarball on stdout
  # One uncompressed layer; the config names the platform so that containerd unpacks it.
  local rootfs="$1" name="$2" cmd="$3" d layer lsize cfg csize man msize arch
  arch="$(dpkg --print-architecture 2>/dev/null || echo amd64)"
  d="$(mktemp -d "$DIR/oci.XXXXXX")"; mkdir -p "$d/blobs/sha256"
  tar -C "$rootfs" --numeric-owner -cf "$d/layer.tar" .
  layer="$(sha256sum < "$d/layer.tar" | cut -d' ' -f1)"; lsize="$(stat -c %s "$d/layer.tar")"
  mv "$d/layer.tar" "$d/blobs/sha256/$layer"
  printf '{"architecture":"%s","os":"linux","config":{"Env":["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":%s},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
    "$arch" "$cmd" "$layer" > "$d/config.json"
  cfg="$(sha256sum < "$d/config.json" | cut -d' ' -f1)"; csize="$(stat -c %s "$d/config.json")"
  mv "$d/config.json" "$d/blobs/sha256/$cfg"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' \
    "$cfg" "$csize" "$layer" "$lsize" > "$d/manifest.json"
  man="$(sha256sum < "$d/manifest.json" | cut -d' ' -f1)"; msize="$(stat -c %s "$d/manifest.json")"
  mv "$d/manifest.json" "$d/blobs/sha256/$man"
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"latest"}}]}' \
    "$man" "$msize" "$name" > "$d/index.json"
  echo '{"imageLayoutVersion":"1.0.0"}' > "$d/oci-layout"
  tar -C "$d" -c oci-layout index.json blobs
  rm -rf "$d"
}

import_cri_images() {
  local rootfs="$DIR/image-rootfs" name cmd
  make_rootfs "$rootfs"
  for pair in "$IMAGE|[\"sh\"]" "$PAUSE_IMAGE|[\"sleep\",\"inf\"]"; do
    name="docker.io/library/${pair%%|*}"; cmd="${pair#*|}"
    if ! ck -n "$CRI_NS" images check "name==$name" 2>/dev/null | grep -q complete; then
      oci_archive "$rootfs" "$name" "$cmd" | ck -n "$CRI_NS" images import - >/dev/null
      log "image $name imported into containerd namespace $CRI_NS"
    fi
  done
  rm -rf "$rootfs"
}

cri_config() {
  # containerd's CRI plugin with two runtime handlers; the names are what RunPodSandbox's
  # runtime_handler (a RuntimeClass's handler) selects.
  local rt bin
  mkdir -p "$DIR/cni/bin" "$DIR/cni/net.d"
  cat <<EOF
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "docker.io/library/$PAUSE_IMAGE"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  disable_tcp_service = true
  disable_apparmor = true
  enable_selinux = false
  netns_mounts_under_state_dir = true
  # Clamp the -998 CRI asks for pod sandboxes to containerd's own score: lowering it needs
  # CAP_SYS_RESOURCE, which a containerd in a container or a restricted VM lacks.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$DIR/cni/bin"
    conf_dir = "$DIR/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    default_runtime_name = "runc"
    snapshotter = "overlayfs"
EOF
  for rt in runc-ts runc; do
    bin="$RUNCTS_BIN"; [ "$rt" = runc ] && bin="$RUNC_BIN"
    cat <<EOF
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.$rt]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.$rt.options]
        BinaryName = "$bin"
        Root = "$DIR/runc-root-cri-$rt"
        SystemdCgroup = false
EOF
  done
}

start() {
  [ "$(id -u)" = 0 ] || { log "run as root"; exit 1; }
  local needed="containerd dockerd ctr containerd-shim-runc-v2"
  [ "$cri" = 1 ] && needed="containerd ctr containerd-shim-runc-v2"
  for b in $needed; do
    command -v "$b" >/dev/null || { log "$b missing: run scripts/install-docker.sh"; exit 1; }
  done
  [ -x "$RUNCTS_BIN" ] || { log "$RUNCTS_BIN is not executable"; exit 1; }
  touch "$DIR/started"
  # containerd 1.6 puts shim sockets in /run/containerd/s whatever its state dir: note whether
  # that directory was there, so that stop removes it (when empty) only if we made it.
  [ -e "$DIR/run-containerd-existed" ] || [ -e "$DIR/run-containerd-created" ] || {
    if [ -d /run/containerd ]; then touch "$DIR/run-containerd-existed"; else touch "$DIR/run-containerd-created"; fi; }

  if alive "$DIR/containerd.pid" && ck version >/dev/null 2>&1; then
    log "containerd already running in $DIR (pid $(cat "$DIR/containerd.pid")): reusing it"
  else
    mkdir -p "$DIR/containerd/root" "$DIR/containerd/state" "$DIR/containerd/opt"
    cat > "$DIR/containerd.toml" <<EOF
version = 2
root = "$DIR/containerd/root"
state = "$DIR/containerd/state"
$( [ "$cri" = 1 ] || printf '%s\n' '# No CRI (Kubernetes) plugin unless --cri: the suite drives containerd with ctr and dockerd.' 'disabled_plugins = ["io.containerd.grpc.v1.cri"]' )
[grpc]
  address = "$CTRD_SOCK"
[ttrpc]
  address = "$CTRD_SOCK.ttrpc"
[debug]
  address = "$DIR/containerd-debug.sock"
  level = "info"
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$DIR/containerd/opt"
EOF
    [ "$cri" = 1 ] && cri_config >> "$DIR/containerd.toml"
    rm -f "$CTRD_SOCK" "$CTRD_SOCK.ttrpc"
    setsid containerd --config "$DIR/containerd.toml" >"$DIR/containerd.log" 2>&1 < /dev/null &
    echo $! > "$DIR/containerd.pid"
    grep -qx containerd "$DIR/started" || echo containerd >> "$DIR/started"
    wait_for 30 containerd ck version || { tail -20 "$DIR/containerd.log" >&2; exit 1; }
    log "containerd started (pid $(cat "$DIR/containerd.pid"), log $DIR/containerd.log)"
  fi

  if [ "$cri" = 1 ]; then
    import_cri_images
    print_env | tee "$DIR/env"
    return 0
  fi

  if alive "$DIR/dockerd.pid" && dk version >/dev/null 2>&1; then
    log "dockerd already running in $DIR (pid $(cat "$DIR/dockerd.pid")): reusing it"
  else
    mkdir -p "$DIR/docker-data" "$DIR/docker-exec"
    cat > "$DIR/daemon.json" <<EOF
{
  "runtimes": { "runc-ts": { "path": "$RUNCTS_BIN" } },
  "default-runtime": "runc",
  "bridge": "none",
  "iptables": false,
  "ip6tables": false,
  "ip-forward": false,
  "ip-masq": false,
  "userland-proxy": false,
  "cgroup-parent": "$DOCKER_CGROUP_PARENT",
  "exec-opts": ["native.cgroupdriver=cgroupfs"],
  "storage-driver": "overlay2",
  "log-driver": "json-file",
  "features": { "buildkit": false }
}
EOF
    rm -f "$DOCKER_SOCK" "$DIR/docker.pid"
    setsid dockerd --config-file "$DIR/daemon.json" --data-root "$DIR/docker-data" \
      --exec-root "$DIR/docker-exec" -H "unix://$DOCKER_SOCK" --pidfile "$DIR/docker.pid" \
      --containerd "$CTRD_SOCK" --containerd-namespace "$DOCKER_NS" \
      --containerd-plugins-namespace "$DOCKER_NS-plugins" >"$DIR/dockerd.log" 2>&1 < /dev/null &
    echo $! > "$DIR/dockerd.pid"
    grep -qx dockerd "$DIR/started" || echo dockerd >> "$DIR/started"
    wait_for 60 dockerd dk version || { tail -30 "$DIR/dockerd.log" >&2; exit 1; }
    log "dockerd started (pid $(cat "$DIR/dockerd.pid"), log $DIR/dockerd.log)"
  fi

  if ! dk image inspect "$IMAGE" >/dev/null 2>&1; then
    build_image
    log "image $IMAGE imported"
  fi
  if ! ck -n "$CTR_NS" images check "name==docker.io/library/$IMAGE" 2>/dev/null | grep -q complete; then
    dk save "$IMAGE" | ck -n "$CTR_NS" images import - >/dev/null
    log "image docker.io/library/$IMAGE imported into containerd namespace $CTR_NS"
  fi
  print_env | tee "$DIR/env"
}

stop_pid() { # stop_pid PIDFILE NAME
  local pf="$1" name="$2" pid
  alive "$pf" || { rm -f "$pf"; return 0; }
  pid="$(cat "$pf")"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 150; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then log "$name (pid $pid) ignored SIGTERM: SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; sleep 0.5; fi
  rm -f "$pf"
  log "$name (pid $pid) stopped"
}

rm_cgroups() { # rm_cgroups PARENT: every hierarchy's PARENT subtree, deepest first
  local parent="$1" d
  for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
    d="${h%/}$parent"
    [ -d "$d" ] || continue
    # thaw first: a frozen cgroup's processes cannot be killed
    [ -f "$d/freezer.state" ] && find "$d" -name freezer.state -exec sh -c 'echo THAWED > "$1"' _ {} \; 2>/dev/null || true
    find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null || true
    [ -d "$d" ] && log "could not remove cgroup $d (still has processes?)"
  done
  return 0
}

stop() {
  local ours=""
  [ -f "$DIR/started" ] && ours="$(cat "$DIR/started")"
  [ "$all" = 1 ] && ours=$'containerd\ndockerd'
  if grep -qx dockerd <<<"$ours"; then
    if alive "$DIR/dockerd.pid"; then
      ids="$(dk ps -aq 2>/dev/null || true)"
      [ -n "$ids" ] && dk rm -f $ids >/dev/null 2>&1 || true
    fi
    stop_pid "$DIR/dockerd.pid" dockerd
  fi
  if grep -qx containerd <<<"$ours"; then
    if alive "$DIR/containerd.pid"; then
      for ns in "$CTR_NS" "$DOCKER_NS" "$CRI_NS"; do
        for t in $(ck -n "$ns" tasks ls -q 2>/dev/null); do ck -n "$ns" tasks kill -s KILL "$t" >/dev/null 2>&1 || true; done
        sleep 0.2
        for t in $(ck -n "$ns" tasks ls -q 2>/dev/null); do ck -n "$ns" tasks delete -f "$t" >/dev/null 2>&1 || true; done
        for c in $(ck -n "$ns" containers ls -q 2>/dev/null); do ck -n "$ns" containers delete "$c" >/dev/null 2>&1 || true; done
      done
    fi
    stop_pid "$DIR/containerd.pid" containerd
    # shims outlive containerd: end the ones that belong to this containerd (by its address)
    for p in $(pgrep -f "containerd-shim-runc-v2 .*-address $CTRD_SOCK" || true); do
      grep -qa -- "$CTRD_SOCK" "/proc/$p/cmdline" 2>/dev/null && kill -KILL "$p" 2>/dev/null && log "killed leftover shim $p"
    done
    # mounts under DIR (overlay rootfs, shm, netns...), deepest first
    awk -v d="$DIR" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r | while read -r m; do
      umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || log "could not unmount $m"
    done
    rm_cgroups "$DOCKER_CGROUP_PARENT"
    rm_cgroups "/$CTR_NS"
    rm_cgroups "$CRI_CGROUP_PARENT"
    if [ -e "$DIR/run-containerd-created" ]; then
      rmdir /run/containerd/s /run/containerd 2>/dev/null || true
    fi
    rm -rf "$DIR"
    log "removed $DIR"
  else
    log "left $DIR in place: its daemons were not started by this script (use stop --all)"
  fi
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  env) print_env ;;
  *) echo "usage: $0 start [--cri]|stop [--all]|env [DIR]" >&2; exit 2 ;;
esac
