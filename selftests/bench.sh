#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# 'make bench' (bench kernel, no sanitizers): benchmarks whose ratios
# against the upstream path, measured in the same boot, go to docs/
# (docs/benchmarks.md): phyr pinning, revoking a dma-buf with 8 phyr
# importers against one, RDMA on rxe, netdevsim receive with memory
# providers (zcrx, devmem) against recv(), the pipeline NIC -> io_uring
# buffer export -> RDMA WRITE against recv() + ibv_reg_mr(), with the cost
# of one CPU copy in this guest for scale.
set -u
cd "$(dirname "$0")/../build/selftests" || exit 1
rc=0
echo "===== phyr_pin_user vs pin_user_pages_fast + scatterlist, 1 GiB ====="
./phyr_pin_bench 1024 5 || rc=1
echo "===== dma-buf revocation: 8 phyr importers against 1 ====="
./phyr_revoke_bench 20 || rc=1
./rdma_bench.sh || rc=1
./nsim_rx_bench.sh || rc=1
./copy_cost.sh || rc=1
./zcrx_rdma.sh bench || rc=1
exit $rc
