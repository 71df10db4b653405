#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# rdma-core's own dma-buf MR tests (tests/test_mr.py DmaBufMRTest,
# DmaBufTestCase) on rxe or siw, with pyverbs allocating the buffers from
# /dev/udmabuf (rdma-core-patches/0003) and checking data through the
# memfd. unittest's verbose output becomes TAP, one line per test.
#
# usage: pyverbs_dmabuf.sh [rxe|siw]
cd "$(dirname "$0")" || exit 1
. ./rdma_lib.sh
type=${1:-rxe}
dev0_with_rdma_core 192.168.80 "$type"
out=$(mktemp)
PYTHONWARNINGS=ignore "$rc_dir/bin/run_tests.py" --dev ${type}0 --gpu udmabuf -v -k DmaBuf >"$out" 2>&1
rc=$?
# every dma-buf case runs on rxe; on siw the two traffic cases skip
# (pyverbs finds no usable GID on siw, docs/workbench.md)
[ "$type" = siw ] && min=8 || min=10
unittest_tap "$out" "$min" || rc=1
rm -f "$out"
exit $rc
