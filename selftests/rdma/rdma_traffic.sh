#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Traffic through user memory registrations (ibv_reg_mr, pinned through
# the umem's phyr) on soft-RoCE (rxe) and soft-iWARP (siw): rping moves
# data with RDMA READ and WRITE and validates it (-V; rping refuses
# 65536 although it says 65536 is valid, hence 65000), ibv_rc_pingpong
# SENDs and validates the received buffers (-c). Each device loops back
# to itself: rxe0 on veth0, siw0 on veth1.
set -u
. "$(dirname "$0")/ktap_helpers.sh"
. "$(dirname "$0")/rdma_lib.sh"

A=192.168.78.1
B=192.168.78.2
cleanup() {
	pkill -x rping 2>/dev/null
	pkill -x ibv_rc_pingpong 2>/dev/null
	rdma_cleanup rxe0 siw0
}
trap cleanup EXIT

ktap_print_header
ktap_set_plan 7

veth_pair $A $B &&
rdma link add rxe0 type rxe netdev veth0 &&
rdma link add siw0 type siw netdev veth1 ||
	ktap_exit_fail_msg "cannot set up veth0/rxe0 and veth1/siw0"
wait_ports rxe0 siw0

# rping: server and client on one address, so on one device.
rping_test() {
	local dev=$1 addr=$2 size=$3 count=$4 out
	rping -s -a "$addr" -C "$count" -S "$size" -V >/tmp/rping-s.log 2>&1 &
	local srv=$!
	wait_cm_listen rping $srv
	out=$(timeout "$(deadline 60)" rping -c -a "$addr" -C "$count" -S "$size" -V 2>&1)
	local rc=$?
	# the server ends once its client has; a hung one is killed
	reap $srv 10
	local src=$?
	if [ $rc != 0 ] || [ $src != 0 ]; then
		echo "$out" | tail -5 | sed 's/^/# client: /'
		sed 's/^/# server: /' /tmp/rping-s.log | tail -5
	fi
	ktap_test_result "$dev: rping RDMA READ/WRITE of $size bytes x $count, data validated" \
		test $rc = 0 -a $src = 0
}

rping_test rxe0 $A 64 10
rping_test rxe0 $A 65000 8
rping_test siw0 $B 64 10
rping_test siw0 $B 65000 8

# ibv_rc_pingpong: SEND/RECV through registered buffers, validated. -e:
# both ends sleep on the completion channel; busy-polling ones took both
# vCPUs from rxe's own packet processing, and under load a 64 KiB run
# outlasted its minute (session 11). Line-buffered, so that what a killed
# end printed is not lost.
g=$(gid_index rxe0 $A)
for size in 4096 65536; do
	stdbuf -oL ibv_rc_pingpong -d rxe0 -g "${g:-1}" -s $size -n 20 -c -e \
		>/tmp/pp-s.log 2>&1 &
	srv=$!
	wait_listen 18515 $srv
	out=$(timeout "$(deadline 60)" stdbuf -oL ibv_rc_pingpong -d rxe0 \
		-g "${g:-1}" -s $size -n 20 -c -e 127.0.0.1 2>&1)
	rc=$?
	reap $srv 10
	src=$?
	if [ $rc != 0 ] || [ $src != 0 ]; then
		echo "$out" | tail -5 | sed 's/^/# client: /'
		sed 's/^/# server: /' /tmp/pp-s.log | tail -5
		rxe_counters rxe0
	fi
	ktap_test_result "rxe0: ibv_rc_pingpong SEND/RECV of $size bytes x 20, buffers validated" \
		test $rc = 0 -a $src = 0
done

# Everything the MRs pinned was released. One snapshot of both counters
# at a time, retried for a while: 9p pins and unpins user buffers for its
# own I/O, so a snapshot can catch one of its pins in flight; a leak stays.
pins_balanced() {
	echo 1 >/proc/sys/vm/stat_refresh
	read -r acq rel < <(awk '/^nr_foll_pin_acquired/ { a = $2 }
		/^nr_foll_pin_released/ { r = $2 } END { print a, r }' /proc/vmstat)
	[ "$acq" = "$rel" ]
}
wait_until 5 pins_balanced
ktap_test_result "no FOLL_PIN pins left (acquired $acq, released $rel)" \
	test "$acq" = "$rel"
ktap_finished
