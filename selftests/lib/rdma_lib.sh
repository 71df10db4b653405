# SPDX-License-Identifier: GPL-2.0
# Shared by the RDMA guest suites (sourced): veth pairs, rxe/siw links,
# port state, RoCEv2 GIDs, and the in-place rdma-core build.
. "$(dirname "${BASH_SOURCE[0]}")/wait_lib.sh"

# veth0 (addr $1) <-> veth1 (addr $2), both up
veth_pair() {
	ip link add veth0 type veth peer name veth1 &&
	ip addr add "$1/24" dev veth0 && ip addr add "$2/24" dev veth1 &&
	ip link set veth0 up && ip link set veth1 up
}

# The same pair, but each end in its own network namespace (rdma-a holds
# veth0 and addr $1, rdma-b veth1 and addr $2), so that traffic between
# the two addresses crosses the pair instead of looping back in one stack.
netns_pair() {
	ip netns add rdma-a && ip netns add rdma-b &&
	ip link add veth0 netns rdma-a type veth peer name veth1 netns rdma-b &&
	ip -n rdma-a addr add "$1/24" dev veth0 &&
	ip -n rdma-b addr add "$2/24" dev veth1 &&
	ip -n rdma-a link set lo up && ip -n rdma-b link set lo up &&
	ip -n rdma-a link set veth0 up && ip -n rdma-b link set veth1 up
}

# rdma links $1 on veth0 and $2 on veth1 of a netns_pair, of type $3
netns_links() {
	ip netns exec rdma-a rdma link add "$1" type "$3" netdev veth0 &&
	ip netns exec rdma-b rdma link add "$2" type "$3" netdev veth1
}

port_active() {
	ibv_devinfo -d "$1" 2>/dev/null | grep -q "state:[[:space:]]*PORT_ACTIVE"
}

# Wait (10 s at most, scaled) for every named device's port to come up.
wait_ports() { wait_until 10 _ports_active "$@"; }
_ports_active() {
	local d
	for d in "$@"; do port_active "$d" || return 1; done
}

# cm_listening COMM: a process named COMM has an RDMA CM id listening
cm_listening() { rdma resource show cm_id 2>/dev/null | grep -q "state LISTEN .*comm $1"; }

# wait_cm_listen COMM PID: wait (10 s at most, scaled) until COMM listens
# for RDMA CM connections; fail if PID exits first
wait_cm_listen() {
	wait_until 10 _cm_listen_or_gone "$1" "$2" && cm_listening "$1"
}
_cm_listen_or_gone() { cm_listening "$1" || ! alive "$2"; }

# The non-zero hardware counters of rdma device $1, as TAP diagnostics
# (retransmissions, sequence errors, drops: why traffic stalled).
rxe_counters() {
	local f v
	for f in /sys/class/infiniband/"$1"/ports/1/hw_counters/*; do
		read -r v <"$f" 2>/dev/null || continue
		[ "$v" = 0 ] || echo "# $1 ${f##*/}: $v"
	done
}

# Remove the named rdma links and the veth pair (and its namespaces).
rdma_cleanup() {
	local d
	for d in "$@"; do rdma link delete "$d" 2>/dev/null; done
	ip link del veth0 2>/dev/null
	ip netns del rdma-a 2>/dev/null
	ip netns del rdma-b 2>/dev/null
	return 0
}

# GID index of the RoCEv2 GID of device $1 for IPv4 address $2.
gid_index() {
	local dev=$1 ip=$2 f t
	for f in /sys/class/infiniband/"$dev"/ports/1/gids/*; do
		case $(cat "$f" 2>/dev/null) in
		*"$(printf '%02x%02x:%02x%02x' ${ip//./ })")
			t=$(cat /sys/class/infiniband/"$dev"/ports/1/gid_attrs/types/"$(basename "$f")" 2>/dev/null)
			[ "$t" = "RoCE v2" ] && { basename "$f"; return; } ;;
		esac
	done
}

# The kernel tree's RDMA selftests, as the suites run them: rdma_rxe,
# siw, veth and tun are built in and the guest has no /lib/modules, so
# modinfo and modprobe run against a module directory made in $1 from the
# booted kernel's modules.builtin (copied by scripts/build-selftests.sh)
# and answer for built-in modules as on an installed kernel (a script's
# "modprobe -r" of one fails and the scripts ignore it); $1/bin goes first
# on PATH. Returns non-zero when modules.builtin is missing or depmod
# fails.
builtin_modules_shim() {
	local tmp=$1 kver
	[ -f modules/modules.builtin ] || return 1
	kver=$(uname -r)
	mkdir -p "$tmp/root/lib/modules/$kver" "$tmp/bin"
	cp modules/modules.builtin modules/modules.builtin.modinfo "$tmp/root/lib/modules/$kver/"
	: >"$tmp/root/lib/modules/$kver/modules.order"	# no loadable modules
	depmod -b "$tmp/root" "$kver" || return 1
	printf '#!/bin/sh\nexec /usr/sbin/modprobe -d %s "$@"\n' "$tmp/root" >"$tmp/bin/modprobe"
	printf '#!/bin/sh\nexec /usr/sbin/modinfo -b %s "$@"\n' "$tmp/root" >"$tmp/bin/modinfo"
	chmod 755 "$tmp/bin/modprobe" "$tmp/bin/modinfo"
	export PATH=$tmp/bin:$PATH
}

# The in-place rdma-core build (scripts/build-rdma-core.sh); fails if absent.
rdma_core_dir() {
	local d
	d=$(cd "$(dirname "${BASH_SOURCE[0]}")/../rdma-core/build" 2>/dev/null && pwd)
	[ -n "$d" ] && [ -e "$d/lib/libibverbs.so.1" ] && echo "$d"
}

# For suites that need the patched rdma-core and one device of type $2
# (rxe, the default, or siw): sets rc_dir to the rdma-core build, creates
# ${type}0 on veth0 of a veth pair ($1.1 <-> $1.2) and removes it at exit;
# or SKIPs the whole suite.
dev0_with_rdma_core() {
	local type=${2:-rxe}
	rc_dir=$(rdma_core_dir) || {
		echo "1..0 # SKIP rdma-core not built (scripts/build-rdma-core.sh)"
		exit 4
	}
	trap "rdma_cleanup ${type}0" EXIT
	veth_pair "$1.1" "$1.2" && rdma link add ${type}0 type "$type" netdev veth0 || {
		echo "1..0 # SKIP cannot create ${type}0"
		exit 4
	}
	wait_ports ${type}0
}

# unittest's verbose output ($1, run with PYTHONWARNINGS=ignore) as TAP on
# stdout, one line per test. unittest prints "NAME (module.Class.NAME)",
# then, if the test has a docstring, its first line on a line of its own,
# then " ... RESULT"; output of the test without a newline can push RESULT
# to a later line or glue text before it. The test count must match
# unittest's "Ran N tests", and at least $2 tests (default 1) must pass,
# so that a run where everything skips (no port up, say) fails. Then the
# whole output as diagnostics if anything failed, else its last lines.
# Returns non-zero if a TAP line is "not ok".
unittest_tap() {
	local out=$1 min=${2:-1} st=0
	echo "TAP version 13"
	awk -v min="$min" '
	function judge(r) {
		if (r ~ /^ok$/) { print "ok " ++n " " name; pass++ }
		else if (r ~ /^skipped /) { sub(/^skipped /, "", r); print "ok " ++n " " name " # SKIP " r }
		else if (r ~ /(ERROR|FAIL|unexpected success)$/) print "not ok " ++n " " name " # " r
		else if (r ~ /^expected failure$/) print "ok " ++n " " name " # TODO expected failure"
		else return 0
		return 1
	}
	/^[A-Za-z_][A-Za-z0-9_]* \([A-Za-z0-9_.]+\)( \.\.\. |$)/ { id = $1 }
	/ \.\.\. / {
		name = id; r = $0; sub(/.* \.\.\. /, "", r)
		pending = !judge(r)
		next
	}
	pending && judge($0) { pending = 0 }
	/^Ran [0-9]+ tests? in / { ran = $2 }
	END {
		m = n
		if (ran != m) print "not ok " ++n " unittest ran " ran + 0 " tests, " m " reported"
		if (pass < min) print "not ok " ++n " at least " min " tests pass: " pass + 0
		print "1.." n
	}' "$out" | tee "$out.tap"
	grep -q "^not ok" "$out.tap" && st=1
	rm -f "$out.tap"
	# unittest's verdict is a line "OK ..." or "FAILED (...)" (pyverbs
	# may print tracebacks of its own teardown after it)
	if grep -q "^FAILED" "$out" || ! grep -q "^OK" "$out"; then
		sed 's/^/# /' "$out"
	else
		sed 's/^/# /' "$out" | tail -n 5
	fi
	return $st
}
