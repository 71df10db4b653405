// SPDX-License-Identifier: GPL-2.0
/*
 * zcrx_nsim: io_uring zero-copy receive (zcrx) of one TCP stream.
 *
 * Server (-i IFNAME -q QUEUE): registers a zcrx interface queue on RX queue
 * QUEUE of IFNAME with an area of user memory (anonymous mmap), or with -d
 * an area of a dma-buf (a udmabuf made from a memfd, read by the CPU through
 * its mmap), then listens on [ADDR]:PORT (IPv6), accepts one connection and
 * receives it with a multishot IORING_OP_RECV_ZC. Each completion is a big
 * CQE whose struct io_uring_zcrx_cqe gives where in the area the kernel
 * placed the data; the bytes are checked against the stream pattern
 *
 *	byte i of the stream = (i * 31 + seed) & 0xff
 *
 * and the buffer is handed back through the refill ring. The kernel's
 * copy-fallback statistics (data that did not arrive in area buffers and
 * was copied into them) are read from the refill ring region.
 *
 * Client (-c HOST): connects to HOST:PORT and sends the pattern.
 *
 * Exit status 0 only when exactly the expected bytes arrived and all of
 * them matched (with -z, also none through the copy fallback).
 *
 * Made for two linked netdevsim ports (selftests/zcrx_nsim.sh); the
 * receiving port needs header split (tcp-data-split on, hds-thresh 0) and
 * the flow steered to QUEUE, like a NIC would.
 *
 *	zcrx_nsim -i eth0 -q 3 [-d] [-z] [-a ADDR] [-p PORT] [-n BYTES] [-s SEED]
 *	zcrx_nsim -c HOST [-p PORT] [-n BYTES] [-s SEED]
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <net/if.h>
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

static struct {
	bool client;
	const char *host;
	const char *ifname;
	int queue;
	const char *addr;
	int port;
	uint64_t bytes;
	unsigned int seed;
	bool dmabuf;
	bool strict;
	size_t area_size;
	int timeout;
	size_t chunk;
	uint64_t revoke_at;
} cfg = {
	.queue = -1,
	.port = 9999,
	.bytes = 4 << 20,
	.seed = 7,
	.area_size = 4 << 20,
	.timeout = 30,
	.chunk = 64 << 10,
};

static long page_size;

static const char *ename(int err)
{
	const char *name = strerrorname_np(err);

	return name ? name : "E?";
}

#define fail_errno(err, fmt, ...)					\
	do {								\
		fprintf(stderr, "zcrx_nsim: " fmt ": %s (%s)\n",	\
			##__VA_ARGS__, ename(err), strerror(err));	\
		exit(1);						\
	} while (0)

#define fail(fmt, ...)							\
	do {								\
		fprintf(stderr, "zcrx_nsim: " fmt "\n", ##__VA_ARGS__);	\
		exit(1);						\
	} while (0)

static inline unsigned char pattern(uint64_t pos)
{
	return (pos * 31 + cfg.seed) & 0xff;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void parse_addr(const char *str, struct sockaddr_in6 *sin6)
{
	memset(sin6, 0, sizeof(*sin6));
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(cfg.port);
	if (!str) {
		sin6->sin6_addr = in6addr_any;
		return;
	}
	if (inet_pton(AF_INET6, str, &sin6->sin6_addr) != 1)
		fail("not an IPv6 address: %s", str);
}

/* ---- client ---- */

static int run_client(void)
{
	struct timeval tv = { .tv_sec = cfg.timeout };
	struct sockaddr_in6 sin6;
	unsigned char *buf;
	uint64_t sent = 0;
	char c;
	int fd;

	parse_addr(cfg.host, &sin6);
	fd = socket(AF_INET6, SOCK_STREAM, 0);
	if (fd < 0)
		fail_errno(errno, "socket");
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
		fail_errno(errno, "socket timeouts");
	if (connect(fd, (struct sockaddr *)&sin6, sizeof(sin6)))
		fail_errno(errno, "connect [%s]:%d", cfg.host, cfg.port);

	buf = malloc(cfg.chunk);
	if (!buf)
		fail("out of memory");
	while (sent < cfg.bytes) {
		size_t n = cfg.chunk, i;
		ssize_t ret;

		if (n > cfg.bytes - sent)
			n = cfg.bytes - sent;
		for (i = 0; i < n; i++)
			buf[i] = pattern(sent + i);
		ret = send(fd, buf, n, 0);
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
	printf("zcrx_nsim: sent %" PRIu64 " bytes to [%s]:%d\n",
	       sent, cfg.host, cfg.port);
	return 0;
}

/* ---- server ---- */

struct area {
	unsigned char *cpu;	/* the area as the CPU reads it */
	size_t size;
	int dmabuf_fd;		/* -1 for user memory */
	__u64 token;
};

struct refill {
	__u32 *khead;
	__u32 *ktail;
	__u32 tail;
	__u32 mask;
	struct io_uring_zcrx_rqe *rqes;
	struct zcrx_stats *stats;
};

static void area_alloc(struct io_uring_zcrx_area_reg *reg, struct area *a)
{
	struct udmabuf_create create = { 0 };
	int memfd, devfd;

	a->size = cfg.area_size;
	a->dmabuf_fd = -1;
	memset(reg, 0, sizeof(*reg));
	reg->len = a->size;

	if (!cfg.dmabuf) {
		a->cpu = mmap(NULL, a->size, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (a->cpu == MAP_FAILED)
			fail_errno(errno, "mmap of a %zu-byte area", a->size);
		reg->addr = (__u64)(uintptr_t)a->cpu;
		return;
	}

	memfd = memfd_create("zcrx_nsim", MFD_ALLOW_SEALING);
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
	reg->addr = 0;		/* offset into the dma-buf */
	reg->flags = IORING_ZCRX_AREA_DMABUF;
	reg->dmabuf_fd = a->dmabuf_fd;
}

/* Bracket the CPU's reads of a dma-buf area (no-op for user memory). */
static void area_sync(const struct area *a, __u64 flags)
{
	struct dma_buf_sync sync = { .flags = flags | DMA_BUF_SYNC_READ };

	if (a->dmabuf_fd < 0)
		return;
	if (ioctl(a->dmabuf_fd, DMA_BUF_IOCTL_SYNC, &sync))
		fail_errno(errno, "DMA_BUF_IOCTL_SYNC");
}

static __u32 zcrx_register(struct io_uring *ring, struct area *a,
			   struct refill *rq)
{
	struct io_uring_zcrx_area_reg area_reg;
	struct io_uring_region_desc region;
	struct zcrx_event_desc ev;
	struct zcrx_reg reg;
	size_t ring_size, stats_off;
	unsigned int ifindex;
	void *ring_mem;
	bool stats = true;
	int ret;

	ifindex = if_nametoindex(cfg.ifname);
	if (!ifindex)
		fail_errno(errno, "interface %s", cfg.ifname);
	area_alloc(&area_reg, a);

	/* Header (head, tail), the entries, then the statistics. */
	stats_off = page_size + RQ_ENTRIES * sizeof(struct io_uring_zcrx_rqe);
	ring_size = stats_off + sizeof(struct zcrx_stats);
	ring_size = (ring_size + page_size - 1) & ~(page_size - 1);
	ring_mem = mmap(NULL, ring_size, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ring_mem == MAP_FAILED)
		fail_errno(errno, "mmap of the refill ring");

again:
	memset(&region, 0, sizeof(region));
	region.user_addr = (__u64)(uintptr_t)ring_mem;
	region.size = ring_size;
	region.flags = IORING_MEM_REGION_TYPE_USER;
	memset(&ev, 0, sizeof(ev));
	ev.flags = ZCRX_EVENT_DESC_FLAG_STATS;
	ev.stats_offset = stats_off;
	memset(&reg, 0, sizeof(reg));
	reg.if_idx = ifindex;
	reg.if_rxq = cfg.queue;
	reg.rq_entries = RQ_ENTRIES;
	reg.area_ptr = (__u64)(uintptr_t)&area_reg;
	reg.region_ptr = (__u64)(uintptr_t)&region;
	if (stats)
		reg.event_desc = (__u64)(uintptr_t)&ev;
	area_reg.rq_area_token = 0;

	ret = io_uring_register_ifq(ring, (struct io_uring_zcrx_ifq_reg *)&reg);
	if (ret == -EINVAL && stats) {
		/* A kernel without zcrx events: no copy statistics. */
		stats = false;
		goto again;
	}
	if (ret)
		fail_errno(-ret, "io_uring_register_ifq(%s queue %d, %s area of %zu bytes)",
			   cfg.ifname, cfg.queue,
			   cfg.dmabuf ? "dma-buf" : "user memory", a->size);

	rq->khead = (__u32 *)((char *)ring_mem + reg.offsets.head);
	rq->ktail = (__u32 *)((char *)ring_mem + reg.offsets.tail);
	rq->rqes = (struct io_uring_zcrx_rqe *)((char *)ring_mem +
						reg.offsets.rqes);
	rq->tail = 0;
	rq->mask = reg.rq_entries - 1;
	rq->stats = stats ? (struct zcrx_stats *)((char *)ring_mem + stats_off)
			  : NULL;
	a->token = area_reg.rq_area_token;
	printf("zcrx_nsim: zcrx %u on %s (ifindex %u) queue %d: %s area %zu bytes, rx_buf_len %u, %u refill entries%s\n",
	       reg.zcrx_id, cfg.ifname, ifindex, cfg.queue,
	       cfg.dmabuf ? "dma-buf" : "user-memory", a->size,
	       reg.rx_buf_len, reg.rq_entries,
	       stats ? "" : " (no copy statistics: kernel without zcrx events)");
	return reg.zcrx_id;
}

static void refill_push(struct refill *rq, const struct area *a,
			__u64 off, __u32 len)
{
	struct io_uring_zcrx_rqe *rqe;

	if (rq->tail - io_uring_smp_load_acquire(rq->khead) > rq->mask)
		fail("refill ring full (%u entries)", rq->mask + 1);
	rqe = &rq->rqes[rq->tail & rq->mask];
	rqe->off = (off & ~IORING_ZCRX_AREA_MASK) | a->token;
	rqe->len = len;
	io_uring_smp_store_release(rq->ktail, ++rq->tail);
}

static void arm_recv_zc(struct io_uring *ring, int fd, __u32 zcrx_id)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (!sqe)
		fail("no free SQE");
	io_uring_prep_rw(IORING_OP_RECV_ZC, sqe, fd, NULL, 0, 0);
	sqe->ioprio |= IORING_RECV_MULTISHOT;
	sqe->zcrx_ifq_idx = zcrx_id;
	sqe->user_data = RECV_TAG;
}

static int accept_one(int lfd)
{
	struct pollfd pfd = { .fd = lfd, .events = POLLIN };
	int ret, fd;

	ret = poll(&pfd, 1, cfg.timeout * 1000);
	if (ret < 0)
		fail_errno(errno, "poll on the listening socket");
	if (!ret)
		fail("no connection within %d s", cfg.timeout);
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		fail_errno(errno, "accept");
	return fd;
}

struct rx_state {
	uint64_t received;
	uint64_t completions;
	uint64_t bad;
	uint64_t first_bad;
	unsigned char want, got;
	bool eof;
	bool rearm;
};

static void rx_one(struct rx_state *st, const struct io_uring_cqe *cqe,
		   const struct area *a, struct refill *rq)
{
	const struct io_uring_zcrx_cqe *rcqe;
	const unsigned char *data;
	__u64 off;
	int i;

	if (cqe->user_data != RECV_TAG)
		fail("unexpected completion, user_data %llu",
		     (unsigned long long)cqe->user_data);
	if (cqe->res < 0)
		fail_errno(-cqe->res, "IORING_OP_RECV_ZC after %" PRIu64 " bytes",
			   st->received);
	if (!(cqe->flags & IORING_CQE_F_MORE)) {
		/* The final CQE of the request: 0 at the end of the stream. */
		if (!cqe->res)
			st->eof = true;
		else
			st->rearm = true;
	}
	if (!cqe->res)
		return;

	rcqe = (const struct io_uring_zcrx_cqe *)(cqe + 1);
	off = rcqe->off & ~IORING_ZCRX_AREA_MASK;
	if (off + cqe->res > a->size)
		fail("completion beyond the area: offset %llu, %d bytes",
		     (unsigned long long)off, cqe->res);
	data = a->cpu + off;
	for (i = 0; i < cqe->res; i++) {
		unsigned char want = pattern(st->received + i);

		if (data[i] == want)
			continue;
		if (!st->bad++) {
			st->first_bad = st->received + i;
			st->want = want;
			st->got = data[i];
		}
	}
	st->received += cqe->res;
	st->completions++;
	refill_push(rq, a, rcqe->off, cqe->res);
}

/*
 * Act as the dma-buf's exporter and revoke it, through the phyr test
 * importer's debugfs file (CONFIG_DMABUF_PHYR_TEST): the kernel must stop
 * writing into the area and close the queue.
 */
static void revoke_area(const struct area *a)
{
	char cmd[32];
	int fd, n;

	fd = open("/sys/kernel/debug/dma_buf_phyr_test", O_RDWR);
	if (fd < 0)
		fail_errno(errno, "open dma_buf_phyr_test");
	n = snprintf(cmd, sizeof(cmd), "invalidate %d", a->dmabuf_fd);
	if (write(fd, cmd, n) != n)
		fail_errno(errno, "revoke the dma-buf");
	close(fd);
	printf("zcrx_nsim: revoked the dma-buf area\n");
}

static int run_server(void)
{
	struct io_uring_params p = { 0 };
	struct rx_state st = { 0 };
	struct sockaddr_in6 sin6;
	struct io_uring ring;
	struct refill rq;
	struct area a;
	uint64_t copy_count = 0, copy_bytes = 0;
	bool revoked = false;
	double deadline;
	__u32 zcrx_id;
	int lfd, fd, ret, one = 1;
	bool ok;

	p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
		  IORING_SETUP_CQE32 | IORING_SETUP_SUBMIT_ALL;
	ret = io_uring_queue_init_params(64, &ring, &p);
	if (ret)
		fail_errno(-ret, "io_uring_queue_init_params");
	/* Register before listening: no data may arrive before the area. */
	zcrx_id = zcrx_register(&ring, &a, &rq);

	parse_addr(cfg.addr, &sin6);
	lfd = socket(AF_INET6, SOCK_STREAM, 0);
	if (lfd < 0)
		fail_errno(errno, "socket");
	if (setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		fail_errno(errno, "SO_REUSEADDR");
	if (bind(lfd, (struct sockaddr *)&sin6, sizeof(sin6)))
		fail_errno(errno, "bind [%s]:%d", cfg.addr ? cfg.addr : "::",
			   cfg.port);
	if (listen(lfd, 1))
		fail_errno(errno, "listen");
	printf("zcrx_nsim: listening on [%s]:%d\n", cfg.addr ? cfg.addr : "::",
	       cfg.port);
	fflush(stdout);

	fd = accept_one(lfd);
	close(lfd);
	deadline = now() + cfg.timeout;
	arm_recv_zc(&ring, fd, zcrx_id);
	while (!st.eof) {
		struct __kernel_timespec ts = { .tv_sec = 1 };
		struct io_uring_cqe *cqe;
		unsigned int head, seen = 0;

		if (now() > deadline)
			fail("timeout after %d s: %" PRIu64 " of %" PRIu64 " bytes received",
			     cfg.timeout, st.received, cfg.bytes);
		ret = io_uring_submit_and_wait_timeout(&ring, &cqe, 1, &ts, NULL);
		if (ret < 0 && ret != -ETIME && ret != -EINTR)
			fail_errno(-ret, "io_uring_submit_and_wait_timeout");
		if (!io_uring_cq_ready(&ring))
			continue;

		area_sync(&a, DMA_BUF_SYNC_START);
		io_uring_for_each_cqe(&ring, head, cqe) {
			/* After a revocation the request must end, with an
			 * error: the area can take no more data.
			 */
			if (revoked && cqe->res < 0) {
				printf("zcrx_nsim: after the revocation: %s after %" PRIu64 " bytes\n",
				       ename(-cqe->res), st.received);
				st.eof = true;
				seen++;
				break;
			}
			rx_one(&st, cqe, &a, &rq);
			seen++;
		}
		area_sync(&a, DMA_BUF_SYNC_END);
		io_uring_cq_advance(&ring, seen);
		if (cfg.revoke_at && !revoked && st.received >= cfg.revoke_at) {
			revoke_area(&a);
			revoked = true;
		}
		if (st.rearm && !st.eof) {
			st.rearm = false;
			arm_recv_zc(&ring, fd, zcrx_id);
		}
	}
	close(fd);
	if (revoked) {
		/* Let the test see the queue without its provider while the
		 * ifq still exists: closing it is the kernel's job.
		 */
		printf("zcrx_nsim: holding the ifq for 5 s\n");
		sleep(5);
	}

	if (rq.stats) {
		copy_count = __atomic_load_n(&rq.stats->copy_count,
					     __ATOMIC_RELAXED);
		copy_bytes = __atomic_load_n(&rq.stats->copy_bytes,
					     __ATOMIC_RELAXED);
	}
	printf("zcrx_nsim: received %" PRIu64 " of %" PRIu64 " bytes in %" PRIu64 " completions, %" PRIu64 " mismatched\n",
	       st.received, cfg.bytes, st.completions, st.bad);
	if (st.bad)
		printf("zcrx_nsim: first mismatch at stream offset %" PRIu64 ": expected 0x%02x, got 0x%02x\n",
		       st.first_bad, st.want, st.got);
	if (rq.stats)
		printf("zcrx_nsim: copy fallback: %" PRIu64 " completions, %" PRIu64 " bytes\n",
		       copy_count, copy_bytes);
	else
		printf("zcrx_nsim: copy fallback: unknown\n");

	if (cfg.revoke_at)
		ok = revoked && st.received < cfg.bytes && !st.bad;
	else
		ok = st.received == cfg.bytes && !st.bad;
	if (cfg.strict && (!rq.stats || copy_bytes)) {
		printf("zcrx_nsim: -z: %s\n", rq.stats ?
		       "data went through the copy fallback" :
		       "no copy statistics to check");
		ok = false;
	}
	io_uring_queue_exit(&ring);
	printf("zcrx_nsim: %s\n", ok ? "PASS" : "FAIL");
	return ok ? 0 : 1;
}

static uint64_t parse_size(const char *opt, const char *str)
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

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s -i IFNAME -q QUEUE [-d [-R BYTES]] [-z] [-a ADDR] [-p PORT] [-n BYTES] [-s SEED] [-A AREA] [-t SECONDS]\n"
		"       %s -c HOST [-p PORT] [-n BYTES] [-s SEED] [-S CHUNK]\n"
		"  -d  area from a dma-buf (udmabuf) instead of user memory\n"
		"  -z  fail if any data went through the kernel's copy fallback\n"
		"  -R BYTES  with -d: revoke the dma-buf after BYTES, expect the\n"
		"      stream to end with an error before all of it arrived\n",
		prog, prog);
	exit(2);
}

int main(int argc, char **argv)
{
	int c;

	setvbuf(stdout, NULL, _IOLBF, 0);
	page_size = sysconf(_SC_PAGESIZE);
	while ((c = getopt(argc, argv, "c:i:q:a:p:n:s:dzA:t:S:R:h")) != -1) {
		switch (c) {
		case 'c':
			cfg.client = true;
			cfg.host = optarg;
			break;
		case 'i':
			cfg.ifname = optarg;
			break;
		case 'q':
			cfg.queue = atoi(optarg);
			break;
		case 'a':
			cfg.addr = optarg;
			break;
		case 'p':
			cfg.port = atoi(optarg);
			break;
		case 'n':
			cfg.bytes = parse_size("-n", optarg);
			break;
		case 's':
			cfg.seed = strtoul(optarg, NULL, 0);
			break;
		case 'd':
			cfg.dmabuf = true;
			break;
		case 'z':
			cfg.strict = true;
			break;
		case 'A':
			cfg.area_size = parse_size("-A", optarg);
			break;
		case 't':
			cfg.timeout = atoi(optarg);
			break;
		case 'S':
			cfg.chunk = parse_size("-S", optarg);
			break;
		case 'R':
			cfg.revoke_at = parse_size("-R", optarg);
			break;
		default:
			usage(argv[0]);
		}
	}
	if (optind != argc || cfg.port <= 0 || cfg.port > 65535 ||
	    cfg.timeout <= 0)
		usage(argv[0]);
	if (cfg.client) {
		if (!cfg.chunk)
			usage(argv[0]);
		return run_client();
	}
	if (!cfg.ifname || cfg.queue < 0 || (cfg.revoke_at && !cfg.dmabuf))
		usage(argv[0]);
	if (!cfg.area_size || cfg.area_size % page_size)
		fail("-A: the area size must be a multiple of %ld bytes",
		     page_size);
	return run_server();
}
