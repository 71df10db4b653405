#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# liburing's own test suite against the series (issue 14, item 6): no new
# io_uring failures against the unpatched base. On demand (make
# liburing-tests), not part of make check. Steps:
#  1. The source of the liburing the guest rootfs has (2.15 from sid), from
#     Debian: apt-get source --download-only through a private apt
#     configuration (deb-src lines, state under the cache; the machine's
#     apt sources are not touched), kept in $CACHE/liburing-src.
#  2. Unpacked with dpkg-source into build/liburing/src and built in the
#     guest rootfs with chroot the way Debian's autopkgtest does
#     (debian/tests/test-unit: ./configure --cc=gcc; make): the library,
#     test/*.t and examples, linked against the in-tree library.
#  3. The base kernel: tag "base" of build/linux checked out in a detached
#     worktree (build/base-src), configured like the debug kernel
#     (allnoconfig + kernel/configs/{base,phyr,debug,ksft}.config; symbols
#     that only the series defines drop out) and built in build/obj-base.
#  4. One boot per kernel (patched: build/obj-debug, base: build/obj-base).
#     In the guest, test/ is copied to tmpfs and every test of
#     `make runtests` goes through liburing's own runner, test/runtests.sh,
#     one call per test (its per-test TIMEOUT, its dmesg check, exit 77 for
#     a skip with TEST_GNU_EXITCODE=1). Tests that fail or time out run once
#     more at the end (a timeout with three times the time): passing then
#     makes them "flaky", not failed. Tests in SKIP below are not run.
#  5. Per kernel: the failed, timed-out, flaky and skipped tests and any
#     kernel splat in the console log; then the comparison. A test that
#     fails, times out, crashes or skips on the patched kernel but passes on
#     the base is a regression (exit status 1), as is a splat only the
#     patched kernel shows; failures both kernels have are listed.
#
# usage: liburing-tests.sh [--timeout SECS] [--kernels "patched base"]
#                          [--prepare] [TEST.t...]
#   --timeout   per-test timeout of runtests.sh (default $LIBURING_TEST_TIMEOUT
#               or 120 s)
#   --kernels   which kernels to boot, in order (default "patched base")
#   --prepare   fetch and build only (liburing tests, base kernel), no boots
#   --report    no boots: the report of the results the last runs left
#   TEST.t      run only these tests (default: every test of make runtests)
# Results: build/liburing-tests/<kernel>/results ("name STATUS seconds
# guest-busy-seconds" lines), <name>.out for every test that did not pass, console logs in
# build/logs/liburing-<kernel>.log.
#
# In the guest (run by vm.sh): liburing-tests.sh --guest NAME TIMEOUT [TEST.t...]

# Tests not run, with the reason (measured on the debug kernel under TCG).
declare -A SKIP=(
)

# ---------------------------------------------------------------- guest side
guest_run() {
	local name=$1 timeout=$2 res work t st rc secs busy start n=0 total
	shift 2
	local top=/phyr
	res=$top/build/liburing-tests/$name
	work=/tmp/liburing-test
	rm -rf "$res" "$work"
	mkdir -p "$res" "$work"
	local tests=("$@")
	[ ${#tests[@]} -gt 0 ] || mapfile -t tests <"$top/build/liburing/tests.list"
	total=${#tests[@]}
	# Scratch space: tmpfs (the tests create their files in the current
	# directory); the shared tree is 9p. The programs and the runner are
	# all the tests need of test/.
	cp "$top/build/liburing/src/test/runtests.sh" "$work/"
	for t in "${tests[@]}"; do cp "$top/build/liburing/src/test/$t" "$work/"; done
	cd "$work" || exit 2
	{
		echo "kernel: $(cat /proc/version)"
		echo "phyr symbols in kallsyms: $(grep -c ' phyr_' /proc/kallsyms || true)"
		echo "io_uring export symbols: $(grep -c 'io_buffer_export\|io_uring_export' /proc/kallsyms || true)"
		echo "timeout: $timeout s per test; tests: $total"
		echo "start: $(cut -d' ' -f1 /proc/uptime) s of uptime"
	} >"$res/info"
	cat "$res/info"
	: >"$res/results"
	# busy: the guest CPU time (both vCPUs, in s) used while a test ran;
	# what stretches with a loaded host, unlike a test's sleeps and timers.
	cpu_busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }
	local hz b0
	hz=$(getconf CLK_TCK)
	run_one() { # test timeout -> sets st, secs, busy
		local t=$1 to=$2 out=$3
		start=$(date +%s)
		b0=$(cpu_busy)
		rc=0
		TIMEOUT=$to TEST_GNU_EXITCODE=1 ./runtests.sh "$t" >"$out" 2>&1 || rc=$?
		secs=$(($(date +%s) - start))
		busy=$(( ($(cpu_busy) - b0) / hz ))
		if grep -q '^Tests timed out' "$out"; then
			st=TIMEOUT
		elif [ $rc = 0 ]; then
			st=PASS
		elif [ $rc = 77 ]; then
			st=SKIP
		else
			st=FAIL
		fi
	}
	for t in "${tests[@]}"; do
		n=$((n + 1))
		if [ -n "${SKIP[$t]:-}" ]; then
			echo "$t LISTED 0" >>"$res/results"
			echo "liburing [$n/$total] $t LISTED (${SKIP[$t]})"
			continue
		fi
		echo "$t" >"$res/current"
		sync "$res/current" 2>/dev/null || true
		run_one "$t" "$timeout" "$res/$t.out"
		[ "$st" = PASS ] && rm -f "$res/$t.out"
		echo "$t $st $secs $busy" >>"$res/results"
		echo "liburing [$n/$total] $t $st ${secs}s (busy ${busy}s)"
	done
	# Second chance for what failed or timed out.
	local again=()
	mapfile -t again < <(awk '$2 == "FAIL" || $2 == "TIMEOUT" { print $1 }' "$res/results")
	for t in "${again[@]}"; do
		echo "$t" >"$res/current"
		local to=$timeout
		grep -q "^$t TIMEOUT" "$res/results" && to=$((timeout * 3))
		run_one "$t" "$to" "$res/$t.rerun.out"
		[ "$st" = PASS ] && rm -f "$res/$t.rerun.out"
		echo "$t RERUN-$st $secs $busy" >>"$res/results"
		echo "liburing rerun $t $st ${secs}s (timeout ${to}s)"
	done
	rm -f "$res/current"
	echo "end: $(cut -d' ' -f1 /proc/uptime) s of uptime" >>"$res/info"
	touch "$res/done"
	return 0
}

if [ "${1:-}" = --guest ]; then
	shift
	[ $# -ge 2 ] || { echo "usage: $0 --guest NAME TIMEOUT [TEST...]" >&2; exit 2; }
	guest_run "$@"
	exit $?
fi

# ----------------------------------------------------------------- host side
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

timeout=${LIBURING_TEST_TIMEOUT:-120}
kernels="patched base"
prepare=0
report_only=0
while [ $# -gt 0 ]; do
	case $1 in
	--timeout) timeout=$2; shift 2 ;;
	--kernels) kernels=$2; shift 2 ;;
	--prepare) prepare=1; shift ;;
	--report) report_only=1; shift ;;
	--) shift; break ;;
	-*) die "unknown option $1 (see the head of $0)" ;;
	*) break ;;
	esac
done
only=("$@")
for k in $kernels; do
	case $k in patched|base) ;; *) die "unknown kernel '$k' (patched or base)" ;; esac
done
[ "$BUILD" = "$TOP/build" ] || die "the tests are built for the guest: PHYR_BUILD must be inside the project"
need_tool apt-get apt
need_tool unshare util-linux
need_tool chroot coreutils
need_tool git git

root=$("$TOP/scripts/rootfs.sh")
LU=$BUILD/liburing
RES=$BUILD/liburing-tests

# 1. Debian's source package of the guest's liburing.
fetch_source() {
	local ver dir dsc tmp src_dir
	# shellcheck disable=SC2016 # dpkg-query's format
	ver=$(chroot "$root" dpkg-query -W -f='${Version}' liburing-dev) ||
		die "no liburing-dev in the guest rootfs $root"
	dir=$CACHE/liburing-src
	dsc=$dir/liburing_${ver#*:}.dsc
	if [ ! -f "$dsc" ]; then
		msg "liburing: apt-get source liburing=$ver (private deb-src configuration)"
		src_dir=$CACHE/apt-src
		mkdir -p "$src_dir"/{lists/partial,archives/partial,etc/preferences.d}
		local mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
		printf 'deb-src %s %s main\n' "$mirror" sid "$mirror" trixie-backports "$mirror" trixie \
			>"$src_dir/etc/sources.list"
		: >>"$src_dir/status"
		: >>"$src_dir/etc/preferences"
		local opts=(-o "Dir::Etc::SourceList=$src_dir/etc/sources.list"
			-o "Dir::Etc::SourceParts=-"
			-o "Dir::Etc::Preferences=$src_dir/etc/preferences"
			-o "Dir::Etc::PreferencesParts=$src_dir/etc/preferences.d"
			-o "Dir::State=$src_dir" -o "Dir::State::Lists=$src_dir/lists"
			-o "Dir::State::status=$src_dir/status"
			-o "Dir::Cache=$src_dir" -o "Dir::Cache::Archives=$src_dir/archives"
			-o "Debug::NoLocking=1" -o "Acquire::Retries=3"
			-o "APT::Sandbox::User=root")
		apt-get "${opts[@]}" -q update >"$LOGS/liburing-apt.log" 2>&1 ||
			{ tail -20 "$LOGS/liburing-apt.log" >&2; die "apt-get update (deb-src) failed (see $LOGS/liburing-apt.log)"; }
		tmp=$dir.tmp
		rm -rf "$tmp" && mkdir -p "$tmp"
		(cd "$tmp" && apt-get "${opts[@]}" -q source --download-only "liburing=$ver") \
			>>"$LOGS/liburing-apt.log" 2>&1 ||
			{ tail -20 "$LOGS/liburing-apt.log" >&2; die "apt-get source liburing=$ver failed (see $LOGS/liburing-apt.log)"; }
		[ -f "$tmp/$(basename "$dsc")" ] || die "apt-get source gave no $(basename "$dsc")"
		mkdir -p "$dir"
		mv "$tmp"/* "$dir/"
		rm -rf "$tmp"
	fi
	DSC=$dsc
	LU_VER=$ver
}

# 2. Unpack and build liburing's tests in the guest rootfs.
BUILD_RECIPE="./configure --cc=gcc && make -j$(nproc)"
build_tests() {
	local key f
	key=$( { echo "$BUILD_RECIPE"; basename "$root"; sha256 "$DSC"; } | sha256sum | cut -c1-16)
	if stamp_ok liburing "$key" && [ -s "$LU/tests.list" ]; then
		step "liburing $LU_VER: tests built ($(wc -l <"$LU/tests.list") tests)"
		return
	fi
	msg "liburing $LU_VER: dpkg-source -x, build in the guest rootfs (log: $LOGS/liburing-build.log)"
	rm -f "$BUILD/.stamp-liburing"
	rm -rf "$LU"
	mkdir -p "$LU/dl"
	# The files the .dsc names, beside it.
	cp "$DSC" "$LU/dl/"
	awk '/^Checksums-Sha256:/ { on = 1; next } /^[^ ]/ { on = 0 } on { print $3 }' "$DSC" |
		while read -r f; do cp "$(dirname "$DSC")/$f" "$LU/dl/"; done
	local start
	start=$(date +%s)
	# The list make runtests runs: $(test_targets) $(asan_test_targets)
	# of test/Makefile.
	# shellcheck disable=SC2016 # make's variables
	printf 'print-tests:\n\t@printf "%%s\\n" $(test_targets) $(asan_test_targets)\n' \
		>"$LU/print-tests.mk"
	if ! unshare -m bash -c "mount --bind '$TOP' '$root/phyr' &&
		mount -t proc proc '$root/proc' &&
		chroot '$root' env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 \
			nice -n 10 sh -c 'cd /phyr/build/liburing &&
			dpkg-source -x dl/$(basename "$DSC") src &&
			cd src && $BUILD_RECIPE &&
			make -s --no-print-directory -C test -f Makefile -f ../../print-tests.mk print-tests >../tests.list'" \
		>"$LOGS/liburing-build.log" 2>&1; then
		tail -n 30 "$LOGS/liburing-build.log" >&2
		die "liburing build failed (see $LOGS/liburing-build.log)"
	fi
	[ -s "$LU/tests.list" ] || die "liburing build gave no list of tests"
	while read -r f; do
		[ -x "$LU/src/test/$f" ] || die "test $f was not built (see $LOGS/liburing-build.log)"
	done <"$LU/tests.list"
	step "built $(wc -l <"$LU/tests.list") tests in $(($(date +%s) - start))s"
	stamp_set liburing "$key"
}

# 3. The base kernel, configured like the debug kernel.
build_base() {
	local src=$BUILD/base-src O=$BUILD/obj-base base_id key frags=() f
	base_id=$(git -C "$BUILD/linux" rev-parse 'base^{commit}') ||
		die "no tag base in $BUILD/linux: run 'make kernel'"
	for f in base phyr debug ksft; do frags+=("$TOP/kernel/configs/$f.config"); done
	key=$( { cat "${frags[@]}"; echo "$base_id"; gcc --version | head -1; } | sha256sum | cut -c1-16)
	if stamp_ok kernel-base "$key" && [ -f "$O/arch/x86/boot/bzImage" ]; then
		step "base kernel: unchanged, not rebuilt ($O)"
		return
	fi
	if [ ! -d "$src" ]; then
		msg "base kernel: worktree of tag base in $src"
		git -C "$BUILD/linux" worktree add -q --detach "$src" "$base_id"
	elif [ "$(git -C "$src" rev-parse HEAD)" != "$base_id" ]; then
		git -C "$src" checkout -q --detach "$base_id"
	fi
	# One kernel build at a time on this machine.
	local waited=0
	while pgrep -f 'make.*bzImage|cc1' >/dev/null; do
		[ $waited = 0 ] && step "another kernel build is running; waiting for it"
		waited=1
		sleep 30
	done
	mkdir -p "$O"
	export KBUILD_BUILD_TIMESTAMP="2026-01-01 00:00:00 UTC" KBUILD_BUILD_USER=phyr
	export KBUILD_BUILD_HOST=workbench CCACHE_DIR=$CACHE/ccache CCACHE_BASEDIR=$TOP
	export CCACHE_NOHASHDIR=1 CCACHE_COMPILERCHECK=content
	export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-8G}
	export CCACHE_SLOPPINESS=time_macros,include_file_mtime,include_file_ctime
	local make=(nice -n 10 make -C "$src" O="$O" -j"$(nproc)" CC="ccache gcc" HOSTCC="ccache gcc")
	local log=$LOGS/config-base.log
	msg "base kernel: allnoconfig + base phyr debug ksft (log: $log)"
	"${make[@]}" allnoconfig >"$log" 2>&1 || { tail -20 "$log" >&2; die "allnoconfig failed"; }
	(cd "$O" && "$src/scripts/kconfig/merge_config.sh" -m -O "$O" .config "${frags[@]}") \
		>>"$log" 2>&1 || die "merge_config failed (see $log)"
	"${make[@]}" olddefconfig >>"$log" 2>&1 || { tail -20 "$log" >&2; die "olddefconfig failed"; }
	# A requested symbol may only be missing if the base does not have it.
	local line sym bad=0 absent=()
	for f in "${frags[@]}"; do
		while IFS= read -r line; do
			case $line in CONFIG_*=n|CONFIG_*=*) ;; *) continue ;; esac
			sym=${line%%=*}
			case $line in
			*=n) grep -q "^$sym=" "$O/.config" || continue ;;
			*) grep -qxF "$line" "$O/.config" && continue ;;
			esac
			if grep -rqE "^(menu)?config ${sym#CONFIG_}\$" "$src" --include='Kconfig*'; then
				echo "  $line requested, got: $(grep "^$sym=" "$O/.config" || echo 'not set')" >&2
				bad=1
			else
				absent+=("$sym")
			fi
		done <"$f"
	done
	[ $bad = 0 ] || die "base kernel: config fragments did not apply (above)"
	step "not in the base (added by the series): ${absent[*]:-none}"
	# What differs from the patched debug kernel's configuration.
	if [ -f "$BUILD/obj-debug/.config" ]; then
		diff <(grep '^CONFIG_' "$BUILD/obj-debug/.config" | sort) \
			<(grep '^CONFIG_' "$O/.config" | sort) >"$LOGS/config-base-vs-debug.diff" || true
		step "config against obj-debug: $(grep -c '^<' "$LOGS/config-base-vs-debug.diff" || true) lines only in the patched, $(grep -c '^>' "$LOGS/config-base-vs-debug.diff" || true) only in the base ($LOGS/config-base-vs-debug.diff)"
	fi
	log=$LOGS/build-base.log
	msg "base kernel: bzImage in $O, nice 10 (log: $log)"
	local start
	start=$(date +%s)
	"${make[@]}" bzImage >"$log" 2>&1 ||
		{ grep -E 'error|Error' "$log" | head -20 >&2; die "base kernel build failed (see $log)"; }
	step "built in $(($(date +%s) - start))s"
	stamp_set kernel-base "$key"
}

fetch_source
if [ $report_only = 0 ]; then
	build_tests
	case " $kernels " in *" base "*) build_base ;; esac
fi
[ $prepare = 1 ] && exit 0

# 4. One boot per kernel.
mapfile -t tests < <(if [ ${#only[@]} -gt 0 ]; then printf '%s\n' "${only[@]}"; else cat "$LU/tests.list"; fi)
for t in "${tests[@]}"; do
	grep -qxF "$t" "$LU/tests.list" || die "no test '$t' in $LU/tests.list"
done
# The guest's time: every test at its timeout, the reruns, and the boot;
# LIBURING_VM_TIMEOUT overrides.
vm_timeout=${LIBURING_VM_TIMEOUT:-$(( ${#tests[@]} * timeout / 4 + 1800 ))}

kimage() {
	case $1 in
	patched) echo "$BUILD/obj-debug/arch/x86/boot/bzImage" ;;
	base) echo "$BUILD/obj-base/arch/x86/boot/bzImage" ;;
	esac
}

boot() {
	local k=$1 img log res start vmrc=0 vmpid
	img=$(kimage "$k")
	[ -f "$img" ] || die "no $k kernel at $img (patched: make kernel)"
	log=$LOGS/liburing-$k.log
	res=$RES/$k
	rm -rf "$res"
	mkdir -p "$res"
	: >"$res/results"
	: >"$LOGS/liburing-$k.host-load"
	msg "liburing $LU_VER tests on the $k kernel: ${#tests[@]} tests, ${timeout}s each at most, guest timeout ${vm_timeout}s"
	step "console: $log; results: $res/results"
	start=$(date +%s)
	VM_SPLAT_CHECK=0 "$TOP/scripts/vm.sh" --kernel "$img" --timeout "$vm_timeout" \
		--log "$log" -- scripts/liburing-tests.sh --guest "$k" "$timeout" "${tests[@]}" \
		>"$LOGS/liburing-$k.vm.out" 2>&1 &
	vmpid=$!
	# Progress: one line per test from the results file, until vm.sh ends.
	# The host's load average beside each line, in $LOGS/liburing-$k.host-load.
	tail -n 0 -F --pid=$vmpid "$res/results" 2>/dev/null | while read -r t st s b; do
		step "$k: $t $st ${s}s (guest busy ${b}s)"
		echo "$t $st $s $b $(cut -d' ' -f1-3 /proc/loadavg)" >>"$LOGS/liburing-$k.host-load"
	done
	wait $vmpid || vmrc=$?
	echo $(($(date +%s) - start)) >"$res/boot-seconds"
	if [ $vmrc != 0 ]; then
		step "vm.sh exit status $vmrc:"
		tail -n 5 "$LOGS/liburing-$k.vm.out" >&2
		grep -E '^error:' "$LOGS/liburing-$k.vm.out" | tail -n 1 >"$res/incomplete" ||
			echo "vm.sh exit status $vmrc" >"$res/incomplete"
	fi
	# A guest that died in a test: that test crashed, the rest did not run.
	if [ ! -f "$res/done" ]; then
		local cur=""
		[ -f "$res/current" ] && cur=$(cat "$res/current")
		[ -n "$cur" ] && ! grep -q "^$cur " "$res/results" && echo "$cur CRASH 0" >>"$res/results"
		for t in "${tests[@]}"; do
			grep -q "^$t " "$res/results" || echo "$t NOTRUN 0" >>"$res/results"
		done
	fi
}

if [ $report_only = 0 ]; then
	for k in $kernels; do boot "$k"; done
fi
for k in $kernels; do
	[ -s "$RES/$k/results" ] || die "no results for the $k kernel in $RES/$k"
done

# 5. Report.
# final K: "name STATUS" with the rerun folded in (FAIL/TIMEOUT then PASS: FLAKY)
final() {
	awk '$2 ~ /^RERUN-/ { r[$1] = substr($2, 7); next }
	     { s[$1] = $2; order[++n] = $1 }
	     END { for (i = 1; i <= n; i++) { t = order[i]; st = s[t]
		     if (t in r) st = (r[t] == "PASS" || r[t] == "SKIP") ? "FLAKY" : st
		     print t, st } }' "$RES/$1/results"
}
splats() { # the splat lines of a console log, timestamps and addresses dropped
	"$TOP/scripts/check-splats.sh" "$1" >/dev/null 2>&1 && return 0
	"$TOP/scripts/check-splats.sh" "$1" 2>&1 | grep -E '^[0-9]+:' |
		grep -E 'WARNING:|BUG:|KASAN:|UBSAN:|Oops|panic|general protection|locking|lock state|RCU usage|unreferenced object|DMA-API|stall|blocked for more|refcount_t:|corruption|kernel BUG' |
		sed -E 's/^[0-9]+:\[ *[0-9.]+\] //; s/0x[0-9a-f]+/0x_/g; s/\+0x_\/0x_//g; s/ [0-9]+ / N /g' | sort -u
}

echo
echo "liburing $LU_VER test suite (${#tests[@]} tests, per-test timeout ${timeout}s; skipped by this script: ${#SKIP[@]})"
for k in $kernels; do
	f=$(final "$k")
	echo "== $k kernel ($(kimage "$k" | sed "s|^$TOP/||")), guest $(cat "$RES/$k/boot-seconds")s, $(sed -n 's/^timeout: //p' "$RES/$k/info" 2>/dev/null)"
	[ ! -f "$RES/$k/incomplete" ] || echo "  the guest did not finish: $(cat "$RES/$k/incomplete")"
	for st in PASS SKIP LISTED FLAKY FAIL TIMEOUT CRASH NOTRUN; do
		n=$(awk -v s=$st '$2 == s' <<<"$f" | wc -l)
		[ "$n" = 0 ] && continue
		if [ $st = PASS ] || [ $st = SKIP ] || [ $st = LISTED ]; then
			printf '  %-8s %d\n' "$st" "$n"
		else
			printf '  %-8s %d: %s\n' "$st" "$n" "$(awk -v s=$st '$2 == s { printf "%s ", $1 }' <<<"$f")"
		fi
	done
	s=$(splats "$LOGS/liburing-$k.log")
	if [ -n "$s" ]; then
		echo "  kernel splats in $LOGS/liburing-$k.log:"
		while IFS= read -r l; do echo "    $l"; done <<<"$s"
	fi
done

bad_st='FAIL|TIMEOUT|CRASH|NOTRUN'
rc=0
if [[ " $kernels " == *" patched "* && " $kernels " == *" base "* ]]; then
	fp=$(final patched)
	fb=$(final base)
	new=$(join <(sort <<<"$fp") <(sort <<<"$fb") |
		awk -v bad="^($bad_st)\$" '($2 ~ bad && $3 !~ bad) || ($2 == "SKIP" && $3 == "PASS") { print "  " $1 ": " $2 " on patched, " $3 " on base" }')
	both=$(join <(sort <<<"$fp") <(sort <<<"$fb") |
		awk -v bad="^($bad_st)\$" '$2 ~ bad && $3 ~ bad { print "  " $1 ": " $2 " on patched, " $3 " on base" }')
	fixed=$(join <(sort <<<"$fp") <(sort <<<"$fb") |
		awk -v bad="^($bad_st)\$" '$2 !~ bad && $3 ~ bad { print "  " $1 ": " $2 " on patched, " $3 " on base" }')
	echo "== patched against base"
	if [ -n "$new" ]; then
		echo "NEW on the patched kernel (regressions):"
		echo "$new"
		rc=1
	else
		echo "no new failures on the patched kernel"
	fi
	[ -z "$both" ] || { echo "failing on both kernels (not the series):"; echo "$both"; }
	[ -z "$fixed" ] || { echo "failing on the base only:"; echo "$fixed"; }
	sp=$(splats "$LOGS/liburing-patched.log")
	sb=$(splats "$LOGS/liburing-base.log")
	newsp=$(comm -23 <(sort -u <<<"$sp") <(sort -u <<<"$sb") | sed '/^$/d')
	if [ -n "$newsp" ]; then
		echo "kernel splats on the patched kernel only (regressions):"
		while IFS= read -r l; do echo "  $l"; done <<<"$newsp"
		rc=1
	fi
	echo "outputs of the tests that did not pass: $RES/<kernel>/<test>.out"
else
	for k in $kernels; do
		grep -qE " ($bad_st)\$" <<<"$(final "$k")" && rc=1
	done
fi
exit $rc
