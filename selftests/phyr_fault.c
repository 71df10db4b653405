// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection over the phyr build and map paths. For each operation
 * (udmabuf and system heap creation, a phyr import of each, the converter
 * for classic importers, phyr_pin_user() of 4 KiB pages and of a THP,
 * an io_uring registered buffer exported as a dma-buf and both imports of
 * the export) the
 * test fails the operation's 1st, 2nd, 3rd ... allocation with fail-nth
 * (failslab and fail_page_alloc armed for every allocation) until the
 * operation completes without reaching the armed failure. Every attempt
 * that hit the failure must fail with ENOMEM and leave nothing pinned
 * (nr_foll_pin_acquired - nr_foll_pin_released in /proc/vmstat is back
 * where it was); the operation must then still give the same answer as
 * before the sweep. Leaks are left to kmemleak and splats to the console
 * check of 'make check'.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/dma-heap.h>
#include <linux/io_uring.h>
#include <linux/udmabuf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "kselftest.h"
#include "helpers.h"

#define DUMP		"/sys/kernel/debug/dma_buf_phyr_test"
#define HPAGE		(2UL << 20)
#define MAX_NTH		2000
#define REPLY		(1 << 20)

static long page_size;
static int nth_fd, dump_fd;
static char reply[REPLY], reference[REPLY];

/* Arm failslab and fail_page_alloc for every allocation, silently. */
static void setup_injection(void)
{
	static const char *const knobs[][2] = {
		{ "/sys/kernel/debug/failslab/ignore-gfp-wait", "N" },
		{ "/sys/kernel/debug/failslab/verbose", "0" },
		{ "/sys/kernel/debug/fail_page_alloc/ignore-gfp-wait", "N" },
		{ "/sys/kernel/debug/fail_page_alloc/ignore-gfp-highmem", "N" },
		{ "/sys/kernel/debug/fail_page_alloc/min-order", "0" },
		{ "/sys/kernel/debug/fail_page_alloc/verbose", "0" },
	};
	unsigned int i;

	for (i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++)
		if (write_str(knobs[i][0], knobs[i][1]))
			ksft_exit_skip("%s: %s (CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC)\n",
				       knobs[i][0], strerror(errno));
	nth_fd = open("/proc/thread-self/fail-nth", O_RDWR);
	if (nth_fd < 0)
		ksft_exit_skip("fail-nth: %s (CONFIG_FAULT_INJECTION)\n",
			       strerror(errno));
}

static void arm(unsigned int nth)
{
	char num[16];
	int len = snprintf(num, sizeof(num), "%u", nth);

	if (pwrite(nth_fd, num, len, 0) != len)
		ksft_exit_fail_msg("fail-nth: %s\n", strerror(errno));
}

/* Disarm; true if the armed failure was reached. */
static int disarm(void)
{
	char num[16] = "";
	int hit;

	if (pread(nth_fd, num, sizeof(num) - 1, 0) <= 0)
		ksft_exit_fail_msg("fail-nth: %s\n", strerror(errno));
	hit = atoi(num) == 0;
	arm(0);
	return hit;
}

/*
 * An operation under test: one system call, made between arm() and
 * disarm(). It returns a resource to release (an fd) or -1 with errno,
 * and may leave its answer in reply[].
 */
struct op {
	const char *name;
	int (*run)(struct op *op);
	void (*release)(int res);
	int fd;			/* memfd or io_uring the operation uses */
	char cmd[96];		/* test importer command */
	unsigned int nth;	/* fault point to fail, 0 for none */
};

static void close_res(int res)
{
	close(res);
}

static void no_release(int res)
{
	(void)res;
}

/* One ioctl on a device node, armed to fail its op->nth fault point. */
static int armed_ioctl(struct op *op, const char *path, int flags,
		       unsigned long req, void *arg)
{
	int fd = open(path, flags), ret, err;

	if (fd < 0)
		return -1;
	arm(op->nth);
	ret = ioctl(fd, req, arg);
	err = errno;
	close(fd);
	errno = err;
	return ret;
}

static int run_udmabuf(struct op *op)
{
	struct udmabuf_create c = {
		.memfd = op->fd,
		.flags = UDMABUF_FLAGS_CLOEXEC,
		.size = 256 * page_size,
	};

	return armed_ioctl(op, "/dev/udmabuf", O_RDWR, UDMABUF_CREATE, &c);
}

static int run_heap(struct op *op)
{
	struct dma_heap_allocation_data d = {
		.len = 4 << 20,
		.fd_flags = O_RDWR | O_CLOEXEC,
	};

	if (armed_ioctl(op, "/dev/dma_heap/system", O_RDONLY,
			DMA_HEAP_IOCTL_ALLOC, &d))
		return -1;
	return (int)d.fd;
}

/* IORING_REGISTER_EXPORT_BUFFER of buffer 0 of ring op->fd. */
static int run_iou_export(struct op *op)
{
	int ret;

	arm(op->nth);
	ret = iou_export(op->fd, 0, 0, 0);
	if (ret < 0)
		errno = -ret;
	return ret < 0 ? -1 : ret;
}

/* A test importer command; its reply is the operation's answer. */
static int run_cmd(struct op *op)
{
	ssize_t n;

	arm(op->nth);
	if (write(dump_fd, op->cmd, strlen(op->cmd)) < 0)
		return -1;
	n = pread(dump_fd, reply, sizeof(reply) - 1, 0);
	if (n < 0)
		return -1;
	reply[n] = '\0';
	return 0;
}

/*
 * Run @op with its 1st, 2nd, ... fault point failing until it completes
 * without reaching the failure.
 */
static void sweep(struct op *op)
{
	long pins = pins_settled(), now;
	unsigned int failed = 0, bad = 0;
	int res, hit, err = 0;

	/* the answer without injection */
	op->nth = 0;
	reply[0] = '\0';
	res = op->run(op);
	disarm();
	if (res < 0) {
		ksft_test_result_fail("%s: %s without fault injection\n", op->name,
				      strerror(errno));
		return;
	}
	op->release(res);
	memcpy(reference, reply, sizeof(reply));

	for (op->nth = 1; op->nth <= MAX_NTH; op->nth++) {
		reply[0] = '\0';
		res = op->run(op);	/* arms right before its system call */
		err = errno;
		hit = disarm();
		if (res >= 0)
			op->release(res);
		if (!hit)
			break;
		if (res >= 0)
			continue;	/* a failure the operation absorbs */
		failed++;
		if (err != ENOMEM && bad++ < 5)
			ksft_print_msg("%s: failing fault point %u: %s, expected ENOMEM\n",
				       op->name, op->nth, strerror(err));
	}
	if (op->nth > MAX_NTH) {
		ksft_test_result_fail("%s: still reaching the failure after %u fault points\n",
				      op->name, MAX_NTH);
		return;
	}
	if (res < 0) {
		ksft_test_result_fail("%s: %s after the sweep\n", op->name, strerror(err));
		return;
	}
	if (strcmp(reply, reference)) {
		ksft_print_msg("%s: answer after the sweep differs:\n%.300s\nexpected:\n%.300s\n",
			       op->name, reply, reference);
		bad++;
	}
	now = pins_settled();
	if (pins < 0 || now != pins) {
		ksft_print_msg("%s: %ld pins held, %ld before\n", op->name,
			       now, pins);
		bad++;
	}
	ksft_test_result(!bad && failed,
			 "%s: %u fault points, %u failed with ENOMEM, nothing left pinned\n",
			 op->name, op->nth - 1, failed);
}

/* A memfd of @npages pages allocated out of physical order. */
static int scattered_memfd(size_t npages)
{
	int fd = memfd_create("phyr-fault", MFD_ALLOW_SEALING);
	size_t i, at = 0;
	char *mem;

	if (fd < 0 || ftruncate(fd, npages * page_size) ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK))
		ksft_exit_fail_msg("memfd: %s\n", strerror(errno));
	mem = mmap(NULL, npages * page_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   fd, 0);
	if (mem == MAP_FAILED)
		ksft_exit_fail_msg("mmap: %s\n", strerror(errno));
	for (i = 0; i < npages; i++, at = (at + 97) % npages)
		mem[at * page_size] = (char)i;
	munmap(mem, npages * page_size);
	return fd;
}

int main(void)
{
	struct udmabuf_create c = { .flags = UDMABUF_FLAGS_CLOEXEC };
#define OP(n, r, rel) { .name = n, .run = r, .release = rel }
	struct op udmabuf = OP("udmabuf create", run_udmabuf, close_res);
	struct op heap = OP("system heap alloc", run_heap, close_res);
	struct op iou = OP("io_uring buffer export", run_iou_export, close_res);
	size_t ilen = 1 << 20;
	char *imem;
	int ibuf;
	struct op ops[8] = {
		OP("phyr import of a udmabuf", run_cmd, no_release),
		OP("phyr import of a system heap buffer", run_cmd, no_release),
		OP("sgt converter, udmabuf", run_cmd, no_release),
		OP("sgt converter, system heap", run_cmd, no_release),
		OP("phyr_pin_user, 1024 scattered 4K pages", run_cmd, no_release),
		OP("phyr_pin_user, 2 MiB THP + 4K pages", run_cmd, no_release),
		OP("phyr import of an io_uring export", run_cmd, no_release),
		OP("sgt converter, io_uring export", run_cmd, no_release),
	};
	int dev, ubuf, hbuf;
	size_t npages = 1024, i, at = 0;
	char *anon, *thp;
	unsigned int k;

	page_size = sysconf(_SC_PAGESIZE);
	ksft_print_header();
	dump_fd = open(DUMP, O_RDWR);
	if (dump_fd < 0)
		ksft_exit_skip("%s: %s (CONFIG_DMABUF_PHYR_TEST)\n", DUMP, strerror(errno));
	setup_injection();
	ksft_set_plan(11);

	/* the buffers the imports use, made without injection */
	udmabuf.fd = scattered_memfd(256);
	c.memfd = udmabuf.fd;
	c.size = 256 * page_size;
	dev = open("/dev/udmabuf", O_RDWR);
	ubuf = dev < 0 ? -1 : ioctl(dev, UDMABUF_CREATE, &c);
	heap.nth = 0;
	hbuf = run_heap(&heap);
	if (ubuf < 0 || hbuf < 0)
		ksft_exit_fail_msg("buffers: %s\n", strerror(errno));
	close(dev);
	snprintf(ops[0].cmd, sizeof(ops[0].cmd), "%d", ubuf);
	snprintf(ops[1].cmd, sizeof(ops[1].cmd), "%d", hbuf);
	snprintf(ops[2].cmd, sizeof(ops[2].cmd), "sgt %d", ubuf);
	snprintf(ops[3].cmd, sizeof(ops[3].cmd), "sgt %d", hbuf);

	/* more than one batch of pins, scattered: the list is resized */
	anon = mmap(NULL, npages * page_size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	thp = mmap(NULL, 3 * HPAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (anon == MAP_FAILED || thp == MAP_FAILED)
		ksft_exit_fail_msg("mmap: %s\n", strerror(errno));
	madvise(anon, npages * page_size, MADV_NOHUGEPAGE);
	for (i = 0; i < npages; i++, at = (at + 97) % npages)
		anon[at * page_size] = (char)i;
	thp = (char *)(((uintptr_t)thp + HPAGE - 1) & ~(HPAGE - 1));
	madvise(thp, HPAGE, MADV_HUGEPAGE);
	memset(thp, 7, HPAGE + 16 * page_size);
	snprintf(ops[4].cmd, sizeof(ops[4].cmd), "pin %lx %zu",
		 (unsigned long)anon, npages * page_size);
	snprintf(ops[5].cmd, sizeof(ops[5].cmd), "pin %lx %zu",
		 (unsigned long)thp + 100, HPAGE + 16 * page_size - 200);

	/* an io_uring registered buffer of 1 MiB and its export */
	imem = mmap(NULL, ilen, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	iou.fd = iou_ring();
	if (imem == MAP_FAILED || iou.fd < 0)
		ksft_exit_fail_msg("io_uring buffer: %s\n", strerror(errno));
	if (iou_register(iou.fd, imem, ilen))
		ksft_exit_fail_msg("io_uring buffer: registration failed\n");
	memset(imem, 3, ilen);
	iou.nth = 0;
	ibuf = run_iou_export(&iou);
	if (ibuf < 0)
		ksft_exit_fail_msg("io_uring export: %s\n", strerror(errno));
	snprintf(ops[6].cmd, sizeof(ops[6].cmd), "%d", ibuf);
	snprintf(ops[7].cmd, sizeof(ops[7].cmd), "sgt %d", ibuf);

	sweep(&udmabuf);
	sweep(&heap);
	sweep(&iou);
	for (k = 0; k < 8; k++)
		sweep(&ops[k]);
	close(ibuf);
	close(iou.fd);

	close(ubuf);
	close(hbuf);
	close(udmabuf.fd);
	ksft_finished();
}
