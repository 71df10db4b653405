#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Configure and build the kernel in build/obj-<flavour>:
#   debug  base + phyr + debug + ksft fragments (what 'make check' boots)
#   bench  base + phyr fragments (benchmarks: no sanitizers)
# Skipped when the tree, the fragments and the flavour did not change.
. "$(dirname "$0")/lib.sh"

flavour=${1:-debug}
case $flavour in
debug) frags=(base phyr debug ksft) ;;
bench) frags=(base phyr) ;;
*) die "unknown flavour '$flavour' (debug or bench)" ;;
esac

need_tool gcc gcc
need_tool make make
need_tool flex flex
need_tool bison bison
need_tool bc bc
need_tool ccache ccache
need_tool perl perl
[ -f /usr/include/libelf.h ] || die "libelf.h not found: install the Debian package 'libelf-dev'"
[ -f /usr/include/openssl/ssl.h ] || die "openssl headers not found: install the Debian package 'libssl-dev'"

KT=$BUILD/linux
O=$BUILD/obj-$flavour
[ -d "$KT/.git" ] || die "$KT missing: run scripts/apply-series.sh"
mkdir -p "$O"

export KBUILD_BUILD_TIMESTAMP="2026-01-01 00:00:00 UTC"
export KBUILD_BUILD_USER=phyr
export KBUILD_BUILD_HOST=workbench
export CCACHE_DIR=$CACHE/ccache
export CCACHE_BASEDIR=$TOP
export CCACHE_NOHASHDIR=1
export CCACHE_COMPILERCHECK=content
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-8G}
export CCACHE_SLOPPINESS=time_macros,include_file_mtime,include_file_ctime
MAKE=(make -C "$KT" O="$O" -j"$(nproc)" CC="ccache gcc" HOSTCC="ccache gcc")

# Inputs: the fragments, the committed tree and any uncommitted edits in it.
frag_files=()
for f in "${frags[@]}"; do frag_files+=("$TOP/kernel/configs/$f.config"); done
key=$( { cat "${frag_files[@]}"; git -C "$KT" rev-parse HEAD;
	 git -C "$KT" status --porcelain --untracked-files=normal;
	 git -C "$KT" diff HEAD;
	 git -C "$KT" ls-files -z -o --exclude-standard |
		(cd "$KT" && xargs -0r sha256sum); } | sha256sum | cut -c1-16)
if stamp_ok "kernel-$flavour" "$key" && [ -f "$O/arch/x86/boot/bzImage" ] &&
   { [ ! -d "$KT/$TEST_MODS" ] || [ -f "$O/phyr_test_mod/dma_buf_phyr_test.ko" ]; }; then
	step "kernel ($flavour): unchanged, not rebuilt"
	echo "$O/arch/x86/boot/bzImage"
	exit 0
fi

cfg_key=$( { cat "${frag_files[@]}"; git -C "$KT" rev-parse HEAD; } | sha256sum | cut -c1-16)
if ! stamp_ok "config-$flavour" "$cfg_key" || [ ! -f "$O/.config" ]; then
	msg "config ($flavour): allnoconfig + ${frags[*]}"
	"${MAKE[@]}" allnoconfig >"$LOGS/config-$flavour.log" 2>&1 ||
		{ tail -20 "$LOGS/config-$flavour.log" >&2; die "allnoconfig failed"; }
	(cd "$O" && "$KT/scripts/kconfig/merge_config.sh" -m -O "$O" .config "${frag_files[@]}") \
		>>"$LOGS/config-$flavour.log" 2>&1 || die "merge_config failed (see $LOGS/config-$flavour.log)"
	"${MAKE[@]}" olddefconfig >>"$LOGS/config-$flavour.log" 2>&1 ||
		{ tail -20 "$LOGS/config-$flavour.log" >&2; die "olddefconfig failed"; }
	# Every symbol a fragment asks for must be in the final config.
	bad=0
	for f in "${frag_files[@]}"; do
		while IFS= read -r line; do
			case $line in
			CONFIG_*=n) sym=${line%%=*}
				grep -q "^$sym=" "$O/.config" &&
					{ echo "  $line requested, got $(grep "^$sym=" "$O/.config")" >&2; bad=1; } ;;
			CONFIG_*=*) grep -qxF "$line" "$O/.config" ||
					{ echo "  $line requested ($(basename "$f")), got: $(grep "^${line%%=*}=" "$O/.config" || echo 'not set')" >&2; bad=1; } ;;
			esac
		done <"$f"
	done
	[ $bad = 0 ] || die "config fragments did not apply (unmet dependencies above)"
	stamp_set "config-$flavour" "$cfg_key"
fi

total_file=$CACHE/objcount-$flavour
total=$(cat "$total_file" 2>/dev/null || echo 0)
msg "build ($flavour): bzImage with $(nproc) jobs, ccache in $CCACHE_DIR (log: $LOGS/build-$flavour.log)"
start=$(date +%s)
set +e
"${MAKE[@]}" bzImage 2>&1 | tee "$LOGS/build-$flavour.log" | awk -v total="$total" '
	/^  (CC|AS|LD|AR|HOSTCC|GEN|CHK|UPD|OBJCOPY|VDSO|RELOCS|BUILD)/ { n++ }
	/ error: |Error [0-9]/ { print; fflush() }
	n && n % 250 == 0 && n != last {
		last = n
		if (total > 0) printf "  -> %d objects (%d%%)\n", n, (n * 100 / total > 99 ? 99 : n * 100 / total)
		else printf "  -> %d objects\n", n
		fflush()
	}
	' >&2
rc=${PIPESTATUS[0]}
# the selftests' test module, against this kernel (lib.sh)
[ "$rc" != 0 ] || test_modules "$KT" "${MAKE[@]}" >>"$LOGS/build-$flavour.log" 2>&1 || rc=$?
set -e
if [ "$rc" != 0 ]; then
	grep -E 'error|Error' "$LOGS/build-$flavour.log" | head -20 >&2
	die "kernel build failed (see $LOGS/build-$flavour.log)"
fi
n=$(grep -cE '^  (CC|AS|LD|AR|HOSTCC|GEN|CHK|UPD|OBJCOPY|VDSO|RELOCS|BUILD)' "$LOGS/build-$flavour.log" || true)
# Remember the size of a full build for percentages next time.
[ "$n" -gt "$total" ] && echo "$n" >"$total_file"
step "built in $(( $(date +%s) - start ))s ($n steps); ccache: $(ccache -s 2>/dev/null | grep -iE 'hits' | head -1 | tr -s ' ')"
stamp_set "kernel-$flavour" "$key"
echo "$O/arch/x86/boot/bzImage"
