# SPDX-License-Identifier: GPL-2.0
# Helpers of the netdevsim suites (netdevsim.sh, nsim_steer.sh,
# zcrx_rdma.sh, copy_cost.sh, nsim_rx_bench.sh). Sourced, not run.
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

# nsim_zc_pair ID_RX ID_TX NS IP ADDR_RX ADDR_TX PLEN QUEUE PORT: the
# receive side of the zero-copy suites. Two linked netdevsim ports with 4
# queues, the sender's (device ID_TX) in network namespace NS (created
# here), addressed (IPv$IP, prefix PLEN) and up, checked with a ping; the
# receiver with header split (tcp-data-split on, hds-thresh 0), RSS over
# queues 0..QUEUE-1 and an ntuple rule that steers tcp dst-port PORT to
# QUEUE, as io_uring zcrx and devmem TCP need from a NIC. Sets rx, tx and
# rule (the rule's ID); on failure says why and returns 1.
nsim_zc_pair() {
	local id_rx=$1 id_tx=$2 ns=$3 ip=$4 addr_rx=$5 addr_tx=$6 plen=$7
	local queue=$8 port=$9 out
	rx="" tx="" rule=""
	ip netns add "$ns" && echo "$id_rx 1 4" >$NSIM/new_device &&
		echo "$id_tx 1 4" >$NSIM/new_device ||
		{ echo "cannot create the netdevsim ports"; return 1; }
	udevadm settle 2>/dev/null
	rx=$(nsim_netdev_of "$id_rx")
	tx=$(nsim_netdev_of "$id_tx")
	[ -n "$rx" ] && [ -n "$tx" ] && ip link set "$tx" netns "$ns" ||
		{ echo "netdevsim ports did not appear"; return 1; }
	nsim_link "" "$rx" "$ns" "$tx" &&
		ip -"$ip" addr add "$addr_rx/$plen" dev "$rx" nodad &&
		ip link set "$rx" up &&
		ip -n "$ns" -"$ip" addr add "$addr_tx/$plen" dev "$tx" nodad &&
		ip -n "$ns" link set lo up && ip -n "$ns" link set "$tx" up &&
		ip netns exec "$ns" ping -"$ip" -c 1 -W 5 "$addr_rx" >/dev/null ||
		{ echo "netdevsim pair $rx <-> $tx not linked"; return 1; }
	{ ethtool -G "$rx" tcp-data-split on hds-thresh 0 2>/dev/null ||
		ethtool -G "$rx" tcp-data-split on; } ||
		{ echo "$rx: no tcp-data-split"; return 1; }
	if ethtool -k "$rx" | grep -q 'ntuple-filters: off$'; then
		ethtool -K "$rx" ntuple on
	fi
	ethtool -X "$rx" equal "$queue" ||
		{ echo "$rx: no RSS over queues 0-$((queue - 1))"; return 1; }
	out=$(ethtool -N "$rx" flow-type tcp"$ip" dst-port "$port" action "$queue")
	rule=$(echo "$out" | sed -n 's/.*ID \([0-9]*\).*/\1/p')
	[ -n "$rule" ] || { echo "$rx: no ntuple rule to queue $queue: $out"; return 1; }
}

# tsc_mhz: the TSC frequency the kernel calibrated, which turns CPU time
# into cycles, then where it came from; nothing if unknown
tsc_mhz() {
	local mhz
	mhz=$(dmesg | sed -n 's/.*tsc: Refined TSC clocksource calibration: \([0-9.]*\) MHz.*/\1/p' | tail -n 1)
	[ -n "$mhz" ] && { echo "$mhz dmesg: Refined TSC clocksource calibration"; return; }
	mhz=$(dmesg | sed -n 's/.*tsc: Detected \([0-9.]*\) MHz processor.*/\1/p' | tail -n 1)
	[ -n "$mhz" ] && { echo "$mhz dmesg: tsc: Detected ... MHz processor"; return; }
	mhz=$(awk -F': *' '/^cpu MHz/ { print $2; exit }' /proc/cpuinfo)
	[ -n "$mhz" ] && echo "$mhz /proc/cpuinfo cpu MHz"
}
