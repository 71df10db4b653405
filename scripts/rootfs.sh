#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build the guest root directory from Debian packages with mmdebstrap:
# trixie + trixie-backports, and sid (pinned low) where a newer version is
# needed (liburing >= 2.10 for the zcrx API). Cached in $CACHE, keyed by a
# hash of this script, so it is rebuilt only when the package list changes.
# Prints the path of the root directory.
. "$(dirname "$0")/lib.sh"

need_tool mmdebstrap mmdebstrap

MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

# Guest packages. Keep sorted; changing this list rebuilds the rootfs.
# cmake, cython3, libudev-dev, ninja-build, python3-dev: building rdma-core
# (scripts/build-rdma-core.sh; libnl-3-dev, libnl-route-3-dev and
# pkg-config are here already, libnl through libibverbs-dev).
# autoconf, automake, libpci-dev: building perftest with its patches,
# which add source files (scripts/build-perftest.sh).
# jq: the kernel tree's netdevsim selftests (net/forwarding/lib.sh,
# ethtool-*.sh) read ethtool, devlink and ip JSON with it.
PKGS=(
	autoconf automake libpci-dev
	bash-completion build-essential ca-certificates cmake cython3 ethtool
	file ibverbs-providers ibverbs-utils iperf3 iproute2 iputils-ping jq kmod
	less libibverbs-dev libmnl-dev librdmacm-dev libudev-dev
	netcat-openbsd ninja-build perftest pkg-config procps psmisc python3
	python3-dev python3-jsonschema python3-pyverbs python3-yaml rdma-core
	rdmacm-utils socat strace udev util-linux
)
# From sid (Pin-Priority 100 keeps everything else on trixie).
SID_PKGS=(liburing2/sid liburing-dev/sid)

key=$(cat "$0" "$TOP/scripts/phyr-init" | sha256sum | cut -c1-12)
ROOT=$CACHE/rootfs-$key
# One build at a time (the cache is shared by every checkout and run): a
# second caller waits here, then finds the root complete.
need_tool flock util-linux
exec 9>"$CACHE/rootfs.lock"
flock 9
if [ -f "$ROOT/.complete" ]; then
	echo "$ROOT"
	exit 0
fi

msg "rootfs: mmdebstrap trixie (+backports, sid for liburing) into $ROOT"
step "log: $LOGS/rootfs.log (takes a few minutes on first run)"
rm -rf "$ROOT" "$ROOT.tmp"
pin='Package: *\nPin: release a=unstable\nPin-Priority: 100\n'
inc=$(IFS=,; echo "${PKGS[*]},${SID_PKGS[*]}")
if ! mmdebstrap --variant=apt --mode=root --format=directory \
	--aptopt='APT::Install-Recommends "false"' \
	--aptopt='Acquire::Check-Valid-Until "false"' \
	--setup-hook="mkdir -p \"\$1/etc/apt/preferences.d\" && printf '$pin' >\"\$1/etc/apt/preferences.d/sid\"" \
	--include="$inc" \
	--customize-hook='chroot "$1" sh -c "echo root: | chpasswd; echo phyr-guest >/etc/hostname; rm -f /etc/machine-id; systemd-machine-id-setup >/dev/null 2>&1 || true"' \
	--customize-hook='rm -rf "$1"/var/cache/apt/archives/*.deb "$1"/var/lib/apt/lists/*' \
	--customize-hook="mkdir -p \"\$1/phyr\" && cp '$TOP/scripts/phyr-init' \"\$1/sbin/phyr-init\" && chmod 755 \"\$1/sbin/phyr-init\"" \
	trixie "$ROOT.tmp" \
	"deb $MIRROR trixie main" \
	"deb $MIRROR trixie-backports main" \
	"deb $MIRROR sid main" >"$LOGS/rootfs.log" 2>&1; then
	tail -30 "$LOGS/rootfs.log" >&2
	die "mmdebstrap failed (see $LOGS/rootfs.log)"
fi
touch "$ROOT.tmp/.complete"
mv "$ROOT.tmp" "$ROOT"
# Old rootfs versions are dead weight.
for d in "$CACHE"/rootfs-*; do
	[ "$d" = "$ROOT" ] || rm -rf "$d"
done
echo "$ROOT"
