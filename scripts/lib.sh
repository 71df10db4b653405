# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the workbench scripts. Source, do not execute.

set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Caches live outside the repository so that a fresh clone (and CI on the
# same machine) reuses them.
CACHE=${PHYR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/phyr-workbench}
BUILD=${PHYR_BUILD:-$TOP/build}
LOGS=$BUILD/logs
mkdir -p "$CACHE" "$BUILD" "$LOGS"

BASE_PKG=linux-source-7.3
BASE_VER=7.3.4-1~bpo13+1
BASE_DEB_SHA256=${PHYR_TEST_DEB_SHA256:-703e369ddd4cce971452f5a593ee55df3a5c10c83caf0fa0df039633ed181ee3}
BASE_DEB_SIZE=166780612
BASE_TAR=usr/src/linux-source-7.3.tar.xz
BASE_TAR_SHA256=${PHYR_TEST_TAR_SHA256:-76df1affb19f24926949369be1d74b60071c963c598ce8780bddd4bbf0fc3bc4}

msg()  { printf '==> %s\n' "$*" >&2; }
step() { printf '  -> %s\n' "$*" >&2; }
die()  { printf 'error: %s\n' "$*" >&2; exit 1; }

# need_tool <command> <debian package>
need_tool() {
	command -v "$1" >/dev/null 2>&1 ||
		die "'$1' not found: install the Debian package '$2' (apt-get install $2)"
}

# stamp_ok <name> <key>: true when the stamp for <name> records <key>
stamp_ok() { [ -f "$BUILD/.stamp-$1" ] && [ "$(cat "$BUILD/.stamp-$1")" = "$2" ]; }
stamp_set() { printf '%s\n' "$2" >"$BUILD/.stamp-$1"; }

# Private apt configuration: our own sources list, state and cache
# directories; the machine's sources are never touched.
APT_DIR=$CACHE/apt
apt_private() {
	mkdir -p "$APT_DIR"/{lists/partial,archives/partial,etc/preferences.d,etc/apt.conf.d}
	local mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
	local want
	want="deb [arch=amd64] $mirror trixie main
deb [arch=amd64] $mirror trixie-backports main
deb [arch=amd64] $mirror sid main"
	if [ ! -f "$APT_DIR/etc/sources.list" ] ||
	   [ "$(cat "$APT_DIR/etc/sources.list")" != "$want" ]; then
		printf '%s\n' "$want" >"$APT_DIR/etc/sources.list"
		rm -f "$APT_DIR/.updated"
	fi
	APT_OPTS=(-o "Dir::Etc::SourceList=$APT_DIR/etc/sources.list"
		  -o "Dir::Etc::SourceParts=-"
		  -o "Dir::Etc::Preferences=$APT_DIR/etc/preferences"
		  -o "Dir::Etc::PreferencesParts=$APT_DIR/etc/preferences.d"
		  -o "Dir::State=$APT_DIR"
		  -o "Dir::State::Lists=$APT_DIR/lists"
		  -o "Dir::State::status=$APT_DIR/status"
		  -o "Dir::Cache=$APT_DIR"
		  -o "Dir::Cache::Archives=$APT_DIR/archives"
		  -o "APT::Architecture=amd64"
		  -o "Debug::NoLocking=1"
		  -o "Acquire::Retries=3"
		  -o "Acquire::Check-Valid-Until=false"
		  -o "APT::Sandbox::User=root")
	: >>"$APT_DIR/status"
	: >>"$APT_DIR/etc/preferences"
	# Refresh the indexes at most once a day.
	if [ ! -f "$APT_DIR/.updated" ] ||
	   [ -n "$(find "$APT_DIR/.updated" -mmin +1440)" ]; then
		step "apt-get update (private sources: trixie, trixie-backports, sid)"
		apt-get "${APT_OPTS[@]}" -q update >"$LOGS/apt-update.log" 2>&1 ||
			{ tail -20 "$LOGS/apt-update.log" >&2; die "apt-get update failed (see $LOGS/apt-update.log)"; }
		touch "$APT_DIR/.updated"
	fi
}

# The series: kernel/patches/*.patch in name order, cover letter excluded.
PATCHES=${PHYR_PATCHES:-$TOP/kernel/patches}
series_patches() {
	local p
	for p in "$PATCHES"/*.patch; do
		[ -e "$p" ] || continue
		case $(basename "$p") in 0000-*) continue ;; esac
		echo "$p"
	done
}

# series_id <base commit>: identifies base + series content.
series_id() {
	{ echo "$1"; series_patches | while read -r p; do cat "$p"; done; } |
		sha256sum | cut -c1-16
}

sha256() { sha256sum "$1" | cut -d' ' -f1; }

# fetch_verified URL SHA256 FILE: download URL to FILE unless FILE is
# there with that sha256; a download with another checksum is refused.
fetch_verified() {
	local url=$1 want=$2 file=$3 got
	[ -f "$file" ] && [ "$(sha256 "$file")" = "$want" ] && return 0
	msg "download: $url"
	rm -f "$file.tmp"
	curl -fsSL --retry 3 -o "$file.tmp" "$url" ||
		{ rm -f "$file.tmp"; die "download of $url failed"; }
	got=$(sha256 "$file.tmp")
	if [ "$got" != "$want" ]; then
		rm -f "$file.tmp"
		die "checksum mismatch: sha256 of $(basename "$file") is $got, expected $want"
	fi
	mv "$file.tmp" "$file"
}

# patches_in DIR: the *.patch files of DIR, in name order, one per line
patches_in() {
	LC_ALL=C find "$1" -maxdepth 1 -name '*.patch' -type f 2>/dev/null | LC_ALL=C sort
}

# unpack_patched TAR DIR PATCH...: DIR afresh with TAR's top directory
# unpacked into it and the patches applied in order (no fuzz).
unpack_patched() {
	local tar=$1 dir=$2 p plog
	shift 2
	plog=$LOGS/$(basename "$dir")-patch.log
	rm -rf "$dir"
	mkdir -p "$dir"
	tar -xzf "$tar" -C "$dir" --strip-components=1 --no-same-owner ||
		die "could not unpack $tar"
	for p in "$@"; do
		step "$(basename "$p")"
		if ! patch -d "$dir" -p1 --batch --forward --fuzz=0 --no-backup-if-mismatch \
			-r - -i "$p" >"$plog" 2>&1; then
			cat "$plog" >&2
			die "patch does not apply: ${p#"$TOP"/}"
		fi
	done
}

# worktree_make OUTDIR: for builds of other commits than the tip, the
# worktree build/bisect of build/linux (WT) and the make command for it
# into OUTDIR (MAKE), with the reproducible build environment and ccache.
worktree_make() {
	[ -d "$BUILD/linux/.git" ] || die "$BUILD/linux missing: run scripts/apply-series.sh"
	WT=$BUILD/bisect
	[ -d "$WT" ] || git -C "$BUILD/linux" worktree add -q --detach "$WT" base
	mkdir -p "$1"
	export KBUILD_BUILD_TIMESTAMP="2026-01-01 00:00:00 UTC" KBUILD_BUILD_USER=phyr
	export KBUILD_BUILD_HOST=workbench CCACHE_DIR=$CACHE/ccache CCACHE_BASEDIR=$TOP
	export CCACHE_NOHASHDIR=1 CCACHE_COMPILERCHECK=content
	export CCACHE_SLOPPINESS=time_macros,include_file_mtime,include_file_ctime
	MAKE=(make -C "$WT" O="$1" -j"$(nproc)" CC="ccache gcc" HOSTCC="ccache gcc")
}

# build_key ROOT SCRIPT SHA256 PATCH...: a key for what a userspace build
# in the guest rootfs depends on (tarball, patches, build script, rootfs);
# extra lines to hash can come on standard input.
build_key() {
	local root=$1 script=$2 sum=$3 p
	shift 3
	{
		cat
		echo "$sum"
		for p in "$@"; do
			echo "$(basename "$p") $(sha256 "$p")"
		done
		sha256 "$script"
		basename "$root"
	} | sha256sum | cut -c1-16
}

# build_variant O VARIANT LOG: configure the worktree $WT (worktree_make O
# first) with the bench fragments plus kernel/configs/VARIANT.config (none
# for "bench"), from allnoconfig so that a symbol is on from the patch
# that brings it, and build bzImage into O; all output goes to LOG.
#   bench     base + phyr fragments
#   nodmabuf  without dma-buf (so without RDMA and devmem either): what
#             can be built without it still builds
#   noib      with dma-buf, without RDMA
#   full      with what no test boot needs, so that it is compiled too:
#             mlx5, the iommufd selftest mock, the system_cc_shared heap
build_variant() {
	local O=$1 v=$2 log=$3
	local frags=("$TOP/kernel/configs/base.config" "$TOP/kernel/configs/phyr.config")
	case $v in
	bench) ;;
	nodmabuf|noib|full) frags+=("$TOP/kernel/configs/$v.config") ;;
	*) die "unknown build variant '$v' (bench, nodmabuf, noib or full)" ;;
	esac
	{
		"${MAKE[@]}" allnoconfig &&
		(cd "$O" && "$WT/scripts/kconfig/merge_config.sh" -m -O "$O" .config "${frags[@]}") &&
		"${MAKE[@]}" olddefconfig && variant_check "$v" "$O/.config" &&
		"${MAKE[@]}" bzImage && test_modules "$WT" "${MAKE[@]}"
	} >"$log" 2>&1
}

# The selftests' test modules that are built against the kernel, out of
# tree: the dma-buf selftests' phyr test module (TEST_GEN_MODS_DIR).
TEST_MODS=tools/testing/selftests/drivers/dma-buf/phyr_test_mod

# test_modules TREE MAKE...: build TREE's test modules with MAKE (make -C
# TREE O=OBJ ...) into OBJ/phyr_test_mod, after the kernel's own modules
# (for Module.symvers). Nothing to do in trees before the module exists,
# or in configurations without dma-buf (the nodmabuf variant), whose
# symbols it needs.
test_modules() {
	local tree=$1 o
	shift
	[ -d "$tree/$TEST_MODS" ] || return 0
	for o; do case $o in O=*) o=${o#O=}; break ;; esac; done
	grep -q '^CONFIG_DMA_SHARED_BUFFER=y' "$o/.config" || return 0
	"$@" modules && "$@" M="$tree/$TEST_MODS" MO="$o/phyr_test_mod" modules
}

# variant_check VARIANT CONFIG: a variant is only worth its build if what
# it switches off is really off (DMA_SHARED_BUFFER is selected by many
# options) and the rest still on.
variant_check() {
	case $1 in
	nodmabuf)
		if grep -q '^CONFIG_DMA_SHARED_BUFFER=y' "$2" || ! grep -q '^CONFIG_IO_URING_ZCRX=y' "$2"; then
			echo "nodmabuf: DMA_SHARED_BUFFER is still on or IO_URING_ZCRX off: fix kernel/configs/nodmabuf.config"
			return 1
		fi ;;
	noib)
		if grep -q '^CONFIG_INFINIBAND=y' "$2" || ! grep -q '^CONFIG_DMA_SHARED_BUFFER=y' "$2"; then
			echo "noib: INFINIBAND is still on or DMA_SHARED_BUFFER off: fix kernel/configs/noib.config"
			return 1
		fi ;;
	full)
		local o
		for o in MLX5_INFINIBAND IOMMUFD_TEST DMABUF_HEAPS_SYSTEM_CC_SHARED; do
			grep -q "^CONFIG_$o=y" "$2" && continue
			echo "full: CONFIG_$o is off: fix kernel/configs/full.config"
			return 1
		done ;;
	esac
}

# build_checked O VARIANT LOG LABEL: build_variant, then one line for
# LABEL: "ok ... (N s)", or FAIL with the first compiler diagnostics.
# Fails on a failed build or any compiler warning.
build_checked() {
	local O=$1 v=$2 log=$3 label=$4 start rc=0 warns
	start=$(date +%s)
	build_variant "$O" "$v" "$log" || rc=$?
	warns=$(compiler_diags "$log" | wc -l)
	if [ $rc != 0 ] || [ "$warns" != 0 ]; then
		echo "FAIL $label [$v] (exit $rc, $warns warnings: $log)"
		compiler_diags "$log" | head -5
		return 1
	fi
	echo "ok   $label [$v] ($(( $(date +%s) - start )) s)"
}

# compiler_diags LOG: the compiler's warnings and errors in a build log
compiler_diags() {
	grep -E '^[^ ]+:[0-9]+:[0-9]+: (warning|error):' "$1" || true
}
