#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# rdma-core's own test suite (bin/run_tests.py: pyverbs and the tests/
# directory) on rxe or siw, one device on veth0 of a veth pair, dma-bufs
# from /dev/udmabuf (rdma-core-patches/0003). The series must not turn any
# of its cases into an error. Most cases skip, for want of features these
# devices do not have (docs/workbench.md lists why); a floor of passing
# cases makes a run where everything skips fail: by default the whole
# suite's (rxe 100, siw 30; about 150 and 42 pass), or --min N.
#
# usage: rdma_core_tests.sh [rxe|siw] [--min N] [--repeat N TEST_ID]
#                           [run_tests.py arguments...]
#   e.g. rdma_core_tests.sh rxe --min 20 -k test_mr
# --repeat runs the one test TEST_ID (test_mr.MRTest.test_mr_rereg_pd)
# N times in one process (rdma_core_repeat.py), for races a single run
# hits only sometimes.
cd "$(dirname "$0")" || exit 1
. ./rdma_lib.sh
type=${1:-rxe}
[ $# -gt 0 ] && shift
case $type in
rxe) min=100 ;;
siw) min=30 ;;
*) echo "usage: $0 [rxe|siw] [--min N] [run_tests.py arguments...]" >&2; exit 2 ;;
esac
if [ "${1:-}" = --min ]; then
	min=$2
	shift 2
fi
repeat=
if [ "${1:-}" = --repeat ]; then
	repeat=$2 test_id=$3
	shift 3
fi
dev0_with_rdma_core 192.168.81 "$type"
out=$(mktemp)
if [ -n "$repeat" ]; then
	PYTHONWARNINGS=ignore PYTHONPATH="$rc_dir/python" python3 \
		./rdma_core_repeat.py "$rc_dir/../tests" "$repeat" "$test_id" \
		--dev ${type}0 --gpu udmabuf -v "$@" >"$out" 2>&1
else
	PYTHONWARNINGS=ignore "$rc_dir/bin/run_tests.py" --dev ${type}0 \
		--gpu udmabuf -v "$@" >"$out" 2>&1
fi
rc=$?
unittest_tap "$out" "$min" || rc=1
rm -f "$out"
exit $rc
