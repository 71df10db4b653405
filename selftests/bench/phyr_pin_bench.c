// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark (not a test): pin a buffer with phyr_pin_user() and with
 * pin_user_pages_fast() + scatterlist (the ib_umem path) through
 * /sys/kernel/debug/phyr_bench, for 4 KiB pages touched in a scattered
 * order and for 2 MiB THP, and print the ratios phyr / scatterlist.
 *
 * usage: phyr_pin_bench [MiB] [iterations]
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define BENCH	"/sys/kernel/debug/phyr_bench"
#define HPAGE	(2UL << 20)

struct result {
	unsigned int ranges;
	unsigned long meta, ns_min, ns_mean;
};

static int run(char *buf, size_t len, unsigned int iters, struct result *sgt,
	       struct result *phyr, struct result *pin)
{
	char cmd[96], out[512];
	ssize_t n;
	int fd;

	fd = open(BENCH, O_RDWR);
	if (fd < 0)
		return -errno;
	snprintf(cmd, sizeof(cmd), "%lx %zu %u", (unsigned long)buf, len, iters);
	if (write(fd, cmd, strlen(cmd)) < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	n = pread(fd, out, sizeof(out) - 1, 0);
	close(fd);
	if (n <= 0)
		return -EIO;
	out[n] = '\0';
	if (sscanf(out, "sgt ranges %u meta_bytes %lu ns_min %lu ns_mean %lu "
		   "phyr ranges %u meta_bytes %lu ns_min %lu ns_mean %lu "
		   "pin ranges %u meta_bytes %lu ns_min %lu ns_mean %lu",
		   &sgt->ranges, &sgt->meta, &sgt->ns_min, &sgt->ns_mean,
		   &phyr->ranges, &phyr->meta, &phyr->ns_min, &phyr->ns_mean,
		   &pin->ranges, &pin->meta, &pin->ns_min, &pin->ns_mean) != 12)
		return -EIO;
	return 0;
}

static int bench(const char *name, size_t len, unsigned int iters, int thp)
{
	struct result sgt, phyr, pin;
	size_t npages = len / 4096, i, step = 7919, at = 0;
	char *map, *buf;
	int ret;

	map = mmap(NULL, len + HPAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED)
		return -errno;
	buf = (char *)(((unsigned long)map + HPAGE - 1) & ~(HPAGE - 1));
	madvise(buf, len, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	if (thp) {
		memset(buf, 1, len);
	} else {
		/* fault pages in a scattered order: physically fragmented */
		for (i = 0; i < npages; i++, at = (at + step) % npages)
			buf[at * 4096] = 1;
	}

	ret = run(buf, len, iters, &sgt, &phyr, &pin);
	if (!ret) {
		printf("%-10s %-5s ranges %7u meta %9lu B  min %10lu ns  mean %10lu ns\n",
		       name, "sgt", sgt.ranges, sgt.meta, sgt.ns_min, sgt.ns_mean);
		printf("%-10s %-5s ranges %7u meta %9lu B  min %10lu ns  mean %10lu ns\n",
		       name, "phyr", phyr.ranges, phyr.meta, phyr.ns_min, phyr.ns_mean);
		printf("%-10s ratio phyr/sgt: memory %.3f (goal <= 0.5), time min %.3f mean %.3f (goal <= 0.8)\n",
		       name, (double)phyr.meta / sgt.meta,
		       (double)phyr.ns_min / sgt.ns_min,
		       (double)phyr.ns_mean / sgt.ns_mean);
		/*
		 * The floor: pin_user_pages_fast() alone, which both paths
		 * pay. No builder gets below pin/sgt; what a builder adds
		 * is its time above the floor.
		 */
		printf("%-10s %-5s ranges       - meta         - B  min %10lu ns  mean %10lu ns\n",
		       name, "pin", pin.ns_min, pin.ns_mean);
		printf("%-10s floor pin/sgt: time min %.3f mean %.3f; build time above the floor phyr/sgt: min %.3f mean %.3f\n",
		       name, (double)pin.ns_min / sgt.ns_min,
		       (double)pin.ns_mean / sgt.ns_mean,
		       (double)((long)phyr.ns_min - (long)pin.ns_min) /
		       ((long)sgt.ns_min - (long)pin.ns_min),
		       (double)((long)phyr.ns_mean - (long)pin.ns_mean) /
		       ((long)sgt.ns_mean - (long)pin.ns_mean));
	}
	munmap(map, len + HPAGE);
	return ret;
}

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 0) : 1024;
	unsigned int iters = argc > 2 ? strtoul(argv[2], NULL, 0) : 5;
	int ret;

	printf("phyr_pin_bench: %zu MiB, %u iterations each\n", mib, iters);
	ret = bench("4K-pages", mib << 20, iters, 0);
	if (!ret)
		ret = bench("2M-THP", mib << 20, iters, 1);
	if (ret) {
		fprintf(stderr, "phyr_pin_bench: %s\n", strerror(-ret));
		return 1;
	}
	return 0;
}
