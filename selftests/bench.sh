#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# 'make bench' (bench kernel, no sanitizers): benchmarks whose ratios
# against the upstream path, measured in the same boot, go to docs/.
set -u
cd "$(dirname "$0")/../build/selftests" || exit 1
echo "===== phyr_pin_user vs pin_user_pages_fast + scatterlist, 1 GiB ====="
./phyr_pin_bench 1024 5
./rdma_bench.sh
