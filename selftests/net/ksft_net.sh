#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run one of the kernel tree's Python net driver tests from the copy that
# scripts/build-ksft-net.sh builds in build/selftests/ksft, on netdevsim:
# with NETIF unset, NetDrvEpEnv creates two linked netdevsim devices, the
# remote end in a network namespace (its "deploy" of a binary is the local
# path). The test's KTAP output and exit status (0 pass, 1 fail) are passed
# through.
# usage: ksft_net.sh TEST.py [BINARY]
#   TEST.py and BINARY (a program it runs) relative to drivers/net
cd "$(dirname "$0")" || exit 1
net=ksft/tools/testing/selftests/drivers/net
if [ ! -f "$net/$1" ] || { [ -n "${2:-}" ] && [ ! -x "$net/$2" ]; }; then
	echo "1..0"
	echo "# Bail out! $net/$1 ${2:+or $net/$2 }missing: run scripts/build-ksft-net.sh"
	exit 1
fi
if [ ! -d /sys/bus/netdevsim ] && ! modprobe netdevsim; then
	echo "1..0 # SKIP netdevsim not available"
	exit 4
fi
unset NETIF REMOTE_TYPE REMOTE_ARGS LOCAL_V4 LOCAL_V6 REMOTE_V4 REMOTE_V6
# On a debug kernel (lockdep's /proc/lockdep) or a slow machine
# (selftests/run.sh measures PHYR_TIME_SCALE) let the tests relax their
# deadlines, as NIPA does for its debug-kernel runners.
if [ -e /proc/lockdep ] || [ "${PHYR_TIME_SCALE:-1}" -ge 3 ]; then
	export KSFT_MACHINE_SLOW=yes
fi
exec python3 "$net/$1"
