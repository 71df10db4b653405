#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Export base..HEAD of build/linux into kernel/patches (git format-patch
# with a cover letter taken from kernel/cover-letter.txt).
. "$(dirname "$0")/lib.sh"

KT=$BUILD/linux
[ -d "$KT/.git" ] || die "$KT missing: run 'make kernel' first"
[ -z "$(git -C "$KT" status --porcelain --untracked-files=no)" ] ||
	die "$KT has uncommitted changes: commit them first"
branch=$(git -C "$KT" symbolic-ref --short -q HEAD) ||
	die "$KT is on a detached HEAD: 'git -C $KT checkout -B series' first"
n=$(git -C "$KT" rev-list --count base..HEAD)
msg "export: $n patches from $KT into kernel/patches"
rm -f "$TOP"/kernel/patches/*.patch
if [ "$n" -gt 0 ]; then
	git -C "$KT" -c branch."$branch".description="$(cat "$TOP/kernel/cover-letter.txt")" \
		format-patch -q --cover-letter --cover-from-description=subject \
		--zero-commit --no-signature --base=base -o "$TOP/kernel/patches" base..HEAD
fi
# The tree now matches the series: record it so apply-series.sh keeps it.
echo "$(series_id "$(git -C "$KT" rev-parse base^{commit})") $(git -C "$KT" rev-parse HEAD)" \
	>"$KT/.git/phyr-series"
ls "$TOP"/kernel/patches/ >&2
