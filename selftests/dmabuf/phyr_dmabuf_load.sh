#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# phyr_dmabuf as an installed kselftest runs: with the test module next
# to the program (phyr_test_mod/), so that the program loads it, and
# unloads it when it exits; its last case checks that the module unloads
# once the program's buffers are gone. guest-init loads the module at boot
# for every suite (phyr.testmod=): this one takes it out first and loads
# it again for the suites after it.
cd "$(dirname "$0")" || exit 1
mod=$(sed -n 's/.*phyr\.testmod=\([^ ]*\).*/\1/p' /proc/cmdline)
if [ -z "$mod" ] || [ ! -f "/phyr/$mod" ]; then
	echo "1..0 # SKIP no test module (phyr.testmod= of scripts/vm.sh)"
	exit 4
fi
tmp=$(mktemp -d /tmp/phyr_dmabuf.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/phyr_test_mod"
cp phyr_dmabuf "$tmp/"
ln -s "/phyr/$mod" "$tmp/phyr_test_mod/dma_buf_phyr_test.ko"
if [ -d /sys/module/dma_buf_phyr_test ] && ! rmmod dma_buf_phyr_test; then
	# nothing before this suite keeps a buffer of it
	echo "Bail out! the test module, loaded at boot, does not unload"
	exit 1
fi
"$tmp/phyr_dmabuf" "$@"
rc=$?
if [ ! -d /sys/module/dma_buf_phyr_test ] && ! insmod "/phyr/$mod"; then
	echo "# insmod /phyr/$mod failed: the suites after this one lack it"
fi
exit $rc
