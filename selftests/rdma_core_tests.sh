#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# rdma-core's whole test suite (bin/run_tests.py: pyverbs and the tests/
# directory) on rxe or siw, one device on veth0 of a veth pair, dma-bufs
# from /dev/udmabuf (rdma-core-patches/0003). The series must not turn any
# of its cases into an error; the skips are explained in docs/rdma.md.
#
# usage: rdma_core_tests.sh [rxe|siw] [run_tests.py arguments...]
cd "$(dirname "$0")" || exit 1
. ./rdma_lib.sh
type=${1:-rxe}
shift
dev0_with_rdma_core 192.168.81 "$type"
out=$(mktemp)
PYTHONWARNINGS=ignore "$rc_dir/bin/run_tests.py" --dev ${type}0 --gpu udmabuf -v "$@" >"$out" 2>&1
rc=$?
unittest_tap "$out"
rm -f "$out"
exit $rc
