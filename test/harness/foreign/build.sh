#!/bin/bash
# Builds a small guest of a foreign architecture from Debian 12 packages only:
#   $NB_DIR/$ARCH/kernel               the kernel image QEMU boots
#   $NB_DIR/$ARCH/initramfs.cpio.gz    busybox-static + dropbear-bin and its libraries, virtio-net
# ARCH: Debian architecture (arm64, ppc64el, s390x). NB_CLIENT_PUB: authorized key.
# NB_HOST_KEY: dropbear host key to install. The .debs are cached in $NB_DIR/debs-$ARCH.
set -euo pipefail
ARCH=${1:?usage: build.sh ARCH}; NB_DIR=${NB_DIR:?}
NB_CLIENT_PUB=${NB_CLIENT_PUB:?}; NB_HOST_KEY=${NB_HOST_KEY:?}
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$NB_DIR/$ARCH DEBS=$NB_DIR/debs-$ARCH
mkdir -p "$OUT" "$DEBS"
log() { printf '[foreign-build %s] %s\n' "$ARCH" "$*" >&2; }

case $ARCH in
  arm64) flavour=linux-image-cloud-arm64 ;;
  ppc64el) flavour=linux-image-powerpc64le ;;
  s390x) flavour=linux-image-s390x ;;
  *) log "unknown architecture"; exit 2 ;;
esac

# Rebuilt when the keys or this harness change; a newer Debian kernel is picked up once the
# cache folder is removed. Checked before asking apt, which is slow on a busy machine.
inputs=$(cat "$NB_CLIENT_PUB" "$NB_HOST_KEY" "$HERE/init" "$0" | sha256sum | cut -c1-16)
if [[ $(cat "$OUT/stamp" 2>/dev/null) == "$inputs" && -s $OUT/initramfs.cpio.gz && -s $OUT/kernel ]]; then
  log "cached in $OUT"; exit 0
fi
if ! dpkg --print-foreign-architectures | grep -qx "$ARCH"; then
  dpkg --add-architecture "$ARCH"
  apt-get update -qq
fi
kpkg=$(apt-cache depends "$flavour:$ARCH" | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
[[ -n $kpkg ]] || { log "no kernel package for $flavour (apt-get update?)"; exit 1; }
kpkg=${kpkg%%:*}
PKGS="$kpkg busybox-static dropbear-bin libc6 libcrypt1 libtomcrypt1 libtommath1 zlib1g libgmp10"
for p in $PKGS; do
  ls "$DEBS/${p}_"*"_$ARCH.deb" >/dev/null 2>&1 && continue
  (cd "$DEBS" && apt-get download -q -o APT::Sandbox::User=root "$p:$ARCH" >/dev/null) || { log "apt-get download $p:$ARCH failed"; exit 1; }
done
X=$(mktemp -d "$NB_DIR/x-$ARCH.XXXXXX")
trap 'rm -rf "$X"' EXIT
K=$X/kernel R=$X/root
mkdir -p "$K" "$R"
dpkg-deb -x "$DEBS/${kpkg}_"*"_$ARCH.deb" "$K"
KVER=$(ls "$K/lib/modules" | sort -V | tail -1)
for p in ${PKGS#"$kpkg"}; do dpkg-deb -x "$DEBS/${p}_"*"_$ARCH.deb" "$R"; done
rm -rf "$R/usr/share" "$R"/usr/lib/*/gconv "$R"/usr/lib/*/audit
# Debian 12 is merged-/usr: the loader path in the binaries is /lib/...
for d in bin sbin lib lib64; do
  [[ -d $R/usr/$d ]] || continue
  if [[ -d $R/$d && ! -L $R/$d ]]; then cp -a "$R/$d/." "$R/usr/$d/"; rm -rf "${R:?}/$d"; fi
  ln -sfn "usr/$d" "$R/$d"
done
mkdir -p "$R"/{proc,sys,dev,run,tmp,root/.ssh,var/log,etc/dropbear}
[[ -x $R/usr/bin/busybox ]] || { log "busybox-static has no /bin/busybox"; exit 1; }
# The applet links are made by the guest's init (busybox --install): this machine cannot run it.
ln -sf busybox "$R/usr/bin/sh"

mkdir -p "$R/lib/modules/$KVER"
[[ -f $K/lib/modules/$KVER/modules.dep ]] || depmod -b "$K" "$KVER"
for m in virtio_net virtio_pci virtio_ccw failover net_failover kvm kvm_hv kvm_pr; do
  for f in $(modprobe -d "$K" -S "$KVER" --show-depends "$m" 2>/dev/null | awk '$1=="insmod"{print $2}'); do
    rel=${f#"${K%/}"}; mkdir -p "$R$(dirname "$rel")"; cp -n "$f" "$R$rel"
  done
done
cp "$K"/lib/modules/"$KVER"/modules.{order,builtin,builtin.modinfo} "$R/lib/modules/$KVER/" 2>/dev/null || true
depmod -b "$R" "$KVER"

printf 'root:x:0:0:root:/root:/bin/sh\n' > "$R/etc/passwd"
printf 'root:x:0:\n' > "$R/etc/group"
printf 'root:*:19000:0:99999:7:::\n' > "$R/etc/shadow"
echo /bin/sh > "$R/etc/shells"
cp "$NB_CLIENT_PUB" "$R/root/.ssh/authorized_keys"
chmod 700 "$R/root/.ssh"; chmod 600 "$R/root/.ssh/authorized_keys"
cp "$NB_HOST_KEY" "$R/etc/dropbear/dropbear_ed25519_host_key"
cp "$HERE/init" "$R/init"; chmod +x "$R/init"
(cd "$R" && find . -print0 | cpio --null -o -H newc --quiet | gzip -1) > "$OUT/initramfs.cpio.gz.tmp"
mv "$OUT/initramfs.cpio.gz.tmp" "$OUT/initramfs.cpio.gz"
case $ARCH in
  ppc64el) cp "$K/boot/vmlinux-$KVER" "$OUT/kernel" ;;
  *) cp "$K/boot/vmlinuz-$KVER" "$OUT/kernel" ;;
esac
echo "$inputs" > "$OUT/stamp"
log "kernel $KVER, initramfs $(du -h "$OUT/initramfs.cpio.gz" | cut -f1) in $OUT"
