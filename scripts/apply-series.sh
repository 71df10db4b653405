#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Create build/linux: a git repository whose first commit is the pristine
# base (tag "base"), with kernel/patches/*.patch applied by git am.
# Nothing is redone when neither the base nor the series changed.
. "$(dirname "$0")/lib.sh"

need_tool git git
need_tool xz xz-utils

KT=$BUILD/linux
BASE_REPO=$CACHE/linux-base.git
IDENT=(-c user.name="phyr workbench" -c user.email="workbench@invalid")

tar=$("$TOP/scripts/fetch-base.sh")

# 1. A cached repository holding only the pristine base commit.
if ! git -C "$BASE_REPO" log -1 --format=%B base 2>/dev/null | grep -q "$BASE_TAR_SHA256"; then
	msg "base: importing $(basename "$tar") into $BASE_REPO (one time)"
	rm -rf "$BASE_REPO" "$BASE_REPO.tmp"
	mkdir -p "$BASE_REPO.tmp/src"
	step "extract"
	tar -xJf "$tar" -C "$BASE_REPO.tmp/src" --strip-components=1
	step "commit"
	git -C "$BASE_REPO.tmp/src" init -q -b master
	git -C "$BASE_REPO.tmp/src" add -A -f .
	GIT_AUTHOR_DATE="2026-01-01T00:00:00Z" GIT_COMMITTER_DATE="2026-01-01T00:00:00Z" \
		git -C "$BASE_REPO.tmp/src" "${IDENT[@]}" commit -q \
		-m "Linux 7.3.4 as shipped by Debian (linux-source-7.3 $BASE_VER)" \
		-m "Pristine tarball $BASE_TAR, sha256 $BASE_TAR_SHA256, with Debian's patches applied."
	git -C "$BASE_REPO.tmp/src" tag base
	git clone -q --bare "$BASE_REPO.tmp/src" "$BASE_REPO"
	rm -rf "$BASE_REPO.tmp"
fi
base_id=$(git -C "$BASE_REPO" rev-parse base^{commit})

mapfile -t patches < <(series_patches)
series_id=$(series_id "$base_id")

# 2. The working tree.
# A tree made from another base is stale: start over (unless it has work).
if [ -d "$KT/.git" ] && [ "$(git -C "$KT" rev-parse -q --verify base^{commit})" != "$base_id" ]; then
	[ "${FORCE:-0}" = 1 ] || [ -z "$(git -C "$KT" log --oneline base..HEAD 2>/dev/null)" ] ||
		die "$KT is based on an older base and has commits: export them or rerun with FORCE=1"
	msg "tree: base changed, recreating $KT"
	rm -rf "$KT"
fi
if [ ! -d "$KT/.git" ]; then
	msg "tree: cloning base into $KT"
	git clone -q "$BASE_REPO" "$KT"
	git -C "$KT" checkout -q -b series base
	rm -f "$KT/.git/phyr-series"
fi

# Debian's .gitignore ignores every top-level entry ("/*"), which would hide
# new files of the series. Drop that rule from the working copy only; the
# committed base stays pristine and git does not report the change.
unhide_new_files() {
	if grep -qx '/\*' "$KT/.gitignore" 2>/dev/null; then
		git -C "$KT" update-index --skip-worktree .gitignore
		sed -i -e '/^\/\*$/d' -e '/^!\/debian\/$/d' "$KT/.gitignore"
	fi
}
unhide_new_files

state=$KT/.git/phyr-series
head=$(git -C "$KT" rev-parse HEAD)
if [ -f "$state" ]; then
	read -r old_series old_head <"$state"
	if [ "$old_series" = "$series_id" ]; then
		if [ "$old_head" != "$head" ]; then
			msg "tree: $KT has commits not exported to kernel/patches (run 'make patches'); using it as is"
		else
			step "series unchanged ($((${#patches[@]})) patches), nothing to apply"
		fi
		exit 0
	fi
	# The series changed: refuse to throw away work done in the tree.
	if [ "$old_head" != "$head" ] || [ -n "$(git -C "$KT" status --porcelain --untracked-files=no)" ]; then
		[ "${FORCE:-0}" = 1 ] ||
			die "$KT has local changes or commits and kernel/patches changed too: export them ('make patches') or rerun with FORCE=1 to discard them"
	fi
elif [ "$head" != "$base_id" ] || [ -n "$(git -C "$KT" status --porcelain --untracked-files=no)" ]; then
	# No record of what was applied (a git am stopped half way, say): the
	# commits or edits in the tree may be someone's work.
	[ "${FORCE:-0}" = 1 ] ||
		die "$KT has commits or changes that the workbench did not record: 'make patches' to keep them, or rerun with FORCE=1 to re-apply kernel/patches"
fi

msg "series: applying ${#patches[@]} patches onto base"
git -C "$KT" am --abort >/dev/null 2>&1 || true
git -C "$KT" update-index --no-skip-worktree .gitignore
git -C "$KT" reset -q --hard base
for p in "${patches[@]}"; do
	step "$(basename "$p")"
	if ! git -C "$KT" "${IDENT[@]}" am -q --keep-cr "$p" >"$LOGS/git-am.log" 2>&1; then
		cat "$LOGS/git-am.log" >&2
		git -C "$KT" am --abort >/dev/null 2>&1 || true
		rm -f "$state"
		die "patch does not apply: ${p#"$TOP"/}"
	fi
done
unhide_new_files
echo "$series_id $(git -C "$KT" rev-parse HEAD)" >"$state"
