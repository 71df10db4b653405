// SPDX-License-Identifier: GPL-2.0
/*
 * What a phyr importer sees of a dma-buf, through the test importer
 * (/sys/kernel/debug/dma_buf_phyr_test): for udmabuf the ranges must be
 * exactly the physical pages of its memfd window (coalesced, as read from
 * /proc/self/pagemap), and for both udmabuf and the system heap the data
 * read through the ranges' pages in the kernel (the importer's CRC-32)
 * must be the data userspace sees in its mapping. Import errors must carry
 * the right errno.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/dma-heap.h>
#include <linux/udmabuf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest.h"
#include "helpers.h"

#define DUMP	"/sys/kernel/debug/dma_buf_phyr_test"
#define HPAGE	(2UL << 20)
#define MAX_RANGES 8192

struct range {
	uint64_t paddr;
	uint64_t len;
};

struct ranges {
	unsigned int n;
	uint64_t length;
	int all_ram;
	int has_crc;
	uint32_t crc;
	struct range r[MAX_RANGES];
};

static long page_size;

/* zlib CRC-32, the kernel's ~crc32_le(~0, ...) */
static uint32_t crc32(const unsigned char *p, size_t len)
{
	static uint32_t table[256];
	uint32_t crc = ~0U;
	size_t i;

	if (!table[1]) {
		for (i = 0; i < 256; i++) {
			uint32_t c = i;
			int k;

			for (k = 0; k < 8; k++)
				c = c & 1 ? 0xedb88320 ^ (c >> 1) : c >> 1;
			table[i] = c;
		}
	}
	for (i = 0; i < len; i++)
		crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
	return ~crc;
}

static void add_range(struct ranges *rs, uint64_t paddr, uint64_t len)
{
	struct range *last = rs->n ? &rs->r[rs->n - 1] : NULL;

	rs->length += len;
	if (last && last->paddr + last->len == paddr) {
		last->len += len;
		return;
	}
	if (rs->n < MAX_RANGES)
		rs->r[rs->n] = (struct range){ paddr, len };
	rs->n++;
}

/* The test importer's view of dma-buf @fd; -errno when it refuses. */
static int phyr_dump(int fd, struct ranges *rs)
{
	char line[128], num[16], type[16], crc[16];
	uint64_t paddr, len;
	unsigned int nr;
	FILE *f;
	int dfd;

	memset(rs, 0, sizeof(*rs));
	dfd = open(DUMP, O_RDWR);
	if (dfd < 0)
		return -errno;
	snprintf(num, sizeof(num), "%d", fd);
	if (write(dfd, num, strlen(num)) < 0) {
		int err = -errno;

		close(dfd);
		return err;
	}
	f = fdopen(dfd, "r");
	if (!f || !fgets(line, sizeof(line), f) ||
	    sscanf(line, "length %" SCNu64 " ranges %u flags %*x crc32 %15s",
		   &len, &nr, crc) != 3) {
		if (f)
			fclose(f);
		return -EIO;
	}
	rs->has_crc = strcmp(crc, "-") != 0;
	rs->crc = strtoul(crc, NULL, 16);
	rs->all_ram = 1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%" SCNx64 " %" SCNu64 " %15s", &paddr, &len, type) != 3)
			break;
		rs->all_ram &= !strcmp(type, "ram");
		/* phyr coalesces already: append without merging */
		if (rs->n < MAX_RANGES)
			rs->r[rs->n] = (struct range){ paddr, len };
		rs->n++;
		rs->length += len;
	}
	fclose(f);
	return rs->n == nr ? 0 : -EIO;
}

/* Physical ranges behind [addr, addr + len) of this process, coalesced. */
static int pagemap_ranges(void *addr, size_t len, struct ranges *rs)
{
	uintptr_t va = (uintptr_t)addr;
	uint64_t e;
	size_t i;
	int fd;

	memset(rs, 0, sizeof(*rs));
	rs->all_ram = 1;
	fd = open("/proc/self/pagemap", O_RDONLY);
	if (fd < 0)
		return -errno;
	for (i = 0; i < len; i += page_size) {
		if (pread(fd, &e, sizeof(e), ((va + i) / page_size) * sizeof(e)) != sizeof(e) ||
		    !(e & (1ULL << 63)) || !(e & ((1ULL << 55) - 1))) {
			close(fd);
			return -ENODATA;
		}
		add_range(rs, (e & ((1ULL << 55) - 1)) * page_size, page_size);
	}
	close(fd);
	return 0;
}

static int same_ranges(const char *what, struct ranges *got, struct ranges *want)
{
	unsigned int i;

	if (got->n != want->n || got->length != want->length || !got->all_ram) {
		ksft_print_msg("%s: %u ranges/%" PRIu64 " bytes (ram %d), expected %u/%" PRIu64 "\n",
			       what, got->n, got->length, got->all_ram, want->n,
			       want->length);
		return 0;
	}
	for (i = 0; i < got->n && i < MAX_RANGES; i++) {
		if (got->r[i].paddr != want->r[i].paddr || got->r[i].len != want->r[i].len) {
			ksft_print_msg("%s: range %u is %#" PRIx64 "+%" PRIu64
				       ", expected %#" PRIx64 "+%" PRIu64 "\n", what, i,
				       got->r[i].paddr, got->r[i].len,
				       want->r[i].paddr, want->r[i].len);
			return 0;
		}
	}
	return 1;
}

static struct ranges got, want;


/* The kernel read the same bytes through the ranges as we see at @mem. */
static int same_data(const char *what, struct ranges *rs, void *mem, size_t len)
{
	uint32_t crc = crc32(mem, len);

	if (!rs->has_crc || rs->crc != crc) {
		ksft_print_msg("%s: crc32 through the ranges %s%08x, of the mapping %08x\n",
			       what, rs->has_crc ? "" : "(none) ", rs->crc, crc);
		return 0;
	}
	return 1;
}

/* A udmabuf of [offset, offset + size) of a memfd: ranges == its pages. */
static void check_udmabuf(const char *name, unsigned int mfd_flags,
			  size_t memfd_size, size_t offset, size_t size)
{
	struct udmabuf_create c = { .flags = UDMABUF_FLAGS_CLOEXEC };
	int memfd, dev, buf, ret;
	char *mem;

	memfd = memfd_create("phyr", MFD_ALLOW_SEALING | mfd_flags);
	dev = open("/dev/udmabuf", O_RDWR);
	if (memfd < 0 || dev < 0 || ftruncate(memfd, memfd_size) ||
	    fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK)) {
		ksft_test_result_fail("%s: setup: %s\n", name, strerror(errno));
		goto out;
	}
	mem = mmap(NULL, memfd_size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (mem == MAP_FAILED) {
		ksft_test_result_fail("%s: mmap: %s\n", name, strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < memfd_size; i++)
		mem[i] = (char)(i * 7 + (i >> 12));
	c.memfd = memfd;
	c.offset = offset;
	c.size = size;
	buf = ioctl(dev, UDMABUF_CREATE, &c);
	if (buf < 0) {
		ksft_test_result_fail("%s: UDMABUF_CREATE: %s\n", name, strerror(errno));
	} else {
		ret = phyr_dump(buf, &got);
		if (!ret)
			ret = pagemap_ranges(mem + offset, size, &want);
		if (ret)
			ksft_test_result_fail("%s: %s\n", name, strerror(-ret));
		else
			ksft_test_result(same_ranges(name, &got, &want) &&
					 same_data(name, &got, mem + offset, size),
					 "%s: %u ranges == memfd pages\n", name, got.n);
		close(buf);
	}
	munmap(mem, memfd_size);
out:
	if (memfd >= 0)
		close(memfd);
	if (dev >= 0)
		close(dev);
}

static void check_heap(size_t size)
{
	struct dma_heap_allocation_data d = {
		.len = size,
		.fd_flags = O_RDWR | O_CLOEXEC,
	};
	int heap, ret;
	char *mem;

	heap = open("/dev/dma_heap/system", O_RDONLY);
	if (heap < 0 || ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &d)) {
		ksft_test_result_fail("system heap: alloc: %s\n", strerror(errno));
		goto out;
	}
	mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, d.fd, 0);
	if (mem == MAP_FAILED) {
		ksft_test_result_fail("system heap: mmap: %s\n", strerror(errno));
		close(d.fd);
		goto out;
	}
	/* the heap's mmap is VM_PFNMAP, invisible to pagemap: compare data */
	for (size_t i = 0; i < size; i++)
		mem[i] = (char)(i * 13 + (i >> 12));
	ret = phyr_dump(d.fd, &got);
	if (ret)
		ksft_test_result_fail("system heap: %s\n", strerror(-ret));
	else
		ksft_test_result(got.length == size && got.all_ram && got.n &&
				 same_data("system heap", &got, mem, size),
				 "system heap: %zu KiB as %u RAM ranges, data as mapped\n",
				 size >> 10, got.n);
	munmap(mem, size);
	close(d.fd);
out:
	if (heap >= 0)
		close(heap);
}

static void expect_errno(const char *name, int fd, int err)
{
	int ret = phyr_dump(fd, &got);

	ksft_test_result(ret == -err, "%s: %s (expected %s)\n", name,
			 strerror(-ret), strerror(err));
}

int main(void)
{
	int fd;

	page_size = sysconf(_SC_PAGESIZE);
	ksft_print_header();
	if (access(DUMP, W_OK))
		ksft_exit_skip("%s: %s (CONFIG_DMABUF_PHYR_TEST)\n", DUMP, strerror(errno));
	ksft_set_plan(8);

	check_udmabuf("udmabuf 4K pages", 0, 64 * page_size, 0, 64 * page_size);
	check_udmabuf("udmabuf 4K window", 0, 64 * page_size, 5 * page_size,
		      17 * page_size);
	check_udmabuf("udmabuf 32 MiB of 4K pages", 0, 32 << 20, 0, 32 << 20);
	if (free_hugepages() < 4)
		ksft_test_result_skip("udmabuf 2M hugetlb: fewer than 4 free hugepages\n");
	else
		check_udmabuf("udmabuf 2M hugetlb", MFD_HUGETLB, 4 * HPAGE, 0,
			      4 * HPAGE);
	check_heap(8 << 20);

	fd = open("/proc/self/status", O_RDONLY);
	expect_errno("not a dma-buf", fd, EINVAL);
	close(fd);
	expect_errno("closed fd", 1000, EBADF);
	expect_errno("negative fd", -1, EBADF);
	ksft_finished();
}
