#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Boot the kernel under QEMU with the cached rootfs (9p, read-only) and the
# project shared at /phyr, run one command in the guest and return its exit
# status. The serial console goes to a log file; any kernel splat in it
# (WARNING, BUG, KASAN, lockdep, kmemleak, DMA-API debug, ...) fails the run.
#
# usage: vm.sh [--kernel BZIMAGE] [--timeout SECS] [--log FILE] [--quiet]
#              [--append ARGS] [--kmemleak] [--iommu] [--cpu MODEL] -- COMMAND...
#        vm.sh [--kernel BZIMAGE] --print-accel
# --iommu adds a virtual Intel IOMMU in front of the PCI devices, in DMA
# (translated, strict) mode, forces swiotlb on devices without one, and
# adds the PCIe topology of the P2P tests (a switch, ATS, an ivshmem BAR).
# --cpu MODEL is the TCG CPU model (default max,la57=off; with --iommu
# EPYC, whose host bridge the kernel lets P2P through).
# --print-accel prints the accelerator the
# boots use (kvm or tcg, probed once per cache) and exits.
. "$(dirname "$0")/lib.sh"

kernel=$BUILD/obj-debug/arch/x86/boot/bzImage
timeout=${VM_TIMEOUT:-900}
log=$LOGS/vm.log
quiet=0
append=""
iommu=0
cpu=""
kmemleak=0
print_accel=0
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kernel=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--log) log=$2; shift 2 ;;
	--quiet) quiet=1; shift ;;
	--append) append="$append $2"; shift 2 ;;
	--kmemleak) kmemleak=1; shift ;;
	--iommu) iommu=1; shift ;;
	--cpu) cpu=$2; shift 2 ;;
	--print-accel) print_accel=1; shift ;;
	--) shift; break ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || [ $print_accel = 1 ] || die "usage: vm.sh [options] -- COMMAND..."
need_tool qemu-system-x86_64 qemu-system-x86
need_tool timeout coreutils
[ -f "$kernel" ] || die "no kernel at $kernel: run 'make kernel'"

root=$("$TOP/scripts/rootfs.sh")

# The command runs from a script in the shared tree.
mkdir -p "$BUILD/vm"
cmdfile=$(mktemp "$BUILD/vm/cmd.XXXXXX")
qpid=
trap 'rm -f "$cmdfile"; [ -z "$qpid" ] || kill "$qpid" 2>/dev/null || true' EXIT
trap 'exit 130' INT TERM
{
	echo "cd /phyr"
	printf '%q ' "$@"
	echo
} >"$cmdfile"

# Acceleration: TCG unless a quick probe boot under KVM succeeded on this
# machine (here /dev/kvm is a software KVM that stalls real kernels).
accel_probe() {
	local f=$CACHE/accel-ok
	if [ -f "$f" ]; then cat "$f"; return; fi
	local a=tcg
	if [ -w /dev/kvm ] && [ "${VM_ACCEL:-auto}" = auto ]; then
		step "probing KVM with a short boot (result cached in $f)"
		if VM_ACCEL=kvm "$0" --kernel "$kernel" --timeout 60 --quiet \
			--log "$LOGS/kvm-probe.log" -- true >/dev/null 2>&1; then
			a=kvm
		fi
	fi
	echo "$a" >"$f"
	echo "$a"
}
accel=${VM_ACCEL:-auto}
[ "$accel" = auto ] && accel=$(accel_probe)
if [ $print_accel = 1 ]; then
	echo "$accel"
	exit 0
fi
case $accel in
kvm) accel_opt=(-accel kvm -cpu host) ;;
# la57=off: with 5-level paging, an interrupt taken while identify_cpu()
# rebuilds the boot CPU's feature bits makes KASAN report a wild access in
# the direct map (an upstream early-boot race, docs/workbench.md).
*) accel_opt=(-accel tcg,thread=multi -cpu "${cpu:-max,la57=off}") ;;
esac

iommu_opt=()
if [ $iommu = 1 ]; then
	# before the other PCI devices; virtio without iommu_platform
	# still reaches memory directly, the other devices translate.
	# Devices without an IOMMU (the test module's own) bounce every
	# mapping through swiotlb, 128 MiB of it.
	# The PCIe topology of the P2P tests (docs/p2p-topology.md): the
	# IOMMU offers device IOTLBs (ATS); a switch holds the P2P provider
	# (an ivshmem BAR, exported through vfio-pci) and an ATS-capable
	# virtio device; another ATS-capable one sits on a root port of its
	# own, so that it reaches the provider through the host bridge. A
	# DMA engine (QEMU's edu device, on the root bus) moves data into
	# the provider's BAR through an IOMMU mapping.
	iommu_opt=(-device intel-iommu,intremap=off,device-iotlb=on
		-device pcie-root-port,id=p2p_rp1,bus=pcie.0,addr=0x10,chassis=1,slot=1
		-device x3130-upstream,id=p2p_up,bus=p2p_rp1
		-device xio3130-downstream,id=p2p_dp1,bus=p2p_up,chassis=2,slot=1
		-device xio3130-downstream,id=p2p_dp2,bus=p2p_up,chassis=2,slot=2
		-object memory-backend-ram,id=p2p_shm,size=16M
		-device ivshmem-plain,bus=p2p_dp1,memdev=p2p_shm
		-device virtio-rng-pci,bus=p2p_dp2,disable-legacy=on,ats=on,iommu_platform=on
		-device pcie-root-port,id=p2p_rp2,bus=pcie.0,addr=0x11,chassis=3,slot=1
		-device virtio-rng-pci,bus=p2p_rp2,disable-legacy=on,ats=on,iommu_platform=on
		-device edu,bus=pcie.0,addr=0x12)
	append+=" intel_iommu=on iommu.passthrough=0 iommu.strict=1"
	append+=" swiotlb=65536,force"
	# no interrupt remapping (intremap=off): let iommufd bind devices
	append+=" iommufd.allow_unsafe_interrupts=1"
	# An AMD CPU of family 0x17: the kernel lets P2P through its host
	# bridge (q35's 8086:29c0 is not on the allowlist). No LA57 on it.
	[ "$accel" = kvm ] || accel_opt=(-accel tcg,thread=multi -cpu "${cpu:-EPYC}")
fi

mem=${VM_MEM:-6G}
cmdline="console=ttyS0 root=/dev/root rootfstype=9p ro"
cmdline+=" rootflags=trans=virtio,version=9p2000.L,msize=512000,cache=loose"
cmdline+=" init=/sbin/phyr-init panic=-1 oops=panic hugepages=${VM_HUGEPAGES:-256}"
cmdline+=" phyr.cmd=${cmdfile#"$TOP"/} phyr.kmemleak=$kmemleak"
# the dma-buf selftests' test module built against this kernel
# (scripts/build-kernel.sh), loaded by guest-init.sh
testmod=$(dirname "$kernel")/../../../phyr_test_mod/dma_buf_phyr_test.ko
testmod=$(realpath -m "$testmod")
if [ -f "$testmod" ] && [ "${testmod#"$TOP"/}" != "$testmod" ]; then
	cmdline+=" phyr.testmod=${testmod#"$TOP"/}"
fi
cmdline+=" $append"

mkdir -p "$(dirname "$log")"
: >"$log"
[ $quiet = 1 ] || msg "boot: $(basename "$kernel") ($accel, 2 vCPUs, $mem), console log $log"
start=$(date +%s)
set +e
timeout -k 10 "$timeout" qemu-system-x86_64 \
	-nodefaults -no-user-config -nographic -no-reboot \
	-machine q35 "${accel_opt[@]}" -smp 2 -m "$mem" \
	-kernel "$kernel" -append "$cmdline" \
	-chardev file,id=con,path="$log" -serial chardev:con \
	"${iommu_opt[@]}" \
	-device virtio-rng-pci \
	-fsdev local,id=root,path="$root",security_model=none,readonly=on \
	-device virtio-9p-pci,fsdev=root,mount_tag=/dev/root \
	-fsdev local,id=phyr,path="$TOP",security_model=none \
	-device virtio-9p-pci,fsdev=phyr,mount_tag=phyr \
	${VM_QEMU_ARGS:-} </dev/null >"$log.qemu" 2>&1 &
qpid=$!
if [ $quiet = 0 ]; then
	tail -n +1 -F --pid=$qpid "$log" 2>/dev/null &
	tpid=$!
fi
wait $qpid
qrc=$?
[ $quiet = 1 ] || { sleep 0.3; kill $tpid 2>/dev/null; wait $tpid 2>/dev/null; }
set -e
secs=$(( $(date +%s) - start ))

fail_tail() {
	echo "---- last 40 lines of $log ----" >&2
	tail -n 40 "$log" >&2
	if [ -s "$log.qemu" ]; then
		echo "---- qemu ----" >&2
		cat "$log.qemu" >&2
	fi
}

if [ $qrc = 124 ] || [ $qrc = 137 ]; then
	fail_tail
	die "guest timed out after ${timeout}s (killed)"
fi
status=$(sed -n 's/^.*PHYR-EXIT: \([0-9]*\).*$/\1/p' "$log" | tail -n 1)
if [ -z "$status" ]; then
	fail_tail
	die "guest never finished the command (qemu exit $qrc after ${secs}s)"
fi
if [ "${VM_SPLAT_CHECK:-1}" = 1 ] && ! "$TOP/scripts/check-splats.sh" "$log"; then
	die "kernel splat in the guest log ($log)"
fi
[ $quiet = 1 ] || step "guest finished in ${secs}s, command exit status $status"
exit "$status"
