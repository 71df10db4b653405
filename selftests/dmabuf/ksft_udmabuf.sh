#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The kernel tree's udmabuf selftest: its 2 MiB hugetlb cases need a
# memfd of 1024 huge pages, more than the guest reserves at boot, so
# reserve them for the run and give them back afterwards.
cd "$(dirname "$0")" || exit 1
nr=/proc/sys/vm/nr_hugepages
old=$(cat $nr)
want=$((old + 1024))
echo $want >$nr
if [ "$(cat $nr)" -lt $want ]; then
	echo "$old" >$nr
	echo "1..0 # SKIP cannot reserve 1024 more 2 MiB huge pages"
	exit 4
fi
./ksft_udmabuf
rc=$?
echo "$old" >$nr
exit $rc
