#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install the series' UAPI headers and build selftests/ and
# liburing-examples/ inside the guest rootfs with chroot (native speed,
# guest libraries: liburing, rdma-core); then the upstream net selftests
# with a page_pool memory provider (scripts/build-ksft-net.sh), and last
# the selftests that link the YNL C library built there (make goal ynl).
. "$(dirname "$0")/lib.sh"

[ "$BUILD" = "$TOP/build" ] || die "selftests need PHYR_BUILD inside the project (shared into the guest)"
need_tool unshare util-linux
need_tool chroot coreutils
root=$("$TOP/scripts/rootfs.sh")
O=$BUILD/obj-${1:-debug}
[ -f "$O/.config" ] || die "no configured kernel in $O: run 'make kernel'"

msg "selftests: headers_install + build in the guest rootfs"
make -s -C "$BUILD/linux" O="$O" headers_install \
	INSTALL_HDR_PATH="$BUILD/selftests/usr" >"$LOGS/headers.log" 2>&1 ||
	{ cat "$LOGS/headers.log" >&2; die "headers_install failed"; }
# The booted kernel's list of built-in modules: the guest has no
# /lib/modules, and the kernel's own selftests ask modinfo and modprobe
# about modules that are built in here (selftests/rdma/ksft_rdma.sh).
mkdir -p "$BUILD/selftests/modules"
cp "$O/modules.builtin" "$O/modules.builtin.modinfo" "$BUILD/selftests/modules/"
unshare -m bash -c "mount --bind '$TOP' '$root/phyr' &&
	mount -t proc proc '$root/proc' &&
	chroot '$root' make -C /phyr/selftests OUT=/phyr/build/selftests KDIR=/phyr/build/linux &&
	chroot '$root' make -C /phyr/liburing-examples OUT=/phyr/build/selftests" \
	>"$LOGS/selftests-build.log" 2>&1 ||
	{ cat "$LOGS/selftests-build.log" >&2; die "selftests build failed"; }
"$TOP/scripts/build-ksft-net.sh"
# Programs that link build-ksft-net.sh's YNL library (nsim_rx_bench).
unshare -m bash -c "mount --bind '$TOP' '$root/phyr' &&
	chroot '$root' make -C /phyr/selftests OUT=/phyr/build/selftests KDIR=/phyr/build/linux ynl" \
	>"$LOGS/selftests-ynl-build.log" 2>&1 ||
	{ cat "$LOGS/selftests-ynl-build.log" >&2; die "selftests (ynl) build failed"; }
