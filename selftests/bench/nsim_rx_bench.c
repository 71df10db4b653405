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
 * into cycles per byte (selftests/bench/nsim_rx_bench.sh).
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
#include <inttypes.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/netdev.h>
#include <liburing.h>

#define PROG		"nsim_rx_bench"
#include "zcrx_common.h"		/* liburing-examples/ */

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
			if (data[i] == pattern(cfg.seed, s->received + i))
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
	send_stream(cfg.host, cfg.port, cfg.bytes, cfg.seed, cfg.chunk,
		    cfg.timeout);
	return 0;
}

/* Bracket CPU reads of a dma-buf area: only -V reads it. */
static void verify_sync(const struct area *a, __u64 flags)
{
	if (cfg.verify)
		area_sync(a, flags);
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

struct zcrx {
	struct io_uring ring;
	struct area area;
	struct zcrx_ifq ifq;
};

static void zcrx_setup(struct zcrx *z, unsigned int ifindex)
{
	int ret;

	zcrx_ring_init(&z->ring, cfg.area_size);
	area_alloc(&z->area, cfg.area_size,
		   cfg.dmabuf ? AREA_UDMABUF : AREA_USER);
	ret = zcrx_register(&z->ring, ifindex, cfg.queue, &z->area, 0,
			    &z->ifq);
	if (ret)
		fail_errno(-ret, "io_uring_register_ifq(%s queue %d)",
			   cfg.ifname, cfg.queue);
}

static void rx_zcrx(struct zcrx *z, int fd, struct stream *s,
		    struct rx_stats *st)
{
	bool eof = false, rearm = false;

	zcrx_arm(&z->ring, fd, &z->ifq);
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

		verify_sync(&z->area, DMA_BUF_SYNC_START);
		io_uring_for_each_cqe(&z->ring, head, cqe) {
			const unsigned char *data;
			__u64 off;

			seen++;
			data = zcrx_cqe_data(cqe, &z->area, s->received, &off,
					     &eof, &rearm);
			if (!data)
				continue;
			stream_check(s, data, cqe->res);
			st->calls++;
			/* Hand the buffer back right away. */
			zcrx_refill(&z->ifq, off, cqe->res);
		}
		verify_sync(&z->area, DMA_BUF_SYNC_END);
		io_uring_cq_advance(&z->ring, seen);
		if (rearm && !eof) {
			rearm = false;
			zcrx_arm(&z->ring, fd, &z->ifq);
		}
	}
	if (z->ifq.stats)
		st->copy_bytes = __atomic_load_n(&z->ifq.stats->copy_bytes,
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

	area_alloc(&d->area, cfg.area_size, AREA_UDMABUF);
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

		verify_sync(&d->area, DMA_BUF_SYNC_START);
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
		verify_sync(&d->area, DMA_BUF_SYNC_END);
		dontneed_flush(fd, &dn, st);
	}
	free(ctrl);
	free(buf);
}

/* ---- server ---- */

static int run_server(void)
{
	struct timeval tv = { .tv_sec = cfg.timeout };
	struct cpu_ticks t0, t1;
	struct rx_stats st = { 0 };
	struct stream s = { 0 };
	struct devmem d = { 0 };
	struct zcrx z;
	unsigned int ifindex;
	uint64_t ns0, ns1;
	double secs;
	int lfd, fd, c;
	bool ok;

	ifindex = if_nametoindex(cfg.ifname);
	if (!ifindex)
		fail_errno(errno, "interface %s", cfg.ifname);
	/* The provider is in place before any data can arrive. */
	if (cfg.mode == MODE_ZCRX)
		zcrx_setup(&z, ifindex);
	else if (cfg.mode == MODE_DEVMEM)
		devmem_bind(&d, ifindex);

	lfd = listen_tcp(cfg.addr, cfg.port);
	printf("nsim_rx_bench: %s on %s queue %d, listening on port %d\n",
	       mode_name[cfg.mode], cfg.ifname, cfg.queue, cfg.port);
	fflush(stdout);

	fd = accept_one(lfd, cfg.timeout);
	close(lfd);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
		fail_errno(errno, "SO_RCVTIMEO");
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
	printf(" cpu_busy_per_cpu=");
	for (c = 0; c < t1.ncpus; c++)
		printf("%s%llu", c ? "," : "", t1.busy[c] - t0.busy[c]);
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
	long page_size = sysconf(_SC_PAGESIZE);
	int c, m;

	setvbuf(stdout, NULL, _IOLBF, 0);
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
