#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Host-side checks of the workbench's failure paths (KTAP on stdout):
# a patch that does not apply is named, a checksum mismatch stops with
# the reason, a missing host tool names its Debian package, a guest that
# never reaches its command fails with the tail of its log, a suite
# that overruns its budget fails alone, by name, and submissions that
# leave a patch out are named.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/build/linux/tools/testing/selftests/kselftest/ktap_helpers.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=$tmp/out

# expect_fail <description> <regex> <command...>
expect_fail() {
	local desc=$1 re=$2
	shift 2
	if "$@" >"$out" 2>&1; then
		ktap_test_fail "$desc: succeeded"
	elif grep -qE "$re" "$out"; then
		ktap_test_pass "$desc"
	else
		sed 's/^/# /' "$out" | tail -n 15
		ktap_test_fail "$desc: no /$re/ in the output"
	fi
}

ktap_print_header
ktap_set_plan 9

# 1. A broken patch stops the series and is named. The tree is a sparse
#    checkout of the base holding only the files the two patches touch:
#    a full one writes and deletes 2.4 GB (62 s on an idle host), which
#    took the suite past its budget in CI while the guests booted.
mkdir -p "$tmp/patches"
cp "$TOP"/kernel/patches/0001-*.patch "$tmp/patches/"
sed -E '/^--/! s/^-(.+)$/-\1 this line is not in the tree/' "$TOP"/kernel/patches/0002-*.patch \
	>"$tmp/patches/0002-broken.patch"
base_repo=${PHYR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/phyr-workbench}/linux-base.git
git clone -q --shared --no-checkout "$base_repo" "$tmp/build/linux"
sed -n 's|^diff --git a/\([^ ]*\) .*|/\1|p' "$tmp"/patches/*.patch | sort -u >"$tmp/sparse"
git -C "$tmp/build/linux" sparse-checkout set --no-cone --stdin <"$tmp/sparse"
git -C "$tmp/build/linux" checkout -q -b series base
expect_fail "broken patch is named" "patch does not apply: .*0002-broken.patch" \
	env PHYR_BUILD="$tmp/build" PHYR_PATCHES="$tmp/patches" "$TOP/scripts/apply-series.sh"

# 2. Checksum mismatch of the tarball inside the package (no network: a
#    fixture .deb stands in for the cached download and is "verified").
mkdir -p "$tmp/cache" "$tmp/deb/DEBIAN" "$tmp/deb/usr/src"
printf 'Package: linux-source-7.3\nVersion: 7.3.4-1~bpo13+1\nArchitecture: all\nMaintainer: test <t@t>\nDescription: fixture\n' \
	>"$tmp/deb/DEBIAN/control"
echo "not a kernel" | xz >"$tmp/deb/usr/src/linux-source-7.3.tar.xz"
deb="$tmp/cache/linux-source-7.3_7.3.4-1~bpo13+1_all.deb"
dpkg-deb -b -Zxz "$tmp/deb" "$deb" >/dev/null
expect_fail "checksum mismatch stops with the reason" \
	"checksum mismatch: sha256 of usr/src/linux-source-7.3.tar.xz is [0-9a-f]{64}, expected 76df1aff" \
	env PHYR_CACHE="$tmp/cache" PHYR_BUILD="$tmp/build" \
	PHYR_TEST_DEB_SHA256="$(sha256sum "$deb" | cut -d' ' -f1)" \
	"$TOP/scripts/fetch-base.sh"

# 3. A missing host tool names its Debian package.
mkdir -p "$tmp/bin"
for t in bash env dirname cat sha256sum cut mkdir find printf rm; do
	ln -sf "$(command -v "$t")" "$tmp/bin/$t"
done
expect_fail "missing qemu names qemu-system-x86" "install the Debian package 'qemu-system-x86'" \
	env PATH="$tmp/bin" PHYR_BUILD="$tmp/build" "$TOP/scripts/vm.sh" --quiet -- true
expect_fail "missing mmdebstrap names its package" "install the Debian package 'mmdebstrap'" \
	env PATH="$tmp/bin" PHYR_BUILD="$tmp/build" "$TOP/scripts/rootfs.sh"

# 4. A guest that never reaches the command fails with its log tail.
expect_fail "guest that never reaches the command" "never finished the command|timed out" \
	env VM_SPLAT_CHECK=0 "$TOP/scripts/vm.sh" --quiet --timeout 120 \
	--log "$tmp/guest.log" --append "init=/nonexistent" -- true

# 6, 7. A suite that overruns its budget is killed and fails alone, by
#    name; the suites after it still run and report (the guest runner and
#    the summary, run here on the host with a suites file of their own).
mkdir -p "$tmp/st/bin" "$tmp/st/res"
printf '#!/bin/sh\necho 1..1\necho ok 1 fine\n' >"$tmp/st/bin/fast.sh"
printf '#!/bin/sh\necho 1..2\necho ok 1 started\nsleep 60\necho ok 2 late\n' >"$tmp/st/bin/slow.sh"
printf '#!/bin/sh\necho 1..2\necho "# client: why it broke"\necho not ok 1 broken\necho "ok 2 later # SKIP no reason"\n' >"$tmp/st/bin/diag.sh"
chmod +x "$tmp/st/bin/"*.sh
printf '%s\n' "first x 1 30 ./fast.sh" "hang x 1 2 ./slow.sh" "after x 1 30 ./fast.sh" \
	"diag x 1 30 ./diag.sh" \
	>"$tmp/st/suites"
echo 0 >"$tmp/st/res/boot-x.rc"
PHYR_SUITES="$tmp/st/suites" PHYR_SUITE_BIN="$tmp/st/bin" PHYR_RESULTS="$tmp/st/res" \
	timeout 60 bash "$TOP/selftests/run.sh" first hang after diag >"$tmp/st/run.log" 2>&1
python3 "$TOP/scripts/results.py" --results "$tmp/st/res" --suites "$tmp/st/suites" \
	--boots x >"$out" 2>&1
if grep -q "hang: overran its budget of 2 s, killed after 1 results" "$out" &&
   grep -qE "^  FAIL hang: 1 passed, 1 failed" "$out"; then
	ktap_test_pass "a suite over its budget is killed and fails by name"
else
	sed 's/^/# /' "$tmp/st/run.log" "$out"
	ktap_test_fail "a suite over its budget is killed and fails by name"
fi
if grep -qE "^  ok   after: 1 passed, 0 failed" "$out" &&
   grep -qE "^[0-9]+ passed, 2 failed, 1 skipped$" "$out"; then
	ktap_test_pass "the suites after it still run and report"
else
	sed 's/^/# /' "$out"
	ktap_test_fail "the suites after it still run and report"
fi
# 8. Failures come last with the diagnostics before them (CI shows the tail).
if tail -n 4 "$out" | grep -q "diag: broken" &&
   tail -n 3 "$out" | grep -q "# client: why it broke"; then
	ktap_test_pass "failures and their diagnostics end the summary"
else
	sed 's/^/# /' "$out"
	ktap_test_fail "failures and their diagnostics end the summary"
fi
# 9. Submissions must cover the series once, in order: a cover letter
#    whose range starts elsewhere leaves a gap, named before anything is
#    applied or built.
mkdir -p "$tmp/subs"
cp "$TOP"/kernel/submissions/*.cover "$tmp/subs/"
first=$(ls "$tmp"/subs/*.cover | sed -n 2p)
sed -i -E '1,/^$/s/^Patches: ([0-9]{4})-/Patches: 9999-/' "$first"
expect_fail "a gap between submissions is named" "starts at 9999, expected" \
	env PHYR_SUBMISSIONS_DIR="$tmp/subs" PHYR_SUBMISSION_BUILD=0 "$TOP/scripts/check-submissions.sh"
ktap_finished
