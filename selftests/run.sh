#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side of 'make check': run the suites named on the command line, in
# the order of selftests/suites, each under its own budget (the suite's
# timeout), saving in build/results/ for the host:
#   <name>.tap    its TAP/KTAP output
#   <name>.rc     its exit status (124/137: killed at its budget)
#   <name>.time   "<seconds> <guest CPU busy %>" (busy: of both vCPUs)
#   <name>.lines  every output line with the seconds since the suite began
#                 (per-case times; stdout is line buffered for this)
# usage: run.sh SUITE...
# PHYR_SUITES, PHYR_SUITE_BIN and PHYR_RESULTS name another suites file,
# program directory and results directory (scripts/test-workbench.sh).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${PHYR_SUITE_BIN:-$top/build/selftests}
res=${PHYR_RESULTS:-$top/build/results}
suites=${PHYR_SUITES:-$top/selftests/suites}
mkdir -p "$res"

# busy and idle jiffies of all CPUs
cpu_ticks() { awk '/^cpu / { print $2+$3+$4+$7+$8+$9, $5+$6 }' /proc/stat; }

# How many times slower than a fast machine this guest runs, where a fork
# and exec of /bin/true takes about 1 ms, at most 10: the suites scale the
# deadlines of their waits by it (wait_lib.sh). Under TCG with the debug
# kernel it takes 120-330 ms.
t=${EPOCHREALTIME//[!0-9]/}
for _ in {1..20}; do /bin/true; done
us=$(( (${EPOCHREALTIME//[!0-9]/} - t) / 20 ))
scale=$(( (us + 999) / 1000 ))
[ $scale -ge 1 ] || scale=1
[ $scale -le 10 ] || scale=10
export PHYR_TIME_SCALE=$scale
echo "run.sh: PHYR_TIME_SCALE=$scale (fork and exec of /bin/true: $us us)"

want=" $* "
while read -r name _boot _measured budget cmd; do
	case $name in ''|'#'*) continue ;; esac
	[[ $want == *" $name "* ]] || continue
	case $cmd in
	host:*|kunit:*) continue ;;
	esac
	echo "PHYR-SUITE-BEGIN: $name"
	read -r b0 i0 < <(cpu_ticks)
	t0=${EPOCHREALTIME//[!0-9]/}
	# PHYR_BUDGET: a wait never takes more than a quarter of it (wait_lib.sh)
	(cd "$bin" && PHYR_BUDGET=$budget PYTHONUNBUFFERED=1 \
		timeout -k 10 "$budget" stdbuf -oL -eL $cmd) \
		</dev/null 2>&1 | tee "$res/$name.tap" |
		while IFS= read -r line; do
			ds=$(( (${EPOCHREALTIME//[!0-9]/} - t0) / 100000 ))
			printf '%d.%d %s\n' $((ds / 10)) $((ds % 10)) "$line"
		done >"$res/$name.lines"
	rc=${PIPESTATUS[0]}
	ds=$(( (${EPOCHREALTIME//[!0-9]/} - t0) / 100000 ))
	secs=$((ds / 10)).$((ds % 10))
	read -r b1 i1 < <(cpu_ticks)
	busy=$(( (b1 - b0) * 100 / (b1 - b0 + i1 - i0 + 1) ))
	echo "$rc" >"$res/$name.rc"
	echo "$secs $busy" >"$res/$name.time"
	sed "s/^/[$name] /" "$res/$name.tap"
	echo "PHYR-SUITE-END: $name rc=$rc (${secs}s, CPU ${busy}%)"
done <"$suites"
exit 0
