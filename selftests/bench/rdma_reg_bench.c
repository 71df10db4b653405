// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark (not a test): time the registration of a large buffer on an
 * RDMA device: ibv_reg_mr() of anonymous memory in 4 KiB pages (touched
 * in a scattered order) and in 2 MiB THP, and ibv_reg_dmabuf_mr() of a
 * udmabuf of the same size, whose pages its exporter already holds.
 * Each registration is deregistered before the next; the buffers stay.
 * Prints min and mean per kind and the ratio dma-buf MR / 4 KiB MR.
 *
 * Then the same two buffers (4 KiB pages, THP) become io_uring registered
 * buffers (IORING_REGISTER_BUFFERS, once, not timed against anything):
 * per kind of page, the export of the whole buffer as a dma-buf
 * (IORING_REGISTER_EXPORT_BUFFER) plus ibv_reg_dmabuf_mr() of it is timed
 * against ibv_reg_mr() of the same, already registered and faulted,
 * memory, alternating which goes first; and the deregistrations
 * (ibv_dereg_mr(), plus close() of the dma-buf). Outside the timed calls,
 * the FOLL_PIN pins and the kernel memory (Slab + VmallocUsed) each kind
 * of MR holds while it is registered (medians over the rounds).
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

#include "phyr_test.h"

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

/*
 * Kernel memory that describes buffers, in KiB: Slab + VmallocUsed of
 * /proc/meminfo (kmalloc, large kmalloc, kvmalloc, xarray nodes; exact
 * after the stat_refresh of pins_settled(), unlike MemFree, which moves
 * with the per-CPU page lists); -1 if unreadable
 */
static long kernel_kib(void)
{
	long slab = -1, vmalloc = -1, v;
	char line[128];
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Slab: %ld kB", &v) == 1)
			slab = v;
		else if (sscanf(line, "VmallocUsed: %ld kB", &v) == 1)
			vmalloc = v;
	}
	if (f)
		fclose(f);
	return slab < 0 || vmalloc < 0 ? -1 : slab + vmalloc;
}

#define SAMPLES	16

/* what an MR holds while it is registered, per round: pins, KiB of memory */
struct held {
	long pins[SAMPLES], kib[SAMPLES];
	unsigned int n;
};

struct iou_kind {
	struct timing reg, dereg;		/* ibv_reg_mr / ibv_dereg_mr */
	struct timing exp, dmareg, both;	/* export, ibv_reg_dmabuf_mr, sum */
	struct timing dmadereg, close, dmaboth;	/* ibv_dereg_mr, close, sum */
	struct held mr, dma;
	/* per round: registration and deregistration, user MR and dma-buf MR */
	double r_mr[SAMPLES], r_dma[SAMPLES], d_mr[SAMPLES], d_dma[SAMPLES];
};

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return x < y ? -1 : x > y;
}

static long median(const long *v, unsigned int n)
{
	long s[SAMPLES];

	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_long);
	return n ? (n & 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2) : 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* median of a[i] / b[i] over the first @n rounds (at most SAMPLES) */
static double median_ratio(const double *a, const double *b, unsigned int n)
{
	double r[SAMPLES];
	unsigned int i;

	if (n > SAMPLES)
		n = SAMPLES;
	for (i = 0; i < n; i++)
		r[i] = a[i] / b[i];
	qsort(r, n, sizeof(*r), cmp_double);
	return n ? (n & 1 ? r[n / 2] : (r[n / 2 - 1] + r[n / 2]) / 2) : 0;
}

/*
 * One ibv_reg_mr() of @buf, or (@ring >= 0) one export of registered
 * buffer @idx and ibv_reg_dmabuf_mr() of it, timed with their
 * deregistration. Outside the timed calls: what the MR holds (FOLL_PIN
 * pins and kernel memory, before and while registered).
 */
static int iou_round(struct ibv_pd *pd, int ring, unsigned int idx, char *buf,
		     size_t len, struct iou_kind *k)
{
	struct held *h = ring >= 0 ? &k->dma : &k->mr;
	double t0, t1 = 0, t2;
	long pins0, kib0;
	struct ibv_mr *mr;
	int fd = -1;

	pins0 = pins_settled();
	kib0 = kernel_kib();
	t0 = now();
	if (ring >= 0) {
		fd = iou_export(ring, idx, 0, 0);
		if (fd < 0) {
			errno = -fd;
			return -1;
		}
		t1 = now();
		mr = ibv_reg_dmabuf_mr(pd, 0, len, 0, fd, ACCESS);
	} else {
		mr = ibv_reg_mr(pd, buf, len, ACCESS);
	}
	t2 = now();
	if (!mr)
		return -1;
	if (h->n < SAMPLES) {
		h->pins[h->n] = pins_settled() - pins0;
		h->kib[h->n++] = kernel_kib() - kib0;
	}
	if (ring >= 0) {
		if (k->both.n < SAMPLES)
			k->r_dma[k->both.n] = t2 - t0;
		account(&k->exp, t1 - t0);
		account(&k->dmareg, t2 - t1);
		account(&k->both, t2 - t0);
	} else {
		if (k->reg.n < SAMPLES)
			k->r_mr[k->reg.n] = t2 - t0;
		account(&k->reg, t2 - t0);
	}
	t0 = now();
	if (ibv_dereg_mr(mr))
		return -1;
	t1 = now();
	if (ring < 0) {
		if (k->dereg.n < SAMPLES)
			k->d_mr[k->dereg.n] = t1 - t0;
		account(&k->dereg, t1 - t0);
		return 0;
	}
	close(fd);
	t2 = now();
	if (k->dmaboth.n < SAMPLES)
		k->d_dma[k->dmaboth.n] = t2 - t0;
	account(&k->dmadereg, t1 - t0);
	account(&k->close, t2 - t1);
	account(&k->dmaboth, t2 - t0);
	return 0;
}

/*
 * ibv_reg_mr() of io_uring registered buffer @idx (@buf) against its export
 * plus ibv_reg_dmabuf_mr(), @iters times each, alternating which goes
 * first.
 */
static int iou_compare(struct ibv_pd *pd, int ring, unsigned int idx,
		       char *buf, size_t len, unsigned int iters,
		       struct iou_kind *k)
{
	unsigned int i, j;

	for (i = 0; i < iters; i++)
		for (j = 0; j < 2; j++)
			if (iou_round(pd, (i + j) & 1 ? ring : -1, idx, buf,
				      len, k))
				return -1;
	return 0;
}

static void iou_show(const char *pages, size_t len, struct iou_kind *k)
{
	printf("--- io_uring registered buffer of %zu MiB, %s ---\n", len >> 20,
	       pages);
	show("ibv_reg_mr of the buffer", &k->reg);
	show("export + ibv_reg_dmabuf_mr", &k->both);
	show("  IORING_REGISTER_EXPORT_BUFFER", &k->exp);
	show("  ibv_reg_dmabuf_mr", &k->dmareg);
	printf("ratio export+dma-buf MR / ibv_reg_mr: min %.3f mean %.3f "
	       "median of rounds %.3f\n", k->both.min / k->reg.min,
	       k->both.sum / k->reg.sum,
	       median_ratio(k->r_dma, k->r_mr, k->reg.n));
	show("ibv_dereg_mr (user MR)", &k->dereg);
	show("ibv_dereg_mr + close (dma-buf MR)", &k->dmaboth);
	show("  ibv_dereg_mr", &k->dmadereg);
	show("  close of the dma-buf", &k->close);
	printf("ratio deregistration dma-buf / user MR: min %.3f mean %.3f "
	       "median of rounds %.3f\n", k->dmaboth.min / k->dereg.min,
	       k->dmaboth.sum / k->dereg.sum,
	       median_ratio(k->d_dma, k->d_mr, k->dereg.n));
	printf("held while registered (median of %u): user MR %ld pins, "
	       "%ld KiB slab+vmalloc; dma-buf MR %ld pins, %ld KiB\n", k->mr.n,
	       median(k->mr.pins, k->mr.n), median(k->mr.kib, k->mr.n),
	       median(k->dma.pins, k->dma.n), median(k->dma.kib, k->dma.n));
}

int main(int argc, char **argv)
{
	size_t len = (argc > 2 ? strtoul(argv[2], NULL, 0) : 1024) << 20;
	unsigned int iters = argc > 3 ? atoi(argv[3]) : 5, i;
	struct timing small = {}, thp = {}, dmabuf = {};
	struct iou_kind iou4k = {}, iouthp = {};
	struct ibv_context *ctx = NULL;
	struct iovec iov[2];
	double t0, treg;
	struct ibv_device **list;
	char *b4k, *b2m;
	struct ibv_pd *pd;
	int fd, ring, err;

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
	fflush(stdout);
	close(fd);

	/* both buffers as the buffers 0 and 1 of one ring */
	iov[0] = (struct iovec){ .iov_base = b4k, .iov_len = len };
	iov[1] = (struct iovec){ .iov_base = b2m, .iov_len = len };
	ring = iou_ring();
	t0 = now();
	err = ring < 0 ? -errno : iou_reg(ring, IORING_REGISTER_BUFFERS, iov, 2);
	treg = now() - t0;
	if (err) {
		fprintf(stderr, "io_uring registration: %s\n", strerror(-err));
		return 1;
	}
	printf("IORING_REGISTER_BUFFERS of both (once, not counted): %.2f ms\n",
	       treg * 1e3);
	if (iou_compare(pd, ring, 0, b4k, len, iters, &iou4k) ||
	    iou_compare(pd, ring, 1, b2m, len, iters, &iouthp)) {
		fprintf(stderr, "io_uring export registration: %s\n",
			strerror(errno));
		return 1;
	}
	iou_show("4 KiB pages (scattered)", len, &iou4k);
	iou_show("2 MiB THP", len, &iouthp);
	close(ring);
	return 0;
}
