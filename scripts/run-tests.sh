#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# 'make check': build everything that changed, boot the debug kernel once
# with the series' KUnit suites enabled, run the guest suites, then print
# per-suite results and 'N passed, N failed, N skipped'.
# usage: run-tests.sh [SUITE...]   (default: every suite in selftests/suites)
. "$(dirname "$0")/lib.sh"

summary=$LOGS/check-summary.log
rm -f "$summary"
# A stage that fails before the results still ends with the closing line.
stage=setup
closing() {
	local rc=$?
	if ! grep -qE '^[0-9]+ passed, [0-9]+ failed' "$summary" 2>/dev/null; then
		echo "make check: failed during $stage" | tee "$summary"
		echo "0 passed, 1 failed, 0 skipped" | tee -a "$summary"
		[ $rc != 0 ] || rc=1
	fi
	exit $rc
}
trap closing EXIT

stage="apply series"
"$TOP/scripts/apply-series.sh"
stage="kernel build"
kernel=$("$TOP/scripts/build-kernel.sh" debug)
stage=rootfs
"$TOP/scripts/rootfs.sh" >/dev/null
stage="selftests build"
"$TOP/scripts/build-selftests.sh" debug
stage="rdma-core build"
"$TOP/scripts/build-rdma-core.sh" >/dev/null
res=$BUILD/results
rm -rf "$res"
mkdir -p "$res"
stage="host suites"
while read -r name tmo cmd; do
	case $name in ''|'#'*) continue ;; esac
	case $cmd in host:*) ;; *) continue ;; esac
	[ $# -eq 0 ] || [[ " $* " == *" $name "* ]] || continue
	msg "host suite: $name"
	set +e
	(cd "$TOP" && timeout -k 10 "$tmo" ${cmd#host:}) </dev/null >"$res/$name.tap" 2>&1
	echo $? >"$res/$name.rc"
	set -e
	grep -E '^(not )?ok ' "$res/$name.tap" | sed 's/^/  -> /' >&2 || true
done <"$TOP/selftests/suites"
stage="guest run"

log=$LOGS/check-console.log
# KUnit: every suite the config builds in runs at boot (KUNIT_ALL_TESTS=n
# keeps that to the ones kernel/configs enables); selftests/kunit-suites
# lists the globs that must have run.
msg "boot: debug kernel, KUnit suites then guest suites (console: $log)"
rm -f "$log"
set +e
VM_SPLAT_CHECK=0 "$TOP/scripts/vm.sh" --quiet --kmemleak --kernel "$kernel" \
	--timeout "${CHECK_TIMEOUT:-2400}" --log "$log" \
	--append "kunit.enable=1" \
	-- selftests/run.sh "$@" &
vm=$!
trap 'kill $vm 2>/dev/null' INT TERM
# Progress: one line per KUnit suite and per guest suite as they finish.
tail -n +1 -F --pid=$vm "$log" 2>/dev/null |
	sed -u -n -e 's/^.*\] *\(# [a-z0-9_-]*: pass:[0-9]* fail:[0-9]*.*\)$/  -> kunit \1/p' \
		-e 's/^.*PHYR-SUITE-BEGIN: \(.*\)$/  -> suite \1 .../p' \
		-e 's/^.*PHYR-SUITE-END: \(.*\)$/  -> suite \1 done/p' >&2 &
tailer=$!
wait $vm
guest_rc=$?
sleep 0.5
kill $tailer 2>/dev/null
wait $tailer 2>/dev/null
set -e

# Suites marked "iommu:" run in a second boot with a virtual IOMMU.
iommu_suites=$(awk '$3 ~ /^iommu:/ { print $1 }' "$TOP/selftests/suites")
want=""
for s in $iommu_suites; do
	[ $# -eq 0 ] || [[ " $* " == *" $s "* ]] && want+=" $s"
done
ilog=$LOGS/check-console-iommu.log
rm -f "$ilog"
if [ -n "$want" ]; then
	stage="guest run (IOMMU)"
	msg "boot: debug kernel behind a virtual IOMMU:$want (console: $ilog)"
	set +e
	VM_SPLAT_CHECK=0 "$TOP/scripts/vm.sh" --quiet --kmemleak --iommu \
		--kernel "$kernel" --timeout "${CHECK_TIMEOUT:-2400}" --log "$ilog" \
		-- selftests/run.sh --boot iommu $want
	rc=$?
	set -e
	[ "$guest_rc" != 0 ] || guest_rc=$rc
	grep -h 'PHYR-SUITE-END' "$ilog" | sed 's/^.*PHYR-SUITE-END: \(.*\)$/  -> suite \1 done/' >&2 || true
fi

python3 "$BUILD/linux/tools/testing/kunit/kunit.py" parse --json="$res/kunit.json" \
	"$log" >"$res/kunit.txt" 2>&1 || true

splats=0
"$TOP/scripts/check-splats.sh" "$log" || splats=1
[ ! -f "$ilog" ] || "$TOP/scripts/check-splats.sh" "$ilog" || splats=1

msg "results"
[ "$guest_rc" = 0 ] || echo "  guest exit status $guest_rc (see $log)"
only=""
[ $# -gt 0 ] && only="$*"
set +e
python3 "$TOP/scripts/results.py" --kunit-json "$res/kunit.json" \
	--kunit-globs "$TOP/selftests/kunit-suites" --results "$res" \
	--suites "$TOP/selftests/suites" --only "$only" --splats $splats \
	--guest-rc "$guest_rc" | tee "$summary.tmp"
rc=${PIPESTATUS[0]}
mv "$summary.tmp" "$summary"
exit "$rc"
