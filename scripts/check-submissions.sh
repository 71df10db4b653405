#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The series is sent as several submissions, one per tree
# (kernel/submissions/*.cover, docs/submissions.md). Check that they cover
# kernel/patches exactly, in order, and that each one applies with git am
# on the pristine base plus the submissions it depends on (transitively,
# in series order) and builds there without a compiler warning.
# A cover letter starts with "Key: value" lines up to the first blank line:
#   Subject:  the cover letter's subject
#   Tree:     the tree (and branch) it is for
#   Depends:  names of the submissions it needs first ("-" for none)
#   Patches:  FIRST-LAST, numbers of kernel/patches/NNNN-*.patch
#   Send:     "yes", or why not (a backport that upstream already has)
# usage: check-submissions.sh [NAME...]   (default: all)
# PHYR_SUBMISSION_VARIANTS (default "bench"): build variants, as in
# scripts/bisect-build.sh (bench, nodmabuf, noib, full). PHYR_SUBMISSION_BUILD=0
# only checks that the submissions apply. PHYR_SUBMISSIONS_DIR reads the
# cover letters from elsewhere (scripts/test-workbench.sh).
# PHYR_SUBMISSION_FORMAT=DIR also writes each sent submission that applies
# as a series of its own, for git send-email: DIR/NN-NAME/, its patches
# numbered 1..N with its cover letter's subject prefix ("[PATCH net-next
# 0/4]": "PATCH net-next"), the cover letter's subject and text in
# 0000-cover-letter.patch above the shortlog, and To: (maintainers) and
# Cc: (reviewers, lists) from get_maintainer.pl of the tree it applies on.
. "$(dirname "$0")/lib.sh"

SUBS=${PHYR_SUBMISSIONS_DIR:-$TOP/kernel/submissions}
variants=${PHYR_SUBMISSION_VARIANTS:-bench}
[ -d "$BUILD/linux/.git" ] || die "$BUILD/linux missing: run scripts/apply-series.sh"

declare -A first last deps
names=()
field() { sed -n "1,/^\$/s/^$2: *//p" "$1" | head -n 1; }
declare -A sent
for f in "$SUBS"/*.cover; do
	n=$(basename "$f" .cover); n=${n#[0-9][0-9]-}
	[ -z "${first[$n]:-}" ] || die "$f: a second submission named $n"
	r=$(field "$f" Patches)
	[[ $r =~ ^([0-9]{4})-([0-9]{4})$ ]] || die "$f: bad Patches: '$r'"
	first[$n]=$((10#${BASH_REMATCH[1]})); last[$n]=$((10#${BASH_REMATCH[2]}))
	grep -q '^$' "$f" || die "$f: no blank line after the header"
	for k in Subject Tree Depends Send; do [ -n "$(field "$f" $k)" ] || die "$f: no $k:"; done
	d=$(field "$f" Depends); [ "$d" = - ] && d=
	deps[$n]=$d
	case $(field "$f" Send) in yes) sent[$n]=1 ;; *) sent[$n]=0 ;; esac
	names+=("$n")
done
[ ${#names[@]} -gt 0 ] || die "no cover letters in $SUBS"

# 1. The submissions cover the series once, in series order.
mapfile -t patches < <(series_patches)
total=${#patches[@]}
next=1
for n in "${names[@]}"; do
	[ "${first[$n]}" = $next ] || die "submission $n starts at ${first[$n]}, expected $next"
	[ "${last[$n]}" -ge "${first[$n]}" ] || die "submission $n: empty range"
	next=$((last[$n] + 1))
	for d in ${deps[$n]}; do
		[ -n "${first[$d]:-}" ] || die "submission $n depends on unknown '$d'"
		[ "${first[$d]}" -lt "${first[$n]}" ] || die "submission $n depends on $d, which comes later"
	done
done
[ $((next - 1)) = "$total" ] || die "the submissions end at $((next - 1)), the series has $total patches"
# Ranges name patch files: position N must be the file numbered N.
for i in $(seq 1 "$total"); do
	case $(basename "${patches[$((i - 1))]}") in
	$(printf %04d "$i")-*) ;;
	*) die "patch $i is $(basename "${patches[$((i - 1))]}"): kernel/patches is not numbered 1..$total (run make patches)" ;;
	esac
done
echo "ok   ${#names[@]} submissions cover the $total patches in order"

# The last commits of $WT, submission $1's own, as a series of its own,
# written to a new directory that replaces the old one only when all of it
# is there. A Subject without "0/N" is a single patch, sent without a cover
# letter.
format_submission() {
	local n=$1 f sub prefix out tmp k a d cover=1 m r after=
	local -a addr who
	f=$(ls "$SUBS"/[0-9][0-9]-"$n".cover)
	sub=$(field "$f" Subject)
	prefix=$(sed -n 's/^\[\(.*\) 0*\/[0-9]*\] .*/\1/p' <<<"$sub")
	if [ -z "$prefix" ]; then
		prefix=$(sed -n 's/^\[\([^]]*\)\] .*/\1/p' <<<"$sub")
		cover=0
	fi
	k=$((last[$n] - first[$n] + 1))
	[ -n "$prefix" ] && { [ $cover = 1 ] || [ $k = 1 ]; } ||
		{ echo "FAIL $n: Subject: '$sub' is neither '[PATCH ... 0/N] ...' nor, for one patch, '[PATCH ...] ...'"; return 1; }
	[ $cover = 0 ] || [ "$(sed -n 's/^\[.* 0*\/\([0-9]*\)\] .*/\1/p' <<<"$sub")" = $k ] ||
		{ echo "FAIL $n: Subject: '$sub' does not say $k patches"; return 1; }
	out=$(realpath -m "$PHYR_SUBMISSION_FORMAT/$(basename "$f" .cover)")
	tmp=$out.new
	rm -rf "$tmp"
	mkdir -p "$tmp"
	# Recipients: get_maintainer.pl of the patches, in the tree they apply
	# on: To: its maintainers, Cc: its reviewers and lists (not the authors
	# of the commits that Fixes: tags name: the base has no history).
	git -C "$WT" format-patch -q -o "$tmp" "HEAD~$k..HEAD" || return 1
	m=$(cd "$WT" && perl scripts/get_maintainer.pl --no-git --no-git-fallback \
		--no-fixes --no-rolestats --m --nor --nol "$tmp"/*.patch) &&
	r=$(cd "$WT" && perl scripts/get_maintainer.pl --no-git --no-git-fallback \
		--no-fixes --no-rolestats --nom --r --l "$tmp"/*.patch) &&
	[ -n "$m" ] || { echo "FAIL $n: get_maintainer.pl found no maintainer"; return 1; }
	addr=()
	while read -r a; do addr+=("--to=$a"); done <<<"$m"
	while read -r a; do [ -z "$a" ] || addr+=("--cc=$a"); done <<<"$r"
	rm -f "$tmp"/*.patch
	# the cover letter is from the patches' author
	who=(-c "user.name=$(git -C "$WT" log -1 --format=%an)"
	     -c "user.email=$(git -C "$WT" log -1 --format=%ae)")
	[ $cover = 1 ] && addr+=(--cover-letter)
	git -C "$WT" "${who[@]}" format-patch -q --subject-prefix="$prefix" \
		"${addr[@]}" -o "$tmp" "HEAD~$k..HEAD" || return 1
	if [ $cover = 1 ]; then
		# what it applies on, which the header lines said
		for d in ${deps[$n]}; do
			d=$(field "$(ls "$SUBS"/[0-9][0-9]-"$d".cover)" Subject)
			after+="${after:+, }\"${d#*] }\""
		done
		# The cover letter's subject and text for format-patch's
		# placeholders; the text's numbers of the whole series (NNNN)
		# become the posting's for this submission's patches, and the
		# subject of the patch for the others'.
		python3 - "$tmp/0000-cover-letter.patch" "${sub#*] }" "$f" \
			"${first[$n]}" "$k" "$(field "$f" Tree)" "$(field "$f" Base)" \
			"$after" "${patches[@]}" <<-'PY' || return 1
		import re
		import sys
		path, subject, cover, first, k, tree, base, after = sys.argv[1:9]
		first, k = int(first), int(k)
		others = {}
		for i, patch in enumerate(sys.argv[9:], 1):
		    head = open(patch, errors="replace").read().split("\n\n", 1)[0]
		    m = re.search(r"^Subject: \[PATCH[^]]*\] (.*(?:\n .*)*)", head, re.M)
		    if m:
		        others[i] = '"' + " ".join(m[1].split()) + '"'
		def number(m):
		    i = int(m[0])
		    if first <= i < first + k:
		        return f"{i - first + 1:0{len(str(k))}}"
		    return others.get(i, m[0])
		body = open(cover).read().split("\n\n", 1)[1].strip("\n")
		body += f"\n\nFor {tree}. Base: {base}."
		if after:
		    body += f" It applies after: {after}."
		body = re.sub(r"\b0\d{3}\b", number, body)
		text = open(path).read()
		for old, new in (("*** SUBJECT HERE ***", subject), ("*** BLURB HERE ***", body)):
		    if old not in text:
		        sys.exit(f"{path}: no '{old}'")
		    text = text.replace(old, new, 1)
		open(path, "w").write(text)
		PY
	fi
	rm -rf "$out"
	mv "$tmp" "$out"
	echo "ok   $n formatted: $out ($k patch$([ $k = 1 ] || echo es)$([ $cover = 0 ] || echo " and a cover letter"))"
}

closure() {
	local n=$1 d
	echo "$n"
	for d in ${deps[$n]}; do closure "$d"; done
}

# A sent submission that needs an unsent one (directly or not) must say
# in its cover letter where that one comes from.
for n in "${names[@]}"; do
	[ "${sent[$n]}" = 1 ] || continue
	for d in $(closure "$n" | sort -u); do
		[ "$d" = "$n" ] || [ "${sent[$d]}" = 1 ] ||
			echo "note $n is sent but needs $d, which is not: its cover letter must say where $d comes from"
	done
done

# build/bisect and the obj-bisect-* directories are shared with
# scripts/bisect-build.sh: one of them at a time.
exec 9>"$BUILD/.bisect.lock"
flock -n 9 || die "scripts/bisect-build.sh or another check-submissions.sh is running (build/.bisect.lock)"

sel=("$@")
[ ${#sel[@]} -gt 0 ] || sel=("${names[@]}")
# all of them: no directory of a submission that is gone or not sent stays
[ -z "${PHYR_SUBMISSION_FORMAT:-}" ] || [ $# -gt 0 ] || rm -rf "$PHYR_SUBMISSION_FORMAT"
fail=0
for n in "${sel[@]}"; do
	[ -n "${first[$n]:-}" ] || die "no submission '$n'"
	mapfile -t parts < <(closure "$n" | sort -u)
	files=()
	for i in $(seq 1 "$total"); do
		for p in "${parts[@]}"; do
			if [ "$i" -ge "${first[$p]}" ] && [ "$i" -le "${last[$p]}" ]; then
				files+=("${patches[$((i - 1))]}")
			fi
		done
	done
	on=$(closure "$n" | sort -u | { grep -vx "$n" || true; } | paste -sd' ')
	worktree_make "$BUILD/obj-bisect-bench"
	git -C "$WT" am --abort >/dev/null 2>&1 || true
	git -C "$WT" checkout -q -f --detach base
	log=$LOGS/submission-$n-am.log
	if ! git -C "$WT" -c user.name="phyr workbench" -c user.email=workbench@invalid \
		am -q --whitespace=error "${files[@]}" >"$log" 2>&1; then
		echo "FAIL $n does not apply on base + ${on:-nothing} ($log)"
		git -C "$WT" am --abort >/dev/null 2>&1 || true
		fail=1
		continue
	fi
	echo "ok   $n applies on base + ${on:-nothing} (${#files[@]} patches)"
	if [ -n "${PHYR_SUBMISSION_FORMAT:-}" ] && [ "${sent[$n]}" = 1 ]; then
		format_submission "$n" || fail=1
	fi
	[ "${PHYR_SUBMISSION_BUILD:-1}" = 1 ] || continue
	for v in $variants; do
		O=$BUILD/obj-bisect-$v
		worktree_make "$O"
		build_checked "$O" "$v" "$LOGS/submission-$n-$v.log" "$n builds" || fail=1
	done
done
exit $fail
