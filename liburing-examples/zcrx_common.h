// SPDX-License-Identifier: GPL-2.0
/*
 * zcrx_common.h: the code that liburing-examples/zcrx_rdma.c and
 * selftests/bench/nsim_rx_bench.c (built with -I../liburing-examples)
 * share, header only:
 *
 *   - the error helpers fail() and fail_errno(), ename();
 *   - the stream pattern, the clock, the parsing of addresses and sizes,
 *     the CPU time of the machine (cpu_ticks_read());
 *   - the TCP side: the listener, accept_one() and the client, which sends
 *     the pattern (send_stream());
 *   - an area of user memory, of a udmabuf, or of an io_uring registered
 *     buffer exported as a dma-buf (revoked by unregistering it), as the
 *     CPU reads it;
 *   - an io_uring zcrx interface queue: its registration with such an
 *     area, its refill ring and its multishot IORING_OP_RECV_ZC requests.
 *
 * The includer defines PROG, its name: the prefix of its messages and the
 * name of its memfds.
 */
#ifndef ZCRX_COMMON_H
#define ZCRX_COMMON_H

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/udmabuf.h>
#include <liburing.h>

#include "buf_export.h"

#ifndef PROG
#error "define PROG, the program's name, before including zcrx_common.h"
#endif

/* ---- errors ---- */

static inline const char *ename(int err)
{
	const char *name = strerrorname_np(err);

	return name ? name : "E?";
}

/* Stop with the error's name and description: "ENOENT (No such file...)". */
#define fail_errno(err, fmt, ...)					\
	do {								\
		fprintf(stderr, PROG ": " fmt ": %s (%s)\n",		\
			##__VA_ARGS__, ename(err), strerror(err));	\
		exit(1);						\
	} while (0)

#define fail(fmt, ...)							\
	do {								\
		fprintf(stderr, PROG ": " fmt "\n", ##__VA_ARGS__);	\
		exit(1);						\
	} while (0)

/* ---- the stream, the clock, parsing ---- */

/* Byte pos of the stream of seed; the pattern repeats every 256 bytes. */
static inline unsigned char pattern(unsigned int seed, uint64_t pos)
{
	return (pos * 31 + seed) & 0xff;
}

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* [str]:port, IPv6; a NULL str is any address. */
static inline void parse_addr(const char *str, int port,
			      struct sockaddr_in6 *sin6)
{
	memset(sin6, 0, sizeof(*sin6));
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	if (!str) {
		sin6->sin6_addr = in6addr_any;
		return;
	}
	if (inet_pton(AF_INET6, str, &sin6->sin6_addr) != 1)
		fail("not an IPv6 address: %s", str);
}

/* A number of bytes with an optional K, M or G suffix, for option opt. */
static inline uint64_t parse_size(const char *opt, const char *str)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(str, &end, 0);
	switch (*end) {
	case 'G': case 'g':
		v <<= 10;
		/* fall through */
	case 'M': case 'm':
		v <<= 10;
		/* fall through */
	case 'K': case 'k':
		v <<= 10;
		end++;
		break;
	}
	if (errno || end == str || *end)
		fail("%s: not a size: %s", opt, str);
	return v;
}

/* ---- CPU time of the machine ---- */

/*
 * The busy time of the whole machine from /proc/stat, in USER_HZ ticks:
 * the benchmarks take it over their timed interval, so that softirq work
 * and the other end of the transfer count as well.
 */

#define MAX_CPUS	64

struct cpu_ticks {
	unsigned long long user, system, irq;	/* user+nice, system, irq+softirq */
	unsigned long long busy[MAX_CPUS];	/* the sum of the three, per CPU */
	int ncpus;
};

static inline void cpu_ticks_read(struct cpu_ticks *t)
{
	unsigned long long user, nice, sys, idle, iowait, irq, softirq;
	char line[512];
	FILE *f = fopen("/proc/stat", "r");
	int cpu;

	if (!f)
		fail_errno(errno, "/proc/stat");
	memset(t, 0, sizeof(*t));
	/* "cpu  USER NICE ..." for the machine, then "cpuN USER NICE ..." */
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "cpu", 3))
			break;
		cpu = -1;
		if (line[3] != ' ' && sscanf(line + 3, "%d", &cpu) != 1)
			fail("/proc/stat: %s", line);
		if (sscanf(line + strcspn(line, " "), "%llu %llu %llu %llu %llu %llu %llu",
			   &user, &nice, &sys, &idle, &iowait, &irq, &softirq) != 7)
			fail("/proc/stat: %s", line);
		if (cpu < 0) {
			t->user = user + nice;
			t->system = sys;
			t->irq = irq + softirq;
		} else if (cpu < MAX_CPUS) {
			t->busy[cpu] = user + nice + sys + irq + softirq;
			if (cpu >= t->ncpus)
				t->ncpus = cpu + 1;
		}
	}
	fclose(f);
}

/* ---- TCP ---- */

/* A socket listening on [addr]:port (NULL: any address) for one connection. */
static inline int listen_tcp(const char *addr, int port)
{
	struct sockaddr_in6 sin6;
	int lfd, one = 1;

	parse_addr(addr, port, &sin6);
	lfd = socket(AF_INET6, SOCK_STREAM, 0);
	if (lfd < 0)
		fail_errno(errno, "socket");
	if (setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		fail_errno(errno, "SO_REUSEADDR");
	if (bind(lfd, (struct sockaddr *)&sin6, sizeof(sin6)))
		fail_errno(errno, "bind [%s]:%d", addr ? addr : "::", port);
	if (listen(lfd, 1))
		fail_errno(errno, "listen");
	return lfd;
}

static inline int accept_one(int lfd, int timeout)
{
	struct pollfd pfd = { .fd = lfd, .events = POLLIN };
	int ret, fd;

	ret = poll(&pfd, 1, timeout * 1000);
	if (ret < 0)
		fail_errno(errno, "poll on the listening socket");
	if (!ret)
		fail("no connection within %d s", timeout);
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		fail_errno(errno, "accept");
	return fd;
}

/*
 * The client: connects to [host]:port, sends bytes of the stream of seed
 * in send()s of up to chunk bytes, then waits for the server to close.
 * The buffer is filled with the pattern once, before connecting: chunk
 * bytes and one period more, so that a send() can start at any position
 * of the stream. Returns the number of bytes sent.
 */
static inline uint64_t send_stream(const char *host, int port, uint64_t bytes,
				   unsigned int seed, size_t chunk, int timeout)
{
	struct timeval tv = { .tv_sec = timeout };
	struct sockaddr_in6 sin6;
	unsigned char *buf = NULL;
	uint64_t sent = 0;
	size_t i;
	char c;
	int fd;

	if (chunk <= SIZE_MAX - 255)
		buf = malloc(chunk + 255);
	if (!buf)
		fail("out of memory");
	for (i = 0; i < chunk + 255; i++)
		buf[i] = pattern(seed, i);

	parse_addr(host, port, &sin6);
	fd = socket(AF_INET6, SOCK_STREAM, 0);
	if (fd < 0)
		fail_errno(errno, "socket");
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
		fail_errno(errno, "socket timeouts");
	if (connect(fd, (struct sockaddr *)&sin6, sizeof(sin6)))
		fail_errno(errno, "connect [%s]:%d", host, port);

	while (sent < bytes) {
		size_t n = chunk;
		ssize_t ret;

		if (n > bytes - sent)
			n = bytes - sent;
		ret = send(fd, buf + sent % 256, n, 0);
		if (ret < 0)
			fail_errno(errno, "send after %" PRIu64 " bytes", sent);
		sent += ret;
	}
	if (shutdown(fd, SHUT_WR))
		fail_errno(errno, "shutdown");
	/* The server closes once it has everything. */
	if (recv(fd, &c, 1, 0) < 0)
		fail_errno(errno, "waiting for the server to close");
	close(fd);
	free(buf);
	return sent;
}

/* ---- memory: user pages, a udmabuf, io_uring's ---- */

struct area {
	unsigned char *cpu;	/* the area as the CPU reads it */
	size_t size;
	int dmabuf_fd;		/* -1 for user memory */
	struct io_uring ring;	/* AREA_IOURING: the ring holding the buffer */
};

enum area_mem {
	AREA_USER,		/* anonymous memory */
	AREA_UDMABUF,		/* a udmabuf made from a memfd */
	AREA_IOURING,		/* an io_uring registered buffer, exported */
};

/*
 * size bytes of anonymous memory, of a udmabuf made from a memfd, or of
 * anonymous memory registered with a ring of its own and exported.
 */
static inline void area_alloc(struct area *a, size_t size, enum area_mem mem)
{
	struct udmabuf_create create = { 0 };
	int memfd, devfd, err;

	a->size = size;
	a->dmabuf_fd = -1;
	if (mem == AREA_USER) {
		a->cpu = mmap(NULL, a->size, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (a->cpu == MAP_FAILED)
			fail_errno(errno, "mmap of a %zu-byte area", a->size);
		return;
	}
	if (mem == AREA_IOURING) {
		struct iovec iov = { .iov_len = a->size };

		a->cpu = mmap(NULL, a->size, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (a->cpu == MAP_FAILED)
			fail_errno(errno, "mmap of a %zu-byte area", a->size);
		iov.iov_base = a->cpu;
		err = io_uring_queue_init(2, &a->ring, 0);
		if (err)
			fail_errno(-err, "io_uring_queue_init for the area");
		err = io_uring_register_buffers(&a->ring, &iov, 1);
		if (err)
			fail_errno(-err, "io_uring_register_buffers of the area");
		a->dmabuf_fd = io_uring_register_buffer_export(&a->ring, 0, 0, 0,
							       0);
		if (a->dmabuf_fd < 0)
			fail_errno(-a->dmabuf_fd, "IORING_REGISTER_EXPORT_BUFFER");
		return;
	}
	memfd = memfd_create(PROG, MFD_ALLOW_SEALING);
	if (memfd < 0)
		fail_errno(errno, "memfd_create");
	if (ftruncate(memfd, a->size))
		fail_errno(errno, "ftruncate memfd to %zu", a->size);
	if (fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK))
		fail_errno(errno, "F_SEAL_SHRINK on the memfd");
	devfd = open("/dev/udmabuf", O_RDWR);
	if (devfd < 0)
		fail_errno(errno, "open /dev/udmabuf");
	create.memfd = memfd;
	create.flags = UDMABUF_FLAGS_CLOEXEC;
	create.size = a->size;
	a->dmabuf_fd = ioctl(devfd, UDMABUF_CREATE, &create);
	if (a->dmabuf_fd < 0)
		fail_errno(errno, "UDMABUF_CREATE of %zu bytes", a->size);
	close(devfd);
	close(memfd);
	a->cpu = mmap(NULL, a->size, PROT_READ, MAP_SHARED, a->dmabuf_fd, 0);
	if (a->cpu == MAP_FAILED)
		fail_errno(errno, "mmap of the dma-buf");
}

/* Bracket the CPU's reads of a dma-buf area (no-op for user memory). */
static inline void area_sync(const struct area *a, __u64 flags)
{
	struct dma_buf_sync sync = { .flags = flags | DMA_BUF_SYNC_READ };

	if (a->dmabuf_fd < 0)
		return;
	if (ioctl(a->dmabuf_fd, DMA_BUF_IOCTL_SYNC, &sync))
		fail_errno(errno, "DMA_BUF_IOCTL_SYNC");
}

/* The CPU's view of len bytes at off, which the kernel said hold data. */
static inline const unsigned char *area_at(const struct area *a, __u64 off,
					   __u32 len)
{
	if (off > a->size || len > a->size - off)
		fail("data beyond the area: offset %llu, %u bytes",
		     (unsigned long long)off, len);
	return a->cpu + off;
}

/* ---- io_uring zero-copy receive ---- */

/*
 * liburing 2.15 knows struct io_uring_zcrx_ifq_reg without the event
 * descriptor that asks for copy-fallback statistics; the kernel's layout.
 */
struct zcrx_reg {
	__u32	if_idx;
	__u32	if_rxq;
	__u32	rq_entries;
	__u32	flags;
	__u64	area_ptr;
	__u64	region_ptr;
	struct io_uring_zcrx_offsets offsets;
	__u32	zcrx_id;
	__u32	rx_buf_len;
	__u64	event_desc;
	__u64	__resv[2];
};

struct zcrx_event_desc {
	__u64	user_data;
	__u32	type_mask;
	__u32	flags;
	__u64	stats_offset;
	__u64	__resv2[9];
};

#define ZCRX_EVENT_DESC_FLAG_STATS	1

struct zcrx_stats {
	__u64	copy_count;
	__u64	copy_bytes;
};

_Static_assert(sizeof(struct zcrx_reg) == sizeof(struct io_uring_zcrx_ifq_reg),
	       "zcrx_reg must match struct io_uring_zcrx_ifq_reg");

#define RQ_ENTRIES	4096
#define RECV_TAG	1

/* A registered zcrx interface queue and its refill ring. */
struct zcrx_ifq {
	__u32 id;
	__u32 rx_buf_len;
	__u64 token;		/* the area's, in every refill entry */
	__u32 *khead;
	__u32 *ktail;
	__u32 tail;
	__u32 mask;
	struct io_uring_zcrx_rqe *rqes;
	struct zcrx_stats *stats;	/* NULL: kernel without zcrx events */
};

/*
 * A ring with the big CQEs of RECV_ZC and the task work that zcrx needs,
 * for an area of @area_size bytes. A buffer of the area is in at most one
 * completion until it is handed back, so a CQ with an entry per buffer
 * (and a few for the requests' final CQEs) does not fill up; when it does
 * anyway, the request ends with -ENOSPC and is armed again, see
 * zcrx_cqe_data().
 */
static inline void zcrx_ring_init(struct io_uring *ring, size_t area_size)
{
	struct io_uring_params p = { 0 };
	int ret;

	p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
		  IORING_SETUP_CQE32 | IORING_SETUP_SUBMIT_ALL |
		  IORING_SETUP_CQSIZE;
	p.cq_entries = area_size / sysconf(_SC_PAGESIZE) + 16;
	ret = io_uring_queue_init_params(16, ring, &p);
	if (ret)
		fail_errno(-ret, "io_uring_queue_init_params");
}

/*
 * Register a zcrx interface queue on RX queue @queue of @ifindex with
 * area @a and buffers of @rx_buf_len bytes (0: the page size; a power of
 * two the device supports as rx-page-size, dividing the area), asking for
 * copy-fallback statistics (retried without them on a kernel that knows
 * no zcrx events), and fill in @q. Returns
 * io_uring_register_ifq()'s result: 0, or a negative error code for the
 * caller to report.
 */
static inline int zcrx_register(struct io_uring *ring, unsigned int ifindex,
				int queue, const struct area *a,
				__u32 rx_buf_len, struct zcrx_ifq *q)
{
	struct io_uring_zcrx_area_reg area_reg;
	struct io_uring_region_desc region;
	struct zcrx_event_desc ev;
	struct zcrx_reg reg;
	size_t ring_size, stats_off;
	long page_size = sysconf(_SC_PAGESIZE);
	void *ring_mem;
	bool stats = true;
	int ret;

	/* Header (head, tail), the entries, then the statistics. */
	stats_off = page_size + RQ_ENTRIES * sizeof(struct io_uring_zcrx_rqe);
	ring_size = stats_off + sizeof(struct zcrx_stats);
	ring_size = (ring_size + page_size - 1) & ~(page_size - 1);
	ring_mem = mmap(NULL, ring_size, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ring_mem == MAP_FAILED)
		fail_errno(errno, "mmap of the refill ring");

again:
	memset(&area_reg, 0, sizeof(area_reg));
	area_reg.len = a->size;
	if (a->dmabuf_fd >= 0) {
		area_reg.addr = 0;	/* offset into the dma-buf */
		area_reg.flags = IORING_ZCRX_AREA_DMABUF;
		area_reg.dmabuf_fd = a->dmabuf_fd;
	} else {
		area_reg.addr = (__u64)(uintptr_t)a->cpu;
	}
	memset(&region, 0, sizeof(region));
	region.user_addr = (__u64)(uintptr_t)ring_mem;
	region.size = ring_size;
	region.flags = IORING_MEM_REGION_TYPE_USER;
	memset(&ev, 0, sizeof(ev));
	ev.flags = ZCRX_EVENT_DESC_FLAG_STATS;
	ev.stats_offset = stats_off;
	memset(&reg, 0, sizeof(reg));
	reg.if_idx = ifindex;
	reg.if_rxq = queue;
	reg.rq_entries = RQ_ENTRIES;
	reg.rx_buf_len = rx_buf_len;
	reg.area_ptr = (__u64)(uintptr_t)&area_reg;
	reg.region_ptr = (__u64)(uintptr_t)&region;
	if (stats)
		reg.event_desc = (__u64)(uintptr_t)&ev;

	ret = io_uring_register_ifq(ring, (struct io_uring_zcrx_ifq_reg *)&reg);
	if (ret == -EINVAL && stats) {
		/* A kernel without zcrx events: no copy statistics. */
		stats = false;
		goto again;
	}
	if (ret)
		return ret;

	q->id = reg.zcrx_id;
	q->rx_buf_len = reg.rx_buf_len;
	q->token = area_reg.rq_area_token;
	q->khead = (__u32 *)((char *)ring_mem + reg.offsets.head);
	q->ktail = (__u32 *)((char *)ring_mem + reg.offsets.tail);
	q->rqes = (struct io_uring_zcrx_rqe *)((char *)ring_mem +
					       reg.offsets.rqes);
	q->tail = 0;
	q->mask = reg.rq_entries - 1;
	q->stats = stats ? (struct zcrx_stats *)((char *)ring_mem + stats_off)
			 : NULL;
	return 0;
}

/*
 * Submit a multishot IORING_OP_RECV_ZC of fd into q's area that ends
 * after len bytes (0: at the end of the stream). A request that reached
 * its len ends with a res 0 CQE, as one at the end of the stream does.
 */
static inline void zcrx_arm_len(struct io_uring *ring, int fd,
				const struct zcrx_ifq *q, __u32 len)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (!sqe)
		fail("no free SQE");
	io_uring_prep_rw(IORING_OP_RECV_ZC, sqe, fd, NULL, len, 0);
	sqe->ioprio |= IORING_RECV_MULTISHOT;
	sqe->zcrx_ifq_idx = q->id;
	sqe->user_data = RECV_TAG;
}

/* Submit a multishot IORING_OP_RECV_ZC of fd into q's area. */
static inline void zcrx_arm(struct io_uring *ring, int fd,
			    const struct zcrx_ifq *q)
{
	zcrx_arm_len(ring, fd, q, 0);
}

/*
 * The data of a RECV_ZC completion in area a, NULL for none; *off is
 * where it is, for zcrx_refill(). The request's last CQE (without
 * IORING_CQE_F_MORE) sets *eof at the end of the stream (res 0), else
 * *rearm: the caller submits a new request. received is for the message
 * of a failed request.
 */
static inline const unsigned char *
zcrx_cqe_data(const struct io_uring_cqe *cqe, const struct area *a,
	      uint64_t received, __u64 *off, bool *eof, bool *rearm)
{
	const struct io_uring_zcrx_cqe *rcqe;

	if (cqe->res == -ENOSPC) {
		/* The CQ was full: the socket keeps the rest for the next. */
		*rearm = true;
		return NULL;
	}
	if (cqe->res < 0)
		fail_errno(-cqe->res, "IORING_OP_RECV_ZC after %" PRIu64 " bytes",
			   received);
	if (!(cqe->flags & IORING_CQE_F_MORE)) {
		/* The final CQE of the request: 0 at the end of the stream. */
		if (!cqe->res)
			*eof = true;
		else
			*rearm = true;
	}
	if (!cqe->res)
		return NULL;

	rcqe = (const struct io_uring_zcrx_cqe *)(cqe + 1);
	*off = rcqe->off & ~IORING_ZCRX_AREA_MASK;
	return area_at(a, *off, cqe->res);
}

/* Hand the buffer of len bytes at off in the area back to the kernel. */
static inline void zcrx_refill(struct zcrx_ifq *q, __u64 off, __u32 len)
{
	struct io_uring_zcrx_rqe *rqe;

	if (q->tail - io_uring_smp_load_acquire(q->khead) > q->mask)
		fail("refill ring full (%u entries)", q->mask + 1);
	rqe = &q->rqes[q->tail & q->mask];
	rqe->off = (off & ~IORING_ZCRX_AREA_MASK) | q->token;
	rqe->len = len;
	io_uring_smp_store_release(q->ktail, ++q->tail);
}

#endif /* ZCRX_COMMON_H */
