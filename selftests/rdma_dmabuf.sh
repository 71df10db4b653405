#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# dma-buf MRs on soft-RoCE: rxe0 on a veth, then rdma_dmabuf against the
# rdma-core built from rdma-core-patches/ (in place, build/rdma-core):
# released rdma-core's rxe provider has no reg_dmabuf_mr.
cd "$(dirname "$0")" || exit 1
lib=$(cd ../rdma-core/build/lib 2>/dev/null && pwd)
if [ -z "$lib" ] || [ ! -e "$lib/libibverbs.so.1" ]; then
	echo "1..0 # SKIP rdma-core not built (scripts/build-rdma-core.sh)"
	exit 4
fi
cleanup() {
	rdma link delete rxe0 2>/dev/null
	ip link del veth0 2>/dev/null
}
trap cleanup EXIT
ip link add veth0 type veth peer name veth1 &&
ip addr add 192.168.79.1/24 dev veth0 && ip addr add 192.168.79.2/24 dev veth1 &&
ip link set veth0 up && ip link set veth1 up &&
rdma link add rxe0 type rxe netdev veth0 || {
	echo "1..0 # SKIP cannot create rxe0"
	exit 4
}
for i in $(seq 50); do
	ibv_devinfo -d rxe0 2>/dev/null | grep -q PORT_ACTIVE && break
	sleep 0.2
done
LD_LIBRARY_PATH=$lib ./rdma_dmabuf rxe0
