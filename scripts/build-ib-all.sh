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

KT=$BUILD/linux
WT=$BUILD/bisect
O=$BUILD/obj-iball
rev=${1:-series}
[ -d "$KT/.git" ] || die "$KT missing: run scripts/apply-series.sh"
if [ ! -d "$WT" ]; then
	git -C "$KT" worktree add -q --detach "$WT" base
fi
git -C "$WT" checkout -q --detach "$rev"
mkdir -p "$O"
export KBUILD_BUILD_TIMESTAMP="2026-01-01 00:00:00 UTC" KBUILD_BUILD_USER=phyr
export KBUILD_BUILD_HOST=workbench CCACHE_DIR=$CACHE/ccache CCACHE_BASEDIR=$TOP
export CCACHE_NOHASHDIR=1 CCACHE_COMPILERCHECK=content
export CCACHE_SLOPPINESS=time_macros,include_file_mtime,include_file_ctime
MAKE=(make -C "$WT" O="$O" -j"$(nproc)" CC="ccache gcc" HOSTCC="ccache gcc")
log=$LOGS/ib-all.log

msg "allmodconfig build of drivers/infiniband at $(git -C "$WT" log -1 --format='%h %s' "$rev")"
step "log: $log"
start=$(date +%s)
rc=0
{
	"${MAKE[@]}" allmodconfig &&
	"${MAKE[@]}" drivers/infiniband/
} >"$log" 2>&1 || rc=$?
warns=$(grep -cE '^[^ ]+:[0-9]+:[0-9]+: (warning|error):' "$log" || true)
objs=$(find "$O/drivers/infiniband" -name '*.o' ! -name '*.mod.o' 2>/dev/null | wc -l)
if [ $rc != 0 ] || [ "$warns" != 0 ]; then
	grep -E '^[^ ]+:[0-9]+:[0-9]+: (warning|error):' "$log" | head -20 >&2 || true
	tail -n 20 "$log" >&2
	die "drivers/infiniband does not build (exit $rc, $warns warnings)"
fi
step "$objs objects under drivers/infiniband in $(($(date +%s) - start)) s, no warning"
