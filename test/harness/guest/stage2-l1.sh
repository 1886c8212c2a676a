#!/bin/bash
# PID 1 of the L1 guest hypervisor after switch_root (root = overlay of this machine's /).
# Kernel command line: nb.hostname= nb.sshd_config= nb.libvirt=1
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc; mount -t sysfs sys /sys
mkdir -p /dev/pts /dev/shm; mount -t devpts devpts /dev/pts; mount -t tmpfs shm /dev/shm
mount -t tmpfs run /run; mkdir -p /run/sshd /run/lock
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null || true
exec </dev/console >/dev/console 2>&1
arg() { for a in $(cat /proc/cmdline); do case $a in "$1"=*) echo "${a#"$1"=}";; esac; done; }
hostname "$(arg nb.hostname)"; hostname > /etc/hostname
# forget the host's libvirt and runtime state that the lower layer shows
rm -rf /var/log/libvirt/qemu/* /etc/libvirt/qemu/*.xml /etc/libvirt/qemu/networks/autostart/* /var/lib/libvirt/qemu/* /var/run/libvirt/* 2>/dev/null
rm -f /.dockerenv   # a host artefact that would make systemd-detect-virt say "docker"
# a clean root home: the host's ~/.bashrc would run for every SSH command (slow under TCG)
mount -t tmpfs -o mode=0700 roothome /root
for m in virtio_net kvm_amd kvm_intel tun vhost_net; do modprobe $m 2>/dev/null; done
# what udev would do: QEMU run by libvirt (group kvm) must open /dev/kvm
[ -e /dev/kvm ] && { chgrp kvm /dev/kvm; chmod 660 /dev/kvm; }
ip link set lo up
IF=$(ls /sys/class/net | grep -v '^lo$' | head -1)
ip link set "$IF" up; ip addr add 10.0.2.15/24 dev "$IF"; ip route add default via 10.0.2.2
/usr/sbin/sshd -f "$(arg nb.sshd_config)" -E /var/log/sshd-l1.log
echo "stage2: sshd started at $(cut -d' ' -f1 /proc/uptime)s"
if [ "$(arg nb.libvirt)" = 1 ]; then
  /usr/sbin/virtlogd -d; /usr/sbin/libvirtd -d
  echo "stage2: libvirtd started at $(cut -d' ' -f1 /proc/uptime)s"
fi
exec setsid bash -c 'exec bash </dev/console >/dev/console 2>&1'
