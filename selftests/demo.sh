#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# 'make run': show what works so far, with the output of each step.
set -u
cd "$(dirname "$0")/../build/selftests" || exit 1
step() { printf '\n===== %s =====\n' "$*"; }

step "kernel"
uname -a
step "io_uring NOP round trip"
./io_uring_nop
step "udmabuf from a memfd (4K pages and 2M hugetlb)"
./udmabuf
step "phyr: what a phyr importer sees of udmabuf and system-heap dma-bufs"
./phyr_dmabuf
step "netdevsim pair in two namespaces, ping across"
./netdevsim.sh
step "rxe and siw on a veth pair"
./rdma_devices.sh
step "zero-copy pipeline: TCP on netdevsim -> zcrx into an io_uring buffer exported as a dma-buf -> RDMA WRITE from it (rxe) -> sink in another namespace"
./zcrx_rdma.sh demo
