#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# RDMA benchmarks for 'make bench' (bench kernel, no sanitizers):
# - perftest's ib_write_bw and ib_read_bw between rxe0 and rxe1 on the two
#   ends of a veth pair (two network namespaces, QPs connected with
#   rdma_cm), 4 KiB and 1 MiB messages, into ordinary MRs and into dma-buf
#   MRs of udmabufs (--use_udmabuf, perftest-patches/), interleaved rounds;
# - rdma_reg_bench, on rxe0 and on siw0: ibv_reg_mr of 1 GiB (4 KiB pages,
#   THP) against ibv_reg_dmabuf_mr of a 1 GiB udmabuf; then the same
#   memory as io_uring registered buffers: IORING_REGISTER_EXPORT_BUFFER +
#   ibv_reg_dmabuf_mr against ibv_reg_mr of it.
# Ratios are dma-buf MR / ordinary MR, measured in the same boot.
# RDMA_BENCH_PERFTEST=0 runs the registration benchmark alone;
# RDMA_REG_BENCH="MiB iterations" (default "1024 5") sizes it.
set -u
cd "$(dirname "$0")" || exit 1
. ./rdma_lib.sh

A=192.168.79.1
B=192.168.79.2
ROUNDS=${RDMA_BENCH_ROUNDS:-5}
rc_dir=$(rdma_core_dir) || { echo "rdma-core not built"; exit 1; }
perftest=${RDMA_BENCH_PERFTEST:-1}
pt_dir=$(cd ../perftest 2>/dev/null && pwd)
[ "$perftest" = 0 ] || [ -x "$pt_dir/ib_write_bw" ] ||
	{ echo "perftest not built (scripts/build-perftest.sh)"; exit 1; }
# perftest runs with the rdma-core it was built against (rpath); the
# system's tools (ibv_devinfo) keep the system's libibverbs.
trap 'rdma_cleanup rxe0 rxe1 siw0' EXIT
rdma_cleanup rxe0 rxe1 siw0
netns_pair $A $B && netns_links rxe0 rxe1 rxe && wait_ports rxe0 rxe1 ||
	{ echo "cannot set up rxe0/rxe1"; exit 1; }

# average MiB/s of one perftest run: $1 tool, $2 size, $3 iterations,
# $4 extra options; NaN if it failed or, with --use_udmabuf, registered
# no dma-buf MR
bw() {
	local tool=$1 size=$2 iters=$3 extra=$4 out
	ip netns exec rdma-b "$pt_dir/$tool" -d rxe1 -R -F -s "$size" -n "$iters" \
		$extra >/tmp/bw-server.log 2>&1 &
	local srv=$!
	wait_cm_listen "$tool" $srv
	out=$(timeout 300 ip netns exec rdma-a "$pt_dir/$tool" -d rxe0 -R -F \
		-s "$size" -n "$iters" $extra $B 2>&1)
	wait $srv
	if [ -n "$extra" ] && ! grep -q "Calling ibv_reg_dmabuf_mr" <<<"$out"; then
		echo NaN
		return
	fi
	# the result line: bytes iterations peak average msgrate
	awk -v s="$size" '$1 == s && NF >= 5 { print $4; found = 1 }
		END { if (!found) print "NaN" }' <<<"$out"
}

rc=0
if [ "$perftest" != 0 ]; then
echo "===== perftest on rxe over veth: dma-buf MR (udmabuf) vs ordinary MR ====="
printf '%-12s %8s %6s %12s %12s %7s\n' tool size round "MR MiB/s" "dmabuf MiB/s" ratio
for tool in ib_write_bw ib_read_bw; do
	for size in 4096 1048576; do
		[ "$size" = 4096 ] && iters=20000 || iters=500
		sum_mr=0 sum_db=0 ratios=""
		for r in $(seq "$ROUNDS"); do
			mr=$(bw $tool $size $iters "")
			db=$(bw $tool $size $iters --use_udmabuf)
			printf '%-12s %8s %6s %12s %12s %7s\n' $tool $size $r "$mr" "$db" \
				"$(awk -v a="$db" -v b="$mr" 'BEGIN { printf "%.3f", a / b }')"
			ratios="$ratios $(awk -v a="$db" -v b="$mr" 'BEGIN { print a / b }')"
			sum_mr=$(awk -v a="$sum_mr" -v b="$mr" 'BEGIN { print a + b }')
			sum_db=$(awk -v a="$sum_db" -v b="$db" 'BEGIN { print a + b }')
		done
		printf '%-12s %8s %6s %12s %12s %7s\n' $tool $size mean \
			"$(awk -v a="$sum_mr" -v n="$ROUNDS" 'BEGIN { printf "%.1f", a / n }')" \
			"$(awk -v a="$sum_db" -v n="$ROUNDS" 'BEGIN { printf "%.1f", a / n }')" \
			"$(awk -v a="$sum_db" -v b="$sum_mr" 'BEGIN { printf "%.3f", a / b }')"
		# TCG makes single rounds noisy: the median of the per-round ratios
		printf '%-12s %8s %6s %12s %12s %7s\n' $tool $size median "" "" \
			"$(tr ' ' '\n' <<<"$ratios" | grep . | sort -g |
			   awk '{ v[NR] = $1 } END { printf "%.3f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')"
	done
done
fi

for dev in rxe0 siw0; do
	if [ $dev = siw0 ]; then
		ip netns exec rdma-a rdma link add siw0 type siw netdev veth0 &&
			wait_ports siw0 || { echo "cannot set up siw0"; rc=1; break; }
	fi
	echo "===== registration on $dev: ibv_reg_dmabuf_mr vs ibv_reg_mr ====="
	LD_LIBRARY_PATH=$rc_dir/lib ./rdma_reg_bench $dev ${RDMA_REG_BENCH:-1024 5} || rc=1
done
exit $rc
