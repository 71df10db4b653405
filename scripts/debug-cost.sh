#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# On demand ('make debug-cost'): what the debug options of the debug kernel
# cost the guest. Boots the kernel of 'make check' once per variant, with
# options switched off on the command line where the kernel allows it, runs
# the same suites in each, and prints per variant the time of a fork and
# exec of /bin/true (run.sh's calibration) and of each suite:
#   all-on             the kernel as 'make check' boots it
#   no-kmemleak        kmemleak=off
#   no-prove-locking   lockdep.prove_locking=0 (lockdep still tracks locks)
#   no-dma-debug       dma_debug=off
#   kasan-and-rest     all three off: KASAN and the debug options that
#                      cannot be switched off at boot (DEBUG_VM, DEBUG_LIST,
#                      lock tracking, fault injection, ...; debug.config)
#   none (bench)       the bench kernel (base + phyr fragments): no debug
#                      option at all ('make debug-cost' builds it first;
#                      PHYR_DEBUG_COST_BENCH=1 makes this script build it)
#
# The variants boot PHYR_BOOTS (default 3) at a time, so they share the
# host alike; compare them within one run.
# PHYR_DEBUG_COST_SUITES: the suites (default: phyr_dmabuf udmabuf
# rdma_dmabuf_rxe). Results: build/debug-cost/<variant>/.
. "$(dirname "$0")/lib.sh"

suites=${PHYR_DEBUG_COST_SUITES:-phyr_dmabuf udmabuf rdma_dmabuf_rxe}
out=$BUILD/debug-cost
debug_kernel=$BUILD/obj-debug/arch/x86/boot/bzImage
bench_kernel=$BUILD/obj-bench/arch/x86/boot/bzImage
[ -f "$debug_kernel" ] || die "no debug kernel: run 'make kernel'"
if [ "${PHYR_DEBUG_COST_BENCH:-0}" = 1 ]; then
	"$TOP/scripts/build-kernel.sh" bench >/dev/null || die "bench kernel build failed"
fi

# name|kernel|boot options
variants=(
	"all-on|$debug_kernel|"
	"no-kmemleak|$debug_kernel|kmemleak=off"
	"no-prove-locking|$debug_kernel|lockdep.prove_locking=0"
	"no-dma-debug|$debug_kernel|dma_debug=off"
	"kasan-and-rest|$debug_kernel|kmemleak=off lockdep.prove_locking=0 dma_debug=off"
)
[ -f "$bench_kernel" ] && variants+=("none (bench)|$bench_kernel|")

case $out in "$TOP"/*) ;; *) die "the guest sees only $TOP: PHYR_BUILD must be inside it" ;; esac
rm -rf "$out"
mkdir -p "$out"
pids=()
running=0
# INT/TERM: stop every boot (vm.sh stops its QEMU on TERM)
trap 'kill "${pids[@]}" 2>/dev/null; wait; exit 130' INT TERM
for v in "${variants[@]}"; do
	IFS='|' read -r name kernel opts <<<"$v"
	dir=$out/${name%% *}
	mkdir -p "$dir"
	if [ "$running" -ge "${PHYR_BOOTS:-3}" ]; then
		wait -n "${pids[@]}" 2>/dev/null || true
		running=$((running - 1))
	fi
	msg "debug cost: boot '$name' ${opts:+($opts) }running $suites"
	args=(--quiet --kernel "$kernel" --timeout 1800 --log "$dir/console.log")
	[ -n "$opts" ] && args+=(--append "$opts")
	# kmemleak=off announces itself on the console, which the splat
	# check would count; the console is checked below for real splats
	(
		VM_MEM=${VM_MEM:-4G} VM_SPLAT_CHECK=0 "$TOP/scripts/vm.sh" "${args[@]}" -- \
			env PHYR_RESULTS="/phyr/${dir#"$TOP"/}" selftests/run.sh $suites \
			>"$dir/vm.log" 2>&1
		echo $? >"$dir/vm.rc"
	) &
	pids+=($!)
	running=$((running + 1))
done
wait "${pids[@]}" 2>/dev/null || true

# '-' for a suite that failed or did not run, 'skip' for one that skipped
printf '%-16s %12s' "variant" "fork+exec ms"
for s in $suites; do printf ' %18s' "$s s"; done
printf ' %s\n' "boot"
for v in "${variants[@]}"; do
	IFS='|' read -r name _ _ <<<"$v"
	dir=$out/${name%% *}
	us=$(sed -n 's/.*fork and exec of \/bin\/true: \([0-9]*\) us.*/\1/p' \
		"$dir/console.log" "$dir/vm.log" 2>/dev/null | head -1)
	ms="-"
	[ -n "$us" ] && ms=$(awk -v u="$us" 'BEGIN { printf "%.0f", u / 1000 }')
	printf '%-16s %12s' "$name" "$ms"
	for s in $suites; do
		t="-"
		if grep -qs '^1\.\.0' "$dir/$s.tap"; then
			t=skip
		elif [ -f "$dir/$s.time" ] && [ "$(cat "$dir/$s.rc" 2>/dev/null)" = 0 ]; then
			t=$(cut -d' ' -f1 "$dir/$s.time")
		fi
		printf ' %18s' "$t"
	done
	# the boot itself: its exit status, and splats other than kmemleak=off's notice
	splat=no
	grep -v 'Kernel memory leak detector disabled' "$dir/console.log" 2>/dev/null |
		"$TOP/scripts/check-splats.sh" - >/dev/null 2>&1 || splat=yes
	printf ' rc %s, splat %s\n' "$(cat "$dir/vm.rc" 2>/dev/null || echo '?')" "$splat"
done
