#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Two netdevsim devices in two namespaces, linked as peers: ping crosses
# the link, and stops crossing once the link is removed.
set -u
. "$(dirname "$0")/ktap_helpers.sh"
. "$(dirname "$0")/nsim_lib.sh"

cleanup() {
	echo 1 >$NSIM/del_device 2>/dev/null
	echo 2 >$NSIM/del_device 2>/dev/null
	ip netns del nsim-a 2>/dev/null
	ip netns del nsim-b 2>/dev/null
}
trap cleanup EXIT

ktap_print_header
ktap_set_plan 5

ip netns add nsim-a && ip netns add nsim-b ||
	ktap_exit_fail_msg "cannot create namespaces"
if echo "1 1" >$NSIM/new_device && echo "2 1" >$NSIM/new_device; then
	a=$(nsim_netdev_of 1)
	b=$(nsim_netdev_of 2)
fi
if [ -n "${a:-}" ] && [ -n "${b:-}" ]; then
	ktap_test_pass "two netdevsim devices ($a, $b)"
else
	ktap_exit_fail_msg "netdevsim devices did not appear"
fi

ip link set "$a" netns nsim-a && ip link set "$b" netns nsim-b &&
ip -n nsim-a addr add 192.168.88.1/24 dev "$a" &&
ip -n nsim-b addr add 192.168.88.2/24 dev "$b" &&
ip -n nsim-a link set "$a" up && ip -n nsim-b link set "$b" up
ktap_test_result "move into namespaces, address, up" test $? = 0

nsim_link nsim-a "$a" nsim-b "$b"
ktap_test_result "link_device nsim-a/$a <-> nsim-b/$b" test $? = 0

out=$(ip netns exec nsim-a ping -c 3 -i 0.2 -W 2 192.168.88.2 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
ktap_test_result "ping across the netdevsim link" test $rc = 0

nsim_unlink nsim-a "$a"
ip netns exec nsim-a ping -c 1 -W 1 192.168.88.2 >/dev/null 2>&1
ktap_test_result "no ping once unlinked" test $? != 0
ktap_finished
