# SPDX-License-Identifier: GPL-2.0
# Helpers of the netdevsim suites (netdevsim.sh, nsim_steer.sh,
# zcrx_nsim.sh, nsim_rx_bench.sh). Sourced, not run.
. "$(dirname "${BASH_SOURCE[0]}")/wait_lib.sh"

NSIM=/sys/bus/netdevsim

# nsim_netdev_of ID: print the netdev of netdevsim device ID once it shows
# up (5 s at most, scaled); nothing if it never does
nsim_netdev_of() {
	wait_until 5 _nsim_has_netdev "$1" &&
		ls "$NSIM/devices/netdevsim$1/net/" | head -n 1
}
_nsim_has_netdev() { ls "$NSIM/devices/netdevsim$1/net/" 2>/dev/null | grep -q .; }

# nsim_link NS_A DEV_A NS_B DEV_B: make two netdevsim ports peers; an
# empty NS is the current namespace
nsim_link() {
	local fda fdb ia ib rc
	exec {fda}<"$(_nsim_ns_path "$1")" {fdb}<"$(_nsim_ns_path "$3")" || return
	ia=$(_nsim_in_ns "$1" cat /sys/class/net/"$2"/ifindex) &&
		ib=$(_nsim_in_ns "$3" cat /sys/class/net/"$4"/ifindex) &&
		echo "$fda:$ia $fdb:$ib" >$NSIM/link_device
	rc=$?
	exec {fda}<&- {fdb}<&-
	return $rc
}

_nsim_ns_path() {
	if [ -n "$1" ]; then
		echo "/run/netns/$1"
	else
		echo /proc/self/ns/net
	fi
}

_nsim_in_ns() {
	local ns=$1
	shift
	if [ -n "$ns" ]; then
		ip netns exec "$ns" "$@"
	else
		"$@"
	fi
}

# nsim_wait_listen PORT PID: wait (10 s at most, scaled) until a TCP
# socket listens on PORT in the current namespace; fail if PID exits first
nsim_wait_listen() { wait_listen "$1" "$2" 10; }

# nsim_unlink NS DEV: unlink a netdevsim port from its peer
nsim_unlink() {
	local fd i rc
	exec {fd}<"$(_nsim_ns_path "$1")" || return
	i=$(_nsim_in_ns "$1" cat /sys/class/net/"$2"/ifindex) &&
		echo "$fd:$i" >$NSIM/unlink_device
	rc=$?
	exec {fd}<&-
	return $rc
}
