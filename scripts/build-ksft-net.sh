#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build the two upstream net driver selftests that put a page_pool memory
# provider on a queue, for the guest: ncdevmem (devmem TCP, links the YNL C
# library) and iou-zcrx (io_uring zero-copy receive, liburing >= 2.10), with
# the Python harness they run under (devmem.py, iou-zcrx.py, NetDrvEpEnv,
# pyynl and the netlink specs).
#
# The kernel tree stays clean: the files the build and the harness need are
# copied from build/linux into build/selftests/ksft, laid out like a kernel
# tree (tools/testing/selftests/..., tools/net/ynl, Documentation/netlink,
# include/uapi, and usr -> the headers_install output of build-selftests.sh),
# and only the two binaries are built there, in the rootfs chroot (the hw
# Makefile's *.bpf.o need clang, which the guest does not have). In the
# guest the tests run from that copy:
#   /phyr/build/selftests/ksft/tools/testing/selftests/drivers/net/hw/
# Rebuilt from a fresh copy when the copied files, the installed headers,
# this script or the rootfs change. Log: build/logs/ksft-net-build.log.
. "$(dirname "$0")/lib.sh"

[ "$BUILD" = "$TOP/build" ] || die "selftests need PHYR_BUILD inside the project (shared into the guest)"
need_tool unshare util-linux
need_tool chroot coreutils
KSRC=$BUILD/linux
HDR=$BUILD/selftests/usr/include
[ -d "$KSRC/tools/testing/selftests" ] || die "$KSRC missing: run scripts/apply-series.sh"
[ -f "$HDR/linux/netdev.h" ] || die "no UAPI headers in $HDR: run scripts/build-selftests.sh"
root=$("$TOP/scripts/rootfs.sh")

# What the hw Makefile (lib.mk, net/ynl.mk, net/bpf.mk), the YNL build
# (tools/net/ynl: specs, include/uapi, tools/scripts/Makefile.arch) and the
# Python harness (drivers/net/lib/py, net/lib/py, pyynl, specs) read.
SRCS=(
	Documentation/netlink
	include/uapi
	tools/net/ynl
	tools/scripts
	tools/testing/selftests/kselftest
	tools/testing/selftests/kselftest.h
	tools/testing/selftests/kselftest_harness.h
	tools/testing/selftests/lib.mk
	tools/testing/selftests/net/bpf.mk
	tools/testing/selftests/net/lib
	tools/testing/selftests/net/ynl.mk
	tools/testing/selftests/drivers/net/hw
	tools/testing/selftests/drivers/net/lib
)
KSFT=$BUILD/selftests/ksft
HW=tools/testing/selftests/drivers/net/hw
GOALS=(ncdevmem iou-zcrx)

key=$({
	(cd "$KSRC" && find "${SRCS[@]}" -type f -print0 | LC_ALL=C sort -z |
		xargs -0 sha256sum)
	(cd "$HDR" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
} | build_key "$root" "$TOP/scripts/build-ksft-net.sh" "${GOALS[*]}")
built=1
for g in "${GOALS[@]}"; do
	[ -x "$KSFT/$HW/$g" ] || built=0
done
if [ $built = 1 ] && stamp_ok ksft-net "$key"; then
	exit 0
fi

msg "ksft net: ${GOALS[*]} from a copy of the tree in ${KSFT#"$TOP"/}"
log=$LOGS/ksft-net-build.log
start=$(date +%s)
rm -f "$BUILD/.stamp-ksft-net"
rm -rf "$KSFT"
mkdir -p "$KSFT"
tar -C "$KSRC" -cf - "${SRCS[@]}" | tar -C "$KSFT" -xf - ||
	die "could not copy the selftest sources into $KSFT"
# lib.mk and ynl.mk look for the installed UAPI headers in $(top_srcdir)/usr.
ln -s ../usr "$KSFT/usr"
# ynl_gen_c.py finds the tree's root by its MAINTAINERS file (and loops
# forever at / without one).
: >"$KSFT/MAINTAINERS"

# HAS_IOURING_ZCRX=y: the hw Makefile's liburing probe fails here even with
# liburing 2.15 ('echo -e' under dash, and -luring ahead of the source with
# the toolchain's --as-needed), and iou-zcrx would be linked without
# -luring. The rootfs has liburing >= 2.10 from sid (scripts/rootfs.sh).
g=/phyr/${KSFT#"$TOP"/}/$HW
# lib.mk takes OUTPUT from its parent when MAKELEVEL > 0 ('make check' runs
# us from make): start a top-level make and name OUTPUT.
unshare -m bash -c "mount --bind '$TOP' '$root/phyr' &&
	mount -t proc proc '$root/proc' &&
	chroot '$root' env -u MAKELEVEL -u MAKEFLAGS -u MFLAGS \
		make -C '$g' OUTPUT='$g' HAS_IOURING_ZCRX=y -j$(nproc) \
		$(printf "'$g/%s' " "${GOALS[@]}")" >"$log" 2>&1 ||
	{ cat "$log" >&2; die "ksft net build failed (see $log)"; }
for g in "${GOALS[@]}"; do
	[ -x "$KSFT/$HW/$g" ] || { cat "$log" >&2; die "ksft net build did not produce $g"; }
done
step "built in $(( $(date +%s) - start )) s (log: $log)"
stamp_set ksft-net "$key"
