#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The zero-copy pipeline NIC -> io_uring memory -> RDMA, with
# liburing-examples/zcrx_rdma:
#
#   netns zr-src          init netns (the forwarder)              netns zr-sink
#   client --TCP--> netdevsim -> zcrx area = io_uring buffer
#                                exported as a dma-buf = MR on zrxe0
#                                   --RDMA WRITE (rxe, veth)-->  zrxe1 window
#
# The forwarder's buffer is registered with io_uring, exported as a
# dma-buf (IORING_REGISTER_EXPORT_BUFFER), used as the zcrx area of the
# receiving netdevsim queue and registered as an RDMA MR on rxe; every
# received chunk is written from there to the sink in another namespace,
# which checks the payload byte for byte. The application cannot touch the
# payload once the buffer is exported (its mapping is PROT_NONE). The same transfer done the usual way,
# recv() into a buffer registered with ibv_reg_mr(), is the baseline.
#
#	zcrx_rdma.sh          the test (KTAP)
#	zcrx_rdma.sh demo     one pipeline run with its output ('make run')
#	zcrx_rdma.sh one MODE BYTES [OPTIONS]
#	                      one transfer (MODE zcrx or recv) with zcrx_rdma's
#	                      OPTIONS, its output and the rxe counters
#	zcrx_rdma.sh bench    'make bench': rounds of pipeline and baseline,
#	                      throughput and cycles per byte, ratios
#
# Bench knobs: ZCRX_RDMA_BYTES (256M), ZCRX_RDMA_ROUNDS (5),
# ZCRX_RDMA_WINDOW (the sink's window, 64M), ZCRX_RDMA_BUF (the pipeline's
# zcrx buffer size, rx_buf_len: 4K, up to netdevsim's 64K rx-page-size),
# ZCRX_RDMA_OPTS (more zcrx_rdma options for the pipeline's runs, e.g.
# "-H 2M -b 512K": flow control, see docs/benchmarks.md).
# ZCRX_RDMA_TYPE=siw runs the RDMA side on soft-iWARP instead of rxe.
# ZCRX_RDMA_WRITE (on) adds a third run to each round, the RDMA side alone
# (zcrx_rdma -m write: WRITEs of 256K, the pipeline's longest, from a
# registered buffer, no TCP): what the RDMA side costs by itself, the
# part of both paths that no forwarder changes. Printed per round against
# the baseline and the pipeline, with the rounds' spread: a quiet round's
# noise is 5-10% here, a disturbed one's up to 30% (docs/benchmarks.md,
# session 26).
# ZCRX_RDMA_PAUSE (on; bench, one and demo) is TX pause at the receiving
# netdevsim port (ethtool -A): on, a frame that finds the zcrx area empty
# waits for a buffer (up to 250 ms) as behind a NIC with flow control;
# off, it is dropped and TCP retransmits. The bench's "drops" column
# counts the frames netdevsim dropped over each run: the receiving port's
# rx_dropped (no buffer) and the sending port's tx_dropped (the receiving
# queue full) (docs/benchmarks.md, session 25).
set -u
cd "$(dirname "$0")" || exit 1
. ./ktap_helpers.sh
. ./nsim_lib.sh
. ./rdma_lib.sh

what=${1:-test}
TYPE=${ZCRX_RDMA_TYPE:-rxe}
D0=zr${TYPE}0
D1=zr${TYPE}1
ID_RX=61
ID_TX=62
NS_SRC=zr-src
NS_SINK=zr-sink
ADDR_RX=2001:db8:9::1
ADDR_TX=2001:db8:9::2
FWD_IP=192.168.81.1
SINK_IP=192.168.81.2
PORT=9997
QUEUE=3
rx=
tx=
rule=
pids=
log=$(mktemp)

cleanup() {
	local p
	for p in $pids; do kill "$p" 2>/dev/null && wait "$p"; done
	[ -n "$rule" ] && ethtool -N "$rx" delete "$rule" 2>/dev/null
	echo $ID_RX >$NSIM/del_device 2>/dev/null
	echo $ID_TX >$NSIM/del_device 2>/dev/null
	rdma link delete $D0 2>/dev/null
	rdma link delete $D1 2>/dev/null
	ip link del zr-veth0 2>/dev/null
	ip netns del $NS_SRC 2>/dev/null
	ip netns del $NS_SINK 2>/dev/null
	rm -f "$log" "$log".*
}

# setup: the netdevsim pair, the veth pair with rxe on both ends; why not
setup() {
	[ -x ./zcrx_rdma ] || { echo "zcrx_rdma not built (liburing-examples)"; return 1; }
	[ -d $NSIM ] || modprobe netdevsim 2>/dev/null
	nsim_zc_pair $ID_RX $ID_TX $NS_SRC 6 $ADDR_RX $ADDR_TX 64 $QUEUE $PORT ||
		return 1
	ip netns add $NS_SINK &&
		ip link add zr-veth0 type veth peer name zr-veth1 netns $NS_SINK &&
		ip addr add $FWD_IP/24 dev zr-veth0 && ip link set zr-veth0 up &&
		ip -n $NS_SINK addr add $SINK_IP/24 dev zr-veth1 &&
		ip -n $NS_SINK link set lo up && ip -n $NS_SINK link set zr-veth1 up ||
		{ echo "no veth pair"; return 1; }
	rdma link add $D0 type "$TYPE" netdev zr-veth0 &&
		ip netns exec $NS_SINK rdma link add $D1 type "$TYPE" netdev zr-veth1 &&
		wait_ports $D0 $D1 || { echo "no $TYPE ports up"; return 1; }
}

# pipe MODE BYTES [zcrx_rdma options]: one transfer; 0 when the sink
# verified it and the forwarder forwarded all of it. The options go to all
# three (each role takes what concerns it: -s, -t to all, -S to the
# client and the recv() forwarder, -W to the sink...). Output in $log.sink,
# $log.fwd, $log.src.
pipe() {
	local mode=$1 bytes=$2 sink fwd rc=0
	shift 2
	LD_LIBRARY_PATH=$rc_dir/lib ip netns exec $NS_SINK \
		./zcrx_rdma -P -a $SINK_IP -n "$bytes" "$@" >"$log.sink" 2>&1 &
	sink=$!
	pids="$sink"
	if ! { wait_until 10 _sink_ready $sink && grep -q 'sink listening' "$log.sink"; }; then
		echo "the sink does not listen" >"$log.fwd"
		: >"$log.src"
		reap $sink 1
		pids=
		return 1
	fi
	LD_LIBRARY_PATH=$rc_dir/lib ./zcrx_rdma -m "$mode" -i "$rx" -q $QUEUE \
		-a $ADDR_RX -p $PORT -r $SINK_IP -n "$bytes" "$@" >"$log.fwd" 2>&1 &
	fwd=$!
	pids="$sink $fwd"
	if [ "$mode" = write ]; then
		: >"$log.src"	# the RDMA side alone: no client
	elif nsim_wait_listen $PORT $fwd; then
		ip netns exec $NS_SRC ./zcrx_rdma -c $ADDR_RX -p $PORT -n "$bytes" \
			"$@" >"$log.src" 2>&1 || rc=1
	else
		echo "the forwarder does not listen" >"$log.src"
		rc=1
	fi
	# The client has sent everything and the forwarder has acknowledged
	# the stream by closing it: the forwarder ends by itself, unless the
	# RDMA side stalls (its own deadlines are a minute); the sink ends
	# with the forwarder's last message or its connection.
	reap $fwd 120 || rc=1
	reap $sink 30 || rc=1
	pids=
	return $rc
}

# set_pause: TX pause at the receiving port as ZCRX_RDMA_PAUSE says
set_pause() {
	PAUSE=${ZCRX_RDMA_PAUSE:-on}
	ethtool -A "$rx" autoneg off rx off tx "$PAUSE" ||
		{ echo "zcrx_rdma.sh: ethtool -A $rx tx $PAUSE failed"; return 1; }
}

# drops: the frames netdevsim dropped so far between the two ports
drops() {
	local r t
	r=$(cat "/sys/class/net/$rx/statistics/rx_dropped") &&
		t=$(ip netns exec $NS_SRC cat "/sys/class/net/$tx/statistics/tx_dropped") &&
		[ -n "$r" ] && [ -n "$t" ] ||
		{ echo "zcrx_rdma.sh: cannot read the drop counters of $rx, $tx" >&2; return 1; }
	echo $((r + t))
}

_sink_ready() { grep -q 'sink listening' "$log.sink" || ! alive "$1"; }

# field NAME LINE: the value of NAME=... in LINE
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $2"; }

show() {
	sed "s/^/$1sink: /" "$log.sink"
	sed "s/^/$1forwarder: /" "$log.fwd"
	sed "s/^/$1client: /" "$log.src"
}

# pipe's result as a KTAP line; the rxe counters if it failed
result() {
	local rc=$1
	shift
	show "# "
	[ "$rc" = 0 ] || { rxe_counters $D0; rxe_counters $D1; }
	ktap_test_result "$*" test "$rc" = 0
}

trap cleanup EXIT
cleanup

rc_dir=$(rdma_core_dir) || {
	echo "1..0 # SKIP rdma-core not built (scripts/build-rdma-core.sh)"
	exit 4
}

case $what in
test)
	ktap_print_header
	ktap_set_plan 6
	setup >"$log.setup" 2>&1 || ktap_exit_fail_msg "setup: $(cat "$log.setup")"
	ktap_test_pass "netdevsim $rx <-> $tx (netns $NS_SRC, queue $QUEUE steered), $D0 <-> $D1 (netns $NS_SINK)"

	# 2, 3: the pipeline, a window as large as the stream: every byte
	# lands once, at its own offset
	pipe zcrx 4M
	rc=$?
	result $rc "zcrx -> exported io_uring buffer -> RDMA WRITE: 4M forwarded, verified at the sink"
	line=$(grep '^RESULT ' "$log.fwd")
	[ $rc = 0 ] && grep -q 'its mapping is PROT_NONE$' "$log.fwd" &&
		[ "$(field bytes "$line")" = 4194304 ] &&
		[ "$(field copy_fallback_bytes "$line")" = 0 ]
	ktap_test_result "the application made no copy: its mapping of the buffer is PROT_NONE, zcrx's copy fallback placed 0 bytes" \
		test $? = 0

	# 4: a window smaller than the stream: WRITEs wrap and split at its
	# end (the sink checks the last lap; lost bytes of earlier laps would
	# be masked by the pattern, the test above catches those)
	pipe zcrx 3M -W 512K
	rc=$?
	line=$(grep '^RESULT ' "$log.fwd")
	[ $rc = 0 ] && [ "$(field splits "$line")" -gt 0 ] 2>/dev/null
	result $? "pipeline into a 512K window (WRITEs split where they wrap): 3M forwarded, verified"

	# 5: flow control: the forwarder may hold only 64K of the area while
	# the WRITEs complete, so it stops taking data off the socket, the
	# TCP window closes, and nothing is lost
	pipe zcrx 2M -H 64K -b 512K
	rc=$?
	line=$(grep '^RESULT ' "$log.fwd")
	[ $rc = 0 ] && [ "$(field throttled "$line")" -gt 0 ] 2>/dev/null
	result $? "pipeline holding at most 64K of the area (receive throttled, TCP window closed): 2M forwarded, verified"

	# 6: the baseline, checked the same way
	pipe recv 2M
	result $? "baseline recv() + ibv_reg_mr() buffer -> RDMA WRITE: 2M forwarded, verified"
	ktap_finished
	;;
one)
	# one MODE BYTES [zcrx_rdma options]: one transfer, everything shown
	shift
	[ $# -ge 2 ] || { echo "usage: zcrx_rdma.sh one zcrx|recv BYTES [OPTIONS]"; exit 2; }
	setup || { echo "zcrx_rdma.sh: setup failed"; exit 1; }
	set_pause || exit 1
	echo "TX pause $PAUSE at $rx"
	drop0=$(drops) || exit 1
	pipe "$@"
	rc=$?
	show ""
	drop1=$(drops) && echo "netdevsim dropped $((drop1 - drop0)) frames"
	rxe_counters $D0
	rxe_counters $D1
	exit $rc
	;;
demo)
	setup || { echo "zcrx_rdma.sh: setup failed"; exit 1; }
	set_pause || exit 1
	echo "netdevsim $rx (queue $QUEUE, TX pause $PAUSE) <- $tx in netns $NS_SRC; $D0 -> $D1 in netns $NS_SINK"
	pipe zcrx 16M
	rc=$?
	show ""
	exit $rc
	;;
bench)
	BYTES=${ZCRX_RDMA_BYTES:-256M}
	ROUNDS=${ZCRX_RDMA_ROUNDS:-5}
	WINDOW=${ZCRX_RDMA_WINDOW:-64M}
	BUF=${ZCRX_RDMA_BUF:-4K}
	read -r -a OPTS <<<"${ZCRX_RDMA_OPTS:-}"
	echo "===== pipeline NIC -> io_uring buffer export -> RDMA WRITE vs recv() + ibv_reg_mr() ====="
	read -r mhz src <<<"$(tsc_mhz)"
	[ -n "$mhz" ] || { echo "zcrx_rdma.sh: no TSC frequency"; exit 1; }
	setup || { echo "zcrx_rdma.sh: setup failed"; exit 1; }
	set_pause || exit 1
	echo "TSC $mhz MHz ($src), $(nproc) CPUs; $BYTES per run, sink window $WINDOW, zcrx buffers $BUF${OPTS[*]:+, pipeline options ${OPTS[*]}}, TX pause $PAUSE at $rx, $ROUNDS rounds, modes alternated; CPU time of the whole guest (/proc/stat) over accept() .. last WRITE completed"
	printf '%-5s %-5s %9s %8s %8s %6s %s\n' round mode MB/s secs cyc/B drops copies
	fails=0
	res=$log.res
	for r in $(seq "$ROUNDS"); do
		if [ $((r % 2)) = 1 ]; then modes="zcrx recv"; else modes="recv zcrx"; fi
		[ "${ZCRX_RDMA_WRITE:-on}" = on ] && modes="$modes write"
		for m in $modes; do
			extra=()
			[ "$m" = zcrx ] && extra=(-B "$BUF" "${OPTS[@]}")
			[ "$m" = write ] && extra=(-S 256K)
			drop0=$(drops) || exit 1
			if ! pipe "$m" "$BYTES" -W "$WINDOW" "${extra[@]}" -t 300; then
				fails=$((fails + 1))
				show "# "
				continue
			fi
			line=$(grep '^RESULT ' "$log.fwd")
			copies=$(sed -n 's/.*copies per byte: //p' "$log.fwd")
			drop1=$(drops) || exit 1
			nd=$((drop1 - drop0))
			awk -v r="$r" -v m="$m" -v mhz="$mhz" -v c="$copies" -v d="$nd" \
			    -v b="$(field bytes "$line")" -v s="$(field secs "$line")" \
			    -v mbps="$(field MBps "$line")" -v hz="$(field hz "$line")" \
			    -v u="$(field cpu_user "$line")" -v sy="$(field cpu_sys "$line")" \
			    -v i="$(field cpu_irq "$line")" -v out="$res" 'BEGIN {
				cpb = (u + sy + i) / hz * mhz * 1e6 / b
				printf "%-5s %-5s %9.2f %8.2f %8.2f %6d %s\n", r, m, mbps, s, cpb, d, c
				printf "%s %s %s %s\n", r, m, mbps, cpb >> out
			}'
		done
	done
	[ -s "$res" ] && awk '
	{ bw[$2, $1] = $3; cpb[$2, $1] = $4; rounds[$1] = 1; if ($1 + 0 > nr) nr = $1 + 0 }
	END {
		for (r in rounds) if (("zcrx", r) in bw && ("recv", r) in bw) {
			n++
			tb += bw["zcrx", r] / bw["recv", r]
			tc += cpb["zcrx", r] / cpb["recv", r]
			mz += bw["zcrx", r]; mr += bw["recv", r]
			cz += cpb["zcrx", r]; cr += cpb["recv", r]
		}
		if (!n) exit
		printf "mean of %d rounds: zcrx %.2f MB/s %.2f cyc/B, recv %.2f MB/s %.2f cyc/B\n",
			n, mz / n, cz / n, mr / n, cr / n
		printf "ratio pipeline / baseline (mean of per-round ratios): throughput %.3f, cycles per byte %.3f\n",
			tb / n, tc / n
		for (r = 1; r <= nr; r++) if (("write", r) in cpb && ("recv", r) in cpb) {
			w = cpb["write", r] / cpb["recv", r]
			nw++
			tw += w
			cw += cpb["write", r]
			if (nw == 1 || w < wmin) wmin = w
			if (nw == 1 || w > wmax) wmax = w
			if (("zcrx", r) in cpb) {
				printf "round %s: cyc/B write / recv %.3f, zcrx / write %.3f\n",
					r, w, cpb["zcrx", r] / cpb["write", r]
				if (cpb["zcrx", r] < cpb["write", r])
					below++
			}
		}
		if (nw)
			printf "RDMA side alone (write, %d rounds): %.2f cyc/B, %.3f of the baseline (mean of per-round ratios, %.3f-%.3f)\n",
				nw, cw / nw, tw / nw, wmin, wmax
		if (below)
			printf "note: in %d round(s) the pipeline cost less than the RDMA side alone: the rounds differ by more than the TCP side costs\n",
				below
	}' "$res"
	exit $((fails > 0))
	;;
*)
	echo "usage: $0 [test|demo|bench|one MODE BYTES [OPTIONS]]" >&2
	exit 2
	;;
esac
