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
# Then coccinelle: every semantic patch of scripts/coccinelle that has a
# report mode, run by spatch over the same C files (all of them, built or
# not), at the tip and at the base; a report of the tip that the base
# lacks fails. Then the documentation: `make htmldocs` of the Sphinx
# directories holding the .rst files the series adds or changes, at the
# tip and at the base; a new warning fails. Debian packages the tools
# (coccinelle, python3-sphinx, python3-sphinx-rtd-theme, python3-yaml).
# usage: static-checks.sh      (build/linux must hold the series, and
#                               build/obj-debug its configuration:
#                               make kernel)
# STATIC_CHECKS (default "compile cocci docs") picks the stages.
. "$(dirname "$0")/lib.sh"
KT=$BUILD/linux
CFG=$BUILD/obj-debug/.config
git -C "$KT" rev-parse -q --verify base >/dev/null || die "$KT has no 'base' tag"
stages=${STATIC_CHECKS:-compile cocci docs}
for st in $stages; do
	case $st in compile|cocci|docs) ;; *) die "unknown stage '$st' (compile, cocci, docs)" ;; esac
done
has() { case " $stages " in *" $1 "*) return 0 ;; esac; return 1; }
if has compile; then
	[ -f "$CFG" ] || die "$CFG missing: run make kernel first"
	SPARSE=$(bash "$TOP/scripts/build-sparse.sh") || die "no usable sparse"
fi
has cocci && need_tool spatch coccinelle
has docs && need_tool sphinx-build python3-sphinx

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
			W=1 C=2 CHECK="$SPARSE" -k "$@" &&
		# the selftests' test module (lib.sh), all new: its object
		if [ -d "$tree/$TEST_MODS" ]; then
			make -C "$tree" O="$O" CC="ccache gcc" HOSTCC="ccache gcc" \
				W=1 C=2 CHECK="$SPARSE" M="$tree/$TEST_MODS" \
				MO="$O/phyr_test_mod" dma_buf_phyr_test.o
		fi
	} >"$LOGS/static-$side.log" 2>&1 || echo "  (make exited $?: see the log)"
	{ grep -E '^[^ ]+:[0-9]+:[0-9]+: (warning|error):' "$LOGS/static-$side.log" || true; } |
		sed -E 's#^.*/build/(linux|lint-base)/##; s/:[0-9]+:[0-9]+: /: /' |
		sort -u >"$tmp/$side"
}

# the base, in a worktree of its own
BWT=$BUILD/lint-base
[ -d "$BWT" ] || git -C "$KT" worktree add -q --detach "$BWT" base
git -C "$BWT" checkout -q --detach base

fail=0
# new SIDE-FILES: print the lines of $tmp/tip-SIDE-FILES that
# $tmp/base-SIDE-FILES lacks; fail if any
new() {
	local out
	out=$(comm -13 "$tmp/base-$1" "$tmp/tip-$1")
	if [ -n "$out" ]; then
		printf '%s\n' "$out"
		fail=1
		return 1
	fi
}

if has compile; then
	: >"$tmp/base"
	[ ${#base_objs[@]} = 0 ] || check base "$BWT" "${base_objs[@]}"
	check tip "$KT" "${tip_objs[@]}"
	# kbuild skips C=2 with a message if it finds sparse too old; fail
	# then, as only W=1 was checked.
	if grep -q 'sparse is not available or not up to date' "$LOGS/static-tip.log"; then
		echo "  sparse NOT run: kbuild finds $SPARSE missing or too old"
		fail=1
	fi
	mv "$tmp/base" "$tmp/base-compile"
	mv "$tmp/tip" "$tmp/tip-compile"
	if new compile; then
		echo "  ok: ${#tip_objs[@]} objects, no new warning ($(wc -l <"$tmp/base-compile") the base has in them)"
	fi
	if [ -s "$tmp/unbuilt" ]; then
		echo "  not built by the debug configuration: $(sort -u "$tmp/unbuilt" | tr "\n" " ")"
	fi
fi

# cocci SIDE TREE FILE...: every semantic patch with a report mode over
# FILEs of TREE; the reports, positions taken out, to $tmp/SIDE-cocci.
# The two semantic patches that script in OCaml (api/check_bq27xxx_data,
# null/badzero) need its compiler, which the workbench does not install:
# they are left out and counted.
# A semantic patch that fails over all the files at once (spatch's stack
# overflowed on null/deref_null.cocci over the tip's 42 files, never on
# one of them) is run again file by file; a file it still fails on is a
# report of its own ("FILE: spatch failed: SEMANTIC PATCH"), so that a
# failure the base does not have fails the stage too.
spatch_on() {
	local tree=$1 c=$2
	shift 2
	(cd "$tree" && spatch -D report --very-quiet --no-show-diff \
		--no-includes --include-headers -I include -I arch/x86/include \
		--cocci-file "$c" "$@")
}
cocci() {
	local side=$1 tree=$2 c f n=0 skipped=0 log
	shift 2
	log=$LOGS/cocci-$side.log
	: >"$tmp/$side-cocci"
	[ $# = 0 ] && return 0
	msg "coccinelle ($side): $# files (log: $log)"
	: >"$log"
	for c in "$tree"/scripts/coccinelle/*/*.cocci; do
		grep -q '^virtual report' "$c" || continue
		if grep -q '^@[a-z]*:ocaml' "$c"; then
			skipped=$((skipped + 1))
			continue
		fi
		n=$((n + 1))
		echo "== ${c#"$tree"/}" >>"$log"
		if spatch_on "$tree" "$c" "$@" >"$tmp/run.log" 2>&1; then
			cat "$tmp/run.log" >>"$log"
			continue
		fi
		# what the failed run reported is kept in the log but not
		# counted: the run file by file reports it again
		sed 's/^/failed run: /' "$tmp/run.log" >>"$log"
		echo "== ${c#"$tree"/}: failed over all files, file by file" >>"$log"
		for f; do
			spatch_on "$tree" "$c" "$f" >>"$log" 2>&1 ||
				echo "$f: spatch failed: ${c#"$tree"/}" >>"$tmp/$side-cocci"
		done
	done
	# positions, and the line numbers some reports name, taken out; a
	# report made twice in one file counts twice
	{ grep -E '^[^ ]+:[0-9]+:[0-9]+(-[0-9]+)?: ' "$log" || true; } |
		sed -E 's/:[0-9]+:[0-9]+(-[0-9]+)?: /: /; s/lines? [0-9]+([-,][0-9]+)*/line N/g' |
		cat - "$tmp/$side-cocci" | sort >"$tmp/$side-cocci.new"
	mv "$tmp/$side-cocci.new" "$tmp/$side-cocci"
	echo "  $n semantic patches ($skipped in OCaml left out)"
}
if has cocci; then
	cocci base "$BWT" "${changed[@]}"
	cocci tip "$KT" "${added[@]}" "${changed[@]}"
	if new cocci; then
		echo "  ok: no new coccinelle report in $(( ${#added[@]} + ${#changed[@]} )) files ($(wc -l <"$tmp/base-cocci") the base has)"
	fi
fi

# docs SIDE TREE DIR...: make htmldocs of the Sphinx directories DIRs of
# TREE; the warnings, positions taken out, to $tmp/SIDE-docs
# (-E: Sphinx reads every file again, so that a rerun reports every
# warning); a failed build of the tip fails the stage
docs() {
	local side=$1 tree=$2 O=$BUILD/docs-$1
	shift 2
	msg "htmldocs ($side): SPHINXDIRS=\"$*\" (log: $LOGS/docs-$side.log)"
	if ! make -C "$tree" O="$O" SPHINXDIRS="$*" SPHINXOPTS=-E htmldocs \
		>"$LOGS/docs-$side.log" 2>&1; then
		echo "  make htmldocs ($side) failed: see the log"
		[ "$side" = tip ] && fail=1
	fi
	{ grep -E '(WARNING|ERROR|warning|error):' "$LOGS/docs-$side.log" || true; } |
		sed -E 's#/[^ :]*/build/(linux|lint-base)/##g; s/:[0-9]+([: ])/\1/g' |
		sort -u >"$tmp/$side-docs"
}
if has docs; then
	mapfile -t rst < <(git -C "$KT" diff --name-only --diff-filter=AM base HEAD -- 'Documentation/*.rst')
	mapfile -t dirs < <(printf '%s\n' "${rst[@]}" | sed -nE 's#^Documentation/([^/]+)/.*#\1#p' | sort -u)
	if [ ${#dirs[@]} = 0 ]; then
		echo "  no .rst file changed"
	else
		docs base "$BWT" "${dirs[@]}"
		docs tip "$KT" "${dirs[@]}"
		if new docs; then
			echo "  ok: ${#rst[@]} .rst files in ${dirs[*]}, no new warning ($(wc -l <"$tmp/base-docs") the base has)"
		fi
	fi
fi
exit $fail
