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
"$rc_dir/bin/run_tests.py" --dev ${type}0 --gpu udmabuf -v -k DmaBuf >"$out" 2>&1
rc=$?
echo "TAP version 13"
awk '
/ \.\.\. / {
	name = $0; sub(/ \.\.\. .*/, "", name); res = $NF
	n++
	if (res == "ok") print "ok " n " " name
	else if ($0 ~ /skipped/) { sub(/.*skipped /, ""); print "ok " n " " name " # SKIP " $0 }
	else { print "not ok " n " " name; bad = 1 }
}
END { print "1.." n }' "$out"
sed 's/^/# /' "$out" | tail -40
rm -f "$out"
exit $rc
