// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark (issue 13): a classic importer's map of a 4 KiB-fragmented
 * udmabuf for a PCI device behind the IOMMU (the iommu boot's virtual
 * Intel IOMMU, translated and strict): the core's converter, which links
 * the buffer's ranges into one IOVA range (dma_iova_link()), against what
 * udmabuf did before it became a phyr exporter, an sg_table of the pages
 * mapped with dma_map_sgtable(). Both in the same boot, through the test
 * module's "sgt-bench" command, medians of the rounds.
 *
 * usage: iommu_map_bench [MIB [ROUNDS]]   (default 1024 MiB, 9 rounds)
 * Run it in a boot with --iommu, the bench kernel for numbers:
 *   scripts/vm.sh --iommu --kernel build/obj-bench/arch/x86/boot/bzImage \
 *	-- build/selftests/iommu_map_bench 1024 9   ('make bench-iommu')
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/udmabuf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "phyr_test.h"

/* A udmabuf whose pages were allocated out of order: 4 KiB fragments. */
static int fragmented_udmabuf(size_t size)
{
	struct udmabuf_create c = { .flags = UDMABUF_FLAGS_CLOEXEC, .size = size };
	long page = sysconf(_SC_PAGESIZE);
	size_t npages = size / page, i, at = 0;
	int memfd, dev, fd;
	char *map;

	memfd = memfd_create("iommu-map-bench", MFD_ALLOW_SEALING);
	dev = open("/dev/udmabuf", O_RDWR);
	if (memfd < 0 || dev < 0 || ftruncate(memfd, size) ||
	    fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK))
		return -1;
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (map == MAP_FAILED)
		return -1;
	for (i = 0; i < npages; i++, at = (at + 7919) % npages)
		map[at * page] = 1;
	munmap(map, size);
	c.memfd = memfd;
	fd = ioctl(dev, UDMABUF_CREATE, &c);
	close(dev);
	close(memfd);
	return fd;
}

int main(int argc, char **argv)
{
	unsigned long long cmap, cunmap, ciova, pmap, punmap, piova, npages;
	unsigned int cnents, pnents, rounds = argc > 2 ? atoi(argv[2]) : 9;
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 0) : 1024;
	char dev[256], cmd[320], reply[512];
	int fd, ret;

	if (!mib || !rounds || rounds > 64) {
		fprintf(stderr, "usage: %s [MIB [ROUNDS (1-64)]]\n", argv[0]);
		return 2;
	}
	if (!iommu_device(dev, sizeof(dev))) {
		fprintf(stderr, "no PCI device with a driver in a DMA-translated IOMMU group: boot with --iommu\n");
		return 1;
	}
	fd = fragmented_udmabuf(mib << 20);
	if (fd < 0) {
		fprintf(stderr, "udmabuf of %zu MiB: %s\n", mib, strerror(errno));
		return 1;
	}
	snprintf(cmd, sizeof(cmd), "sgt-bench %d %s %u", fd, dev, rounds);
	ret = phyr_test_cmd(cmd, reply, sizeof(reply));
	if (ret || sscanf(reply, "core map %llu unmap %llu nents %u iova %llu pages map %llu unmap %llu nents %u iova %llu npages %llu",
			  &cmap, &cunmap, &cnents, &ciova, &pmap, &punmap,
			  &pnents, &piova, &npages) != 9) {
		fprintf(stderr, "%s: %s %s\n", cmd, ret ? strerror(-ret) : "reply",
			ret ? "" : reply);
		return 1;
	}
	printf("map of a %zu MiB udmabuf of %llu 4 KiB fragments for %s (IOMMU, strict), medians of %u rounds:\n",
	       mib, npages, dev, rounds);
	printf("  %-34s %10s %10s %6s %10s\n", "", "map ms", "unmap ms", "nents", "IOVA MiB");
	printf("  %-34s %10.2f %10.2f %6u %10.2f\n", "core converter (one IOVA range)",
	       cmap / 1e6, cunmap / 1e6, cnents, ciova / 1048576.0);
	printf("  %-34s %10.2f %10.2f %6u %10.2f\n", "sg_table of pages, dma_map_sgtable",
	       pmap / 1e6, punmap / 1e6, pnents, piova / 1048576.0);
	printf("  ratio converter / dma_map_sgtable: map %.2fx, unmap %.2fx, map+unmap %.2fx\n",
	       (double)cmap / pmap, (double)cunmap / punmap,
	       (double)(cmap + cunmap) / (pmap + punmap));
	/* every page is its own IOMMU PTE: the pages are not contiguous */
	printf("  IOMMU PTEs (4 KiB, one IOTLB entry each when used): %llu for both\n",
	       npages);
	close(fd);
	return 0;
}
