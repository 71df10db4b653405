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
	trap 'echo "$old" >$nr' EXIT
	[ "$old" -ge 80 ] || echo 80 >$nr
	[ "$(cat $nr)" -ge 80 ] ||
		echo "# only $(cat $nr) of 80 2 MiB huge pages: the hugetlb variants fail"
fi
# The exit status is the program's (the EXIT trap keeps it).
$prog
