#!/usr/bin/env bash
# Builds the guest: a Debian 12 root with systemd as PID 1 (debootstrap), written into an ext4
# image without mounting it (mke2fs -d: no loop device), plus the Debian kernel and its initramfs
# taken from the image's /boot. Run as root by test/guest/run.mjs when the cache has no image for
# the current key; usage: build-image.sh OUT_DIR (created atomically: built in OUT_DIR.tmp).
set -euo pipefail
out=${1:?usage: build-image.sh OUT_DIR}
here=$(cd "$(dirname "$0")" && pwd)
mirror=${GUEST_MIRROR:-http://deb.debian.org/debian}
debs=${GUEST_DEB_CACHE:-$(dirname "$out")/debs}
tmp="$out.tmp"
root="$tmp/rootfs"

# debootstrap mounts proc/sys/dev inside the target; whatever happens, nothing stays mounted.
cleanup() {
  if [ -d "$root" ]; then
    awk -v r="$root" 'index($2, r) == 1 { print $2 }' /proc/mounts | sort -r | while read -r m; do umount -l "$m" || true; done
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
rm -rf "$tmp"
mkdir -p "$tmp" "$debs"

pkgs=$(grep -v '^#' "$here/packages.txt" | xargs | tr ' ' ',')
echo "# guest image: debootstrap bookworm ($pkgs)"
timeout 1200 debootstrap --variant=minbase --cache-dir="$debs" --include="$pkgs" bookworm "$root" "$mirror" \
  > "$tmp/debootstrap.log" 2>&1 || { tail -30 "$tmp/debootstrap.log" >&2; echo "build-image.sh: debootstrap failed" >&2; exit 1; }

# A headless, offline test machine: no logins, no timers, no network; docker and containerd
# start only when a suite asks for them.
echo runc-ts-guest > "$root/etc/hostname"
echo '/dev/vda / ext4 rw,noatime 0 1' > "$root/etc/fstab"
: > "$root/etc/machine-id"
passwd -R "$root" -d root >/dev/null
for u in getty@tty1.service serial-getty@ttyS0.service serial-getty@ttyS1.service \
         systemd-timesyncd.service apt-daily.timer apt-daily-upgrade.timer man-db.timer \
         e2scrub_all.timer e2scrub_reap.service fstrim.timer logrotate.timer dpkg-db-backup.timer \
         systemd-networkd-wait-online.service; do
  ln -sf /dev/null "$root/etc/systemd/system/$u"
done
chroot "$root" systemctl disable docker.service docker.socket containerd.service >/dev/null 2>&1 || true
install -m 0644 "$here/runc-ts-guest.service" "$root/etc/systemd/system/runc-ts-guest.service"
chroot "$root" systemctl enable runc-ts-guest.service >/dev/null
chroot "$root" apt-get clean

awk -v r="$root" 'index($2, r) == 1 { print $2 }' /proc/mounts | sort -r | while read -r m; do umount -l "$m"; done
kver=$(ls "$root/lib/modules" | sort -V | tail -1)
cp "$root/boot/vmlinuz-$kver" "$tmp/vmlinuz"
cp "$root/boot/initrd.img-$kver" "$tmp/initrd.img"
echo "$kver" > "$tmp/kernel-version"
# Room for bundles and images written during a run (they go to a throw-away snapshot anyway).
size_mb=$(( $(du -sm "$root" | cut -f1) + 3072 ))
mke2fs -q -t ext4 -L guestroot -d "$root" "$tmp/root.ext4" "${size_mb}M"
rm -rf "$root" "$tmp/debootstrap.log"
rm -rf "$out"
mv "$tmp" "$out"
echo "# guest image: $out (kernel $kver, $(du -sm "$out" | cut -f1) MB)"
