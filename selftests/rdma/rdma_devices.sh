#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Soft-RoCE (rxe) and soft-iWARP (siw) devices on both ends of a veth pair
# come up ACTIVE with RoCEv2 GIDs for the veth addresses, hold many CQs,
# QPs and an SRQ in one user context (rdma_mmap_keys), and go away
# cleanly. An rxe device moved to another network namespace and back
# has its GSI QP (QP1, the MAD layer's) each time. (RC traffic between
# two local rxe devices is issue 4's.)
set -u
. "$(dirname "$0")/ktap_helpers.sh"
. "$(dirname "$0")/rdma_lib.sh"

cleanup() {
	ip netns del rdma-mv 2>/dev/null
	wait_until 20 rdma system set netns shared 2>/dev/null
	rdma_cleanup rxe0 rxe1 siw0 siw1
}
trap cleanup EXIT

ktap_print_header
ktap_set_plan 10

veth_pair 192.168.77.1 192.168.77.2 ||
	ktap_exit_fail_msg "cannot create the veth pair"

ok=1
rdma link add rxe0 type rxe netdev veth0 || ok=0
rdma link add rxe1 type rxe netdev veth1 || ok=0
rdma link add siw0 type siw netdev veth0 || ok=0
rdma link add siw1 type siw netdev veth1 || ok=0
[ $ok = 1 ] && ktap_test_pass "rdma link add: rxe0, rxe1, siw0, siw1" ||
	ktap_test_fail "rdma link add: rxe0, rxe1, siw0, siw1"

# The ports follow the carrier of the netdev: allow a few seconds.
wait_ports rxe0 rxe1 siw0 siw1
for d in rxe0 rxe1 siw0 siw1; do
	if port_active "$d"; then
		ktap_test_pass "$d: PORT_ACTIVE"
	else
		ibv_devinfo -d "$d" 2>&1 | sed 's/^/# /'
		ktap_test_fail "$d: PORT_ACTIVE"
	fi
done

g0=$(gid_index rxe0 192.168.77.1)
g1=$(gid_index rxe1 192.168.77.2)
if [ -z "$g0" ] || [ -z "$g1" ]; then
	ktap_test_fail "rxe RoCEv2 GIDs for the veth addresses (got '${g0:-}' '${g1:-}')"
else
	ktap_test_pass "rxe RoCEv2 GIDs for the veth addresses (index $g0, $g1)"
fi

# Many queues in one context: siw's mmap offsets must never be the one
# its user library takes for "no mapping".
for d in rxe0 siw0; do
	out=$("$(dirname "$0")/rdma_mmap_keys" "$d" 2>&1)
	rc=$?
	echo "$out" | sed 's/^/# /'
	ktap_test_result "$d: many CQs, QPs and an SRQ in one context" test $rc = 0
done

# The RDMA core disables and re-enables a device that moves to another
# network namespace (exclusive mode), and again when it comes back as
# that namespace goes away: the MAD layer destroys QP1 and creates it
# again, which rxe refused ("Couldn't create ib_mad QP1") until patch
# 0011, leaving the device without CM.
qp1() {	# device [netns]: the device has a GSI QP (lqpn 1)
	if [ -n "${2:-}" ]; then
		ip netns exec "$2" rdma resource show qp link "$1/1"
	else
		rdma resource show qp link "$1/1"
	fi 2>/dev/null | grep -q "lqpn 1 "
}
if ! rdma system set netns exclusive; then
	ktap_test_skip "rxe1: QP1 after a move to another netns and back: no exclusive mode"
else
	ok=1
	qp1 rxe1 || { echo "# rxe1 has no QP1 before the move"; ok=0; }
	ip netns add rdma-mv && rdma dev set rxe1 netns rdma-mv || ok=0
	wait_until 10 qp1 rxe1 rdma-mv ||
		{ echo "# rxe1 has no QP1 in rdma-mv"; ok=0; }
	ip netns del rdma-mv
	# the device comes back once the namespace is gone (a work item)
	wait_until 30 qp1 rxe1 ||
		{ echo "# rxe1 has no QP1 back in init_net"; ok=0; }
	dmesg | grep -q "Couldn't create ib_mad QP1" &&
		{ echo "# kernel: Couldn't create ib_mad QP1"; ok=0; }
	# shared mode again for the suites after this one
	wait_until 20 rdma system set netns shared 2>/dev/null ||
		{ echo "# cannot go back to shared mode"; ok=0; }
	ktap_test_result "rxe1: QP1 after a move to another netns and back" test $ok = 1
fi

# Teardown: every device goes away with its link.
ok=1
for d in rxe0 rxe1 siw0 siw1; do rdma link delete "$d" || ok=0; done
left=$(rdma link show 2>/dev/null | grep -cE 'link (rxe|siw)[01]/')
[ $ok = 1 ] && [ "$left" = 0 ]
ktap_test_result "rdma link delete: all four gone ($left left)" test $? = 0
ktap_finished
