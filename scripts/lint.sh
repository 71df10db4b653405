#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The kernel's own static checks on the series, the ones that need no
# build (issue 15, item 5; scripts/static-checks.sh builds the touched
# files with W=1 and sparse, scripts/bisect-build.sh every commit):
#   - checkpatch.pl --strict on every patch in kernel/patches: any ERROR,
#     WARNING or CHECK fails, except "Unknown commit id" on a Fixes: tag
#     (the base is a release tarball without git history, so checkpatch
#     cannot look the commits up; they were checked upstream), CamelCase
#     on C99's <inttypes.h> macros (PRIu64, SCNx64) in selftests, and the
#     MAINTAINERS question for a patch that only deletes files no
#     MAINTAINERS entry names;
#   - scripts/kernel-doc -none -Wall on every C file and header the series
#     changes, as the tree is at its tip: a warning the base does not
#     have in the same file (kernel-doc that does not match the code, a
#     parameter or return value missing or misnamed) fails.
# usage: lint.sh        (on build/linux, which must hold the series)
. "$(dirname "$0")/lib.sh"
KT=$BUILD/linux
[ -x "$KT/scripts/checkpatch.pl" ] || die "$KT missing: run scripts/apply-series.sh (or make kernel) first"
git -C "$KT" rev-parse -q --verify base >/dev/null || die "$KT has no 'base' tag"
fail=0

msg "lint: checkpatch --strict on kernel/patches"
# every patch but the cover letter (0000); the glob used to be
# [0-9][0-9][0-9][1-9]-*, which also left out 0010, 0020, ... 0080
patches=()
for p in "$TOP"/kernel/patches/[0-9][0-9][0-9][0-9]-*.patch; do
	case ${p##*/} in 0000-*) ;; *) patches+=("$p") ;; esac
done
out=$(cd "$KT" && ./scripts/checkpatch.pl --strict --terse --no-summary \
	"${patches[@]}" 2>&1 |
	grep -E 'ERROR|WARNING|CHECK' | grep -v "Unknown commit id '[0-9a-f]*'" |
	grep -vE 'CHECK: Avoid CamelCase: <(PRI|SCN)[diouxX][0-9]*>' || true)
# checkpatch asks about MAINTAINERS for every patch that adds, moves or
# deletes a file; it only matters when MAINTAINERS names a deleted file.
maint_needed() {
	local f d covered
	for f in $(awk '/^diff --git /{p=substr($3, 3)} /^deleted file mode/{print p}' "$1"); do
		grep -qF "$f" "$KT/MAINTAINERS" && return 0
	done
	# a new file is fine where the patch names it in MAINTAINERS, or
	# where an entry already covers it: its directory ("F: dir/") or a
	# pattern ("F: dir/name_*")
	grep -q '^+++ b/MAINTAINERS' "$1" && return 1
	for f in $(awk '/^diff --git /{p=substr($3, 3)} /^new file mode/{print p}' "$1"); do
		covered=
		for d in $(dirname "$f") $(dirname "$(dirname "$f")"); do
			grep -qxF "F:	$d/" "$KT/MAINTAINERS" && covered=1
		done
		[ -n "$covered" ] || maint_glob "$f" || return 0
	done
	return 1
}

# Does a pattern entry of MAINTAINERS ("F: dir/name_*") match file $1?
maint_glob() {
	python3 - "$KT/MAINTAINERS" "$1" <<'EOF'
import fnmatch, os, sys
path = sys.argv[2]
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    if not line.startswith("F:\t"):
        continue
    pat = line[3:].strip()
    if any(c in pat for c in "*?[") and \
            os.path.dirname(pat) == os.path.dirname(path) and \
            fnmatch.fnmatch(path, pat):
        sys.exit(0)
sys.exit(1)
EOF
}
kept=
while IFS= read -r line; do
	[ -n "$line" ] || continue
	case $line in
	*"does MAINTAINERS need updating"*)
		maint_needed "${line%%:*}" || continue ;;
	esac
	kept+="$line"$'\n'
done <<<"$out"
out=${kept%$'\n'}
n=$(ls "$TOP"/kernel/patches/[0-9]*.patch | grep -vc '/0000-')
if [ -n "$out" ]; then
	printf '%s\n' "$out"
	fail=1
else
	echo "  ok: $n patches"
fi

msg "lint: kernel-doc -none -Wall on the files the series changes (new warnings)"
# What the base already warns about in a file the series touches is the
# base's: compare the warnings with their line numbers taken out.
mapfile -t files < <(git -C "$KT" diff --name-only --diff-filter=AM base HEAD -- '*.c' '*.h')
mapfile -t old < <(git -C "$KT" diff --name-only --diff-filter=M base HEAD -- '*.c' '*.h')
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git -C "$KT" archive base -- "${old[@]}" | tar -x -C "$tmp"
kdoc() { "$KT/scripts/kernel-doc" -none -Wall "$@" 2>&1 | sed -E 's/:[0-9]+ / /' | sort -u || true; }
(cd "$tmp" && kdoc "${old[@]}") >"$tmp/base.txt"
(cd "$KT" && kdoc "${files[@]}") >"$tmp/tip.txt"
out=$(comm -13 "$tmp/base.txt" "$tmp/tip.txt")
if [ -n "$out" ]; then
	printf '%s\n' "$out"
	fail=1
else
	echo "  ok: ${#files[@]} files, $(wc -l <"$tmp/base.txt") warnings the base has already"
fi
exit $fail
