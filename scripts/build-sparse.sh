#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build sparse 0.6.5~rc1 (Debian's orig tarball, as sid packages it) for the
# host, into the cache, and print the path of the sparse binary.
#
# Why not Debian 12's package: kbuild runs sparse only if it passes
# scripts/checker-valid.sh, which needs __typeof_unqual__; bookworm's 0.6.4
# lacks it, and sid's binary package needs glibc 2.38. 0.6.5~rc1 built
# from source on bookworm passes the check. The tarball is downloaded once
# and its sha256 checked (PHYR_SPARSE_URL, PHYR_SPARSE_SHA256 override);
# the build takes a few seconds and is redone only when the tarball, the
# compiler or this script changed. Used by scripts/static-checks.sh. When
# sid moves on and the pool no longer has this tarball (snapshot.debian.org
# is not reachable from here), point PHYR_SPARSE_URL and PHYR_SPARSE_SHA256
# at the new one (and check it with scripts/static-checks.sh).
. "$(dirname "$0")/lib.sh"

SP_VER=0.6.5~rc1
SP_TAR=sparse_$SP_VER.orig.tar.gz
SP_URL=${PHYR_SPARSE_URL:-${DEBIAN_MIRROR:-http://deb.debian.org/debian}/pool/main/s/sparse/$SP_TAR}
SP_SHA256=${PHYR_SPARSE_SHA256:-3ac8855ec7f3ab92f325be0f64347ccc2b10f8b4d7c2906783ee8e2bdab3f0de}

need_tool curl curl
need_tool tar tar
need_tool make make
need_tool gcc gcc

tar=$CACHE/$SP_TAR
fetch_verified "$SP_URL" "$SP_SHA256" "$tar"

# sparse records gcc's include directory when it is built
key=$({ echo "$SP_SHA256"; sha256 "$0"; gcc -dumpfullversion; uname -m; } |
	sha256sum | cut -c1-16)
dir=$CACHE/sparse-$key
if [ ! -x "$dir/sparse" ]; then
	msg "sparse: building $SP_VER into $dir (log: $LOGS/sparse-build.log)"
	rm -rf "$dir" "$dir.tmp"
	mkdir -p "$dir.tmp"
	tar -xzf "$tar" -C "$dir.tmp" --strip-components=1
	make -C "$dir.tmp" -j"$(nproc)" sparse >"$LOGS/sparse-build.log" 2>&1 ||
		die "sparse build failed (see $LOGS/sparse-build.log)"
	mv "$dir.tmp" "$dir"
fi
# kbuild's own test: the binary must handle what this kernel's headers use
if [ -f "$BUILD/linux/scripts/checker-valid.sh" ] &&
   [ "$(sh "$BUILD/linux/scripts/checker-valid.sh" "$dir/sparse")" != 1 ]; then
	die "sparse $SP_VER fails $BUILD/linux/scripts/checker-valid.sh"
fi
echo "$dir/sparse"
