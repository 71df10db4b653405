#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# dma-buf MRs between two soft-RoCE (rxe) or two soft-iWARP (siw) devices:
# a veth pair whose ends sit in two network namespaces, <type>0 and
# <type>1 on its ends, and rdma_dmabuf connecting a QP on each with
# rdma_cm. Runs against the rdma-core built from rdma-core-patches/ (in
# place, build/rdma-core): released rdma-core's rxe and siw providers have
# no reg_dmabuf_mr.
#
# The 1 GiB + 2 MiB MR pair guards an rxe fix; on siw it runs on demand
# (RDMA_DMABUF_1G=1), see check_1g() in rdma_dmabuf.c.
#
# usage: rdma_dmabuf.sh rxe|siw
cd "$(dirname "$0")" || exit 1
. ./rdma_lib.sh

type=${1:-rxe}
[ "$type" = siw ] && export RDMA_DMABUF_1G=${RDMA_DMABUF_1G:-0}
A=192.168.79.1
B=192.168.79.2
rc_dir=$(rdma_core_dir) || {
	echo "1..0 # SKIP rdma-core not built (scripts/build-rdma-core.sh)"
	exit 4
}
trap 'rdma_cleanup ${type}0 ${type}1' EXIT
rdma_cleanup ${type}0 ${type}1
netns_pair $A $B && netns_links ${type}0 ${type}1 "$type" &&
	wait_ports ${type}0 ${type}1 || {
	echo "1..1"
	echo "not ok 1 cannot set up ${type}0 and ${type}1 on a veth pair"
	exit 1
}
echo "# ${type}0 ($A, netns rdma-a) <-> ${type}1 ($B, netns rdma-b)"
LD_LIBRARY_PATH=$rc_dir/lib ./rdma_dmabuf $A $B rdma-a rdma-b
