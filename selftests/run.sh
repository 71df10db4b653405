#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side of 'make check': run the suites listed in selftests/suites
# (or only those named on the command line), saving each suite's TAP output
# and exit status in build/results/ for the host to parse.
# usage: run.sh [--boot iommu] [SUITE...]: the plain boot runs the suites
# without a prefix, '--boot iommu' those marked "iommu:".
set -u
boot=main
if [ "${1:-}" = --boot ]; then
	boot=$2
	shift 2
fi
top=$(cd "$(dirname "$0")/.." && pwd)
bin=$top/build/selftests
res=$top/build/results
mkdir -p "$res"

want=" $* "
while read -r name tmo cmd; do
	case $name in ''|'#'*) continue ;; esac
	case $cmd in
	host:*) continue ;;	# run by the host
	iommu:*) [ "$boot" = iommu ] || continue; cmd=${cmd#iommu:} ;;
	*) [ "$boot" = main ] || continue ;;
	esac
	[ $# -eq 0 ] || [[ $want == *" $name "* ]] || continue
	echo "PHYR-SUITE-BEGIN: $name"
	start=$(date +%s)
	(cd "$bin" && timeout -k 10 "$tmo" $cmd) </dev/null >"$res/$name.tap" 2>&1
	rc=$?
	echo "$rc" >"$res/$name.rc"
	sed "s/^/[$name] /" "$res/$name.tap"
	echo "PHYR-SUITE-END: $name rc=$rc ($(( $(date +%s) - start ))s)"
done <"$top/selftests/suites"
exit 0
