# SPDX-License-Identifier: GPL-2.0
# Deadlines for the guest suites (sourced, not run). selftests/run.sh
# measures at boot how many times slower than a fast machine this guest
# is (PHYR_TIME_SCALE, 1 on real hardware, 10 under TCG with the debug
# kernel) and every wait for a listener, port, link or device polls
# its condition for a deadline scaled by it: a fast condition ends the
# wait at once, a slow machine gets a longer deadline, never a sleep.

# deadline SECS: SECS x PHYR_TIME_SCALE, but at most a quarter of the
# suite's budget (PHYR_BUDGET, set by run.sh): a wait that fails ends with
# the suite's own failure, not with the suite killed at its budget
deadline() {
	local d=$(( $1 * ${PHYR_TIME_SCALE:-1} ))
	local cap=$(( ${PHYR_BUDGET:-0} / 4 ))
	[ "$cap" -le 0 ] || [ "$d" -le "$cap" ] || d=$cap
	echo "$d"
}

# wait_until SECS CMD...: run CMD every 0.1 s until it succeeds; fail once
# deadline SECS has passed without it succeeding
wait_until() {
	local end=$(( SECONDS + $(deadline "$1") ))
	shift
	until "$@"; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.1
	done
}

# alive PID: PID runs (an exited process that its parent has not reaped
# yet is a zombie, and kill -0 still succeeds on it)
alive() {
	local st
	read -r _ _ st _ 2>/dev/null <"/proc/$1/stat" && [ "$st" != Z ]
}

# reap PID SECS: wait for background process PID to end by itself within
# deadline SECS; one that does not gets SIGTERM, and SIGKILL 2 s (scaled)
# later. Its exit status: 143 or 137 when it had to be killed.
reap() {
	if ! wait_until "$2" _gone "$1"; then
		kill -TERM "$1" 2>/dev/null
		wait_until 2 _gone "$1" || kill -KILL "$1" 2>/dev/null
	fi
	wait "$1"
}
_gone() { ! alive "$1"; }

# tcp_listening PORT: a TCP socket listens on PORT in this namespace
tcp_listening() { ss -Hltn "sport = :$1" | grep -q .; }

# wait_listen PORT PID [SECS]: wait until a TCP socket listens on PORT (in
# this namespace); fail at once if PID exits first
wait_listen() {
	wait_until "${3:-10}" _listen_or_gone "$1" "$2" && tcp_listening "$1"
}
_listen_or_gone() { tcp_listening "$1" || ! alive "$2"; }
