#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Every user of ib_umem still compiles: build drivers/infiniband/ (all of
# it: core, ULPs, every hardware and software driver) of the series' tree
# with allmodconfig, which enables every driver and its dependencies, in
# build/obj-iball. Only the objects of drivers/infiniband are built (no
# vmlinux, no modpost). Fails on any compiler warning or error
# (allmodconfig also sets CONFIG_WERROR).
# usage: build-ib-all.sh [COMMIT]   (default: the tip of the series)
. "$(dirname "$0")/lib.sh"

O=$BUILD/obj-iball
rev=${1:-series}
worktree_make "$O"
git -C "$WT" checkout -q --detach "$rev"
log=$LOGS/ib-all.log

msg "allmodconfig build of drivers/infiniband at $(git -C "$WT" log -1 --format='%h %s' "$rev")"
step "log: $log"
start=$(date +%s)
rc=0
{
	"${MAKE[@]}" allmodconfig &&
	"${MAKE[@]}" drivers/infiniband/
} >"$log" 2>&1 || rc=$?
warns=$(compiler_diags "$log" | wc -l)
objs=$(find "$O/drivers/infiniband" -name '*.o' ! -name '*.mod.o' 2>/dev/null | wc -l)
if [ $rc != 0 ] || [ "$warns" != 0 ]; then
	compiler_diags "$log" | head -20 >&2
	tail -n 20 "$log" >&2
	die "drivers/infiniband does not build (exit $rc, $warns warnings)"
fi
step "$objs objects under drivers/infiniband in $(($(date +%s) - start)) s, no warning"
