#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Every patch builds on its own: build each commit of base..series (or
# FROM..series) in a separate worktree (build/bisect, build/obj-bisect) with
# the bench configuration re-applied at every step, so that a symbol is
# enabled from the patch that introduces it; fail on any compiler warning.
# usage: bisect-build.sh [FROM]
. "$(dirname "$0")/lib.sh"

KT=$BUILD/linux
WT=$BUILD/bisect
O=$BUILD/obj-bisect
from=${1:-base}
[ -d "$KT/.git" ] || die "$KT missing: run scripts/apply-series.sh"
if [ ! -d "$WT" ]; then
	git -C "$KT" worktree add -q --detach "$WT" base
fi
mkdir -p "$O"
export KBUILD_BUILD_TIMESTAMP="2026-01-01 00:00:00 UTC" KBUILD_BUILD_USER=phyr
export KBUILD_BUILD_HOST=workbench CCACHE_DIR=$CACHE/ccache CCACHE_BASEDIR=$TOP
export CCACHE_NOHASHDIR=1 CCACHE_COMPILERCHECK=content
export CCACHE_SLOPPINESS=time_macros,include_file_mtime,include_file_ctime
MAKE=(make -C "$WT" O="$O" -j"$(nproc)" CC="ccache gcc" HOSTCC="ccache gcc")
frags=("$TOP/kernel/configs/base.config" "$TOP/kernel/configs/phyr.config")

fail=0
for c in $(git -C "$KT" rev-list --reverse "$from..series"); do
	subj=$(git -C "$KT" log -1 --format=%s "$c")
	git -C "$WT" checkout -q --detach "$c"
	start=$(date +%s)
	log=$LOGS/bisect-$c.log
	rc=0
	{
		"${MAKE[@]}" allnoconfig &&
		(cd "$O" && "$WT/scripts/kconfig/merge_config.sh" -m -O "$O" .config "${frags[@]}") &&
		"${MAKE[@]}" olddefconfig && "${MAKE[@]}" bzImage
	} >"$log" 2>&1 || rc=$?
	# lib.sh runs with -e: a grep that finds nothing must not end the loop
	warns=$(grep -cE '^[^ ]+:[0-9]+:[0-9]+: (warning|error):' "$log" || true)
	if [ $rc != 0 ] || [ "$warns" != 0 ]; then
		echo "FAIL $c $subj (exit $rc, $warns warnings: $log)"
		grep -E '^[^ ]+:[0-9]+:[0-9]+: (warning|error):' "$log" | head -5 || true
		fail=1
	else
		echo "ok   $c $subj ($(( $(date +%s) - start )) s)"
	fi
done
exit $fail
