#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# 'make bench' (bench kernel, no sanitizers): benchmarks whose ratios
# against the upstream path, measured in the same boot, go to docs/
# (docs/benchmarks.md): phyr pinning, RDMA on rxe, netdevsim receive with
# memory providers (zcrx, devmem) against recv().
set -u
cd "$(dirname "$0")/../build/selftests" || exit 1
echo "===== phyr_pin_user vs pin_user_pages_fast + scatterlist, 1 GiB ====="
./phyr_pin_bench 1024 5
rc=0
./rdma_bench.sh || rc=1
./nsim_rx_bench.sh || rc=1
exit $rc
