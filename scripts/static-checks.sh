#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The kernel's compiler-side static checks on the C files the series adds
# or changes (issue 15, item 5): each such file that the debug
# configuration builds is compiled with W=1 and sparse (C=2, which runs
# sparse on it even when its object is up to date), once at the series'
# tip and once at its base, each in an object directory of its own
# (build/obj-lint-tip, build/obj-lint-base, with the debug kernel's
# .config). A warning of the tip that the base does not have in the same
# file (gcc's or sparse's, compared with the line and column numbers taken
# out) fails. Files the configuration does not build are listed. sparse
# is 0.6.5~rc1 built from Debian's source (scripts/build-sparse.sh).
# usage: static-checks.sh      (build/linux must hold the series, and
#                               build/obj-debug its configuration:
#                               make kernel)
. "$(dirname "$0")/lib.sh"
KT=$BUILD/linux
CFG=$BUILD/obj-debug/.config
[ -f "$CFG" ] || die "$CFG missing: run make kernel first"
git -C "$KT" rev-parse -q --verify base >/dev/null || die "$KT has no 'base' tag"
SPARSE=$(bash "$TOP/scripts/build-sparse.sh") || die "no usable sparse"

mapfile -t added < <(git -C "$KT" diff --name-only --diff-filter=A base HEAD -- '*.c' | grep -v '^tools/')
mapfile -t changed < <(git -C "$KT" diff --name-only --diff-filter=M base HEAD -- '*.c' | grep -v '^tools/')
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# objs FILE...: the objects of FILEs that the configuration builds (the
# debug kernel built them), the rest to $tmp/unbuilt
objs() {
	local f
	for f; do
		if [ -f "$BUILD/obj-debug/${f%.c}.o" ]; then
			echo "${f%.c}.o"
		else
			echo "$f" >>"$tmp/unbuilt"
		fi
	done
}
mapfile -t tip_objs < <(objs "${added[@]}" "${changed[@]}")
mapfile -t base_objs < <(objs "${changed[@]}")

# check SIDE TREE OBJ...: compile OBJs of TREE with W=1 C=2 into
# build/obj-lint-SIDE; the warnings, positions taken out, to $tmp/SIDE
check() {
	local side=$1 tree=$2 O=$BUILD/obj-lint-$1
	shift 2
	mkdir -p "$O"
	cp "$CFG" "$O/.config"
	msg "static checks ($side): W=1 C=2 on $# objects (log: $LOGS/static-$side.log)"
	{
		make -C "$tree" O="$O" -j"$(nproc)" CC="ccache gcc" HOSTCC="ccache gcc" olddefconfig &&
		make -C "$tree" O="$O" -j"$(nproc)" CC="ccache gcc" HOSTCC="ccache gcc" \
			W=1 C=2 CHECK="$SPARSE" -k "$@"
	} >"$LOGS/static-$side.log" 2>&1 || echo "  (make exited $?: see the log)"
	grep -E '^[^ ]+:[0-9]+:[0-9]+: (warning|error):' "$LOGS/static-$side.log" |
		sed -E 's#^.*/build/(linux|lint-base)/##; s/:[0-9]+:[0-9]+: /: /' |
		sort -u >"$tmp/$side"
}

# the base, in a worktree of its own
BWT=$BUILD/lint-base
[ -d "$BWT" ] || git -C "$KT" worktree add -q --detach "$BWT" base
git -C "$BWT" checkout -q --detach base
: >"$tmp/base"
[ ${#base_objs[@]} = 0 ] || check base "$BWT" "${base_objs[@]}"
check tip "$KT" "${tip_objs[@]}"

fail=0
# kbuild skips C=2 with a message if it finds sparse too old; fail then,
# as only W=1 was checked.
if grep -q 'sparse is not available or not up to date' "$LOGS/static-tip.log"; then
	echo "  sparse NOT run: kbuild finds $SPARSE missing or too old"
	fail=1
fi
out=$(comm -13 "$tmp/base" "$tmp/tip")
if [ -n "$out" ]; then
	printf '%s\n' "$out"
	fail=1
else
	echo "  ok: ${#tip_objs[@]} objects, no new warning ($(wc -l <"$tmp/base") the base has in them)"
fi
if [ -s "$tmp/unbuilt" ]; then
	echo "  not built by the debug configuration: $(sort -u "$tmp/unbuilt" | tr "\n" " ")"
fi
exit $fail
