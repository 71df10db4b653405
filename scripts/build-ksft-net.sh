#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build the upstream net driver selftests that run on netdevsim, for the
# guest, from a copy of the tree:
# - the two that put a page_pool memory provider on a queue: ncdevmem
#   (devmem TCP, links the YNL C library) and iou-zcrx (io_uring zero-copy
#   receive, liburing >= 2.10), run by devmem.py and iou-zcrx.py
#   (ksft_devmem, ksft_iou_zcrx), and iou_zcrx_phyr_helper, which
#   iou_zcrx_phyr.py runs (zcrx_phyr);
# - the netdevsim tests of suite ksft_nsim (selftests/net/ksft_nsim.sh):
#   drivers/net/netdevsim/*.sh, the Python tests of drivers/net (NetDrvEnv
#   and NetDrvEpEnv fall back to netdevsim), net/nl_netdev.py and
#   net/busy_poll_test.sh, with the helpers they run: napi_id_helper,
#   so_txtime, xdp_helper, gro and busy_poller (YNL);
# with the Python harness (NetDrvEpEnv, pyynl and the netlink specs) and
# the shell libraries (net/lib.sh, net/forwarding/lib.sh).
#
# The kernel tree stays clean: the files the build and the tests need are
# copied from build/linux into build/selftests/ksft, laid out like a kernel
# tree (tools/testing/selftests/..., tools/net/ynl, Documentation/netlink,
# include/uapi, and usr -> the headers_install output of build-selftests.sh),
# and only the helper binaries are built there, in the rootfs chroot (the
# Makefiles' *.bpf.o need clang, which the guest does not have). In the
# guest the tests run from that copy:
#   /phyr/build/selftests/ksft/tools/testing/selftests/
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

# What the Makefiles (lib.mk, net/ynl.mk, net/bpf.mk), the YNL build
# (tools/net/ynl: specs, include/uapi, tools/scripts/Makefile.arch), the
# Python harness (drivers/net/lib/py, net/lib/py, pyynl, specs) and the
# shell tests (net/lib.sh, net/forwarding/lib.sh) read. drivers/net is
# copied whole: hw/, netdevsim/, lib/ and the tests at its top.
ST=tools/testing/selftests
SRCS=(
	Documentation/netlink
	include/uapi
	tools/net/ynl
	tools/scripts
	$ST/kselftest
	$ST/kselftest.h
	$ST/kselftest_harness.h
	$ST/lib.mk
	$ST/drivers/net
	$ST/net/Makefile
	$ST/net/bpf.mk
	$ST/net/busy_poll_test.sh
	$ST/net/busy_poller.c
	$ST/net/forwarding/lib.sh
	$ST/net/lib
	$ST/net/lib.sh
	$ST/net/nl_netdev.py
	$ST/net/ynl.mk
)
KSFT=$BUILD/selftests/ksft
HW=$ST/drivers/net/hw
# Directory of the Makefile, and the programs built there (into the
# directory itself, where the tests look for them).
BUILDS=(
	"$HW:ncdevmem iou-zcrx"
	"$ST/drivers/net:napi_id_helper so_txtime iou_zcrx_phyr_helper"
	"$ST/net/lib:xdp_helper gro"
	"$ST/net:busy_poller"
)
GOALS=()
for b in "${BUILDS[@]}"; do
	for g in ${b#*:}; do GOALS+=("${b%%:*}/$g"); done
done

key=$({
	(cd "$KSRC" && find "${SRCS[@]}" -type f -print0 | LC_ALL=C sort -z |
		xargs -0 sha256sum)
	(cd "$HDR" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
} | build_key "$root" "$TOP/scripts/build-ksft-net.sh" "${GOALS[*]}")
built=1
for g in "${GOALS[@]}"; do
	[ -x "$KSFT/$g" ] || built=0
done
if [ $built = 1 ] && stamp_ok ksft-net "$key"; then
	exit 0
fi

msg "ksft net: ${GOALS[*]##*/} from a copy of the tree in ${KSFT#"$TOP"/}"
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
# lib.mk takes OUTPUT from its parent when MAKELEVEL > 0 ('make check' runs
# us from make): start top-level makes and name OUTPUT.
mk=""
for b in "${BUILDS[@]}"; do
	d=/phyr/${KSFT#"$TOP"/}/${b%%:*}
	extra=""
	[ "${b%%:*}" != "$HW" ] || extra=HAS_IOURING_ZCRX=y
	mk+=" && chroot '$root' env -u MAKELEVEL -u MAKEFLAGS -u MFLAGS \
		make -C '$d' OUTPUT='$d' $extra -j$(nproc) $(printf "'$d/%s' " ${b#*:})"
done
# The Python harness and YNL are byte-compiled here, with the guest's
# Python: in the guest, under the debug kernel and TCG, compiling them
# costs a suite about a minute.
mk+=" && chroot '$root' python3 -m compileall -q '/phyr/${KSFT#"$TOP"/}/tools'"
unshare -m bash -c "mount --bind '$TOP' '$root/phyr' &&
	mount -t proc proc '$root/proc' $mk" >"$log" 2>&1 ||
	{ cat "$log" >&2; die "ksft net build failed (see $log)"; }
for g in "${GOALS[@]}"; do
	[ -x "$KSFT/$g" ] || { cat "$log" >&2; die "ksft net build did not produce ${g##*/}"; }
done
step "built in $(( $(date +%s) - start )) s (log: $log)"
stamp_set ksft-net "$key"
