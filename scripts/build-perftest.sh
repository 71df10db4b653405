#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build perftest 25.01.0 (Debian's orig tarball) with perftest-patches/*.patch
# applied, inside the guest rootfs with chroot, into build/perftest: the
# RDMA bandwidth benchmarks (ib_write_bw, ib_read_bw, ...) with the
# --use_udmabuf option, which registers dma-buf MRs of host memory. They
# are built against the rdma-core of scripts/build-rdma-core.sh (its
# headers and libraries, with an rpath), whose rxe and siw providers have
# reg_dmabuf_mr.
#
# Like build-rdma-core.sh: the tarball is downloaded once into the cache
# and its sha256 checked (PHYR_PERFTEST_URL, PHYR_PERFTEST_SHA256 override),
# and the tree is rebuilt only when the tarball, the patches, this script,
# the rootfs or the rdma-core build changed. Prints the build directory.
. "$(dirname "$0")/lib.sh"

PT_VER=25.01.0+0.80
PT_TAR=perftest_$PT_VER.orig.tar.gz
PT_URL=${PHYR_PERFTEST_URL:-${DEBIAN_MIRROR:-http://deb.debian.org/debian}/pool/main/p/perftest/$PT_TAR}
PT_SHA256=${PHYR_PERFTEST_SHA256:-54e86b131f0b06862b8b9cd692739737295463cfef467bdda5f5aa3dae8c5b05}
PT_PATCHES=$TOP/perftest-patches

[ "$BUILD" = "$TOP/build" ] ||
	die "perftest is built for the guest: PHYR_BUILD must be inside the project (shared into the guest)"
need_tool curl curl
need_tool sha256sum coreutils
need_tool tar tar
need_tool patch patch
need_tool unshare util-linux
need_tool chroot coreutils

SRC=$BUILD/perftest
GUEST_SRC=/phyr/${SRC#"$TOP"/}
log=$LOGS/perftest-build.log
tar=$CACHE/$PT_TAR

fetch_verified "$PT_URL" "$PT_SHA256" "$tar"

mapfile -t patches < <(patches_in "$PT_PATCHES")
[ ${#patches[@]} -gt 0 ] || die "no patches in $PT_PATCHES"
root=$("$TOP/scripts/rootfs.sh")
rc_out=$("$TOP/scripts/build-rdma-core.sh")
RC=/phyr/${rc_out#"$TOP"/}
key=$(build_key "$root" "$0" "$PT_SHA256" "${patches[@]}" <"$BUILD/.stamp-rdma-core")

if stamp_ok perftest "$key" && [ -x "$SRC/ib_write_bw" ]; then
	step "perftest $PT_VER: tarball and ${#patches[@]} patches unchanged, nothing to build"
	echo "$SRC"
	exit 0
fi

msg "perftest $PT_VER: unpack into $SRC, apply ${#patches[@]} patches"
rm -f "$BUILD/.stamp-perftest"
unpack_patched "$tar" "$SRC" "${patches[@]}"

# The patches add source files: regenerate the build system. The tarball
# carries libtool's macros (m4/) and ltmain.sh, so aclocal, automake and
# autoconf are enough (no libtoolize).
msg "perftest $PT_VER: automake + configure + make in the guest rootfs"
step "log: $log"
start=$(date +%s)
if ! unshare -m bash -c "mount --bind '$TOP' '$root/phyr' &&
	mount -t proc proc '$root/proc' &&
	chroot '$root' env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 \
		sh -c 'cd $GUEST_SRC && aclocal -I m4 && automake && autoconf &&
		./configure CPPFLAGS=-I$RC/include \\
			LDFLAGS=\"-L$RC/lib -Wl,-rpath,$RC/lib\" &&
		make -j$(nproc)'" \
	>"$log" 2>&1; then
	tail -n 40 "$log" >&2
	die "perftest build failed (see $log)"
fi
[ -x "$SRC/ib_write_bw" ] || die "perftest build produced no ib_write_bw (see $log)"
step "built in $(($(date +%s) - start))s"
stamp_set perftest "$key"
echo "$SRC"
