# SPDX-License-Identifier: GPL-2.0
# Entry points of the phyr workbench. See README.md.
#   make run           build the patched kernel, boot it, run the demo
#   make check         every test (KUnit + guest suites) under the debug kernel
#   make kernel        apply the series and build the debug kernel
#   make kernel-bench  the same without sanitizers (benchmarks)
#   make bench         boot the bench kernel and run the benchmarks
#   make bench-iommu   the same for the map behind the virtual IOMMU
#   make vm CMD='...'  boot the debug kernel and run one command in the guest
#   make patches       export build/linux (base..HEAD) into kernel/patches
#   make send-ready    each sent submission as its own series in build/submissions
#   make rdma-core     build rdma-core + rdma-core-patches in place for the guest
#   make rdma-core-tests  rdma-core's whole test suite on rxe and siw (on demand)
#   make liburing-tests   liburing's own test suite, patched kernel against the
#                      unpatched base (on demand, builds the base kernel)
#   make perftest      build perftest + perftest-patches for the guest
#   make clean         remove build/ (caches in ~/.cache/phyr-workbench stay)

S := scripts
SUITES ?=

.PHONY: all run check kernel kernel-bench bench bench-iommu debug-cost rootfs selftests rdma-core rdma-core-tests liburing-tests perftest vm patches lint static-checks submissions send-ready bisect clean distclean

all: check

kernel:
	@$(S)/apply-series.sh
	@$(S)/build-kernel.sh debug >/dev/null

kernel-bench:
	@$(S)/apply-series.sh
	@$(S)/build-kernel.sh bench >/dev/null

rootfs:
	@$(S)/rootfs.sh >/dev/null

selftests: kernel rootfs
	@$(S)/build-selftests.sh debug

rdma-core: rootfs
	@$(S)/build-rdma-core.sh >/dev/null

perftest: rootfs
	@$(S)/build-perftest.sh >/dev/null

run: selftests rdma-core
	@$(S)/vm.sh -- selftests/demo.sh

bench: kernel-bench rootfs
	@$(S)/build-selftests.sh bench
	@$(S)/build-rdma-core.sh >/dev/null
	@$(S)/build-perftest.sh >/dev/null
	@$(S)/vm.sh --kernel build/obj-bench/arch/x86/boot/bzImage \
		--log build/logs/bench-console.log -- selftests/bench.sh

# the converter's one-IOVA map against dma_map_sgtable() behind the virtual
# IOMMU (issue 13's benchmark, docs/benchmarks.md)
bench-iommu: kernel-bench rootfs
	@$(S)/build-selftests.sh bench
	@$(S)/vm.sh --iommu --kernel build/obj-bench/arch/x86/boot/bzImage \
		--log build/logs/bench-iommu-console.log -- \
		build/selftests/iommu_map_bench $${MIB:-1024} $${ROUNDS:-9}

check:
	@$(S)/run-tests.sh $(SUITES)

# rdma-core's whole test suite on rxe and on siw, on demand (about 15 min
# under TCG; make check runs siw's whole and rxe's MR tests, docs/workbench.md)
rdma-core-tests: selftests rdma-core
	@$(S)/vm.sh --timeout 3600 --log build/logs/rdma-core-tests-console.log -- \
		bash -c 'cd /phyr/build/selftests && ./rdma_core_tests.sh rxe; a=$$?; ./rdma_core_tests.sh siw; exit $$((a | $$?))'

# liburing's own test suite (Debian's liburing 2.15 source) on the patched
# debug kernel and on the base built with the same config, on demand (about
# an hour per kernel under TCG; docs/workbench.md). Exits non-zero on a
# failure the base does not have.
liburing-tests: kernel rootfs
	@$(S)/liburing-tests.sh

# what each debug option costs the guest (docs/workbench.md)
debug-cost: selftests rdma-core kernel-bench
	@$(S)/debug-cost.sh

vm: kernel rootfs
	@test -n "$(CMD)" || { echo "usage: make vm CMD='command'"; exit 2; }
	@$(S)/vm.sh -- bash -c "$$CMD"

patches:
	@$(S)/export-series.sh

# checkpatch --strict on every patch, kernel-doc on every file the series
# changes (new warnings only); about a minute, on demand
lint:
	@$(S)/apply-series.sh
	@$(S)/lint.sh

# W=1 and sparse (built by scripts/build-sparse.sh) on the C files the
# series adds or changes, new warnings against the base only
# (scripts/static-checks.sh; two partial builds, on demand)
static-checks: kernel
	@$(S)/static-checks.sh

# each submission (kernel/submissions/*.cover) applies on the base plus
# the submissions it depends on and builds there without a warning;
# one bench build per submission, on demand (SUBMISSIONS="core rdma"
# for some; PHYR_SUBMISSION_VARIANTS="bench noib nodmabuf" for more)
submissions:
	@$(S)/apply-series.sh
	@$(S)/check-submissions.sh $(SUBMISSIONS)

# each sent submission as a series of its own for git send-email, in
# build/submissions/NN-NAME/ (numbered 1..N, its tree's subject prefix,
# To/Cc from get_maintainer.pl), after checking that it applies
send-ready:
	@$(S)/apply-series.sh
	@PHYR_SUBMISSION_BUILD=0 PHYR_SUBMISSION_FORMAT=$(CURDIR)/build/submissions \
		$(S)/check-submissions.sh $(SUBMISSIONS)

# every patch builds on its own (scripts/bisect-build.sh; FROM=<commit>
# to start later, PHYR_BISECT_VARIANTS to choose variants); hours, on
# demand
bisect:
	@$(S)/apply-series.sh
	@$(S)/bisect-build.sh $(FROM)

clean:
	rm -rf build

distclean: clean
	rm -rf $${PHYR_CACHE:-$${XDG_CACHE_HOME:-$$HOME/.cache}/phyr-workbench}
