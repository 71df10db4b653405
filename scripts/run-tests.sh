#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# 'make check': build everything that changed, run the host suites, then
# boot the debug kernel once per boot named in selftests/suites (iommu,
# net, rdma), one after the other, each running its suites under their
# budgets; print per-suite results and times, and
# 'N passed, N failed, N skipped'.
# usage: run-tests.sh [SUITE...]   (default: every suite in selftests/suites;
#                                   "kunit" names the KUnit suites at boot)
# PHYR_BOOTS=N      at most N boots at once (default 1: TCG guests on the
#                   two host CPUs slow each other down, selftests/suites)
# PHYR_GUEST_DEADLINE=S  every boot ends within S seconds of the first
#                   boot's start (default 3900); a boot that would get less
#                   than PHYR_BOOT_MIN (300) seconds is not started and its
#                   suites fail as not run
# PHYR_ONE_BOOT=1   every guest suite but the IOMMU ones in one boot, in
#                   file order (one lockdep graph for all of them)
# PHYR_BOOT_STALL=S a guest silent for S seconds before KUnit or init is
#                   booted once more (default 300; 0: never)
. "$(dirname "$0")/lib.sh"

summary=$LOGS/check-summary.log
rm -f "$summary"
t_start=$(date +%s)
# A stage that fails before the results still ends with the closing line.
stage=setup
closing() {
	local rc=$?
	# the side build runs in a process group of its own (set -m below)
	[ -z "${side_pid:-}" ] || kill -- "-$side_pid" 2>/dev/null || true
	if ! grep -qE '^[0-9]+ passed, [0-9]+ failed' "$summary" 2>/dev/null; then
		echo "make check: failed during $stage" | tee "$summary"
		echo "0 passed, 1 failed, 0 skipped" | tee -a "$summary"
		[ $rc != 0 ] || rc=1
	fi
	exit $rc
}
trap closing EXIT

res=$BUILD/results
rm -rf "$res"
mkdir -p "$res"
stages=$res/stage-times
: >"$stages"
timed() {	# timed <stage name> <command...>: run it, record its seconds
	local s=$(date +%s) rc=0
	"${@:2}" || rc=$?
	echo "$1 $(( $(date +%s) - s ))" >>"$stages"
	return $rc
}

# The guest root and rdma-core need no kernel: build them while the kernel
# compiles (mmdebstrap mostly downloads; the kernel build leaves cores
# idle while it links).
side_log=$LOGS/rootfs-rdma-core.log
side() {
	timed rootfs "$TOP/scripts/rootfs.sh" >/dev/null &&
	timed "rdma-core build" "$TOP/scripts/build-rdma-core.sh" >/dev/null
}
# In a process group of its own, so that a failed or interrupted run stops
# all of it (mmdebstrap, ninja) with one kill.
set -m
side >"$side_log" 2>&1 &
side_pid=$!
set +m
trap 'exit 130' INT
trap 'exit 143' TERM

stage="apply series"
timed "apply series" "$TOP/scripts/apply-series.sh"
stage="kernel build"
kernel=$(timed "kernel build" "$TOP/scripts/build-kernel.sh" debug)
stage="rootfs / rdma-core build"
wait $side_pid || { tail -n 40 "$side_log" >&2; die "rootfs or rdma-core build failed (see $side_log)"; }
side_pid=
stage="selftests build"
timed "selftests build" "$TOP/scripts/build-selftests.sh" debug

want=" $* "
nsel=$#

# Probe the accelerator once (a KVM probe boot, cached), not in every boot
# (the host suites boot a guest too).
stage="accelerator probe"
VM_ACCEL=$("$TOP/scripts/vm.sh" --kernel "$kernel" --print-accel)
export VM_ACCEL

# Host suites run alongside the guest boots (they mostly wait for a guest
# that never reaches its command, or for git).
host_suites() {
	local name boot budget cmd s rc t
	while read -r name boot _ budget cmd; do
		case $name in ''|'#'*) continue ;; esac
		[ "$boot" = host ] || continue
		[ $nsel -eq 0 ] || [[ $want == *" $name "* ]] || continue
		s=$(date +%s)
		rc=0
		# timeout runs the suite in a process group of its own and
		# passes TERM on to it
		(cd "$TOP" && exec timeout -k 10 "$budget" ${cmd#host:}) </dev/null \
			>"$res/$name.tap" 2>&1 &
		t=$!
		trap 'kill $t 2>/dev/null; exit 143' TERM
		wait $t || rc=$?
		echo $rc >"$res/$name.rc"
		echo "$(( $(date +%s) - s )) -" >"$res/$name.time"
		echo "  -> [host] suite $name rc=$(cat "$res/$name.rc")" >&2
	done <"$TOP/selftests/suites"
}
stage="guest boots"
pids=()
tailers=()
host_pid=
# On INT/TERM every boot stops its vm.sh, which stops QEMU, and the host
# suites stop theirs.
stop_all() {
	kill $host_pid ${pids[*]} ${tailers[*]} 2>/dev/null
	exit "$1"
}
trap 'stop_all 130' INT
trap 'stop_all 143' TERM
host_suites &
host_pid=$!

# Which suites each boot runs, and its timeout.
boot_of() {
	if [ "${PHYR_ONE_BOOT:-0}" = 1 ] && [ "$1" != iommu ] && [ "$1" != nop2p ]; then echo main; else echo "$1"; fi
}
boot_budget=$(awk '$1 == "boot" { print $4 }' "$TOP/selftests/suites")
declare -A bsuites bsum
boots=()
kunit_boot=""
while read -r name boot _m budget cmd; do
	case $name in ''|'#'*|boot) continue ;; esac
	[ "$boot" != host ] || continue
	[ $nsel -eq 0 ] || [[ $want == *" $name "* ]] || continue
	b=$(boot_of "$boot")
	[ -n "${bsum[$b]:-}" ] || { boots+=("$b"); bsum[$b]=$boot_budget; bsuites[$b]=""; }
	bsum[$b]=$(( ${bsum[$b]} + budget ))
	if [ "${cmd%%:*}" = kunit ]; then
		kunit_boot=$b
	else
		bsuites[$b]+=" $name"
	fi
done <"$TOP/selftests/suites"

t_boots=$(date +%s)
running=0
for b in "${boots[@]}"; do
	tmo=$(( (bsum[$b] * 13 + 9) / 10 ))
	# capped, so that a guest that hangs as a whole still ends within
	# CI's 90 minutes, with the builds before it (selftests/suites)
	[ "$tmo" -le "${PHYR_BOOT_MAX:-3600}" ] || tmo=${PHYR_BOOT_MAX:-3600}
	if [ "$running" -ge "${PHYR_BOOTS:-1}" ]; then
		wait -n "${pids[@]}" 2>/dev/null || true
		running=$((running - 1))
	fi
	# and all of them within the guest phase's deadline
	left=$(( ${PHYR_GUEST_DEADLINE:-3900} - ($(date +%s) - t_boots) ))
	if [ "$left" -lt "${PHYR_BOOT_MIN:-300}" ]; then
		why="boot '$b' not started: ${left}s left of the guest phase's ${PHYR_GUEST_DEADLINE:-3900}s"
		msg "$why"
		echo "$why" >"$LOGS/vm-$b.log"
		# no console log of an earlier run is checked for splats
		rm -f "$LOGS/check-console-$b.log" "$LOGS/check-console-$b.log".stalled*
		echo 124 >"$res/boot-$b.rc"
		continue
	fi
	[ "$tmo" -le "$left" ] || tmo=$left
	echo "$tmo" >"$res/boot-$b.budget"
	log=$LOGS/check-console-$b.log
	rm -f "$log" "$log".stalled* "$log.qemu".stalled* "$LOGS/vm-$b.log".stalled*
	opts=(--quiet --kmemleak --kernel "$kernel" --timeout "$tmo" --log "$log")
	# nop2p: the iommu boot's topology on a CPU model (TCG's "max", AMD
	# family 6) whose host bridge the kernel does not let P2P through
	case $b in
	iommu) opts+=(--iommu) ;;
	nop2p) opts+=(--iommu --cpu max,la57=off) ;;
	esac
	[ "$b" = "$kunit_boot" ] && opts+=(--append "kunit.enable=1")
	what=${bsuites[$b]}
	[ "$b" != "$kunit_boot" ] || what=" KUnit$what"
	msg "boot '$b' (timeout ${tmo}s):$what (console: $log)"
	(
		trap 'kill $(jobs -p) 2>/dev/null; exit 143' TERM
		vm=
		s=$(date +%s)
		rc=0
		mem=${VM_MEM:-6G}
		[ "$b" = iommu ] || [ "$b" = nop2p ] && mem=${VM_MEM:-3G}
		stall=${PHYR_BOOT_STALL:-300}
		# A guest that stops printing before it starts KUnit or init
		# (seen once under TCG: stuck for minutes after "vgaarb:
		# loaded") is booted once more instead of using up the boot's
		# whole timeout; its logs are kept as *.stalled.
		for attempt in 1 2; do
			VM_MEM=$mem VM_SPLAT_CHECK=0 "$TOP/scripts/vm.sh" "${opts[@]}" \
				-- selftests/run.sh ${bsuites[$b]} >"$LOGS/vm-$b.log" 2>&1 &
			vm=$!
			stalled=0
			while [ "$stall" -gt 0 ] && kill -0 $vm 2>/dev/null; do
				sleep 10 &
				wait $!
				grep -aqE 'KTAP version|Run /sbin/phyr-init|guest-init:' "$log" 2>/dev/null && break
				quiet=$(( $(date +%s) - $(stat -c %Y "$log" 2>/dev/null || date +%s) ))
				if [ "$quiet" -ge "$stall" ]; then
					stalled=1
					kill $vm 2>/dev/null || true
					break
				fi
			done
			rc=0
			wait $vm || rc=$?
			[ $stalled = 1 ] || break
			rc=124
			touch "$res/boot-$b.stalled"
			for f in "$log" "$log.qemu" "$LOGS/vm-$b.log"; do
				if [ -e "$f" ]; then mv "$f" "$f.stalled$attempt"; fi
			done
			if [ $attempt = 1 ]; then
				echo "  -> [$b] no console output for ${stall}s before KUnit or init: booting again" >&2
			else
				echo "  -> [$b] stalled before KUnit or init twice" >&2
			fi
		done
		echo "$rc" >"$res/boot-$b.rc"
		echo "$(( $(date +%s) - s ))" >"$res/boot-$b.time"
	) &
	vp=$!
	pids+=($vp)
	running=$((running + 1))
	# Progress: one line per KUnit suite and per guest suite as they finish.
	(sleep 1; tail -n +1 -F --pid="$vp" "$log" 2>/dev/null |
		sed -u -n -e "s/^.*\] *\(# [a-z0-9_-]*: pass:[0-9]* fail:[0-9]*.*\)$/  -> [$b] kunit \1/p" \
			-e "s/^.*PHYR-SUITE-BEGIN: \(.*\)$/  -> [$b] suite \1 .../p" \
			-e "s/^.*PHYR-SUITE-END: \(.*\)$/  -> [$b] suite \1/p" >&2) &
	tailers+=($!)
done
for p in "${pids[@]}" $host_pid; do wait "$p" || true; done
sleep 0.5
kill "${tailers[@]}" 2>/dev/null || true
wait "${tailers[@]}" 2>/dev/null || true
echo "guest boots $(( $(date +%s) - t_boots ))" >>"$stages"

guest_rc=0
for b in "${boots[@]}"; do
	rc=$(cat "$res/boot-$b.rc" 2>/dev/null || echo 1)
	if [ "$rc" != 0 ]; then
		guest_rc=$rc
		echo "  boot '$b': vm.sh exit status $rc" >&2
		# (a boot that was not started has only the reason in its log)
		tail -n 5 "$LOGS/vm-$b.log" 2>/dev/null | sed 's/^/    /' >&2 || true
	fi
done

kunit_log=/dev/null
[ -z "$kunit_boot" ] || kunit_log=$LOGS/check-console-$kunit_boot.log
python3 "$BUILD/linux/tools/testing/kunit/kunit.py" parse --json="$res/kunit.json" \
	"$kunit_log" >"$res/kunit.txt" 2>&1 || true

splats=0
for b in "${boots[@]}"; do
	for f in "$LOGS/check-console-$b.log" "$LOGS/check-console-$b.log".stalled*; do
		[ -e "$f" ] || continue
		"$TOP/scripts/check-splats.sh" "$f" || splats=1
	done
	[ ! -e "$res/boot-$b.stalled" ] ||
		echo "  boot '$b' stalled before KUnit or init and was booted again (logs: *.stalled*)" >&2
done

msg "results"
only=""
[ $nsel -gt 0 ] && only="$want"
kargs=()
[ -z "$kunit_boot" ] || kargs=(--kunit-json "$res/kunit.json" --kunit-globs "$TOP/selftests/kunit-suites")
set +e
python3 "$TOP/scripts/results.py" "${kargs[@]}" --results "$res" \
	--suites "$TOP/selftests/suites" --only "$only" --splats $splats \
	--boots "${boots[*]}" --one-boot "${PHYR_ONE_BOOT:-0}" \
	--total "$(( $(date +%s) - t_start ))" | tee "$summary.tmp"
rc=${PIPESTATUS[0]}
set -e
mv "$summary.tmp" "$summary"
exit "$rc"
