// SPDX-License-Identifier: GPL-2.0
/*
 * zcrx_nsim: io_uring zero-copy receive (zcrx) of one TCP stream.
 *
 * Server (-i IFNAME -q QUEUE): registers a zcrx interface queue on RX queue
 * QUEUE of IFNAME with an area of user memory (anonymous mmap), or with -d
 * an area of a dma-buf (a udmabuf made from a memfd, read by the CPU through
 * its mmap), or with -E a buffer of the phyr test exporter, which -R
 * revokes in the middle of the stream, then listens on [ADDR]:PORT (IPv6), accepts one connection and
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
#include <net/if.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <liburing.h>

#define PROG		"zcrx_nsim"
#include "zcrx_common.h"

static struct {
	bool client;
	const char *host;
	const char *ifname;
	int queue;
	const char *addr;
	int port;
	uint64_t bytes;
	unsigned int seed;
	enum area_mem mem;
	/* only register a test exporter area of this mode, expect @expect */
	const char *test_mode;
	int expect;
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

/* ---- client ---- */

static int run_client(void)
{
	uint64_t sent;

	sent = send_stream(cfg.host, cfg.port, cfg.bytes, cfg.seed, cfg.chunk,
			   cfg.timeout);
	printf("zcrx_nsim: sent %" PRIu64 " bytes to [%s]:%d\n",
	       sent, cfg.host, cfg.port);
	return 0;
}

/* ---- server ---- */

static const char *const area_names[] = {
	[AREA_USER] = "user-memory",
	[AREA_UDMABUF] = "dma-buf (udmabuf)",
	[AREA_TEST] = "dma-buf (test exporter)",
	[AREA_IOURING] = "dma-buf (io_uring buffer export)",
	[AREA_IOURING_RO] = "dma-buf (read-only io_uring buffer export)",
};

static void server_register(struct io_uring *ring, struct area *a,
			    struct zcrx_ifq *q)
{
	unsigned int ifindex;
	int ret;

	ifindex = if_nametoindex(cfg.ifname);
	if (!ifindex)
		fail_errno(errno, "interface %s", cfg.ifname);
	area_alloc(a, cfg.area_size, cfg.mem, cfg.test_mode ?: "");
	ret = zcrx_register(ring, ifindex, cfg.queue, a, 0, q);
	if (cfg.test_mode) {
		char cmd[64], reply[64];
		int pins = -1;

		/* a failed registration leaves no pin at the exporter */
		snprintf(cmd, sizeof(cmd), "status %d", a->dmabuf_fd);
		if (phyr_test_cmd(cmd, reply, sizeof(reply)) ||
		    sscanf(reply, "pins %d", &pins) != 1)
			pins = -1;
		printf("zcrx_nsim: registration of a \"%s\" test exporter buffer: %s (expected %s), exporter pins %d\n",
		       cfg.test_mode, ret ? strerror(-ret) : "registered",
		       strerror(cfg.expect), pins);
		exit(ret == -cfg.expect && !pins ? 0 : 1);
	}
	if (cfg.mem == AREA_IOURING_RO) {
		/* receiving writes the area: a read-only dma-buf is refused */
		printf("zcrx_nsim: registration of a read-only io_uring export: %s\n",
		       ret ? strerror(-ret) : "registered");
		exit(ret == -EACCES ? 0 : 1);
	}
	if (ret)
		fail_errno(-ret, "io_uring_register_ifq(%s queue %d, %s area of %zu bytes)",
			   cfg.ifname, cfg.queue, area_names[cfg.mem], a->size);
	printf("zcrx_nsim: zcrx %u on %s (ifindex %u) queue %d: %s area %zu bytes, rx_buf_len %u, %u refill entries%s\n",
	       q->id, cfg.ifname, ifindex, cfg.queue,
	       area_names[cfg.mem], a->size,
	       q->rx_buf_len, q->mask + 1,
	       q->stats ? "" : " (no copy statistics: kernel without zcrx events)");
}

struct rx_state {
	uint64_t received;
	uint64_t completions;
	uint64_t bad;
	uint64_t first_bad;
	unsigned char want, got;
	bool eof;
	bool rearm;
	int revoke_err;		/* the error that ended the request after a revocation */
};

static void rx_one(struct rx_state *st, const struct io_uring_cqe *cqe,
		   const struct area *a, struct zcrx_ifq *q)
{
	const unsigned char *data;
	__u64 off;
	int i;

	if (cqe->user_data != RECV_TAG)
		fail("unexpected completion, user_data %llu",
		     (unsigned long long)cqe->user_data);
	data = zcrx_cqe_data(cqe, a, st->received, &off, &st->eof, &st->rearm);
	if (!data)
		return;
	for (i = 0; i < cqe->res; i++) {
		unsigned char want = pattern(cfg.seed, st->received + i);

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
	zcrx_refill(q, off, cqe->res);
}

/*
 * Revoke the area's buffer: a buffer of the phyr test exporter
 * (CONFIG_DMABUF_PHYR_TEST) is revoked by the test module, an exported
 * io_uring buffer by unregistering it. The kernel must stop writing into
 * the area and close the queue.
 */
static void revoke_area(const struct area *a)
{
	char cmd[32], reply[32];
	int err;

	if (cfg.mem == AREA_IOURING) {
		err = io_uring_unregister_buffers((struct io_uring *)&a->ring);
		if (err)
			fail_errno(-err, "unregister the area's io_uring buffer");
		printf("zcrx_nsim: unregistered the exported io_uring buffer\n");
		return;
	}
	snprintf(cmd, sizeof(cmd), "revoke %d", a->dmabuf_fd);
	err = phyr_test_cmd(cmd, reply, sizeof(reply));
	if (err)
		fail_errno(err, "revoke the dma-buf");
	printf("zcrx_nsim: revoked the dma-buf area\n");
}

static int run_server(void)
{
	struct rx_state st = { 0 };
	struct io_uring ring;
	struct zcrx_ifq q;
	struct area a;
	uint64_t copy_count = 0, copy_bytes = 0;
	bool revoked = false;
	uint64_t deadline;
	int lfd, fd, ret;
	bool ok;

	zcrx_ring_init(&ring, cfg.area_size);
	/* Register before listening: no data may arrive before the area. */
	server_register(&ring, &a, &q);

	lfd = listen_tcp(cfg.addr, cfg.port);
	printf("zcrx_nsim: listening on [%s]:%d\n", cfg.addr ? cfg.addr : "::",
	       cfg.port);
	fflush(stdout);

	fd = accept_one(lfd, cfg.timeout);
	close(lfd);
	deadline = now_ns() + cfg.timeout * 1000000000ull;
	zcrx_arm(&ring, fd, &q);
	while (!st.eof) {
		struct __kernel_timespec ts = { .tv_sec = 1 };
		struct io_uring_cqe *cqe;
		unsigned int head, seen = 0;

		if (now_ns() > deadline)
			fail("timeout after %d s: %" PRIu64 " of %" PRIu64 " bytes received",
			     cfg.timeout, st.received, cfg.bytes);
		ret = io_uring_submit_and_wait_timeout(&ring, &cqe, 1, &ts, NULL);
		if (ret < 0 && ret != -ETIME && ret != -EINTR)
			fail_errno(-ret, "io_uring_submit_and_wait_timeout");
		if (!io_uring_cq_ready(&ring))
			continue;

		area_sync(&a, DMA_BUF_SYNC_START);
		io_uring_for_each_cqe(&ring, head, cqe) {
			/* After a revocation the request must end with
			 * ENODEV: the area can take no more data, and the
			 * kernel says why.
			 */
			if (revoked && cqe->res < 0) {
				printf("zcrx_nsim: after the revocation: %s after %" PRIu64 " bytes\n",
				       ename(-cqe->res), st.received);
				st.revoke_err = -cqe->res;
				st.eof = true;
				seen++;
				break;
			}
			rx_one(&st, cqe, &a, &q);
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
			zcrx_arm(&ring, fd, &q);
		}
	}
	close(fd);
	if (revoked) {
		struct timespec most = { .tv_sec = 600 };
		sigset_t usr1;

		/* Let the test see the queue without its provider while the
		 * ifq still exists (closing it is the kernel's job), until the
		 * test says it has looked. The bound only matters when nobody
		 * sends the signal: the test's netlink look-ups take a minute
		 * on a loaded emulated machine.
		 */
		printf("zcrx_nsim: holding the ifq until SIGUSR1 (600 s at most)\n");
		fflush(stdout);
		sigemptyset(&usr1);
		sigaddset(&usr1, SIGUSR1);
		if (sigtimedwait(&usr1, NULL, &most) < 0)
			printf("zcrx_nsim: no SIGUSR1 within 600 s\n");
	}

	if (q.stats) {
		copy_count = __atomic_load_n(&q.stats->copy_count,
					     __ATOMIC_RELAXED);
		copy_bytes = __atomic_load_n(&q.stats->copy_bytes,
					     __ATOMIC_RELAXED);
	}
	printf("zcrx_nsim: received %" PRIu64 " of %" PRIu64 " bytes in %" PRIu64 " completions, %" PRIu64 " mismatched\n",
	       st.received, cfg.bytes, st.completions, st.bad);
	if (st.bad)
		printf("zcrx_nsim: first mismatch at stream offset %" PRIu64 ": expected 0x%02x, got 0x%02x\n",
		       st.first_bad, st.want, st.got);
	if (q.stats)
		printf("zcrx_nsim: copy fallback: %" PRIu64 " completions, %" PRIu64 " bytes\n",
		       copy_count, copy_bytes);
	else
		printf("zcrx_nsim: copy fallback: unknown\n");

	if (cfg.revoke_at) {
		ok = revoked && st.received < cfg.bytes && !st.bad &&
		     st.revoke_err == ENODEV;
		if (revoked && st.revoke_err != ENODEV)
			printf("zcrx_nsim: the request ended with %s, not ENODEV\n",
			       st.revoke_err ? ename(st.revoke_err) : "no error");
	}
	else
		ok = st.received == cfg.bytes && !st.bad;
	if (cfg.strict && (!q.stats || copy_bytes)) {
		printf("zcrx_nsim: -z: %s\n", q.stats ?
		       "data went through the copy fallback" :
		       "no copy statistics to check");
		ok = false;
	}
	io_uring_queue_exit(&ring);
	printf("zcrx_nsim: %s\n", ok ? "PASS" : "FAIL");
	return ok ? 0 : 1;
}

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s -i IFNAME -q QUEUE [-d | -E [-R BYTES] | -U [-R BYTES] | -O | -W | -P] [-z] [-a ADDR] [-p PORT] [-n BYTES] [-s SEED] [-A AREA] [-t SECONDS]\n"
		"       %s -c HOST [-p PORT] [-n BYTES] [-s SEED] [-S CHUNK]\n"
		"  -d  area from a dma-buf (udmabuf) instead of user memory\n"
		"  -E  area from a dma-buf of the phyr test exporter\n"
		"  -U  area from an io_uring registered buffer exported as a\n"
		"      dma-buf (IORING_REGISTER_EXPORT_BUFFER)\n"
		"  -O  the same, exported read-only: expect the registration\n"
		"      to fail with EACCES (receiving writes the area)\n"
		"  -z  fail if any data went through the kernel's copy fallback\n"
		"  -R BYTES  with -E or -U: revoke the dma-buf (-U: unregister the\n"
		"      buffer) after BYTES, expect the\n"
		"      stream to end with ENODEV before all of it arrived\n"
		"  -W  only register an area of a test exporter buffer that is\n"
		"      revoked while it attaches; succeed if that fails with ENODEV\n"
		"  -P  only register an area of a test exporter buffer whose\n"
		"      struct pages importers must not use (as P2P MMIO); succeed\n"
		"      if that fails with EOPNOTSUPP and nothing stays pinned\n",
		prog, prog);
	exit(2);
}

int main(int argc, char **argv)
{
	long page_size = sysconf(_SC_PAGESIZE);
	sigset_t usr1;
	int c;

	setvbuf(stdout, NULL, _IOLBF, 0);
	/* SIGUSR1 ends the hold of the ifq after a revocation: blocked from
	 * the start, so that one sent early stays pending
	 */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	while ((c = getopt(argc, argv, "c:i:q:a:p:n:s:dEUOWPzA:t:S:R:h")) != -1) {
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
			if (cfg.mem != AREA_USER && cfg.mem != AREA_UDMABUF)
				usage(argv[0]);
			cfg.mem = AREA_UDMABUF;
			break;
		case 'E':
			if (cfg.mem == AREA_UDMABUF)
				usage(argv[0]);
			cfg.mem = AREA_TEST;
			break;
		case 'U':
			if (cfg.mem != AREA_USER)
				usage(argv[0]);
			cfg.mem = AREA_IOURING;
			break;
		case 'O':
			if (cfg.mem != AREA_USER)
				usage(argv[0]);
			cfg.mem = AREA_IOURING_RO;
			break;
		case 'W':
		case 'P':
			if (cfg.mem == AREA_UDMABUF)
				usage(argv[0]);
			cfg.mem = AREA_TEST;
			/* revoked while it attaches; no struct pages */
			cfg.test_mode = c == 'W' ? "revoke-on-attach" : "nopage";
			cfg.expect = c == 'W' ? ENODEV : EOPNOTSUPP;
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
	if (!cfg.ifname || cfg.queue < 0 ||
	    (cfg.revoke_at && ((cfg.mem != AREA_TEST && cfg.mem != AREA_IOURING) ||
			       cfg.test_mode)))
		usage(argv[0]);
	if (!cfg.area_size || cfg.area_size % page_size)
		fail("-A: the area size must be a multiple of %ld bytes",
		     page_size);
	return run_server();
}
