#!/bin/bash
# Builds what the nested-chain system test boots, from Debian packages only:
#   $NB_DIR/kernel/           Debian's kernel package unpacked (no update-initramfs)
#   $NB_DIR/vmlinux           uncompressed kernel: QEMU boots it by its PVH entry (faster under TCG)
#   $NB_DIR/vmlinuz
#   $NB_DIR/initramfs-l2.cpio.gz        busybox + dropbear + evidence tools (the L2 guest)
#   $NB_DIR/initramfs-hostshare.cpio.gz the L1 guest hypervisor: mounts this machine's / read
#                                       only over 9p (qemu, libvirt, sshd come from there)
# Inputs: NB_DIR, NB_CLIENT_PUB (authorized key for the guests). Idempotent; cached in NB_DIR.
set -euo pipefail
NB_DIR=${NB_DIR:?}
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$NB_DIR"
log() { printf '[guest-build] %s\n' "$*" >&2; }

if [[ ! -d $NB_DIR/kernel/boot ]]; then
  pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
  [[ -n $pkg ]] || { log "no Debian kernel package found (apt-get update?)"; exit 1; }
  mkdir -p "$NB_DIR/debs"
  (cd "$NB_DIR/debs" && apt-get download -q "$pkg" >/dev/null)
  rm -rf "$NB_DIR/kernel.tmp" && mkdir -p "$NB_DIR/kernel.tmp"
  dpkg-deb -x "$NB_DIR"/debs/"$pkg"_*.deb "$NB_DIR/kernel.tmp"
  mv "$NB_DIR/kernel.tmp" "$NB_DIR/kernel"
  log "unpacked $pkg"
fi
KDIR=$NB_DIR/kernel
KVER=$(ls "$KDIR/lib/modules" | sort -V | tail -1)
cp "$KDIR/boot/vmlinuz-$KVER" "$NB_DIR/vmlinuz"
if [[ ! -s $NB_DIR/vmlinux ]]; then
  off=$(LC_ALL=C grep -aboP '\xfd7zXZ\x00' "$NB_DIR/vmlinuz" | head -1 | cut -d: -f1)
  tail -c +$((off + 1)) "$NB_DIR/vmlinuz" | xz -dcq > "$NB_DIR/vmlinux" 2>/dev/null || true  # trailing data makes xz complain
  [[ -s $NB_DIR/vmlinux ]] || { log "could not extract vmlinux"; exit 1; }
fi
[[ -f $KDIR/lib/modules/$KVER/modules.dep ]] || depmod -b "$KDIR" "$KVER"

[[ -f $NB_DIR/dropbear_ed25519 ]] || dropbearkey -t ed25519 -f "$NB_DIR/dropbear_ed25519" >/dev/null
dropbearkey -y -f "$NB_DIR/dropbear_ed25519" | awk '/^ssh-/{print $1" "$2}' > "$NB_DIR/dropbear_ed25519.pub"

build_initramfs() {   # $1 output, $2 init file
  local out=$1 init=$2 R
  R=$(mktemp -d "$NB_DIR/root.XXXXXX")
  mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,etc/dropbear,proc,sys,dev,run,tmp,root/.ssh,var/log,lib64,lower,upper,newroot}
  cp /bin/busybox "$R/bin/busybox"
  for a in $("$R/bin/busybox" --list); do [[ -e $R/bin/$a ]] || ln -s busybox "$R/bin/$a"; done
  copy_with_libs() {
    local f=$1 l
    mkdir -p "$R$(dirname "$f")"; cp -L "$f" "$R$f"
    for l in $(ldd "$f" 2>/dev/null | grep -o '/[^ ]*'); do
      [[ -e $R$l ]] || { mkdir -p "$R$(dirname "$l")"; cp -L "$l" "$R$l"; }
    done
  }
  for b in /usr/sbin/dropbear /usr/bin/lscpu /usr/bin/dmesg /usr/sbin/dmidecode /usr/bin/x86info \
           /usr/bin/cpuid /usr/bin/systemd-detect-virt; do
    [[ -x $b ]] && copy_with_libs "$b"
  done
  ln -sf /usr/bin/dmesg "$R/bin/dmesg"; ln -sf /usr/bin/lscpu "$R/bin/lscpu"
  local m f rel
  mkdir -p "$R/lib/modules/$KVER"
  for m in virtio_net virtio_pci kvm kvm_amd kvm_intel 9p 9pnet_virtio overlay tun vhost_net msr cpuid; do
    for f in $(modprobe -d "$KDIR" -S "$KVER" --show-depends "$m" 2>/dev/null | awk '$1=="insmod"{print $2}'); do
      rel=${f#"${KDIR%/}"}; mkdir -p "$R$(dirname "$rel")"; cp -n "$f" "$R$rel"
    done
  done
  cp "$KDIR"/lib/modules/"$KVER"/modules.{order,builtin,builtin.modinfo} "$R/lib/modules/$KVER/" 2>/dev/null || true
  depmod -b "$R" "$KVER"
  printf 'root:x:0:0:root:/root:/bin/sh\n' > "$R/etc/passwd"
  printf 'root:x:0:\n' > "$R/etc/group"
  printf 'root:*:19000:0:99999:7:::\n' > "$R/etc/shadow"
  echo /bin/sh > "$R/etc/shells"
  cp "$NB_CLIENT_PUB" "$R/root/.ssh/authorized_keys"
  chmod 700 "$R/root/.ssh"; chmod 600 "$R/root/.ssh/authorized_keys"
  cp "$NB_DIR/dropbear_ed25519" "$R/etc/dropbear/dropbear_ed25519_host_key"
  cp "$init" "$R/init"; chmod +x "$R/init"
  (cd "$R" && find . -print0 | cpio --null -o -H newc --quiet | gzip -1) > "$out.tmp"
  mv "$out.tmp" "$out"
  rm -rf "$R"
}
build_initramfs "$NB_DIR/initramfs-l2.cpio.gz" "$HERE/init-l2"
build_initramfs "$NB_DIR/initramfs-hostshare.cpio.gz" "$HERE/init-hostshare"
log "kernel $KVER, initramfs ready in $NB_DIR"
