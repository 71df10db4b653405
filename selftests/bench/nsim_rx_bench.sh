#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Bulk TCP receive on netdevsim for 'make bench': plain recv() against the
# two page_pool memory providers, io_uring zero-copy receive (zcrx, area in
# user memory) and devmem TCP (a udmabuf bound with netdev netlink), in the
# same boot, with nsim_rx_bench.
#
# Two linked netdevsim ports with 4 queues, the sender in a network
# namespace; the receiver has header split (tcp-data-split on, hds-thresh 0),
# RSS over queues 0-2 and an ntuple rule that steers the benchmark port to
# queue 3. The device configuration is the same in every mode; only whether
# a provider is bound to queue 3 differs.
#
# First one verified pass per mode (every byte checked), then ROUNDS rounds
# of the three modes, their order rotated each round, BYTES each, payload
# not looked at. Per run: throughput, and the CPU time of the whole guest
# over the transfer (/proc/stat: user+nice+system+irq+softirq of all CPUs)
# as cycles per byte at the TSC frequency the kernel calibrated. Ratios are
# provider / recv. Nothing here passes or fails on a number.
#
#	NSIM_BENCH_BYTES=512M NSIM_BENCH_ROUNDS=5 ./nsim_rx_bench.sh
#
# Knobs for looking into the numbers (the defaults are what docs/ report):
# NSIM_BENCH_MODES (recv zcrx devmem), NSIM_BENCH_IP=4 (IPv4 instead of
# IPv6), NSIM_BENCH_TSO=off (the sender segments in software: the receiver
# gets one MSS per frame), NSIM_BENCH_MTU, NSIM_BENCH_SS=1 (the
# connection's 'ss -tim' on both ends one second into each run).
set -u
cd "$(dirname "$0")" || exit 1
. ./nsim_lib.sh

ID_RX=51
ID_TX=52
NS=nsim-bench-peer
IP=${NSIM_BENCH_IP:-6}
if [ "$IP" = 4 ]; then
	# The benchmark's sockets are IPv6; v4-mapped addresses make IPv4 flows.
	ADDR_RX=192.0.2.1
	ADDR_TX=192.0.2.2
	SOCK_RX=::ffff:$ADDR_RX
	PLEN=24
else
	ADDR_RX=2001:db8:b::1
	ADDR_TX=2001:db8:b::2
	SOCK_RX=$ADDR_RX
	PLEN=64
fi
MTU=${NSIM_BENCH_MTU:-}
TSO=${NSIM_BENCH_TSO:-on}
PORT=9998
QUEUE=3
BYTES=${NSIM_BENCH_BYTES:-512M}
ROUNDS=${NSIM_BENCH_ROUNDS:-5}
MODES=${NSIM_BENCH_MODES:-recv zcrx devmem}
VERIFY_BYTES=${NSIM_BENCH_VERIFY_BYTES:-32M}
rx=
tx=
rule=
srv=
res=$(mktemp)
log=$(mktemp)

cleanup() {
	[ -n "$srv" ] && kill "$srv" 2>/dev/null && wait "$srv"
	[ -n "$rule" ] && ethtool -N "$rx" delete "$rule" 2>/dev/null
	echo $ID_RX >$NSIM/del_device 2>/dev/null
	echo $ID_TX >$NSIM/del_device 2>/dev/null
	ip netns del $NS 2>/dev/null
	rm -f "$res" "$log" "$log.tx"
}
trap cleanup EXIT

die() {
	echo "nsim_rx_bench: $*"
	exit 1
}

echo "===== bulk TCP receive on netdevsim: zcrx and devmem vs recv() ====="
[ -d $NSIM ] || modprobe netdevsim 2>/dev/null
[ -d $NSIM ] || die "no netdevsim"
[ -x ./nsim_rx_bench ] || die "nsim_rx_bench not built (make -C selftests ynl)"

# The TSC frequency that turns CPU time into cycles.
read -r mhz src <<<"$(tsc_mhz)"
[ -n "$mhz" ] || die "no TSC frequency"
echo "TSC: $mhz MHz ($src); $(nproc) CPUs; CPU time from /proc/stat, USER_HZ $(getconf CLK_TCK)"

cleanup
res=$(mktemp)
log=$(mktemp)
nsim_zc_pair $ID_RX $ID_TX $NS "$IP" $ADDR_RX $ADDR_TX $PLEN $QUEUE $PORT ||
	die "netdevsim pair not set up"
ip netns exec $NS ethtool -K "$tx" tso "$TSO" || die "$tx: tso $TSO"
if [ -n "$MTU" ]; then
	ip link set "$rx" mtu "$MTU" && ip -n $NS link set "$tx" mtu "$MTU" ||
		die "MTU $MTU"
fi
echo "$rx <-> $tx (netns $NS): 4 queues, tcp-data-split on, hds-thresh 0, RSS on 0-$((QUEUE - 1)), tcp$IP dst-port $PORT -> queue $QUEUE; MTU $(cat /sys/class/net/"$rx"/mtu); sender TSO $TSO"

retrans() {
	ip netns exec $NS awk '/^Tcp:/ { if (!h) { for (i = 1; i <= NF; i++) c[$i] = i; h = 1 }
		else print $c["RetransSegs"] }' /proc/net/snmp
}

# one MODE BYTES [server options]: one transfer; its RESULT line, with the
# receiver's dropped frames and the sender's retransmissions appended
one() {
	local mode=$1 bytes=$2 i d0 r0 rc cli
	shift 2
	d0=$(cat /sys/class/net/"$rx"/statistics/rx_dropped)
	r0=$(retrans)
	./nsim_rx_bench -m "$mode" -i "$rx" -q $QUEUE -a $SOCK_RX -p $PORT \
		-n "$bytes" "$@" >"$log" 2>&1 &
	srv=$!
	nsim_wait_listen $PORT $srv
	ip netns exec $NS ./nsim_rx_bench -c $SOCK_RX -p $PORT -n "$bytes" \
		>"$log.tx" 2>&1 &
	cli=$!
	if [ "${NSIM_BENCH_SS:-0}" = 1 ]; then
		sleep 1
		ip netns exec $NS ss -Htim "dport = :$PORT" | sed "s/^/# $mode sender:/" >&2
		ss -Htim "sport = :$PORT" | sed "s/^/# $mode receiver:/" >&2
	fi
	wait $cli
	sed 's/^/# sender: /' "$log.tx" >&2
	wait $srv
	rc=$?
	srv=
	if [ $rc != 0 ] || ! grep -q '^RESULT ' "$log"; then
		sed 's/^/# /' "$log" >&2
		echo "RESULT mode=$mode failed=$rc"
		return 1
	fi
	echo "$(grep '^RESULT ' "$log") rx_dropped=$(( $(cat /sys/class/net/"$rx"/statistics/rx_dropped) - d0 )) retrans=$(( $(retrans) - r0 ))"
}

# field NAME LINE: the value of NAME=... in LINE
field() {
	sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $2"
}

fails=0
echo "--- verified pass: $VERIFY_BYTES per mode, every byte checked ---"
for mode in $MODES; do
	line=$(one "$mode" "$VERIFY_BYTES" -V) || fails=$((fails + 1))
	echo "$line"
	[ "$(field verify "$line")" = ok ] || fails=$((fails + 1))
done

echo "--- timed: $BYTES per run, $ROUNDS rounds, modes rotated, payload not read ---"
set -- $MODES
n=$#
printf '%-5s %-7s %9s %8s %8s %6s %6s %6s %7s %7s\n' round mode MB/s secs cyc/B \
	user% sys% irq% drops retrans
for r in $(seq "$ROUNDS"); do
	for k in $(seq 0 $((n - 1))); do
		eval "mode=\${$(( (r - 1 + k) % n + 1 ))}"
		line=$(one "$mode" "$BYTES") || { fails=$((fails + 1)); echo "$line"; continue; }
		# cycles per byte: busy CPU seconds * TSC Hz / bytes
		awk -v r="$r" -v m="$mode" -v mhz="$mhz" \
		    -v b="$(field bytes "$line")" -v s="$(field secs "$line")" \
		    -v mbps="$(field MBps "$line")" -v hz="$(field hz "$line")" \
		    -v u="$(field cpu_user "$line")" -v sy="$(field cpu_sys "$line")" \
		    -v i="$(field cpu_irq "$line")" -v d="$(field rx_dropped "$line")" \
		    -v t="$(field retrans "$line")" -v out="$res" 'BEGIN {
			busy = u + sy + i; if (!busy) busy = 1e-9
			cpb = busy / hz * mhz * 1e6 / b
			printf "%-5s %-7s %9.2f %8.2f %8.2f %6.1f %6.1f %6.1f %7d %7d\n",
				r, m, mbps, s, cpb, 100 * u / busy, 100 * sy / busy,
				100 * i / busy, d, t
			printf "%s %s %s %s\n", r, m, mbps, cpb >> out
		}'
		echo "#   ${line#RESULT }"
	done
done

echo "--- summary (ratio = provider / recv; per-round ratios pair the runs of one round) ---"
awk -v modes="$MODES" '
function median(a, n,   i, j, t) {
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{ bw[$2, $1] = $3; cpb[$2, $1] = $4; rounds[$1] = 1 }
END {
	nm = split(modes, m, " ")
	printf "%-7s %10s %10s %10s %10s\n", "mode", "MB/s mean", "MB/s med", "cyc/B mean", "cyc/B med"
	for (k = 1; k <= nm; k++) {
		n = 0; sb = 0; sc = 0
		for (r in rounds) if ((m[k], r) in bw) {
			n++; a[n] = bw[m[k], r]; c[n] = cpb[m[k], r]
			sb += a[n]; sc += c[n]
		}
		if (!n) continue
		mean_bw[m[k]] = sb / n; mean_c[m[k]] = sc / n
		printf "%-7s %10.2f %10.2f %10.2f %10.2f\n", m[k], sb / n, median(a, n),
			sc / n, median(c, n)
	}
	printf "%-7s %14s %14s %14s %14s %s\n", "ratio", "MB/s of means", "MB/s med/rnd",
		"cyc/B of means", "cyc/B med/rnd", "MB/s per round"
	for (k = 1; k <= nm; k++) {
		if (m[k] == "recv" || !(m[k] in mean_bw) || !("recv" in mean_bw))
			continue
		n = 0; s = ""
		for (r = 1; (r in rounds); r++)
			if ((m[k], r) in bw && ("recv", r) in bw) {
				n++
				a[n] = bw[m[k], r] / bw["recv", r]
				c[n] = cpb[m[k], r] / cpb["recv", r]
				s = s sprintf(" %.3f", a[n])
			}
		printf "%-7s %14.3f %14.3f %14.3f %14.3f%s\n", m[k] "/recv",
			mean_bw[m[k]] / mean_bw["recv"], median(a, n),
			mean_c[m[k]] / mean_c["recv"], median(c, n), s
	}
}' "$res"
[ $fails = 0 ] || echo "nsim_rx_bench: $fails runs failed"
exit $((fails != 0))
