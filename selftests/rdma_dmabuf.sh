#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# dma-buf MRs on soft-RoCE: rxe0 on a veth, then rdma_dmabuf against the
# rdma-core built from rdma-core-patches/ (in place, build/rdma-core):
# released rdma-core's rxe provider has no reg_dmabuf_mr.
cd "$(dirname "$0")" || exit 1
. ./rdma_lib.sh
rxe0_with_rdma_core 192.168.79
LD_LIBRARY_PATH=$rc_dir/lib ./rdma_dmabuf rxe0
