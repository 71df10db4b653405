#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Every patch builds on its own: build each commit of base..series (or
# FROM..series) in a separate worktree (build/bisect) with the bench
# configuration re-applied at every step, so that a symbol is enabled from
# the patch that introduces it; fail on any compiler warning. Each commit
# is built in every variant of PHYR_BISECT_VARIANTS (default "bench
# nodmabuf"), each in its own object directory (build/obj-bisect-<variant>):
#   bench     base + phyr fragments
#   nodmabuf  the same without dma-buf (kernel/configs/nodmabuf.config,
#             which also turns RDMA and devmem off): what can be built
#             without it still builds
#   noib      with dma-buf, without RDMA (kernel/configs/noib.config)
#   full      with mlx5, the iommufd selftest mock and the system_cc_shared
#             heap, which no test boot needs (kernel/configs/full.config)
# usage: bisect-build.sh [FROM]
# PHYR_BISECT_TO (default series) ends the range, so that the series can be
# built in parts: bisect-build.sh A with PHYR_BISECT_TO=B builds A..B.
# PHYR_BISECT_COMMITS="C1 C2 ..." builds those commits instead, in that
# order (the patches a fold changed first, say).
. "$(dirname "$0")/lib.sh"

KT=$BUILD/linux
from=${1:-base}
to=${PHYR_BISECT_TO:-series}
variants=${PHYR_BISECT_VARIANTS:-bench nodmabuf}
for v in $variants; do
	case $v in bench|nodmabuf|noib|full) ;; *) die "unknown variant '$v' (bench, nodmabuf, noib or full)" ;; esac
done

# build/bisect and the obj-bisect-* directories are shared with
# scripts/check-submissions.sh: one of them at a time.
exec 9>"$BUILD/.bisect.lock"
flock -n 9 || die "scripts/check-submissions.sh or another bisect-build.sh is running (build/.bisect.lock)"

fail=0
if [ -n "${PHYR_BISECT_COMMITS:-}" ]; then
	commits=$PHYR_BISECT_COMMITS
else
	commits=$(git -C "$KT" rev-list --reverse "$from..$to")
fi
for c in $commits; do
	subj=$(git -C "$KT" log -1 --format=%s "$c")
	for v in $variants; do
		O=$BUILD/obj-bisect-$v
		worktree_make "$O"
		git -C "$WT" checkout -q --detach "$c"
		build_checked "$O" "$v" "$LOGS/bisect-$c-$v.log" "$c $subj" || fail=1
	done
done
exit $fail
