// SPDX-License-Identifier: GPL-2.0
/*
 * What a phyr importer sees of a dma-buf, through the test importer
 * (/sys/kernel/debug/dma_buf_phyr_test): for udmabuf the ranges must be
 * exactly the physical pages of its memfd window (coalesced, as read from
 * /proc/self/pagemap), and for both udmabuf and the system heap the data
 * read through the ranges' pages in the kernel (the importer's CRC-32)
 * must be the data userspace sees in its mapping. phyr_pin_user() of
 * anonymous memory must pin exactly the pages pagemap shows. The converter
 * for classic importers (dma_buf_phyr_map_sgt()) must cover the buffer:
 * without an IOMMU its segments are the ranges split at the device's
 * segment size, behind an IOMMU ("--iommu", run in a boot with a virtual
 * IOMMU) a fragmented buffer becomes one contiguous IOVA range. What the
 * system and CMA heaps' own map_dma_buf give a classic importer must fit
 * the importing device's 64 KiB segment limit, and a device without a
 * limit must get a table too. Errors must carry the right errno.
 * "--io-uring" checks io_uring registered buffers exported as dma-bufs.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/io_uring.h>
#include <linux/udmabuf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

#include "kselftest.h"
#include "helpers.h"

#define DUMP	PHYR_TEST
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

/* Send @cmd to the test importer; the reply stream, or NULL and errno. */
static FILE *phyr_cmd(const char *cmd)
{
	FILE *f;
	int dfd;

	dfd = open(DUMP, O_RDWR);
	if (dfd < 0)
		return NULL;
	if (write(dfd, cmd, strlen(cmd)) < 0) {
		int err = errno;

		close(dfd);
		errno = err;
		return NULL;
	}
	f = fdopen(dfd, "r");
	if (!f)
		close(dfd);
	return f;
}

/* The ranges a test importer command produced; -errno when it refuses. */
static int phyr_ranges(const char *cmd, struct ranges *rs)
{
	char line[128], type[16], crc[16];
	uint64_t paddr, len;
	unsigned int nr;
	FILE *f;

	memset(rs, 0, sizeof(*rs));
	f = phyr_cmd(cmd);
	if (!f)
		return -errno;
	if (!fgets(line, sizeof(line), f) ||
	    sscanf(line, "length %" SCNu64 " ranges %u flags %*x crc32 %15s",
		   &len, &nr, crc) != 3) {
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

/* What a phyr importer of dma-buf @fd sees. */
static int phyr_dump(int fd, struct ranges *rs)
{
	char cmd[32];

	snprintf(cmd, sizeof(cmd), "%d", fd);
	return phyr_ranges(cmd, rs);
}

/* What phyr_pin_user() pins of [addr, addr + len). */
static int phyr_pin(void *addr, size_t len, struct ranges *rs)
{
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "pin %lx %zu", (unsigned long)addr, len);
	return phyr_ranges(cmd, rs);
}

static int segs_dump(const char *cmd, struct ranges *rs);

/*
 * The DMA segments the converter maps of dma-buf @fd for the test
 * importer's own device (@dev NULL) or a PCI device, in order and not
 * merged.
 */
static int sgt_dump(int fd, const char *dev, struct ranges *rs)
{
	char cmd[96];

	snprintf(cmd, sizeof(cmd), "sgt %d %s", fd, dev ? dev : "");
	return segs_dump(cmd, rs);
}

/*
 * The DMA segments of an "sgt" or "sgt-classic" command @cmd, in order
 * and not merged.
 */
static int segs_dump(const char *cmd, struct ranges *rs)
{
	char line[128];
	uint64_t addr, len, total;
	unsigned int nr;
	FILE *f;

	memset(rs, 0, sizeof(*rs));
	f = phyr_cmd(cmd);
	if (!f)
		return -errno;
	if (!fgets(line, sizeof(line), f) ||
	    sscanf(line, "nents %u length %" SCNu64, &nr, &total) != 2) {
		fclose(f);
		return -EIO;
	}
	rs->all_ram = 1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%" SCNx64 " %" SCNu64, &addr, &len) != 2)
			break;
		if (rs->n < MAX_RANGES)
			rs->r[rs->n] = (struct range){ addr, len };
		rs->n++;
		rs->length += len;
	}
	fclose(f);
	return rs->n == nr && rs->length == total ? 0 : -EIO;
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

/* A udmabuf of a memfd of @size whose pages were allocated out of order. */
static int new_udmabuf(size_t size, unsigned int mfd_flags)
{
	struct udmabuf_create c = { .flags = UDMABUF_FLAGS_CLOEXEC, .size = size };
	size_t npages = size / page_size, i, at = 0;
	int memfd, dev, buf = -1;
	char *mem;

	memfd = memfd_create("phyr", MFD_ALLOW_SEALING | mfd_flags);
	dev = open("/dev/udmabuf", O_RDWR);
	if (memfd < 0 || dev < 0 || ftruncate(memfd, size) ||
	    fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK))
		goto out;
	mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (mem == MAP_FAILED)
		goto out;
	if (!(mfd_flags & MFD_HUGETLB))
		for (i = 0; i < npages; i++, at = (at + 7919) % npages)
			mem[at * page_size] = (char)i;
	munmap(mem, size);
	c.memfd = memfd;
	buf = ioctl(dev, UDMABUF_CREATE, &c);
out:
	if (memfd >= 0)
		close(memfd);
	if (dev >= 0)
		close(dev);
	return buf;
}

static int new_heap_of(const char *name, size_t size)
{
	struct dma_heap_allocation_data d = {
		.len = size,
		.fd_flags = O_RDWR | O_CLOEXEC,
	};
	char path[64];
	int heap;
	int ret;

	snprintf(path, sizeof(path), "/dev/dma_heap/%s", name);
	heap = open(path, O_RDONLY);
	ret = heap < 0 ? -1 : ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &d);
	if (heap >= 0)
		close(heap);
	return ret ? -1 : (int)d.fd;
}

static int new_heap(size_t size)
{
	return new_heap_of("system", size);
}

/*
 * The segments a device without an IOMMU gets: each range split at
 * @max_seg bytes and at 4 GiB boundaries (the default segment boundary).
 */
static void split_ranges(const struct ranges *in, uint64_t max_seg,
			 struct ranges *out)
{
	unsigned int i;

	memset(out, 0, sizeof(*out));
	out->all_ram = 1;
	for (i = 0; i < in->n && i < MAX_RANGES; i++) {
		uint64_t addr = in->r[i].paddr, left = in->r[i].len;

		while (left) {
			uint64_t chunk = left < max_seg ? left : max_seg;
			uint64_t to_boundary = 0x100000000ULL - (addr & 0xffffffffULL);

			if (chunk > to_boundary)
				chunk = to_boundary;
			if (out->n < MAX_RANGES)
				out->r[out->n] = (struct range){ addr, chunk };
			out->n++;
			out->length += chunk;
			addr += chunk;
			left -= chunk;
		}
	}
}

static struct ranges segs;

/*
 * The ranges of @fd (got), the converter's segments for the module's own
 * device (segs) and the ranges split at its 64 KiB segment size (want).
 * Return: 0, or -1 after failing the test case @name.
 */
static int dump_ranges_and_segs(const char *name, int fd)
{
	int ret = fd < 0 ? -errno : phyr_dump(fd, &got);

	if (!ret)
		ret = sgt_dump(fd, NULL, &segs);
	if (ret) {
		ksft_test_result_fail("%s: %s\n", name, strerror(-ret));
		return -1;
	}
	split_ranges(&got, 64 << 10, &want);
	return 0;
}

/*
 * What a classic importer gets from dma_buf_map_attachment(), here from
 * the exporter's own map_dma_buf: on the module's own device (no IOMMU,
 * 64 KiB segments, @max_seg 64 KiB) segments no longer than 64 KiB, on its
 * "nolimit" device (UINT_MAX) a table at all; either way segments that,
 * laid end to end, are the buffer's physical ranges.
 */
static void check_sgt_classic(const char *name, int fd, const char *dev,
			      uint64_t max_seg)
{
	static struct ranges joined;
	uint64_t longest = 0;
	bool contiguous;
	char cmd[64];
	unsigned int i;
	int ret;

	ret = fd < 0 ? -errno : phyr_dump(fd, &got);
	/*
	 * An exporter without map_phyr (the CMA heap) is contiguous, and
	 * its mapping is VM_PFNMAP, which pagemap does not show: one range
	 * of the buffer's size, from the first segment's address.
	 */
	contiguous = ret == -EOPNOTSUPP;
	snprintf(cmd, sizeof(cmd), "sgt-classic %d %s", fd, dev);
	if (!ret || contiguous)
		ret = segs_dump(cmd, &segs);
	if (!ret && segs.n > MAX_RANGES)
		ret = -E2BIG;
	if (!ret && contiguous) {
		off_t size = lseek(fd, 0, SEEK_END);

		memset(&got, 0, sizeof(got));
		got.all_ram = 1;
		if (size <= 0 || !segs.n)
			ret = -EIO;
		else
			add_range(&got, segs.r[0].paddr, size);
	}
	if (ret) {
		ksft_test_result_fail("%s: %s\n", name, strerror(-ret));
		return;
	}
	for (i = 0; i < got.n && i < MAX_RANGES; i++)
		if (got.r[i].len > 64 << 10)
			break;
	if (i == got.n || i == MAX_RANGES) {
		/* the heap found no high-order pages: nothing to split */
		ksft_test_result_skip("%s: no range above 64 KiB\n", name);
		return;
	}
	memset(&joined, 0, sizeof(joined));
	joined.all_ram = 1;
	for (i = 0; i < segs.n; i++) {
		if (segs.r[i].len > longest)
			longest = segs.r[i].len;
		add_range(&joined, segs.r[i].paddr, segs.r[i].len);
	}
	if (longest > max_seg)
		ksft_print_msg("%s: a segment of %" PRIu64 " bytes, the device takes %" PRIu64 "\n",
			       name, longest, max_seg);
	ksft_test_result(longest <= max_seg && same_ranges(name, &joined, &got),
			 "%s: %u ranges -> %u segments, the longest %" PRIu64 " bytes\n",
			 name, got.n, segs.n, longest);
}

/* Without an IOMMU the converter hands out the ranges, split. */
static void check_sgt_direct(const char *name, int fd)
{
	if (dump_ranges_and_segs(name, fd))
		return;
	ksft_test_result(same_ranges(name, &segs, &want),
			 "%s: %u ranges -> %u segments at their physical addresses\n",
			 name, got.n, segs.n);
}

/*
 * Behind an IOMMU the converter links the whole buffer into one IOVA
 * range: the segments follow each other in DMA address space even though
 * the physical ranges do not.
 */
/*
 * @min_ranges: how many physical ranges the buffer must have for the case
 * to show anything; the system heap's 1 MiB chunks of a fresh guest are
 * sometimes physically contiguous, so there it is 1.
 */
static void check_sgt_iommu(const char *name, int fd, const char *dev,
			    unsigned int min_ranges)
{
	int ret = fd < 0 ? -errno : phyr_dump(fd, &got);
	unsigned int i, gaps = 0;

	if (!ret)
		ret = sgt_dump(fd, dev, &segs);
	if (ret) {
		ksft_test_result_fail("%s: %s\n", name, strerror(-ret));
		return;
	}
	for (i = 1; i < segs.n && i < MAX_RANGES; i++)
		gaps += segs.r[i].paddr != segs.r[i - 1].paddr + segs.r[i - 1].len;
	if (got.n < min_ranges || gaps || segs.length != got.length)
		ksft_print_msg("%s: %u physical ranges, %u segments with %u gaps, %" PRIu64
			       " of %" PRIu64 " bytes\n", name, got.n, segs.n, gaps,
			       segs.length, got.length);
	ksft_test_result(got.n >= min_ranges && !gaps && segs.length == got.length,
			 "%s: %u physical ranges -> one IOVA range at %#" PRIx64 " (%u segments)\n",
			 name, got.n, segs.r[0].paddr, segs.n);
}

/* phyr_pin_user() of [mem + off, mem + off + len) pins what pagemap shows. */
static void check_pin(const char *name, char *mem, size_t off, size_t len)
{
	size_t start = off & ~(page_size - 1);
	size_t end = (off + len + page_size - 1) & ~(page_size - 1);
	int ret = phyr_pin(mem + off, len, &got);

	if (!ret)
		ret = pagemap_ranges(mem + start, end - start, &want);
	if (ret) {
		ksft_test_result_fail("%s: %s\n", name, strerror(-ret));
		return;
	}
	/* trim the whole pages to the window */
	want.r[0].paddr += off - start;
	want.r[0].len -= off - start;
	want.r[want.n - 1].len -= end - (off + len);
	want.length = len;
	ksft_test_result(same_ranges(name, &got, &want) &&
			 same_data(name, &got, mem + off, len),
			 "%s: %u ranges == pagemap\n", name, got.n);
}

static void check_pins(void)
{
	size_t len = 64 * page_size, i, at = 0;
	char *map, *mem;

	map = mmap(NULL, 4 * HPAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED)
		ksft_exit_fail_msg("mmap: %s\n", strerror(errno));
	mem = (char *)(((uintptr_t)map + HPAGE - 1) & ~(HPAGE - 1));
	madvise(mem, len, MADV_NOHUGEPAGE);
	for (i = 0; i < 64; i++, at = (at + 37) % 64)
		mem[at * page_size] = (char)(i * 3);
	check_pin("pin 4K pages", mem, 0, len);
	check_pin("pin unaligned window", mem, 100, 10 * page_size - 300);

	/* a 2 MiB THP if the kernel gives one, 4K pages otherwise */
	mem += HPAGE;
	madvise(mem, HPAGE, MADV_HUGEPAGE);
	for (i = 0; i < HPAGE; i += page_size)
		mem[i] = (char)(i >> 12);
	check_pin("pin 2M (THP)", mem, 0, HPAGE);
	munmap(map, 4 * HPAGE);
}

static void expect_cmd_errno(const char *name, const char *cmd, int err)
{
	int ret = phyr_ranges(cmd, &got);

	ksft_test_result(ret == -err, "%s: %s (expected %s)\n", name,
			 strerror(-ret), strerror(err));
}

/*
 * The test exporter: its buffer's ranges are its pages and carry what the
 * writer put in through mmap; the converter serves a classic importer of
 * it; it refuses importers when told; its revocation fails later imports.
 */
static void check_test_exporter(void)
{
	size_t size = 16 * page_size, i;
	int fd, ret, pins, revoked = -1;
	unsigned char *map;
	char cmd[32];

	fd = phyr_test_export(size, "");
	if (fd < 0)
		ksft_exit_fail_msg("test exporter: %s\n", strerror(-fd));
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		ksft_exit_fail_msg("test exporter: mmap: %s\n", strerror(errno));
	for (i = 0; i < size; i++)
		map[i] = (unsigned char)(i * 13 + 1);
	ret = phyr_dump(fd, &got);
	ksft_test_result(!ret && got.length == size && got.all_ram &&
			 same_data("test exporter", &got, map, size),
			 "test exporter: %u ranges of RAM, the bytes written through mmap\n",
			 got.n);
	check_sgt_direct("sgt test exporter (core converter)", fd);

	pins = phyr_test_buf_state(fd, 1, NULL);
	ret = phyr_dump(fd, &got);
	phyr_test_buf_state(fd, 0, &revoked);
	ksft_test_result(pins == 0 && ret == -ENODEV && revoked == 1,
			 "test exporter: revoked, a new import fails: %s (pins before %d)\n",
			 strerror(-ret), pins);
	munmap(map, size);
	close(fd);

	fd = phyr_test_export(size, "refuse");
	ret = fd < 0 ? fd : phyr_dump(fd, &got);
	ksft_test_result(ret == -EPERM, "test exporter refuses phyr importers: %s\n",
			 strerror(-ret));
	if (fd >= 0)
		close(fd);

	/* the test module revokes buffers of its own exporter only */
	fd = new_udmabuf(16 * page_size, 0);
	snprintf(cmd, sizeof(cmd), "revoke %d", fd);
	expect_cmd_errno("revoke of a udmabuf", cmd, EINVAL);
	snprintf(cmd, sizeof(cmd), "invalidate %d", fd);
	expect_cmd_errno("invalidate (no such command)", cmd, EINVAL);
	close(fd);
	expect_cmd_errno("export of 1000 bytes (not whole pages)", "export 1000", EINVAL);
	expect_cmd_errno("export in an unknown mode", "export 4096 lazy", EINVAL);
}

/* Wait (up to about 15 s) until bufinfo has @want lines with @what. */
static int bufinfo_wait(const char *what, int want)
{
	int i, n = -1;

	for (i = 0; i < 150; i++) {
		n = bufinfo_count(what);
		if (n == want || n < 0)
			break;
		usleep(100 * 1000);
	}
	return n;
}

/*
 * Importers that hold a buffer until it is revoked (the test module's
 * "import"): the revocation takes every pin back before it returns (the
 * core's phase two), and the importers' revoked callbacks, run from the
 * core's work item with a reference, let go of the buffer.
 */
static void check_held_importers(void)
{
	char cmd[64], reply[32], ino[32];
	int fd, ret, pins, revoked = -1, n;
	struct stat st;

	fd = phyr_test_export(16 * page_size, "");
	if (fd < 0)
		ksft_exit_fail_msg("test exporter: %s\n", strerror(-fd));
	if (fstat(fd, &st))
		ksft_exit_fail_msg("test exporter: fstat: %s\n", strerror(errno));
	snprintf(ino, sizeof(ino), "\t%08llu\t", (unsigned long long)st.st_ino);
	snprintf(cmd, sizeof(cmd), "import %d 8", fd);
	ret = phyr_test_cmd(cmd, reply, sizeof(reply));
	pins = phyr_test_buf_state(fd, 0, &revoked);
	n = bufinfo_count("dma_buf_phyr_test held pinned mapped reads");
	ksft_test_result(!ret && !strcmp(reply, "importers 8\n") && pins == 8 &&
			 !revoked && n == 8,
			 "8 held importers: %s, %d pins, %d in bufinfo\n",
			 ret ? strerror(-ret) : "attached", pins, n);

	pins = phyr_test_buf_state(fd, 1, NULL);
	ret = phyr_test_buf_state(fd, 0, &revoked);
	ksft_test_result(pins == 8 && ret == 0 && revoked == 1,
			 "revoke of 8 held importers: %d pins before, %d right after\n",
			 pins, ret);

	n = bufinfo_wait("dma_buf_phyr_test held", 0);
	close(fd);
	/* the held importers' references keep the buffer otherwise */
	ret = n ? -1 : bufinfo_wait(ino, 0);
	ksft_test_result(n == 0 && ret == 0,
			 "held importers let go after the revoke: %d left, buffer %s\n",
			 n, ret ? "still there" : "released");

	fd = new_udmabuf(16 * page_size, 0);
	snprintf(cmd, sizeof(cmd), "import %d 1", fd);
	expect_cmd_errno("import into a udmabuf (not the test exporter's)", cmd,
			 EINVAL);
	close(fd);
	fd = phyr_test_export(16 * page_size, "");
	snprintf(cmd, sizeof(cmd), "import %d 65", fd);
	expect_cmd_errno("import of 65 importers", cmd, EINVAL);
	phyr_test_buf_state(fd, 1, NULL);
	snprintf(cmd, sizeof(cmd), "import %d 1", fd);
	expect_cmd_errno("import into a revoked buffer", cmd, ENODEV);
	close(fd);
}

/*
 * A pin of a few scattered pages followed by 64 TiB of PROT_NONE: the
 * first batch of 512 pages sizes the list for the whole request (far
 * beyond what kvmalloc() allows), the second batch fails. EFAULT, and no
 * allocation warning (the console check fails the run on one).
 */
static void check_huge_pin(void)
{
	size_t len = 1UL << 46, i;
	char *map, *scratch, cmd[64];

	map = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		   -1, 0);
	scratch = mmap(NULL, HPAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED || scratch == MAP_FAILED) {
		ksft_test_result_skip("pin of a 64 TiB request: mmap: %s\n", strerror(errno));
		return;
	}
	if (mprotect(map, HPAGE, PROT_READ | PROT_WRITE))
		ksft_exit_fail_msg("mprotect: %s\n", strerror(errno));
	madvise(map, HPAGE, MADV_NOHUGEPAGE);
	madvise(scratch, HPAGE, MADV_NOHUGEPAGE);
	/* every other freshly allocated page: no two of ours are adjacent */
	for (i = 0; i < HPAGE; i += page_size) {
		map[i] = 1;
		scratch[i] = 1;
	}
	snprintf(cmd, sizeof(cmd), "pin %lx %zu", (unsigned long)map, len);
	expect_cmd_errno("pin of 2 MiB of pages and 64 TiB of PROT_NONE", cmd, EFAULT);
	munmap(scratch, HPAGE);
	munmap(map, len);
}

/*
 * Under swiotlb=force the own device's segments are bounce buffers: they
 * cover the buffer, none is above the 64 KiB segment size, and none at the
 * memory's own address.
 */
static void check_sgt_bounced(const char *name, int fd)
{
	unsigned int i, own = 0, big = 0;

	if (dump_ranges_and_segs(name, fd))
		return;
	for (i = 0; i < segs.n && i < MAX_RANGES; i++) {
		uint64_t a = segs.r[i].paddr, e = a + segs.r[i].len;
		unsigned int j;

		big += segs.r[i].len > (64 << 10);
		/* a segment on any of the buffer's own pages was not bounced */
		for (j = 0; j < got.n && j < MAX_RANGES; j++)
			if (a < got.r[j].paddr + got.r[j].len && got.r[j].paddr < e) {
				own++;
				break;
			}
	}
	ksft_test_result(segs.length == got.length && !big && !own,
			 "%s: %u segments of %" PRIu64 " bytes, %u above 64 KiB, %u unbounced\n",
			 name, segs.n, segs.length, big, own);
}

/* Booted with swiotlb=force: dma-direct devices bounce everything. */
static int swiotlb_forced(void)
{
	char line[4096] = "", *p;
	FILE *f = fopen("/proc/cmdline", "r");

	if (f) {
		if (!fgets(line, sizeof(line), f))
			line[0] = '\0';
		fclose(f);
	}
	p = strstr(line, "swiotlb=");
	if (!p)
		return 0;
	p[strcspn(p, " \n")] = '\0';
	/* swiotlb=force or swiotlb=<slabs>,force, not noforce */
	return !strcmp(p, "swiotlb=force") || strstr(p, ",force") != NULL;
}

/*
 * The converter's table for the module's own device (no IOMMU): what the
 * device writes through its DMA addresses reaches the buffer's pages after
 * dma_sync_sgtable_for_cpu(), also when every address is a swiotlb bounce
 * buffer (then a phyr map for the CPU is refused while the device, which
 * needs syncs, is attached).
 */
static void check_sgt_sync(const char *name, int fd, int bounce)
{
	unsigned long ok = 0, len = 0;
	int ret, bounced = -1, cpu_map = 1;
	char cmd[32], reply[128];

	snprintf(cmd, sizeof(cmd), "sgt-sync %d", fd);
	ret = phyr_test_cmd(cmd, reply, sizeof(reply));
	if (!ret && sscanf(reply, "synced %lu of %lu bounced %d cpu-map %d",
			   &ok, &len, &bounced, &cpu_map) != 4)
		ret = -EIO;
	ksft_test_result(!ret && len && ok == len && bounced == bounce &&
			 cpu_map == (bounce ? -EOPNOTSUPP : 0),
			 "%s: %s: %lu of %lu bytes synced, bounced %d, CPU map %s\n",
			 name, ret ? strerror(-ret) : "mapped", ok, len, bounced,
			 cpu_map ? strerror(-cpu_map) : "allowed");
}

static int dmabuf_sync(int fd, uint64_t flags)
{
	struct dma_buf_sync sync = { .flags = flags | DMA_BUF_SYNC_RW };

	return ioctl(fd, DMA_BUF_IOCTL_SYNC, &sync) ? -errno : 0;
}

/* Bytes of @p that hold the device's pattern, or its complement. */
static size_t count_pattern(const unsigned char *p, size_t size, bool cpl)
{
	size_t i, n = 0;

	for (i = 0; i < size; i++)
		n += p[i] == (unsigned char)(cpl ? ~(i * 7 + 3) : i * 7 + 3);
	return n;
}

/*
 * A classic importer that keeps its table (sgt-hold) and its device
 * (sgt-dev) around the CPU's DMA_BUF_IOCTL_SYNC brackets: what the device
 * wrote reaches the CPU after START, what the CPU wrote reaches the device
 * after END. With @bounce (swiotlb forced) the device's accesses go to
 * bounce buffers, so before START the CPU must not see all of the
 * device's bytes, and before END the device not all of the CPU's: the
 * brackets carry them, nothing else.
 */
static void check_cpu_access(const char *name, int fd, size_t size, int bounce)
{
	unsigned long written = 0, saw = 0, saw_before = 0, len = 0;
	size_t cpu_ok = 0, cpu_before = 0;
	char cmd[48], reply[128];
	unsigned char *p;
	size_t i;
	int ret;

	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		ksft_test_result_fail("%s: mmap: %s\n", name, strerror(errno));
		return;
	}
	memset(p, 0, size);
	snprintf(cmd, sizeof(cmd), "sgt-hold %d 60000", fd);
	ret = phyr_test_cmd(cmd, reply, sizeof(reply));
	snprintf(cmd, sizeof(cmd), "sgt-dev %d write", fd);
	if (!ret)
		ret = phyr_test_cmd(cmd, reply, sizeof(reply));
	if (!ret && sscanf(reply, "written %lu", &written) != 1)
		ret = -EIO;
	if (!ret)
		cpu_before = count_pattern(p, size, false);
	if (!ret)
		ret = dmabuf_sync(fd, DMA_BUF_SYNC_START);
	if (!ret)
		cpu_ok = count_pattern(p, size, false);
	for (i = 0; !ret && i < size; i++)
		p[i] = ~(unsigned char)(i * 7 + 3);
	snprintf(cmd, sizeof(cmd), "sgt-dev %d read", fd);
	if (!ret)
		ret = phyr_test_cmd(cmd, reply, sizeof(reply));
	if (!ret && sscanf(reply, "device-saw %lu of %lu", &saw_before, &len) != 2)
		ret = -EIO;
	if (!ret)
		ret = dmabuf_sync(fd, DMA_BUF_SYNC_END);
	if (!ret)
		ret = phyr_test_cmd(cmd, reply, sizeof(reply));
	if (!ret && sscanf(reply, "device-saw %lu of %lu", &saw, &len) != 2)
		ret = -EIO;
	snprintf(cmd, sizeof(cmd), "sgt-dev %d drop", fd);
	phyr_test_cmd(cmd, reply, sizeof(reply));
	munmap(p, size);
	ksft_test_result(!ret && written == size && len == size && cpu_ok == size &&
			 saw == size && (bounce ? cpu_before < size && saw_before < size :
					 cpu_before == size && saw_before == size),
			 "%s: %s: the CPU read %zu of %zu bytes the device wrote (%zu before START), the device %lu of the CPU's (%lu before END)\n",
			 name, ret ? strerror(-ret) : "synced", cpu_ok, size,
			 cpu_before, saw, saw_before);
}

static void iommu_main(void)
{
	int fd, bounce = swiotlb_forced();
	char dev[256], sync_dev[256], cmd[512];

	if (!iommu_device(dev, sizeof(dev)))
		ksft_exit_fail_msg("no PCI device with a driver in a DMA-translated IOMMU group\n");
	/* the topology's ivshmem and edu devices have no driver */
	if (!iommu_device_driver(sync_dev, sizeof(sync_dev), 0))
		ksft_exit_fail_msg("no PCI device without a driver in a DMA-translated IOMMU group\n");
	ksft_print_msg("IOMMU-translated device %s, one that needs syncs %s, swiotlb %s\n",
		       dev, sync_dev, bounce ? "forced" : "as needed");
	ksft_set_plan(13);

	fd = new_udmabuf(32 << 20, 0);
	check_sgt_iommu("sgt IOMMU udmabuf 32 MiB of 4K pages", fd, dev, 2);
	/* dma_map_sgtable() of the pages: one IOVA range for it too */
	check_sgt_iommu("sgt IOMMU udmabuf 32 MiB, device that needs syncs", fd,
			sync_dev, 2);
	if (bounce)
		check_sgt_bounced("sgt own device (swiotlb) udmabuf 32 MiB", fd);
	else
		check_sgt_direct("sgt own device (no IOMMU) udmabuf 32 MiB", fd);
	check_sgt_sync("sgt-sync udmabuf 32 MiB", fd, bounce);
	close(fd);
	fd = new_udmabuf(4 << 20, 0);
	check_cpu_access("CPU access udmabuf 4 MiB", fd, 4 << 20, bounce);
	close(fd);
	fd = new_heap(8 << 20);
	check_sgt_iommu("sgt IOMMU system heap 8 MiB", fd, dev, 1);
	check_sgt_iommu("sgt IOMMU system heap 8 MiB, device that needs syncs",
			fd, sync_dev, 1);
	/* 1 MiB folios: more than swiotlb maps at once */
	check_sgt_sync("sgt-sync system heap 8 MiB", fd, bounce);
	check_cpu_access("CPU access system heap 8 MiB", fd, 8 << 20, bounce);
	close(fd);
	fd = phyr_test_export(64 * page_size, "");
	check_sgt_sync("sgt-sync test exporter", fd, bounce);
	check_cpu_access("CPU access test exporter", fd, 64 * page_size, bounce);
	close(fd);
	/*
	 * RAM without struct pages: the table cannot carry syncs to it, so
	 * a device that needs them is refused; one that needs none gets the
	 * one IOVA range.
	 */
	fd = phyr_test_export(64 * page_size, "nopage");
	check_sgt_iommu("sgt IOMMU test exporter without struct pages", fd, dev, 1);
	snprintf(cmd, sizeof(cmd), "sgt %d %s", fd, sync_dev);
	expect_cmd_errno("sgt test exporter without struct pages, device that needs syncs",
			 cmd, EOPNOTSUPP);
	close(fd);
	ksft_finished();
}

/*
 * io_uring registered buffers exported as dma-bufs
 * (IORING_REGISTER_EXPORT_BUFFER), "--io-uring": importers see the
 * buffer's own pages and the application's data; the export dies with the
 * buffer's last registration (unregister, slot update, clone, ring close,
 * exit of the process), and bad requests get their errno.
 */
#define IOU_SIZE	(8UL << 20)

/* The export of [off, off + len) of @mem: its pages, its data. */
static void check_iou_pages(const char *name, int fd, char *mem, size_t len)
{
	int ret = fd < 0 ? fd : phyr_dump(fd, &got);

	if (!ret)
		ret = pagemap_ranges(mem, len, &want);
	if (ret) {
		ksft_test_result_fail("%s: %s\n", name, strerror(-ret));
		return;
	}
	ksft_test_result(same_ranges(name, &got, &want) &&
			 same_data(name, &got, mem, len),
			 "%s: %u ranges == the buffer's pages, same data\n",
			 name, got.n);
}

/* A map of export @fd fails with -ENODEV within @secs seconds. */
static int iou_revoked(int fd, int secs)
{
	int ret, i;

	for (i = 0;; i++) {
		ret = phyr_dump(fd, &got);
		if (ret == -ENODEV || i >= secs * 10)
			return ret;
		usleep(100000);
	}
}

static void expect_revoked(const char *name, int fd, int secs)
{
	int ret = iou_revoked(fd, secs);

	ksft_test_result(ret == -ENODEV, "%s: %s (expected %s)\n", name,
			 strerror(-ret), strerror(ENODEV));
}

static void expect_export_errno(const char *name, int ring, int op_nr,
				struct io_uring_buf_export *e, int err)
{
	int ret = iou_reg(ring, IORING_REGISTER_EXPORT_BUFFER, e, op_nr);

	if (ret >= 0)
		close(ret);
	ksft_test_result(ret == -err, "%s: %s (expected %s)\n", name,
			 ret >= 0 ? "an fd" : strerror(-ret), strerror(err));
}

static void check_iou_bad_input(char *mem)
{
	struct io_uring_rsrc_register sparse = {
		.nr = 4, .flags = IORING_RSRC_REGISTER_SPARSE,
	};
	struct io_uring_buf_export e;
	int ring = iou_ring(), empty = iou_ring();

#define BAD(name, nr, err, ...) do {					\
		e = (struct io_uring_buf_export){ __VA_ARGS__ };	\
		expect_export_errno("io_uring export: " name, ring, nr,	\
				    &e, err);				\
	} while (0)
	if (ring < 0 || empty < 0 || iou_register(ring, mem, IOU_SIZE)) {
		ksft_exit_fail_msg("io_uring export: setup: %s\n", strerror(errno));
		return;
	}
	BAD("nr_args 2", 2, EINVAL, .buf_index = 0);
	BAD("unknown flag", 1, EINVAL, .flags = 2);
	BAD("read-only and an unknown flag", 1, EINVAL,
	    .flags = IORING_BUF_EXPORT_RDONLY | 0x80000000u);
	BAD("reserved field set", 1, EINVAL, .resv = { 0, 0, 1 });
	BAD("index past the table", 1, EINVAL, .buf_index = 1);
	BAD("offset + len wraps", 1, EOVERFLOW, .offset = 4096, .len = -4096ULL);
	BAD("range past the buffer", 1, EINVAL, .offset = 4096, .len = IOU_SIZE);
	BAD("offset at the end, len 0", 1, EINVAL, .offset = IOU_SIZE);
	BAD("offset not page aligned", 1, EINVAL, .offset = 512, .len = 4096);
	BAD("len not page aligned", 1, EINVAL, .len = 4097);
	expect_export_errno("io_uring export: argument at a bad address", ring,
			    1, (void *)8, EFAULT);
	e = (struct io_uring_buf_export){ 0 };
	expect_export_errno("io_uring export: no buffers registered", empty, 1,
			    &e, ENXIO);
	sparse.nr = 4;
	if (iou_reg(empty, IORING_REGISTER_BUFFERS2, &sparse, sizeof(sparse)))
		ksft_test_result_fail("io_uring export: an empty slot: sparse table: %s\n",
				      strerror(errno));
	else
		expect_export_errno("io_uring export: an empty slot", empty, 1,
				    &e, ENOENT);
#undef BAD
	close(ring);
	close(empty);
}

/* The child of check_iou_exit(): export, send the fd, exit. */
static int iou_exit_child(int sock, char *mem)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 }, c = 'x';
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	int ring = iou_ring(), fd;

	if (ring < 0 || iou_register(ring, mem, IOU_SIZE))
		return 1;
	fd = iou_export(ring, 0, 0, 0);
	if (fd < 0)
		return 1;
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : 1;
}

/* The exporting process exits; another one holds the dma-buf. */
static void check_iou_exit(char *mem)
{
	const char *name = "io_uring export: the exporter exits, the importer is revoked";
	char cbuf[CMSG_SPACE(sizeof(int))], c;
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	int sv[2], fd = -1, status;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv)) {
		ksft_test_result_fail("%s: socketpair: %s\n", name, strerror(errno));
		return;
	}
	pid = fork();
	if (!pid)
		_exit(iou_exit_child(sv[1], mem));
	if (pid > 0 && recvmsg(sv[0], &msg, 0) == 1 && CMSG_FIRSTHDR(&msg))
		memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&msg)), sizeof(int));
	if (pid > 0)
		waitpid(pid, &status, 0);
	if (fd < 0)
		ksft_test_result_fail("%s: no dma-buf from the child\n", name);
	else
		expect_revoked(name, fd, 10);
	if (fd >= 0)
		close(fd);
	close(sv[0]);
	close(sv[1]);
}

/*
 * A classic importer that unmaps only some time after it is invalidated
 * (the test module's sgt-hold): unregistering the buffer revokes the
 * export at once, but the pages stay pinned until the importer let go of
 * them, and are released after that without anyone waiting.
 */
static void check_iou_held(int ring)
{
	const char *name = "io_uring export: pages outlive the registration while a classic importer maps them";
	long before, registered, after_unreg, released = -1;
	struct timespec t0, t1;
	char cmd[64], reply[32];
	int fd, ret, dev_ret, i;
	char *mem;

	/*
	 * 4 KiB pages, one pin each: io_uring keeps one pin per huge folio,
	 * too few to tell from 9p's own pins.
	 */
	mem = mmap(NULL, IOU_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		ksft_test_result_fail("%s: mmap: %s\n", name, strerror(errno));
		return;
	}
	madvise(mem, IOU_SIZE, MADV_NOHUGEPAGE);
	memset(mem, 1, IOU_SIZE);
	before = pins_settled();
	ret = iou_register(ring, mem, IOU_SIZE);
	fd = ret ? ret : iou_export(ring, 0, 0, 0);
	snprintf(cmd, sizeof(cmd), "sgt-hold %d 3000", fd);
	ret = fd < 0 ? fd : phyr_test_cmd(cmd, reply, sizeof(reply));
	if (ret) {
		ksft_test_result_fail("%s: setup: %s\n", name, strerror(-ret));
		munmap(mem, IOU_SIZE);
		return;
	}
	registered = pins_settled();
	ret = iou_reg(ring, IORING_UNREGISTER_BUFFERS, NULL, 0);
	after_unreg = pins_settled();
	ret = ret ? ret : iou_revoked(fd, 0);
	/* invalidated: the holder's device starts no DMA any more */
	snprintf(cmd, sizeof(cmd), "sgt-dev %d write", fd);
	dev_ret = phyr_test_cmd(cmd, reply, sizeof(reply));
	/* the holder lets go 3 s after the invalidation */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 150; i++) {
		released = pins_settled();
		if (released <= before + 64)
			break;
		usleep(100000);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ksft_print_msg("%s: pins %ld at rest, %ld registered, %ld after unregister, %ld %.1f s later; the holder's device after the invalidation: %s\n",
		       name, before, registered, after_unreg, released,
		       t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9,
		       strerror(-dev_ret));
	/* 8 MiB is 2048 pinned pages; 9p's own pins come and go */
	ksft_test_result(ret == -ENODEV && dev_ret == -ENODEV &&
			 registered >= before + 2048 &&
			 after_unreg >= before + 2048 - 64 &&
			 released <= before + 64,
			 "%s\n", name);
	close(fd);
	munmap(mem, IOU_SIZE);
}

/*
 * A read-only export (IORING_BUF_EXPORT_RDONLY) is an O_RDONLY dma-buf: a
 * phyr importer that reads gets the buffer's pages, a classic importer
 * that maps DMA_BIDIRECTIONAL through the core's converter ("sgt") is
 * refused by the exporter with EACCES. The phyr importers that write are
 * refused in rdma_dmabuf, devmem_phyr and zcrx_nsim.
 */
static void check_iou_read_only(int ring, char *mem)
{
	const char *name = "io_uring read-only export";
	int fd, ret, mode;

	fd = iou_export_flags(ring, 0, 0, 0, IORING_BUF_EXPORT_RDONLY);
	mode = fd < 0 ? -1 : fcntl(fd, F_GETFL);
	ksft_test_result(fd >= 0 && (mode & O_ACCMODE) == O_RDONLY &&
			 (fcntl(fd, F_GETFD) & FD_CLOEXEC),
			 "%s: an O_RDONLY, O_CLOEXEC dma-buf: %s\n", name,
			 fd < 0 ? strerror(-fd) :
			 (mode & O_ACCMODE) == O_RDONLY ? "yes" : "not read-only");
	check_iou_pages("io_uring read-only export: a reader sees the pages", fd,
			mem, IOU_SIZE);
	ret = fd < 0 ? fd : sgt_dump(fd, NULL, &segs);
	ksft_test_result(ret == -EACCES,
			 "%s: a classic importer mapping DMA_BIDIRECTIONAL: %s (expected %s)\n",
			 name, ret ? strerror(-ret) : "mapped", strerror(EACCES));
	if (fd >= 0)
		close(fd);
}

static void iou_main(void)
{
	struct io_uring_clone_buffers clone = { 0 };
	struct io_uring_rsrc_update2 up = { 0 };
	int ring, ring2, fd, fd2, ret;
	struct iovec iov[2];
	char *mem, *mem2;
	size_t i;

	ring = iou_ring();
	if (ring < 0)
		ksft_exit_skip("io_uring_setup: %s\n", strerror(errno));
	ret = iou_export(ring, 0, 0, 0);
	if (ret == -EINVAL)
		ksft_exit_skip("no IORING_REGISTER_EXPORT_BUFFER in this kernel\n");
	ksft_set_plan(32);
	/* 2 MiB aligned, so that THP may back it with large folios */
	mem = mmap(NULL, 2 * IOU_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	mem2 = mmap(NULL, IOU_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED || mem2 == MAP_FAILED)
		ksft_exit_fail_msg("mmap: %s\n", strerror(errno));
	mem = (char *)(((uintptr_t)mem + HPAGE - 1) & ~(HPAGE - 1));
	madvise(mem, IOU_SIZE, MADV_HUGEPAGE);
	for (i = 0; i < IOU_SIZE; i++) {
		mem[i] = (char)(i * 13 + (i >> 12));
		mem2[i] = (char)(i * 5);
	}

	/* what importers see */
	ret = iou_register(ring, mem, IOU_SIZE);
	if (ret)
		ksft_exit_fail_msg("IORING_REGISTER_BUFFERS: %s\n", strerror(-ret));
	fd = iou_export(ring, 0, 0, 0);
	ksft_test_result(fd >= 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC) &&
			 lseek(fd, 0, SEEK_END) == (off_t)IOU_SIZE,
			 "io_uring export: an O_CLOEXEC dma-buf of the buffer's size\n");
	check_iou_pages("io_uring export of 8 MiB", fd, mem, IOU_SIZE);
	fd2 = iou_export(ring, 0, 64 << 10, 128 << 10);
	check_iou_pages("io_uring export of [64 KiB, 192 KiB)", fd2, mem + (64 << 10),
			128 << 10);
	for (i = 0; i < IOU_SIZE; i += 4096)
		mem[i] ^= 0x5a;
	check_iou_pages("io_uring export: the application's later writes", fd, mem,
			IOU_SIZE);
	check_sgt_direct("io_uring export: sgt of a revocable classic importer", fd);
	check_iou_read_only(ring, mem);

	/* unregister revokes every export of the buffer, at once */
	ret = iou_reg(ring, IORING_UNREGISTER_BUFFERS, NULL, 0);
	expect_revoked("io_uring export: unregister revokes the phyr importer", fd, 0);
	ret = sgt_dump(fd, NULL, &segs);
	ksft_test_result(ret == -ENODEV, "io_uring export: unregister revokes the classic importer: %s\n",
			 strerror(-ret));
	expect_revoked("io_uring export: unregister revokes the second export", fd2, 0);
	close(fd);
	close(fd2);

	/* a slot update revokes the old buffer's exports only */
	iov[0] = (struct iovec){ mem, IOU_SIZE };
	iov[1] = (struct iovec){ mem2, IOU_SIZE };
	ret = iou_reg(ring, IORING_REGISTER_BUFFERS, iov, 2);
	fd = iou_export(ring, 0, 0, 0);
	fd2 = iou_export(ring, 1, 0, 0);
	iov[1] = (struct iovec){ mem2, IOU_SIZE / 2 };
	up.offset = 1;
	up.data = (uintptr_t)&iov[1];
	up.nr = 1;
	ret = iou_reg(ring, IORING_REGISTER_BUFFERS_UPDATE, &up, sizeof(up));
	if (ret != 1)
		ksft_print_msg("IORING_REGISTER_BUFFERS_UPDATE: %d\n", ret);
	expect_revoked("io_uring export: a slot update revokes its old buffer", fd2, 0);
	check_iou_pages("io_uring export: the other slot's export lives on", fd, mem,
			IOU_SIZE);
	close(fd2);

	/* a clone in another ring keeps the buffer, and its exports, alive */
	ring2 = iou_ring();
	clone.src_fd = ring;
	clone.nr = 2;
	ret = iou_reg(ring2, IORING_REGISTER_CLONE_BUFFERS, &clone, 1);
	if (ret)
		ksft_print_msg("IORING_REGISTER_CLONE_BUFFERS: %s\n", strerror(-ret));
	iou_reg(ring, IORING_UNREGISTER_BUFFERS, NULL, 0);
	check_iou_pages("io_uring export: a clone keeps it after unregister", fd, mem,
			IOU_SIZE);
	close(ring2);
	expect_revoked("io_uring export: closing the clone's ring revokes it", fd, 10);
	close(fd);

	/* fork leaves it alone; closing the ring revokes it */
	ret = iou_register(ring, mem, IOU_SIZE);
	fd = iou_export(ring, 0, 0, 0);
	ret = fork();
	if (!ret)
		_exit(0);
	if (ret > 0)
		waitpid(ret, NULL, 0);
	check_iou_pages("io_uring export: a child that exits leaves it", fd, mem,
			IOU_SIZE);
	close(ring);
	expect_revoked("io_uring export: closing the ring revokes it", fd, 10);
	close(fd);

	check_iou_exit(mem);
	ring = iou_ring();
	check_iou_held(ring);
	close(ring);
	check_iou_bad_input(mem);
	ksft_finished();
}

static void expect_errno(const char *name, int fd, int err)
{
	int ret = phyr_dump(fd, &got);

	ksft_test_result(ret == -err, "%s: %s (expected %s)\n", name,
			 strerror(-ret), strerror(err));
}

int main(int argc, char **argv)
{
	char cmd[64];
	int fd;

	page_size = sysconf(_SC_PAGESIZE);
	ksft_print_header();
	if (access(DUMP, W_OK))
		ksft_exit_skip("%s: %s (CONFIG_DMABUF_PHYR_TEST)\n", DUMP, strerror(errno));
	if (argc > 1 && !strcmp(argv[1], "--iommu"))
		iommu_main();
	if (argc > 1 && !strcmp(argv[1], "--io-uring"))
		iou_main();
	ksft_set_plan(42);

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

	fd = new_udmabuf(32 << 20, 0);
	check_sgt_direct("sgt udmabuf 32 MiB of 4K pages", fd);
	close(fd);
	fd = new_heap(8 << 20);
	check_sgt_direct("sgt system heap 8 MiB", fd);
	check_sgt_classic("sgt-classic system heap 8 MiB (the heap's own map)",
			  fd, "", 64 << 10);
	check_sgt_classic("sgt-classic system heap 8 MiB, a device without a segment limit",
			  fd, "nolimit", UINT32_MAX);
	close(fd);
	fd = new_heap_of("default_cma_region", 8 << 20);
	check_sgt_classic("sgt-classic CMA heap 8 MiB (contiguous, the heap's own map)",
			  fd, "", 64 << 10);
	check_sgt_classic("sgt-classic CMA heap 8 MiB, a device without a segment limit",
			  fd, "nolimit", UINT32_MAX);
	close(fd);
	fd = new_heap(8 << 20);
	check_sgt_sync("sgt-sync system heap 8 MiB", fd, 0);
	close(fd);
	fd = phyr_test_export(64 * page_size, "");
	check_sgt_sync("sgt-sync test exporter", fd, 0);
	close(fd);
	check_pins();

	expect_cmd_errno("pin of unmapped memory", "pin 0 4096", EFAULT);
	expect_cmd_errno("pin of zero bytes", "pin 10000 0", EINVAL);
	expect_cmd_errno("unknown command", "map 3", EINVAL);
	fd = new_udmabuf(16 * page_size, 0);
	snprintf(cmd, sizeof(cmd), "sgt %d 0000:ff:1f.7", fd);
	expect_cmd_errno("sgt for a missing PCI device", cmd, ENODEV);
	close(fd);
	fd = open("/proc/self/status", O_RDONLY);
	snprintf(cmd, sizeof(cmd), "sgt %d", fd);
	expect_cmd_errno("sgt of not a dma-buf", cmd, EINVAL);
	close(fd);
	fd = vgem_dmabuf();
	if (fd < 0) {
		ksft_test_result_fail("sgt of a vgem buffer: no vgem device\n");
		ksft_test_result_fail("sgt-sync of a vgem buffer: no vgem device\n");
		ksft_test_result_fail("sgt-hold of a vgem buffer: no vgem device\n");
	} else {
		snprintf(cmd, sizeof(cmd), "sgt %d", fd);
		expect_cmd_errno("sgt of a vgem buffer (exporter without map_phyr)",
				 cmd, EOPNOTSUPP);
		/*
		 * The importers that write through their table or keep it
		 * past an invalidation leave another driver's buffer alone:
		 * its exporter (vgem: its own map_dma_buf) may move the
		 * memory once it invalidates
		 */
		snprintf(cmd, sizeof(cmd), "sgt-sync %d", fd);
		expect_cmd_errno("sgt-sync of a vgem buffer (its exporter makes its tables)",
				 cmd, EOPNOTSUPP);
		snprintf(cmd, sizeof(cmd), "sgt-hold %d 1000", fd);
		expect_cmd_errno("sgt-hold of a vgem buffer (its exporter makes its tables)",
				 cmd, EOPNOTSUPP);
		close(fd);
	}
	check_test_exporter();
	check_held_importers();
	check_huge_pin();
	ksft_finished();
}
