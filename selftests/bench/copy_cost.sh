#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# 'make bench': what one CPU copy of a byte costs in this guest, in the
# unit of zcrx_rdma.sh bench (cycles per byte of busy guest CPU, /proc/stat,
# at the TSC frequency): dd of a tmpfs file to /dev/null, i.e. copy_to_user
# of page-cache pages as recv() does (docs/benchmarks.md, issue 14: the
# copy the pipeline removes from the application, for scale; the source
# here is cache-cold, recv()'s is freshly written, so it is approximate). COPY_COST_MIB (512) sizes the file, COPY_COST_ROUNDS (5)
# the reads; the median is printed last.
set -u -o pipefail
cd "$(dirname "$0")" || exit 1
. ./nsim_lib.sh
MIB=${COPY_COST_MIB:-512}
ROUNDS=${COPY_COST_ROUNDS:-5}
read -r mhz src <<<"$(tsc_mhz)"
[ -n "$mhz" ] || { echo "copy_cost.sh: no TSC frequency"; exit 1; }
busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }
f=$(mktemp -p /dev/shm) || exit 1
trap 'rm -f "$f"' EXIT
dd if=/dev/zero of="$f" bs=1M count="$MIB" status=none || exit 1
echo "===== one CPU copy: dd of a $MIB MiB tmpfs file to /dev/null, 1 MiB reads (TSC $mhz MHz, $src) ====="
for i in $(seq "$ROUNDS"); do
	b0=$(busy)
	dd if="$f" of=/dev/null bs=1M status=none || exit 1
	b1=$(busy)
	awk -v t=$((b1 - b0)) -v mhz="$mhz" -v mib="$MIB" -v hz="$(getconf CLK_TCK)" \
	    'BEGIN { printf "%.2f\n", t / hz * mhz * 1e6 / (mib * 1048576) }'
done | sort -n | awk '{ v[NR] = $1; printf "  %s cyc/B\n", $1 }
	END { if (!NR) exit 1
		printf "median (lower for an even count): %s cycles per byte copied\n", v[int((NR + 1) / 2)] }'
