#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Two netdevsim devices in two namespaces, linked as peers: ping crosses
# the link, and stops crossing once the link is removed.
set -u
. "$(dirname "$0")/ktap_helpers.sh"

NSIM=/sys/bus/netdevsim
cleanup() {
	echo 1 >$NSIM/del_device 2>/dev/null
	echo 2 >$NSIM/del_device 2>/dev/null
	ip netns del nsim-a 2>/dev/null
	ip netns del nsim-b 2>/dev/null
}
trap cleanup EXIT

ktap_print_header
ktap_set_plan 5

netdev_of() {
	local i
	for i in $(seq 50); do
		ls "$NSIM/devices/netdevsim$1/net/" 2>/dev/null | head -n 1 | grep . && return
		udevadm settle 2>/dev/null || sleep 0.1
	done
}

ip netns add nsim-a && ip netns add nsim-b ||
	ktap_exit_fail_msg "cannot create namespaces"
if echo "1 1" >$NSIM/new_device && echo "2 1" >$NSIM/new_device; then
	a=$(netdev_of 1)
	b=$(netdev_of 2)
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

exec {fda}</run/netns/nsim-a
exec {fdb}</run/netns/nsim-b
ia=$(ip netns exec nsim-a cat /sys/class/net/"$a"/ifindex)
ib=$(ip netns exec nsim-b cat /sys/class/net/"$b"/ifindex)
echo "$fda:$ia $fdb:$ib" >$NSIM/link_device
ktap_test_result "link_device $fda:$ia $fdb:$ib" test $? = 0

out=$(ip netns exec nsim-a ping -c 3 -i 0.2 -W 2 192.168.88.2 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
ktap_test_result "ping across the netdevsim link" test $rc = 0

echo "$fda:$ia" >$NSIM/unlink_device
ip netns exec nsim-a ping -c 1 -W 1 192.168.88.2 >/dev/null 2>&1
ktap_test_result "no ping once unlinked" test $? != 0
exec {fda}<&- {fdb}<&-
ktap_finished
