#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# rdma-core's own dma-buf MR tests (tests/test_mr.py DmaBufMRTest,
# DmaBufTestCase) on rxe, with pyverbs allocating the buffers from
# /dev/udmabuf (rdma-core-patches/0003) and checking data through the
# memfd. unittest's verbose output becomes TAP, one line per test.
cd "$(dirname "$0")" || exit 1
bin=$(cd ../rdma-core/build/bin 2>/dev/null && pwd)
if [ -z "$bin" ] || [ ! -x "$bin/run_tests.py" ]; then
	echo "1..0 # SKIP rdma-core not built (scripts/build-rdma-core.sh)"
	exit 4
fi
cleanup() {
	rdma link delete rxe0 2>/dev/null
	ip link del veth0 2>/dev/null
}
trap cleanup EXIT
ip link add veth0 type veth peer name veth1 &&
ip addr add 192.168.80.1/24 dev veth0 && ip addr add 192.168.80.2/24 dev veth1 &&
ip link set veth0 up && ip link set veth1 up &&
rdma link add rxe0 type rxe netdev veth0 || {
	echo "1..0 # SKIP cannot create rxe0"
	exit 4
}
for i in $(seq 50); do
	ibv_devinfo -d rxe0 2>/dev/null | grep -q PORT_ACTIVE && break
	sleep 0.2
done
out=$(mktemp)
"$bin/run_tests.py" --dev rxe0 --gpu udmabuf -v -k DmaBuf >"$out" 2>&1
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
