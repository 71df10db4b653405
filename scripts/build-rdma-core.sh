#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build rdma-core 65.0 with rdma-core-patches/*.patch applied, in place
# (cmake -DIN_PLACE=1: libraries in build/lib, providers found through
# build/etc/libibverbs.d), inside the guest rootfs with chroot. The build
# links against the guest's libraries, and the paths it compiles in
# (/phyr/build/rdma-core/build/...) are the ones the guest sees.
#
# The orig tarball is downloaded once into the cache and its sha256 checked
# (PHYR_RDMA_CORE_SHA256 overrides the expected value, PHYR_RDMA_CORE_URL the
# address). The tree is unpacked afresh and rebuilt only when the tarball,
# the patches (PHYR_RDMA_CORE_PATCHES overrides the directory), this script
# or the rootfs changed. Prints the build directory.
. "$(dirname "$0")/lib.sh"

RC_VER=65.0
RC_TAR=rdma-core_$RC_VER.orig.tar.gz
RC_URL=${PHYR_RDMA_CORE_URL:-${DEBIAN_MIRROR:-http://deb.debian.org/debian}/pool/main/r/rdma-core/$RC_TAR}
RC_SHA256=${PHYR_RDMA_CORE_SHA256:-f6ba3d8b2c4aa334c5c883c1ad0772de339011123cff4fb1db32ae7a443fb7ca}
RC_PATCHES=${PHYR_RDMA_CORE_PATCHES:-$TOP/rdma-core-patches}

[ "$BUILD" = "$TOP/build" ] ||
	die "rdma-core is built for the guest: PHYR_BUILD must be inside the project (shared into the guest)"
need_tool curl curl
need_tool sha256sum coreutils
need_tool tar tar
need_tool gzip gzip
need_tool patch patch
need_tool unshare util-linux
need_tool chroot coreutils

SRC=$BUILD/rdma-core
OUT=$SRC/build
GUEST_SRC=/phyr/${SRC#"$TOP"/}
log=$LOGS/rdma-core-build.log
tar=$CACHE/$RC_TAR

# 1. The tarball, verified.
fetch_verified "$RC_URL" "$RC_SHA256" "$tar"

# 2. What the build depends on: tarball, patches (in name order), this
#    script (the cmake options) and the guest rootfs it is built in.
mapfile -t patches < <(patches_in "$RC_PATCHES")
[ ${#patches[@]} -gt 0 ] || die "no patches in $RC_PATCHES"
root=$("$TOP/scripts/rootfs.sh")
key=$(build_key "$root" "$0" "$RC_SHA256" "${patches[@]}" </dev/null)

if stamp_ok rdma-core "$key" && [ -x "$OUT/bin/ibv_devices" ]; then
	step "rdma-core $RC_VER: tarball and ${#patches[@]} patches unchanged, nothing to build"
	echo "$OUT"
	exit 0
fi

# 3. A fresh tree with the patches applied.
msg "rdma-core $RC_VER: unpack into $SRC, apply ${#patches[@]} patches"
rm -f "$BUILD/.stamp-rdma-core"
unpack_patched "$tar" "$SRC" "${patches[@]}"

# 4. Configure and build in the guest rootfs.
# compileall: pyverbs and the tests byte-compiled with the guest's Python;
# in the guest, under the debug kernel and TCG, that costs about a minute.
msg "rdma-core $RC_VER: cmake + ninja in the guest rootfs"
step "log: $log"
start=$(date +%s)
mkdir -p "$OUT"
if ! unshare -m bash -c "mount --bind '$TOP' '$root/phyr' &&
	mount -t proc proc '$root/proc' &&
	chroot '$root' env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 \
		sh -c 'cd $GUEST_SRC/build &&
		cmake -GNinja -DIN_PLACE=1 -DNO_MAN_PAGES=1 .. &&
		ninja &&
		python3 -m compileall -q ../tests python'" >"$log" 2>&1; then
	tail -n 40 "$log" >&2
	die "rdma-core build failed (see $log)"
fi
[ -x "$OUT/bin/ibv_devices" ] || die "rdma-core build produced no bin/ibv_devices (see $log)"
step "built in $(($(date +%s) - start))s"
stamp_set rdma-core "$key"
echo "$OUT"
