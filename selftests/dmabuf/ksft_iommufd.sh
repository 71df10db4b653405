#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The kernel tree's iommufd selftest (kselftest harness, TAP) against the
# mock IOMMU of CONFIG_IOMMUFD_TEST. Its hugetlb variants (iommufd_mock_domain
# *_hugepage, iommufd_dirty_tracking *_huge) need up to 64 2 MiB huge pages,
# more than the guest reserves at boot: reserve 80 for the run and give them
# back afterwards.
# usage: ksft_iommufd.sh [--fail-nth]
#   --fail-nth  run iommufd_fail_nth instead (on demand: it reruns each of
#               its tests once per allocation that can fail)
cd "$(dirname "$0")" || exit 1
case ${1-} in
'') prog=./ksft_iommufd ;;
--fail-nth) prog=./ksft_iommufd_fail_nth ;;
*)
	echo "usage: $0 [--fail-nth]" >&2
	exit 2
	;;
esac
if [ ! -c /dev/iommu ] || [ ! -d /sys/bus/iommufd_mock ]; then
	echo "1..0 # SKIP no /dev/iommu or no mock IOMMU (CONFIG_IOMMUFD_TEST)"
	exit 4
fi
if [ "$prog" = ./ksft_iommufd ]; then
	nr=/proc/sys/vm/nr_hugepages
	old=$(cat $nr)
	[ "$old" -ge 80 ] || echo 80 >$nr
	[ "$(cat $nr)" -ge 80 ] ||
		echo "# only $(cat $nr) of 80 2 MiB huge pages: the hugetlb variants fail"
fi
# A test that the harness kills at its fixed 30 s deadline (TEST_TIMEOUT_DEFAULT;
# the harness has no knob for it) is run once more alone after the others:
# in one CI run mock_domain_limit.fork_gone, about a second alone, overran
# it with three TCG guests on two CPUs, and it did not in 12 runs alone. Its
# first result stays in the output as a diagnostic, with the blocked tasks
# (sysrq w, in the console log) taken whenever the program is silent for
# 25 s; the rerun's result counts. A test that fails again fails, and so
# does every other failure.
out=$(mktemp)
trap 'rm -f "$out"; [ -z "${old-}" ] || echo "$old" >$nr' EXIT
stdbuf -oL "$prog" 2>&1 | {
	silent=0
	while :; do
		if IFS= read -r -t 25 line; then
			silent=0
			printf '%s\n' "$line" >>"$out"
			# "not ok" lines wait until it is known why
			case $line in "not ok "*) continue ;; esac
			printf '%s\n' "$line"
		elif [ $? -gt 128 ]; then
			[ $silent = 1 ] && continue
			silent=1
			echo "# 25 s without output: blocked tasks to the console (sysrq w)"
			echo w >/proc/sysrq-trigger 2>/dev/null
		else
			break
		fi
	done
}
rc=${PIPESTATUS[0]}
case $rc in 0|1) rc=0 ;; *) echo "# $prog exited with status $rc" ;; esac
grep -q "^# Totals:" "$out" || { echo "# no totals: $prog did not finish"; rc=1; }
while IFS= read -r line; do
	num=${line#not ok }
	num=${num%% *}
	name=${line#not ok "$num" }
	name=${name%% *}
	if ! grep -B3 -xF "$line" "$out" | grep -q ": Test terminated by timeout"; then
		echo "$line"
		rc=1
		continue
	fi
	echo "# $name: killed at the harness's 30 s deadline; once more alone"
	s=$(date +%s)
	if "$prog" -r "$name" >/dev/null 2>&1; then
		echo "ok $num $name # passed alone in $(( $(date +%s) - s )) s after a timeout in the run"
	else
		echo "$line # and again alone"
		rc=1
	fi
done < <(grep "^not ok " "$out")
exit $rc
