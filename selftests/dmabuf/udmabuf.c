// SPDX-License-Identifier: GPL-2.0
/*
 * udmabuf from a memfd: the dma-buf mmap must show exactly the memfd's
 * bytes in both directions, for 4 KiB pages and for 2 MiB hugetlb pages,
 * and bad requests must fail with the errno the driver documents.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/dma-buf.h>
#include <linux/udmabuf.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest.h"
#include "phyr_test.h"

#define HPAGE (2UL << 20)

static int dev_fd;

static int memfd_sized(unsigned int flags, size_t size, unsigned int seals)
{
	int fd = memfd_create("phyr-udmabuf", MFD_ALLOW_SEALING | flags);

	if (fd < 0)
		return -1;
	if (ftruncate(fd, size) || (seals && fcntl(fd, F_ADD_SEALS, seals))) {
		close(fd);
		return -1;
	}
	return fd;
}

static int udmabuf_create(int memfd, uint64_t offset, uint64_t size)
{
	struct udmabuf_create c = {
		.memfd = memfd,
		.flags = UDMABUF_FLAGS_CLOEXEC,
		.offset = offset,
		.size = size,
	};

	return ioctl(dev_fd, UDMABUF_CREATE, &c);
}

static int dmabuf_sync(int fd, uint64_t flags)
{
	struct dma_buf_sync s = { .flags = flags };

	return ioctl(fd, DMA_BUF_IOCTL_SYNC, &s);
}

static uint8_t pattern(size_t i, unsigned int seed)
{
	return (uint8_t)((i * 2654435761u) >> 13) ^ seed;
}

/*
 * Map a udmabuf of [offset, offset + size) of a memfd of memfd_size and
 * check the data in both directions. Returns 0 or a negative errno.
 */
static int check_roundtrip(unsigned int mfd_flags, size_t memfd_size,
			   size_t offset, size_t size)
{
	uint8_t *mem, *buf;
	int memfd, dbuf, ret = 0;
	size_t i;

	memfd = memfd_sized(mfd_flags, memfd_size, F_SEAL_SHRINK);
	if (memfd < 0)
		return -errno;
	mem = mmap(NULL, memfd_size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (mem == MAP_FAILED) {
		ret = -errno;
		goto out_memfd;
	}
	for (i = 0; i < memfd_size; i++)
		mem[i] = pattern(i, 0x5a);

	dbuf = udmabuf_create(memfd, offset, size);
	if (dbuf < 0) {
		ret = -errno;
		goto out_unmap_mem;
	}
	buf = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, dbuf, 0);
	if (buf == MAP_FAILED) {
		ret = -errno;
		goto out_dbuf;
	}

	/* memfd -> dma-buf */
	dmabuf_sync(dbuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	for (i = 0; i < size; i++) {
		if (buf[i] != pattern(offset + i, 0x5a)) {
			ksft_print_msg("read mismatch at %zu: %02x != %02x\n", i,
				       buf[i], pattern(offset + i, 0x5a));
			ret = -EIO;
			break;
		}
	}
	dmabuf_sync(dbuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);

	/* dma-buf -> memfd */
	dmabuf_sync(dbuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
	for (i = 0; i < size; i++)
		buf[i] = pattern(i, 0xa5);
	dmabuf_sync(dbuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
	for (i = 0; !ret && i < memfd_size; i++) {
		uint8_t want = (i >= offset && i < offset + size) ?
			       pattern(i - offset, 0xa5) : pattern(i, 0x5a);

		if (mem[i] != want) {
			ksft_print_msg("write mismatch at %zu: %02x != %02x\n",
				       i, mem[i], want);
			ret = -EIO;
		}
	}

	munmap(buf, size);
out_dbuf:
	close(dbuf);
out_unmap_mem:
	munmap(mem, memfd_size);
out_memfd:
	close(memfd);
	return ret;
}

/* Expect UDMABUF_CREATE to fail with @err. */
static void expect_errno(const char *name, int memfd, uint64_t offset,
			 uint64_t size, int err)
{
	int fd = udmabuf_create(memfd, offset, size);

	if (fd >= 0) {
		close(fd);
		ksft_test_result_fail("%s: succeeded, expected %s\n", name, strerror(err));
		return;
	}
	ksft_test_result(errno == err, "%s: %s (expected %s)\n", name,
			 strerror(errno), strerror(err));
}


int main(void)
{
	long page = sysconf(_SC_PAGESIZE);
	int ret, memfd, fd;

	ksft_print_header();
	ksft_set_plan(12);

	dev_fd = open("/dev/udmabuf", O_RDWR);
	if (dev_fd < 0)
		ksft_exit_fail_msg("/dev/udmabuf: %s\n", strerror(errno));

	ret = check_roundtrip(0, 64 * page, 0, 64 * page);
	ksft_test_result(!ret, "4K pages: whole memfd round trip %s\n", ret ? strerror(-ret) : "");
	ret = check_roundtrip(0, 64 * page, 5 * page, 17 * page);
	ksft_test_result(!ret, "4K pages: offset window round trip %s\n", strerror(-ret));
	ret = check_roundtrip(0, 16 << 20, 0, 16 << 20);
	ksft_test_result(!ret, "4K pages: 16 MiB round trip %s\n", strerror(-ret));

	if (free_2m_hugepages() < 4) {
		ksft_test_result_skip("2M hugetlb: whole memfd (no free hugepages)\n");
		ksft_test_result_skip("2M hugetlb: window across a huge page boundary\n");
	} else {
		ret = check_roundtrip(MFD_HUGETLB, 4 * HPAGE, 0, 4 * HPAGE);
		ksft_test_result(!ret, "2M hugetlb: whole memfd round trip %s\n",
				 strerror(-ret));
		ret = check_roundtrip(MFD_HUGETLB, 4 * HPAGE, HPAGE - 3 * page,
				      HPAGE + 6 * page);
		ksft_test_result(!ret, "2M hugetlb: window across a huge page boundary %s\n",
				 strerror(-ret));
	}

	/* Bad input. */
	memfd = memfd_sized(0, 16 * page, 0);
	expect_errno("memfd without F_SEAL_SHRINK", memfd, 0, 16 * page, EINVAL);
	close(memfd);

	memfd = memfd_sized(0, 16 * page, F_SEAL_SHRINK | F_SEAL_WRITE);
	expect_errno("memfd with F_SEAL_WRITE", memfd, 0, 16 * page, EINVAL);
	close(memfd);

	memfd = memfd_sized(0, 16 * page, F_SEAL_SHRINK);
	expect_errno("size not page aligned", memfd, 0, page + 1, EINVAL);
	expect_errno("offset not page aligned", memfd, 1, page, EINVAL);
	expect_errno("window past the end of the memfd", memfd, 8 * page, 16 * page, EINVAL);
	close(memfd);

	fd = open("/proc/self/status", O_RDONLY);
	expect_errno("fd that is not a memfd", fd, 0, page, EBADFD);
	close(fd);
	expect_errno("closed fd", 1000, 0, page, EBADFD);

	close(dev_fd);
	ksft_finished();
}
