#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Download the pinned base (Debian's linux-source-7.3 binary package),
# verify both checksums and unpack the kernel tarball into the cache.
# Prints the path of the verified tarball.
. "$(dirname "$0")/lib.sh"

need_tool apt-get apt
need_tool dpkg-deb dpkg
need_tool sha256sum coreutils

deb=$CACHE/${BASE_PKG}_${BASE_VER/:/%3a}_all.deb
tar=$CACHE/linux-source-7.3.tar.xz

verify() { # file sha256
	[ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]
}

if [ -f "$tar" ] && verify "$tar" "$BASE_TAR_SHA256"; then
	echo "$tar"
	exit 0
fi

if ! { [ -f "$deb" ] && verify "$deb" "$BASE_DEB_SHA256"; }; then
	msg "download: $BASE_PKG=$BASE_VER (166 MB)"
	apt_private
	tmp=$CACHE/dl.tmp
	rm -rf "$tmp" && mkdir -p "$tmp"
	# stdout is this script's answer (the tarball path): progress to stderr
	( cd "$tmp" && apt-get "${APT_OPTS[@]}" -q download "$BASE_PKG=$BASE_VER" ) >&2 ||
		die "download of $BASE_PKG=$BASE_VER failed"
	got=$(ls "$tmp"/*.deb) || die "apt-get download produced no .deb"
	size=$(stat -c %s "$got")
	[ "$size" = "$BASE_DEB_SIZE" ] ||
		die "checksum mismatch: $got is $size bytes, expected $BASE_DEB_SIZE"
	verify "$got" "$BASE_DEB_SHA256" ||
		die "checksum mismatch: sha256 of $got is $(sha256sum "$got" | cut -d' ' -f1), expected $BASE_DEB_SHA256"
	mv "$got" "$deb"
	rm -rf "$tmp"
fi

msg "extract: $BASE_TAR from $(basename "$deb")"
dpkg-deb --fsys-tarfile "$deb" | tar -xO "./$BASE_TAR" >"$tar.tmp" ||
	die "could not extract $BASE_TAR from $deb"
verify "$tar.tmp" "$BASE_TAR_SHA256" ||
	die "checksum mismatch: sha256 of $BASE_TAR is $(sha256sum "$tar.tmp" | cut -d' ' -f1), expected $BASE_TAR_SHA256"
mv "$tar.tmp" "$tar"
echo "$tar"
