#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The kernel tree's own RDMA selftests (tools/testing/selftests/rdma: rxe
# on veth pairs and in network namespaces), run from the shared tree, one
# TAP line per script by its exit status, each under a timeout of 900 s.
# Most scripts send their own output to /dev/null: they run under bash -x,
# and a failing script's trace is the diagnostics.
#
# rdma_rxe, veth and tun are built in and the guest has no /lib/modules:
# builtin_modules_shim (lib/rdma_lib.sh) lets modinfo and modprobe answer
# for them.
#
# Without arguments it runs the Makefile's TEST_PROGS but the dma-buf MR
# scripts, which are suites of their own (rdma_dmabuf.sh).
#
# usage: ksft_rdma.sh [script...]
cd "$(dirname "$0")" || exit 1
. ./rdma_lib.sh
dir=$(cd ../linux/tools/testing/selftests/rdma 2>/dev/null && pwd)
if [ -z "$dir" ] || [ ! -f modules/modules.builtin ]; then
	echo "TAP version 13"
	echo "1..0 # SKIP no kernel tree or modules.builtin (scripts/build-selftests.sh)"
	exit 4
fi
tmp=$(mktemp -d /tmp/ksft_rdma.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
if ! builtin_modules_shim "$tmp"; then
	echo "TAP version 13"
	echo "Bail out! depmod failed"
	exit 1
fi

# Each script runs under bash -x with a timestamp on every traced
# command, so that a timeout shows where the time went: in session 10
# rxe_netns_names.sh overran 480 s under load, spread over its many
# "ip netns exec" and "rdma" calls between cases (its "rdma link add"
# was merely the command running when the timer fired), and rxe's
# "Couldn't create ib_mad QP1" of those runs is fixed by patch 0011.
# (bash takes no PS4 from the environment when it runs as root: set it
# from BASH_ENV.)
echo "PS4='+ \$EPOCHREALTIME '" >"$tmp/ps4"
export BASH_ENV=$tmp/ps4
if [ $# -gt 0 ]; then
	scripts=("$@")
else
	mapfile -t scripts < <(sed -n '/^TEST_PROGS :=/,/[^\\]$/p' "$dir/Makefile" |
		grep -o '[A-Za-z0-9_]*\.sh' | grep -v '_dmabuf_mr\.sh$')
fi
echo "TAP version 13"
echo "1..${#scripts[@]}"
n=0 bad=0
for s in "${scripts[@]}"; do
	n=$((n + 1))
	(cd "$dir" && exec timeout -k 10 900 bash -x "./$s") >"$tmp/out" 2>&1
	rc=$?
	case $rc in
	0)
		# the script's own KTAP results, if it prints any
		grep -E '^(not )?ok [0-9]' "$tmp/out" | sed 's/^/# /'
		echo "ok $n $s"
		;;
	4) echo "ok $n $s # SKIP $(grep -m1 -i skip "$tmp/out" | sed 's/^[+#[:space:]]*//')" ;;
	*)
		sed 's/^/# /' "$tmp/out" | tail -n 80
		echo "not ok $n $s # exit status $rc$( [ $rc = 124 ] && echo ", timed out")"
		bad=1
		;;
	esac
done
exit $bad
