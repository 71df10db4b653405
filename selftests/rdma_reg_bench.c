// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark (not a test): time the registration of a large buffer on an
 * RDMA device: ibv_reg_mr() of anonymous memory in 4 KiB pages (touched
 * in a scattered order) and in 2 MiB THP, and ibv_reg_dmabuf_mr() of a
 * udmabuf of the same size, whose pages its exporter already holds.
 * Each registration is deregistered before the next; the buffers stay.
 * Prints min and mean per kind and the ratio dma-buf MR / 4 KiB MR.
 *
 * usage: rdma_reg_bench <device> [MiB] [iterations]
 */
#include <errno.h>
#include <fcntl.h>
#include <infiniband/verbs.h>
#include <linux/udmabuf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define HPAGE	(2UL << 20)
#define ACCESS	(IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | \
		 IBV_ACCESS_REMOTE_READ)

struct timing {
	double min, sum;
	unsigned int n;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void account(struct timing *t, double s)
{
	if (!t->n || s < t->min)
		t->min = s;
	t->sum += s;
	t->n++;
}

/* anonymous memory, every page present: 4 KiB pages in a scattered order, or THP */
static char *anon(size_t len, int thp)
{
	size_t npages = len / 4096, i, at = 0;
	char *raw, *buf;

	raw = mmap(NULL, len + HPAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED)
		return NULL;
	buf = (char *)(((unsigned long)raw + HPAGE - 1) & ~(HPAGE - 1));
	madvise(buf, len, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	if (thp) {
		memset(buf, 1, len);
	} else {
		for (i = 0; i < npages; i++, at = (at + 7919) % npages)
			buf[at * 4096] = 1;
	}
	return buf;
}

static int udmabuf(size_t len)
{
	struct udmabuf_create c = { .flags = UDMABUF_FLAGS_CLOEXEC, .size = len };
	int memfd = memfd_create("rdma-reg-bench", MFD_ALLOW_SEALING);
	int dev = open("/dev/udmabuf", O_RDWR);
	int fd;

	if (memfd < 0 || dev < 0 || ftruncate(memfd, len) ||
	    fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK) ||
	    fallocate(memfd, 0, 0, len))
		return -1;
	c.memfd = memfd;
	fd = ioctl(dev, UDMABUF_CREATE, &c);
	close(dev);
	close(memfd);
	return fd;
}

static int reg(struct ibv_pd *pd, char *buf, int fd, size_t len,
	       struct timing *t)
{
	struct ibv_mr *mr;
	double t0 = now();

	mr = buf ? ibv_reg_mr(pd, buf, len, ACCESS) :
		   ibv_reg_dmabuf_mr(pd, 0, len, 0, fd, ACCESS);
	if (!mr)
		return -1;
	account(t, now() - t0);
	return ibv_dereg_mr(mr);
}

static void show(const char *name, struct timing *t)
{
	printf("%-34s min %8.2f ms  mean %8.2f ms\n", name, t->min * 1e3,
	       t->sum / t->n * 1e3);
}

int main(int argc, char **argv)
{
	size_t len = (argc > 2 ? strtoul(argv[2], NULL, 0) : 1024) << 20;
	unsigned int iters = argc > 3 ? atoi(argv[3]) : 5, i;
	struct timing small = {}, thp = {}, dmabuf = {};
	struct ibv_context *ctx = NULL;
	struct ibv_device **list;
	char *b4k, *b2m;
	struct ibv_pd *pd;
	int fd;

	if (argc < 2) {
		fprintf(stderr, "usage: %s <device> [MiB] [iterations]\n", argv[0]);
		return 2;
	}
	list = ibv_get_device_list(NULL);
	for (i = 0; list && list[i]; i++)
		if (!strcmp(ibv_get_device_name(list[i]), argv[1]))
			ctx = ibv_open_device(list[i]);
	pd = ctx ? ibv_alloc_pd(ctx) : NULL;
	b4k = anon(len, 0);
	b2m = anon(len, 1);
	fd = udmabuf(len);
	if (!pd || !b4k || !b2m || fd < 0) {
		fprintf(stderr, "setup: %s\n", strerror(errno));
		return 1;
	}
	/* interleaved, so that drift in the machine hits all kinds alike */
	for (i = 0; i < iters; i++) {
		if (reg(pd, b4k, -1, len, &small) || reg(pd, b2m, -1, len, &thp) ||
		    reg(pd, NULL, fd, len, &dmabuf)) {
			fprintf(stderr, "registration: %s\n", strerror(errno));
			return 1;
		}
	}
	printf("%s, %zu MiB, %u registrations each\n", argv[1], len >> 20, iters);
	show("ibv_reg_mr, 4 KiB pages", &small);
	show("ibv_reg_mr, 2 MiB THP", &thp);
	show("ibv_reg_dmabuf_mr, udmabuf", &dmabuf);
	printf("ratio dma-buf MR / 4 KiB MR: min %.3f mean %.3f\n",
	       dmabuf.min / small.min, dmabuf.sum / small.sum);
	return 0;
}
