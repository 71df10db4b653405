#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest setup, run as PID 1 by /sbin/phyr-init with the project at /phyr:
# writable scratch mounts, debugfs, hugetlbfs, udev; then the command named
# by phyr.cmd= on the kernel command line. Its exit status is printed as
# "PHYR-EXIT: N" for the host, and the guest reboots (QEMU exits).
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb LANG=C.UTF-8

finish() {
	echo "PHYR-EXIT: $1"
	sync
	# Reboot at once; QEMU runs with -no-reboot and exits.
	echo b >/proc/sysrq-trigger
	sleep 10
	echo "guest-init: sysrq reboot failed"
}
arg() { tr ' ' '\n' </proc/cmdline | sed -n "s/^$1=//p" | tail -n 1; }

for d in /tmp /run /var/tmp /var/log /var/cache /root /mnt /media; do
	[ -d "$d" ] && mount -t tmpfs -o mode=0755 tmpfs "$d"
done
chmod 1777 /tmp /var/tmp
mkdir -p /dev/pts /dev/shm /dev/hugepages /run/lock
mount -t devpts -o gid=5,mode=620 devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t hugetlbfs hugetlbfs /dev/hugepages
mount -t debugfs debugfs /sys/kernel/debug
mount -t configfs configfs /sys/kernel/config 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t bpf bpf /sys/fs/bpf 2>/dev/null
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
hostname phyr-guest
ip link set lo up
ulimit -l unlimited

if [ -x /usr/lib/systemd/systemd-udevd ]; then
	/usr/lib/systemd/systemd-udevd --daemon --resolve-names=never 2>/dev/null
	udevadm trigger --action=add >/dev/null 2>&1
	udevadm settle --timeout=30 2>/dev/null
fi
# The dma-buf selftests' test module, built against the booted kernel
# (phyr.testmod= from scripts/vm.sh); the suites that use it fail by name
# without it.
testmod=$(arg phyr.testmod)
if [ -n "$testmod" ] && ! insmod "/phyr/$testmod"; then
	echo "guest-init: insmod /phyr/$testmod failed"
fi
echo "guest-init: ready at $(cut -d' ' -f1 /proc/uptime) s of uptime"

cmd=$(arg phyr.cmd)
cd /phyr
rc=0
if [ -z "$cmd" ] || [ ! -f "/phyr/$cmd" ]; then
	echo "guest-init: no command (phyr.cmd=$cmd)"
	rc=252
else
	bash "/phyr/$cmd" </dev/null || rc=$?
fi

# kmemleak: scan twice after the objects have aged, print what it found
# (the host treats any report as a failure).
if [ "$(arg phyr.kmemleak)" = 1 ] && [ -w /sys/kernel/debug/kmemleak ]; then
	echo "guest-init: kmemleak scan at $(cut -d' ' -f1 /proc/uptime) s of uptime"
	sleep 6
	if echo scan >/sys/kernel/debug/kmemleak &&
	   echo scan >/sys/kernel/debug/kmemleak; then
		cat /sys/kernel/debug/kmemleak
	else
		echo "kmemleak: unavailable, leaks were not checked"
	fi
fi
echo "guest-init: done at $(cut -d' ' -f1 /proc/uptime) s of uptime"
finish "$rc"
