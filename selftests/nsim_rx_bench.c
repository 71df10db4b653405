// SPDX-License-Identifier: GPL-2.0
/*
 * nsim_rx_bench: throughput and CPU cost of receiving one bulk TCP stream
 * on a netdevsim port three ways:
 *
 *   recv    plain recv() into a buffer, nothing else touched;
 *   zcrx    io_uring zero-copy receive (multishot IORING_OP_RECV_ZC) into
 *           an area of user memory (-d: of a udmabuf), every buffer handed
 *           back through the refill ring as soon as its completion is seen;
 *   devmem  devmem TCP: a udmabuf bound to the RX queue with the netdev
 *           netlink family (NETDEV_CMD_BIND_RX, through YNL), read with
 *           recvmsg(MSG_SOCK_DEVMEM), the frags' tokens returned with
 *           SO_DEVMEM_DONTNEED once per recvmsg() in coalesced batches.
 *
 * The payload is not looked at unless -V is given, which checks every byte
 * against the stream pattern (byte i = (i * 31 + seed) & 0xff): a
 * correctness pass, not a timed one.
 *
 * The timed interval runs from accept() to the end of the stream. Over it
 * the server takes the wall time and the CPU time of the whole machine
 * from /proc/stat (user + nice + system + irq + softirq of all CPUs, in
 * USER_HZ ticks), so the sender's and the softirq work are counted as well.
 * One line "RESULT key=value ..." reports it; the caller turns the CPU time
 * into cycles per byte (selftests/nsim_rx_bench.sh).
 *
 * Client (-c HOST): connects and send()s BYTES from a buffer filled with
 * the pattern once (its period of 256 divides the chunk size).
 *
 *	nsim_rx_bench -m recv|zcrx|devmem -i IFNAME -q QUEUE [-d] [-V]
 *		      [-a ADDR] [-p PORT] [-n BYTES] [-A AREA] [-b BUF] [-t SECS]
 *	nsim_rx_bench -c HOST [-p PORT] [-n BYTES] [-S CHUNK] [-t SECS]
 */
#include <stddef.h>
#include <linux/uio.h>		/* struct dmabuf_cmsg, before glibc's iovec */
#define __iovec_defined
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
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
#include <linux/netdev.h>
#include <linux/udmabuf.h>
#include <liburing.h>

#include <ynl.h>
#include "netdev-user.h"

#ifndef MSG_SOCK_DEVMEM
#define MSG_SOCK_DEVMEM		0x2000000
#endif

/* Limits of one SO_DEVMEM_DONTNEED (net/core/sock.c). */
#define DONTNEED_MAX_TOKENS	128
#define DONTNEED_MAX_FRAGS	1024
/* Enough control space for the frags of one recvmsg() of -b bytes. */
#define CTRL_CMSGS		1024

#define RQ_ENTRIES		4096
#define RECV_TAG		1

enum mode { MODE_RECV, MODE_ZCRX, MODE_DEVMEM };
static const char * const mode_name[] = { "recv", "zcrx", "devmem" };

static struct {
	bool client;
	const char *host;
	enum mode mode;
	const char *ifname;
	int queue;
	const char *addr;
	int port;
	uint64_t bytes;
	unsigned int seed;
	bool dmabuf;
	bool verify;
	size_t area_size;
	size_t buf_size;
	size_t chunk;
	int timeout;
} cfg = {
	.queue = -1,
	.port = 9998,
	.bytes = 64 << 20,
	.seed = 7,
	.area_size = 32 << 20,
	.buf_size = 1 << 20,
	.chunk = 256 << 10,
	.timeout = 300,
};

static long page_size;

#define fail_errno(err, fmt, ...)					\
	do {								\
		fprintf(stderr, "nsim_rx_bench: " fmt ": %s\n",		\
			##__VA_ARGS__, strerror(err));			\
		exit(1);						\
	} while (0)

#define fail(fmt, ...)							\
	do {								\
		fprintf(stderr, "nsim_rx_bench: " fmt "\n", ##__VA_ARGS__); \
		exit(1);						\
	} while (0)

static inline unsigned char pattern(uint64_t pos)
{
	return (pos * 31 + cfg.seed) & 0xff;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
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

/* ---- CPU time of the machine ---- */

struct cpu_ticks {
	unsigned long long user, system, irq;	/* user+nice, system, irq+softirq */
};

static void cpu_ticks_read(struct cpu_ticks *t)
{
	unsigned long long user, nice, sys, idle, iowait, irq, softirq;
	FILE *f = fopen("/proc/stat", "r");

	if (!f)
		fail_errno(errno, "/proc/stat");
	if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu", &user, &nice,
		   &sys, &idle, &iowait, &irq, &softirq) != 7)
		fail("/proc/stat: no cpu line");
	fclose(f);
	t->user = user + nice;
	t->system = sys;
	t->irq = irq + softirq;
}

/* ---- the stream and its check ---- */

struct stream {
	uint64_t received;
	uint64_t bad;
	uint64_t first_bad;
};

static void stream_check(struct stream *s, const unsigned char *data, size_t n)
{
	size_t i;

	if (cfg.verify) {
		for (i = 0; i < n; i++) {
			if (data[i] == pattern(s->received + i))
				continue;
			if (!s->bad++)
				s->first_bad = s->received + i;
		}
	}
	s->received += n;
}

/* ---- client ---- */

static int run_client(void)
{
	struct timeval tv = { .tv_sec = cfg.timeout };
	struct sockaddr_in6 sin6;
	unsigned char *buf;
	uint64_t sent = 0;
	size_t i;
	char c;
	int fd;

	buf = malloc(cfg.chunk);
	if (!buf)
		fail("out of memory");
	for (i = 0; i < cfg.chunk; i++)
		buf[i] = pattern(i);

	parse_addr(cfg.host, &sin6);
	fd = socket(AF_INET6, SOCK_STREAM, 0);
	if (fd < 0)
		fail_errno(errno, "socket");
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
		fail_errno(errno, "socket timeouts");
	if (connect(fd, (struct sockaddr *)&sin6, sizeof(sin6)))
		fail_errno(errno, "connect [%s]:%d", cfg.host, cfg.port);

	while (sent < cfg.bytes) {
		size_t n = cfg.chunk - sent % cfg.chunk;
		ssize_t ret;

		if (n > cfg.bytes - sent)
			n = cfg.bytes - sent;
		ret = send(fd, buf + sent % cfg.chunk, n, 0);
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
	return 0;
}

/* ---- memory: user pages or a udmabuf ---- */

struct area {
	unsigned char *cpu;	/* the memory as the CPU reads it */
	size_t size;
	int dmabuf_fd;		/* -1 for user memory */
};

static void area_alloc(struct area *a, bool dmabuf)
{
	struct udmabuf_create create = { 0 };
	int memfd, devfd;

	a->size = cfg.area_size;
	a->dmabuf_fd = -1;
	if (!dmabuf) {
		a->cpu = mmap(NULL, a->size, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (a->cpu == MAP_FAILED)
			fail_errno(errno, "mmap of %zu bytes", a->size);
		return;
	}
	memfd = memfd_create("nsim_rx_bench", MFD_ALLOW_SEALING);
	if (memfd < 0)
		fail_errno(errno, "memfd_create");
	if (ftruncate(memfd, a->size))
		fail_errno(errno, "ftruncate memfd to %zu", a->size);
	if (fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK))
		fail_errno(errno, "F_SEAL_SHRINK");
	devfd = open("/dev/udmabuf", O_RDWR);
	if (devfd < 0)
		fail_errno(errno, "/dev/udmabuf");
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
		fail_errno(errno, "mmap of the udmabuf");
}

/* Bracket CPU reads of a dma-buf (nothing for user memory or no -V). */
static void area_sync(const struct area *a, __u64 flags)
{
	struct dma_buf_sync sync = { .flags = flags | DMA_BUF_SYNC_READ };

	if (a->dmabuf_fd < 0 || !cfg.verify)
		return;
	if (ioctl(a->dmabuf_fd, DMA_BUF_IOCTL_SYNC, &sync))
		fail_errno(errno, "DMA_BUF_IOCTL_SYNC");
}

static const unsigned char *area_at(const struct area *a, __u64 off, __u32 len)
{
	if (off > a->size || len > a->size - off)
		fail("data beyond the area: offset %llu, %u bytes",
		     (unsigned long long)off, len);
	return a->cpu + off;
}

/* ---- recv ---- */

struct rx_stats {
	uint64_t calls;		/* recv / recvmsg calls, zcrx completions */
	uint64_t frags;		/* devmem frags */
	uint64_t linear;	/* devmem bytes outside the dma-buf */
	uint64_t dontneed;	/* SO_DEVMEM_DONTNEED calls */
	uint64_t copy_bytes;	/* zcrx copy fallback */
};

static void rx_recv(int fd, struct stream *s, struct rx_stats *st)
{
	unsigned char *buf = malloc(cfg.buf_size);
	ssize_t n;

	if (!buf)
		fail("out of memory");
	for (;;) {
		n = recv(fd, buf, cfg.buf_size, 0);
		if (n < 0)
			fail_errno(errno, "recv after %" PRIu64 " bytes", s->received);
		if (!n)
			break;
		st->calls++;
		stream_check(s, buf, n);
	}
	free(buf);
}

/* ---- zcrx ---- */

struct zcrx_reg {		/* the kernel's io_uring_zcrx_ifq_reg */
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

struct zcrx {
	struct io_uring ring;
	struct area area;
	__u64 token;
	__u32 id;
	__u32 *khead, *ktail, tail, mask;
	struct io_uring_zcrx_rqe *rqes;
	struct zcrx_stats *stats;
};

static void zcrx_setup(struct zcrx *z, unsigned int ifindex)
{
	struct io_uring_params p = { 0 };
	struct io_uring_zcrx_area_reg area_reg = { 0 };
	struct io_uring_region_desc region = { 0 };
	struct zcrx_event_desc ev = { 0 };
	struct zcrx_reg reg = { 0 };
	size_t ring_size, stats_off;
	void *ring_mem;
	int ret;

	p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
		  IORING_SETUP_CQE32 | IORING_SETUP_SUBMIT_ALL;
	ret = io_uring_queue_init_params(256, &z->ring, &p);
	if (ret)
		fail_errno(-ret, "io_uring_queue_init_params");

	area_alloc(&z->area, cfg.dmabuf);
	area_reg.len = z->area.size;
	if (cfg.dmabuf) {
		area_reg.flags = IORING_ZCRX_AREA_DMABUF;
		area_reg.dmabuf_fd = z->area.dmabuf_fd;
	} else {
		area_reg.addr = (__u64)(uintptr_t)z->area.cpu;
	}

	/* Header (head, tail), the entries, then the statistics. */
	stats_off = page_size + RQ_ENTRIES * sizeof(struct io_uring_zcrx_rqe);
	ring_size = stats_off + sizeof(struct zcrx_stats);
	ring_size = (ring_size + page_size - 1) & ~(page_size - 1);
	ring_mem = mmap(NULL, ring_size, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ring_mem == MAP_FAILED)
		fail_errno(errno, "mmap of the refill ring");
	region.user_addr = (__u64)(uintptr_t)ring_mem;
	region.size = ring_size;
	region.flags = IORING_MEM_REGION_TYPE_USER;
	ev.flags = ZCRX_EVENT_DESC_FLAG_STATS;
	ev.stats_offset = stats_off;

	reg.if_idx = ifindex;
	reg.if_rxq = cfg.queue;
	reg.rq_entries = RQ_ENTRIES;
	reg.area_ptr = (__u64)(uintptr_t)&area_reg;
	reg.region_ptr = (__u64)(uintptr_t)&region;
	reg.event_desc = (__u64)(uintptr_t)&ev;
	ret = io_uring_register_ifq(&z->ring, (struct io_uring_zcrx_ifq_reg *)&reg);
	if (ret == -EINVAL) {
		/* A kernel without zcrx events: no copy statistics. */
		reg.event_desc = 0;
		ret = io_uring_register_ifq(&z->ring,
					    (struct io_uring_zcrx_ifq_reg *)&reg);
	}
	if (ret)
		fail_errno(-ret, "io_uring_register_ifq(%s queue %d)",
			   cfg.ifname, cfg.queue);

	z->id = reg.zcrx_id;
	z->token = area_reg.rq_area_token;
	z->khead = (__u32 *)((char *)ring_mem + reg.offsets.head);
	z->ktail = (__u32 *)((char *)ring_mem + reg.offsets.tail);
	z->rqes = (struct io_uring_zcrx_rqe *)((char *)ring_mem + reg.offsets.rqes);
	z->tail = 0;
	z->mask = reg.rq_entries - 1;
	z->stats = reg.event_desc ?
		   (struct zcrx_stats *)((char *)ring_mem + stats_off) : NULL;
}

static void zcrx_arm(struct zcrx *z, int fd)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&z->ring);

	if (!sqe)
		fail("no free SQE");
	io_uring_prep_rw(IORING_OP_RECV_ZC, sqe, fd, NULL, 0, 0);
	sqe->ioprio |= IORING_RECV_MULTISHOT;
	sqe->zcrx_ifq_idx = z->id;
	sqe->user_data = RECV_TAG;
}

static void rx_zcrx(struct zcrx *z, int fd, struct stream *s,
		    struct rx_stats *st)
{
	bool eof = false, rearm = false;

	zcrx_arm(z, fd);
	while (!eof) {
		struct io_uring_cqe *cqe;
		unsigned int head, seen = 0;
		int ret;

		struct __kernel_timespec ts = { .tv_sec = cfg.timeout };

		ret = io_uring_submit_and_wait_timeout(&z->ring, &cqe, 1, &ts, NULL);
		if (ret == -ETIME)
			fail("nothing received for %d s, after %" PRIu64 " bytes",
			     cfg.timeout, s->received);
		if (ret < 0 && ret != -EINTR)
			fail_errno(-ret, "io_uring_submit_and_wait_timeout");

		area_sync(&z->area, DMA_BUF_SYNC_START);
		io_uring_for_each_cqe(&z->ring, head, cqe) {
			const struct io_uring_zcrx_cqe *rcqe;
			__u64 off;

			seen++;
			if (cqe->res < 0)
				fail_errno(-cqe->res, "IORING_OP_RECV_ZC after %" PRIu64 " bytes",
					   s->received);
			if (!(cqe->flags & IORING_CQE_F_MORE)) {
				/* The request's last CQE: 0 at the end of the stream. */
				if (!cqe->res)
					eof = true;
				else
					rearm = true;
			}
			if (!cqe->res)
				continue;
			rcqe = (const struct io_uring_zcrx_cqe *)(cqe + 1);
			off = rcqe->off & ~IORING_ZCRX_AREA_MASK;
			stream_check(s, area_at(&z->area, off, cqe->res), cqe->res);
			st->calls++;

			/* Hand the buffer back right away. */
			if (z->tail - io_uring_smp_load_acquire(z->khead) > z->mask)
				fail("refill ring full (%u entries)", z->mask + 1);
			z->rqes[z->tail & z->mask].off = off | z->token;
			z->rqes[z->tail & z->mask].len = cqe->res;
			io_uring_smp_store_release(z->ktail, ++z->tail);
		}
		area_sync(&z->area, DMA_BUF_SYNC_END);
		io_uring_cq_advance(&z->ring, seen);
		if (rearm && !eof) {
			rearm = false;
			zcrx_arm(z, fd);
		}
	}
	if (z->stats)
		st->copy_bytes = __atomic_load_n(&z->stats->copy_bytes,
						 __ATOMIC_RELAXED);
}

/* ---- devmem ---- */

struct devmem {
	struct ynl_sock *ys;	/* the binding lives as long as this socket */
	struct area area;
	__u32 id;
};

static void devmem_bind(struct devmem *d, unsigned int ifindex)
{
	struct netdev_bind_rx_req *req;
	struct netdev_bind_rx_rsp *rsp;
	struct netdev_queue_id *queue;
	struct ynl_error yerr;

	area_alloc(&d->area, true);
	d->ys = ynl_sock_create(&ynl_netdev_family, &yerr);
	if (!d->ys)
		fail("netdev netlink family: %s", yerr.msg);

	queue = netdev_queue_id_alloc(1);
	if (!queue)
		fail("out of memory");
	netdev_queue_id_set_type(&queue[0], NETDEV_QUEUE_TYPE_RX);
	netdev_queue_id_set_id(&queue[0], cfg.queue);

	req = netdev_bind_rx_req_alloc();
	if (!req)
		fail("out of memory");
	netdev_bind_rx_req_set_ifindex(req, ifindex);
	netdev_bind_rx_req_set_fd(req, d->area.dmabuf_fd);
	__netdev_bind_rx_req_set_queues(req, queue, 1);	/* req owns it now */
	rsp = netdev_bind_rx(d->ys, req);
	netdev_bind_rx_req_free(req);
	if (!rsp || !rsp->_present.id)
		fail("bind-rx of a %zu-byte udmabuf to %s queue %d: %s",
		     d->area.size, cfg.ifname, cfg.queue, d->ys->err.msg);
	d->id = rsp->id;
	netdev_bind_rx_rsp_free(rsp);
}

struct dontneed {
	struct dmabuf_token tok[DONTNEED_MAX_TOKENS];
	unsigned int n, frags;
};

static void dontneed_flush(int fd, struct dontneed *dn, struct rx_stats *st)
{
	int ret;

	if (!dn->n)
		return;
	ret = setsockopt(fd, SOL_SOCKET, SO_DEVMEM_DONTNEED, dn->tok,
			 dn->n * sizeof(dn->tok[0]));
	if (ret < 0)
		fail_errno(errno, "SO_DEVMEM_DONTNEED of %u tokens", dn->frags);
	if ((unsigned int)ret != dn->frags)
		fail("SO_DEVMEM_DONTNEED freed %d of %u frags", ret, dn->frags);
	st->dontneed++;
	dn->n = 0;
	dn->frags = 0;
}

/* Queue a token for return, extending the last range when it follows. */
static void dontneed_add(int fd, struct dontneed *dn, __u32 token,
			 struct rx_stats *st)
{
	struct dmabuf_token *last = dn->n ? &dn->tok[dn->n - 1] : NULL;

	if (dn->frags == DONTNEED_MAX_FRAGS ||
	    (!(last && last->token_start + last->token_count == token) &&
	     dn->n == DONTNEED_MAX_TOKENS)) {
		dontneed_flush(fd, dn, st);
		last = NULL;
	}
	if (last && last->token_start + last->token_count == token) {
		last->token_count++;
	} else {
		dn->tok[dn->n].token_start = token;
		dn->tok[dn->n].token_count = 1;
		dn->n++;
	}
	dn->frags++;
}

static void rx_devmem(struct devmem *d, int fd, struct stream *s,
		      struct rx_stats *st)
{
	size_t ctrl_size = CTRL_CMSGS * CMSG_SPACE(sizeof(struct dmabuf_cmsg));
	unsigned char *buf = malloc(cfg.buf_size);
	void *ctrl = malloc(ctrl_size);
	struct dontneed dn = { .n = 0 };

	if (!buf || !ctrl)
		fail("out of memory");
	for (;;) {
		struct iovec iov = { .iov_base = buf, .iov_len = cfg.buf_size };
		struct msghdr msg = {
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = ctrl,
			.msg_controllen = ctrl_size,
		};
		size_t linear_off = 0;
		struct cmsghdr *cm;
		ssize_t n;

		n = recvmsg(fd, &msg, MSG_SOCK_DEVMEM);
		if (n < 0)
			fail_errno(errno, "recvmsg(MSG_SOCK_DEVMEM) after %" PRIu64 " bytes",
				   s->received);
		if (!n)
			break;
		st->calls++;
		if (msg.msg_flags & MSG_CTRUNC)
			fail("recvmsg: control data truncated");

		area_sync(&d->area, DMA_BUF_SYNC_START);
		/* The cmsgs describe the received bytes in stream order. */
		for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
			const struct dmabuf_cmsg *dc = (void *)CMSG_DATA(cm);

			if (cm->cmsg_level != SOL_SOCKET)
				continue;
			if (cm->cmsg_type == SCM_DEVMEM_LINEAR) {
				/* Copied into buf, in order. */
				stream_check(s, buf + linear_off, dc->frag_size);
				linear_off += dc->frag_size;
				st->linear += dc->frag_size;
				continue;
			}
			if (cm->cmsg_type != SCM_DEVMEM_DMABUF)
				continue;
			if (dc->dmabuf_id != d->id)
				fail("frag of dma-buf %u, bound %u", dc->dmabuf_id, d->id);
			stream_check(s, area_at(&d->area, dc->frag_offset,
						dc->frag_size), dc->frag_size);
			st->frags++;
			dontneed_add(fd, &dn, dc->frag_token, st);
		}
		area_sync(&d->area, DMA_BUF_SYNC_END);
		dontneed_flush(fd, &dn, st);
	}
	free(ctrl);
	free(buf);
}

/* ---- server ---- */

static int accept_one(int lfd)
{
	struct pollfd pfd = { .fd = lfd, .events = POLLIN };
	struct timeval tv = { .tv_sec = cfg.timeout };
	int ret, fd;

	ret = poll(&pfd, 1, cfg.timeout * 1000);
	if (ret < 0)
		fail_errno(errno, "poll on the listening socket");
	if (!ret)
		fail("no connection within %d s", cfg.timeout);
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		fail_errno(errno, "accept");
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
		fail_errno(errno, "SO_RCVTIMEO");
	return fd;
}

static int run_server(void)
{
	struct cpu_ticks t0, t1;
	struct sockaddr_in6 sin6;
	struct rx_stats st = { 0 };
	struct stream s = { 0 };
	struct devmem d = { 0 };
	struct zcrx z;
	unsigned int ifindex;
	uint64_t ns0, ns1;
	double secs;
	int lfd, fd, one = 1;
	bool ok;

	ifindex = if_nametoindex(cfg.ifname);
	if (!ifindex)
		fail_errno(errno, "interface %s", cfg.ifname);
	/* The provider is in place before any data can arrive. */
	if (cfg.mode == MODE_ZCRX)
		zcrx_setup(&z, ifindex);
	else if (cfg.mode == MODE_DEVMEM)
		devmem_bind(&d, ifindex);

	parse_addr(cfg.addr, &sin6);
	lfd = socket(AF_INET6, SOCK_STREAM, 0);
	if (lfd < 0)
		fail_errno(errno, "socket");
	if (setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		fail_errno(errno, "SO_REUSEADDR");
	if (bind(lfd, (struct sockaddr *)&sin6, sizeof(sin6)))
		fail_errno(errno, "bind port %d", cfg.port);
	if (listen(lfd, 1))
		fail_errno(errno, "listen");
	printf("nsim_rx_bench: %s on %s queue %d, listening on port %d\n",
	       mode_name[cfg.mode], cfg.ifname, cfg.queue, cfg.port);
	fflush(stdout);

	fd = accept_one(lfd);
	close(lfd);
	cpu_ticks_read(&t0);
	ns0 = now_ns();
	switch (cfg.mode) {
	case MODE_RECV:
		rx_recv(fd, &s, &st);
		break;
	case MODE_ZCRX:
		rx_zcrx(&z, fd, &s, &st);
		break;
	case MODE_DEVMEM:
		rx_devmem(&d, fd, &s, &st);
		break;
	}
	ns1 = now_ns();
	cpu_ticks_read(&t1);
	close(fd);

	secs = (ns1 - ns0) / 1e9;
	printf("RESULT mode=%s%s bytes=%" PRIu64 " secs=%.4f MBps=%.2f hz=%ld cpu_user=%llu cpu_sys=%llu cpu_irq=%llu calls=%" PRIu64,
	       mode_name[cfg.mode],
	       cfg.mode == MODE_ZCRX && cfg.dmabuf ? "-dmabuf" : "",
	       s.received, secs, s.received / secs / 1e6,
	       sysconf(_SC_CLK_TCK), t1.user - t0.user, t1.system - t0.system,
	       t1.irq - t0.irq, st.calls);
	if (cfg.mode == MODE_ZCRX)
		printf(" copy_fallback_bytes=%" PRIu64, st.copy_bytes);
	if (cfg.mode == MODE_DEVMEM)
		printf(" frags=%" PRIu64 " linear_bytes=%" PRIu64 " dontneed_calls=%" PRIu64,
		       st.frags, st.linear, st.dontneed);
	printf(" verify=%s\n", !cfg.verify ? "off" : s.bad ? "FAIL" : "ok");
	if (s.bad)
		printf("nsim_rx_bench: %" PRIu64 " bytes mismatched, the first at stream offset %" PRIu64 "\n",
		       s.bad, s.first_bad);

	if (cfg.mode == MODE_ZCRX)
		io_uring_queue_exit(&z.ring);
	if (cfg.mode == MODE_DEVMEM)
		ynl_sock_destroy(d.ys);
	ok = s.received == cfg.bytes && !s.bad;
	if (s.received != cfg.bytes)
		printf("nsim_rx_bench: received %" PRIu64 " of %" PRIu64 " bytes\n",
		       s.received, cfg.bytes);
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
		"usage: %s -m recv|zcrx|devmem -i IFNAME -q QUEUE [-d] [-V] [-a ADDR] [-p PORT]\n"
		"          [-n BYTES] [-A AREA] [-b BUF] [-t SECONDS]\n"
		"       %s -c HOST [-p PORT] [-n BYTES] [-S CHUNK] [-t SECONDS]\n"
		"  -d  zcrx: area in a udmabuf instead of user memory\n"
		"  -V  check every received byte against the stream pattern\n"
		"  -A  zcrx area / devmem udmabuf size (default 32M)\n"
		"  -b  recv buffer / recvmsg length (default 1M)\n",
		prog, prog);
	exit(2);
}

int main(int argc, char **argv)
{
	int c, m;

	setvbuf(stdout, NULL, _IOLBF, 0);
	page_size = sysconf(_SC_PAGESIZE);
	cfg.mode = -1;
	while ((c = getopt(argc, argv, "c:m:i:q:a:p:n:s:dVA:b:S:t:h")) != -1) {
		switch (c) {
		case 'c':
			cfg.client = true;
			cfg.host = optarg;
			break;
		case 'm':
			for (m = 0; m <= MODE_DEVMEM; m++)
				if (!strcmp(optarg, mode_name[m]))
					cfg.mode = m;
			if ((int)cfg.mode < 0)
				usage(argv[0]);
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
		case 'V':
			cfg.verify = true;
			break;
		case 'A':
			cfg.area_size = parse_size("-A", optarg);
			break;
		case 'b':
			cfg.buf_size = parse_size("-b", optarg);
			break;
		case 'S':
			cfg.chunk = parse_size("-S", optarg);
			break;
		case 't':
			cfg.timeout = atoi(optarg);
			break;
		default:
			usage(argv[0]);
		}
	}
	if (optind != argc || cfg.port <= 0 || cfg.port > 65535 ||
	    cfg.timeout <= 0)
		usage(argv[0]);
	if (cfg.client) {
		/* One buffer serves every chunk: the pattern's period divides it. */
		if (!cfg.chunk || cfg.chunk % 256)
			fail("-S: the chunk size must be a multiple of 256");
		return run_client();
	}
	if ((int)cfg.mode < 0 || !cfg.ifname || cfg.queue < 0 || !cfg.buf_size)
		usage(argv[0]);
	if (!cfg.area_size || cfg.area_size % page_size)
		fail("-A: the size must be a multiple of %ld bytes", page_size);
	return run_server();
}
