#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# dma-buf MRs between two soft-RoCE (rxe) or two soft-iWARP (siw) devices:
# the series' kselftest tools/testing/selftests/rdma/<type>_dmabuf_mr.sh
# (dmabuf_mr.sh sets up a veth pair across two network namespaces and a
# device on each end; dmabuf_mr, built by selftests/Makefile from the
# tree, runs the cases), run from a copy of the tree's rdma selftests
# with the dmabuf_mr built here next to it, against the rdma-core built
# from rdma-core-patches/ (in place, build/rdma-core): released
# rdma-core's rxe and siw providers have no reg_dmabuf_mr, and the test
# would skip. Its KTAP is the suite's output.
#
# The 1 GiB + 2 MiB MR pair guards an rxe fix; on siw it runs on demand
# (RDMA_DMABUF_1G=1), as siw_dmabuf_mr.sh has it.
#
# usage: rdma_dmabuf.sh rxe|siw
cd "$(dirname "$0")" || exit 1
. ./rdma_lib.sh

type=${1:-rxe}
dir=$(cd ../linux/tools/testing/selftests 2>/dev/null && pwd)
rc_dir=$(rdma_core_dir) || {
	echo "1..0 # SKIP rdma-core not built (scripts/build-rdma-core.sh)"
	exit 4
}
if [ -z "$dir" ] || [ ! -x dmabuf_mr ]; then
	echo "1..0 # SKIP no kernel tree or dmabuf_mr (scripts/build-selftests.sh)"
	exit 4
fi
tmp=$(mktemp -d /tmp/rdma_dmabuf.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
builtin_modules_shim "$tmp" || {
	echo "Bail out! no module directory for modinfo (modules.builtin, depmod)"
	exit 1
}
mkdir -p "$tmp/ksft/kselftest"
cp -r "$dir/rdma" "$tmp/ksft/"
cp "$dir/kselftest/ktap_helpers.sh" "$tmp/ksft/kselftest/"
cp dmabuf_mr "$tmp/ksft/rdma/"
LD_LIBRARY_PATH=$rc_dir/lib "$tmp/ksft/rdma/${type}_dmabuf_mr.sh"
