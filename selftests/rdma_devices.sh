#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Soft-RoCE (rxe) and soft-iWARP (siw) devices on both ends of a veth pair
# come up ACTIVE with RoCEv2 GIDs for the veth addresses, hold many CQs,
# QPs and an SRQ in one user context (rdma_mmap_keys), and go away
# cleanly. (RC traffic between two local rxe devices is issue 4's.)
set -u
. "$(dirname "$0")/ktap_helpers.sh"
. "$(dirname "$0")/rdma_lib.sh"

trap 'rdma_cleanup rxe0 rxe1 siw0 siw1' EXIT

ktap_print_header
ktap_set_plan 9

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

# Teardown: every device goes away with its link.
ok=1
for d in rxe0 rxe1 siw0 siw1; do rdma link delete "$d" || ok=0; done
left=$(rdma link show 2>/dev/null | grep -cE 'link (rxe|siw)[01]/')
[ $ok = 1 ] && [ "$left" = 0 ]
ktap_test_result "rdma link delete: all four gone ($left left)" test $? = 0
ktap_finished
