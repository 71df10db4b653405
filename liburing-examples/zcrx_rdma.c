// SPDX-License-Identifier: GPL-2.0
/*
 * zcrx_rdma: receive a TCP stream with io_uring zero-copy receive into
 * memory that io_uring exports as a dma-buf, and forward every received
 * chunk with RDMA WRITE from that same memory, with no copy by the
 * application.
 *
 * Three roles, one program:
 *
 * Forwarder (-i IFNAME -q QUEUE -r SINK): one anonymous buffer is
 * registered with an io_uring (IORING_REGISTER_BUFFERS) and exported as a
 * dma-buf (IORING_REGISTER_EXPORT_BUFFER). The dma-buf is both the area of
 * a zcrx interface queue on RX queue QUEUE of IFNAME and, through
 * ibv_reg_dmabuf_mr(), an RDMA memory region (at iova 0, so an area offset
 * is an MR address). The buffer's own mapping is made PROT_NONE once it
 * is exported: the application cannot touch the payload, only the NIC
 * (its receive) and the RDMA device (its WRITEs) do. The forwarder
 * connects an RC QP to the sink with rdma_cm, accepts one TCP connection
 * on [ADDR]:PORT, and for the RECV_ZC completions it reaps posts RDMA
 * WRITEs of their chunks to the sink's window at the chunks' stream
 * position (modulo the window); chunks that are adjacent in the buffer
 * go in one WRITE. A buffer goes back to the zcrx refill ring when its
 * WRITE has completed; with -H, while HOLD bytes wait for their WRITE
 * the forwarder takes no more off the socket, and the socket's receive
 * buffer (-b) closes the TCP window (fwd_run_zcrx()). The RDMA completion
 * channel is polled by the same ring (a multishot IORING_OP_POLL_ADD), so
 * one wait serves both (only a full send queue, and the end of the
 * stream, wait for WRITEs alone). At the end of the stream a SEND tells
 * the sink how many bytes were forwarded.
 *
 * With -m recv the forwarder does the same transfer the usual way:
 * recv() into an ordinary buffer registered with ibv_reg_mr(), then RDMA
 * WRITE from it (the baseline of the benchmark).
 *
 * With -m write the forwarder makes the RDMA side alone: no TCP, WRITEs
 * of -S bytes each from an ordinary registered buffer that holds the
 * pattern, to the same sink. The benchmark measures with it what the RDMA
 * side of a transfer costs by itself, the part no forwarder changes
 * (docs/benchmarks.md, issue 14).
 *
 * Sink (-P -a ADDR): listens for the forwarder with rdma_cm on ADDR:RPORT,
 * offers a window of -W bytes (a multiple of 256, filled with the
 * complement of the pattern) for RDMA WRITE, waits for the forwarder's
 * SEND, and checks that every byte of the window that the stream reached
 * holds the stream pattern
 *
 *	byte i of the stream = (i * 31 + seed) & 0xff
 *
 * (the pattern's period divides the window, so a wrapped stream leaves the
 * same bytes) and that the rest still holds the fill.
 *
 * Client (-c HOST): connects to [HOST]:PORT and sends the pattern.
 *
 * The forwarder prints one "RESULT key=value ..." line: bytes, time from
 * accept() to the sink's receipt of the last message, and the busy CPU time of
 * the whole machine over it (/proc/stat), which selftests/zcrx_rdma.sh
 * turns into cycles per byte. Exit status 0 only when the whole stream
 * was forwarded (and, for the sink, arrived intact).
 *
 *	zcrx_rdma -P -a SINKADDR [-R RPORT] [-n BYTES] [-W WINDOW] [-s SEED]
 *	zcrx_rdma -i IFNAME -q QUEUE -r SINKADDR [-R RPORT] [-m zcrx|recv|write]
 *		  [-a ADDR] [-p PORT] [-n BYTES] [-A AREA] [-S CHUNK] [-M BYTES]
 *		  [-B LEN] [-H HOLD] [-b RCVBUF]
 *	zcrx_rdma -c HOST [-p PORT] [-n BYTES] [-s SEED] [-S CHUNK]
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <net/if.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <liburing.h>
#include <infiniband/verbs.h>
#include <rdma/rdma_cma.h>

#define PROG		"zcrx_rdma"
#include "zcrx_common.h"

enum role { FORWARDER, SINK, CLIENT };
enum mode { MODE_ZCRX, MODE_RECV, MODE_WRITE };

static const char *const mode_name[] = {
	[MODE_ZCRX] = "zcrx", [MODE_RECV] = "recv", [MODE_WRITE] = "write",
};

static struct {
	enum role role;
	enum mode mode;
	const char *host;	/* client: the forwarder's address */
	const char *ifname;
	int queue;
	const char *addr;	/* forwarder: TCP address; sink: rdma_cm address */
	int port;
	const char *sink;	/* forwarder: the sink's address */
	int rport;
	uint64_t bytes;
	unsigned int seed;
	size_t area_size;
	size_t window;
	size_t chunk;
	uint32_t max_write;	/* the longest WRITE of merged zcrx chunks */
	uint32_t rx_buf_len;	/* zcrx buffer size, 0: the page size */
	int64_t hold;		/* zcrx: the most bytes held, 0: no limit */
	int64_t rcvbuf;		/* zcrx: SO_RCVBUF, 0: autotuning */
	int timeout;
} cfg = {
	.queue = -1,
	.port = 9997,
	.rport = 18515,
	.bytes = 16 << 20,
	.seed = 7,
	.area_size = 4 << 20,
	.chunk = 64 << 10,
	.max_write = 256 << 10,
	.timeout = 60,
};

/* The sink's window, in the private data of its rdma_cm accept. */
struct sink_window {
	uint64_t addr;
	uint64_t size;
	uint32_t rkey;
};

/* The forwarder's last message: a SEND with the number of bytes. */
struct done_msg {
	uint64_t bytes;
};

#define WR_WRITE	1
#define WR_DONE		2
#define POLL_TAG	2	/* the completion channel's poll, in the ring */
#define SQ_DEPTH	64
/*
 * The QPs' ACK timeout, 4.096 us << 20 = 4.3 s: under emulation (TCG, a
 * debug kernel) the default of rdma_cm (about 67 ms) retransmits while
 * the ACKs are merely late.
 */
#define ACK_TIMEOUT	20

/* ---- rdma_cm ---- */

static void sockaddr4(const char *str, int port, struct sockaddr_in *sin)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	if (inet_pton(AF_INET, str, &sin->sin_addr) != 1)
		fail("not an IPv4 address: %s", str);
}

/*
 * The next event on @ch, which must be @want (cfg.timeout at most); its
 * id in *id and up to @len bytes of its private data in @priv.
 */
static void cm_event(struct rdma_event_channel *ch,
		     enum rdma_cm_event_type want, struct rdma_cm_id **id,
		     void *priv, size_t len)
{
	struct pollfd pfd = { .fd = ch->fd, .events = POLLIN };
	struct rdma_cm_event *ev;
	int ret;

	ret = poll(&pfd, 1, cfg.timeout * 1000);
	if (ret <= 0)
		fail("rdma_cm: no %s within %d s", rdma_event_str(want),
		     cfg.timeout);
	if (rdma_get_cm_event(ch, &ev))
		fail_errno(errno, "rdma_get_cm_event");
	if (ev->event != want)
		fail("rdma_cm: %s (status %d), expected %s",
		     rdma_event_str(ev->event), ev->status,
		     rdma_event_str(want));
	if (id)
		*id = ev->id;
	if (priv) {
		if (ev->param.conn.private_data_len < len)
			fail("rdma_cm: %u bytes of private data, expected %zu",
			     ev->param.conn.private_data_len, len);
		memcpy(priv, ev->param.conn.private_data, len);
	}
	rdma_ack_cm_event(ev);
}

/* An rdma_cm id with the ACK timeout above. */
static struct rdma_cm_id *cm_id(struct rdma_event_channel *ch)
{
	struct rdma_cm_id *id;
	uint8_t timeout = ACK_TIMEOUT;

	if (rdma_create_id(ch, &id, NULL, RDMA_PS_TCP))
		fail_errno(errno, "rdma_create_id");
	if (rdma_set_option(id, RDMA_OPTION_ID, RDMA_OPTION_ID_ACK_TIMEOUT,
			    &timeout, sizeof(timeout)))
		fail_errno(errno, "RDMA_OPTION_ID_ACK_TIMEOUT");
	return id;
}

struct conn {
	struct rdma_event_channel *ch;
	struct rdma_cm_id *id;
	struct ibv_pd *pd;
	struct ibv_comp_channel *cc;
	struct ibv_cq *cq;
};

/* PD, CQ (with a non-blocking completion channel) and QP of a connection */
static void conn_qp(struct conn *c, struct ibv_context *ctx)
{
	struct ibv_qp_init_attr init = {
		.qp_type = IBV_QPT_RC,
		.cap = { .max_send_wr = SQ_DEPTH, .max_recv_wr = 4,
			 .max_send_sge = 1, .max_recv_sge = 1,
			 .max_inline_data = sizeof(struct done_msg) },
	};
	int flags;

	c->pd = ibv_alloc_pd(ctx);
	if (!c->pd)
		fail_errno(errno, "ibv_alloc_pd");
	c->cc = ibv_create_comp_channel(ctx);
	if (!c->cc)
		fail_errno(errno, "ibv_create_comp_channel");
	flags = fcntl(c->cc->fd, F_GETFL);
	if (flags < 0 || fcntl(c->cc->fd, F_SETFL, flags | O_NONBLOCK))
		fail_errno(errno, "O_NONBLOCK on the completion channel");
	c->cq = ibv_create_cq(ctx, SQ_DEPTH + 8, NULL, c->cc, 0);
	if (!c->cq)
		fail_errno(errno, "ibv_create_cq");
	init.send_cq = c->cq;
	init.recv_cq = c->cq;
	if (rdma_create_qp(c->id, c->pd, &init))
		fail_errno(errno, "rdma_create_qp");
}

/* Consume the completion channel's events and ask for the next one. */
static void cq_rearm(struct conn *c)
{
	struct ibv_cq *cq;
	void *ctx;

	while (!ibv_get_cq_event(c->cc, &cq, &ctx))
		ibv_ack_cq_events(cq, 1);
	if (errno != EAGAIN)
		fail_errno(errno, "ibv_get_cq_event");
	if (ibv_req_notify_cq(c->cq, 0))
		fail_errno(errno, "ibv_req_notify_cq");
}

/* Sleep until the completion channel fires (cfg.timeout at most). */
static void cq_sleep(struct conn *c, const char *what)
{
	struct pollfd pfd = { .fd = c->cc->fd, .events = POLLIN };
	int ret;

	ret = poll(&pfd, 1, cfg.timeout * 1000);
	if (ret < 0)
		fail_errno(errno, "poll on the completion channel");
	if (!ret)
		fail("no RDMA completion within %d s (%s)", cfg.timeout, what);
}

/* The QP, CQ and channel; the PD goes after the MRs. */
static void conn_close(struct conn *c)
{
	rdma_disconnect(c->id);
	rdma_destroy_qp(c->id);
	ibv_destroy_cq(c->cq);
	ibv_destroy_comp_channel(c->cc);
}

/* ---- client ---- */

static int run_client(void)
{
	uint64_t sent;

	sent = send_stream(cfg.host, cfg.port, cfg.bytes, cfg.seed, cfg.chunk,
			   cfg.timeout);
	printf(PROG ": sent %" PRIu64 " bytes to [%s]:%d\n",
	       sent, cfg.host, cfg.port);
	return 0;
}

/* ---- sink ---- */

static int run_sink(void)
{
	struct rdma_cm_id *listen_id;
	struct rdma_conn_param param = {
		.responder_resources = 1,
		.initiator_depth = 1,
		.rnr_retry_count = 7,
	};
	struct sink_window win;
	struct done_msg msg;
	struct sockaddr_in sin;
	struct ibv_mr *mr, *msg_mr;
	struct ibv_recv_wr rwr = { 0 }, *bad;
	struct ibv_sge sge;
	struct ibv_wc wc;
	struct conn c = { 0 };
	uint64_t bad_bytes = 0, first_bad = 0, reached;
	unsigned char *buf;
	size_t i;
	int n;

	buf = mmap(NULL, cfg.window, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		fail_errno(errno, "mmap of a %zu-byte window", cfg.window);
	for (i = 0; i < cfg.window; i++)
		buf[i] = ~pattern(cfg.seed, i);

	c.ch = rdma_create_event_channel();
	if (!c.ch)
		fail_errno(errno, "rdma_create_event_channel");
	listen_id = cm_id(c.ch);
	sockaddr4(cfg.addr, cfg.rport, &sin);
	if (rdma_bind_addr(listen_id, (struct sockaddr *)&sin))
		fail_errno(errno, "rdma_bind_addr %s:%d", cfg.addr, cfg.rport);
	if (rdma_listen(listen_id, 1))
		fail_errno(errno, "rdma_listen");
	printf(PROG ": sink listening on %s:%d (%s), window %zu bytes\n",
	       cfg.addr, cfg.rport,
	       listen_id->verbs ? ibv_get_device_name(listen_id->verbs->device) : "?",
	       cfg.window);
	fflush(stdout);

	cm_event(c.ch, RDMA_CM_EVENT_CONNECT_REQUEST, &c.id, NULL, 0);
	conn_qp(&c, c.id->verbs);
	mr = ibv_reg_mr(c.pd, buf, cfg.window,
			IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE);
	msg_mr = ibv_reg_mr(c.pd, &msg, sizeof(msg), IBV_ACCESS_LOCAL_WRITE);
	if (!mr || !msg_mr)
		fail_errno(errno, "ibv_reg_mr");
	sge.addr = (uintptr_t)&msg;
	sge.length = sizeof(msg);
	sge.lkey = msg_mr->lkey;
	rwr.sg_list = &sge;
	rwr.num_sge = 1;
	if (ibv_post_recv(c.id->qp, &rwr, &bad))
		fail_errno(errno, "ibv_post_recv");
	if (ibv_req_notify_cq(c.cq, 0))
		fail_errno(errno, "ibv_req_notify_cq");

	win.addr = (uintptr_t)buf;
	win.size = cfg.window;
	win.rkey = mr->rkey;
	param.private_data = &win;
	param.private_data_len = sizeof(win);
	if (rdma_accept(c.id, &param))
		fail_errno(errno, "rdma_accept");
	cm_event(c.ch, RDMA_CM_EVENT_ESTABLISHED, NULL, NULL, 0);

	/*
	 * The forwarder's SEND comes after all of its WRITEs completed, as
	 * long as the transfer takes: WRITEs are one-sided, the sink sees no
	 * progress to time out on. The forwarder has its own deadlines; when
	 * it goes away, its connection does too.
	 */
	while ((n = ibv_poll_cq(c.cq, 1, &wc)) == 0) {
		struct pollfd pfd[2] = {
			{ .fd = c.cc->fd, .events = POLLIN },
			{ .fd = c.ch->fd, .events = POLLIN },
		};

		if (poll(pfd, 2, -1) < 0)
			fail_errno(errno, "poll");
		if (pfd[1].revents && !ibv_poll_cq(c.cq, 1, &wc))
			fail("the forwarder went away before its last message");
		if (pfd[1].revents) {
			n = 1;
			break;
		}
		cq_rearm(&c);
	}
	if (n < 0)
		fail("ibv_poll_cq failed");
	if (wc.status != IBV_WC_SUCCESS)
		fail("the forwarder's message: %s", ibv_wc_status_str(wc.status));
	if (wc.opcode != IBV_WC_RECV || wc.byte_len != sizeof(msg))
		fail("the forwarder's message: opcode %d, %u bytes",
		     wc.opcode, wc.byte_len);

	reached = msg.bytes < cfg.window ? msg.bytes : cfg.window;
	for (i = 0; i < cfg.window; i++) {
		unsigned char want = pattern(cfg.seed, i);

		if (i >= reached)
			want = ~want;
		if (buf[i] != want && !bad_bytes++)
			first_bad = i;
	}
	printf(PROG ": sink: %" PRIu64 " bytes forwarded (%" PRIu64 " expected), %" PRIu64 " bytes of the window in the stream, %" PRIu64 " mismatched\n",
	       (uint64_t)msg.bytes, cfg.bytes, reached, bad_bytes);
	if (bad_bytes)
		printf(PROG ": sink: first mismatch at window offset %" PRIu64 ": 0x%02x\n",
		       first_bad, buf[first_bad]);

	conn_close(&c);
	ibv_dereg_mr(mr);
	ibv_dereg_mr(msg_mr);
	ibv_dealloc_pd(c.pd);
	rdma_destroy_id(c.id);
	rdma_destroy_id(listen_id);
	rdma_destroy_event_channel(c.ch);
	n = msg.bytes == cfg.bytes && !bad_bytes;
	printf(PROG ": sink: %s\n", n ? "PASS" : "FAIL");
	return n ? 0 : 1;
}

/* ---- forwarder ---- */

/*
 * A WRITE in flight; RC completes a send queue's work requests in order,
 * so the buffers to release come off FIFOs in order too.
 */
struct pending {
	uint64_t off;		/* where it reads the buffer */
	uint64_t woff;		/* where it writes the window */
	uint32_t len;		/* the bytes of this WRITE */
	uint32_t release;	/* zcrx chunks or recv() slots it frees */
};

/* A zcrx completion's data, to hand back once it is forwarded. */
struct chunk {
	uint64_t off;
	uint32_t len;
};

struct fwd {
	struct conn c;
	struct sink_window win;
	struct ibv_mr *mr;
	uint64_t mr_base;	/* the MR address of buffer offset 0 */
	struct pending pend[SQ_DEPTH];
	unsigned int head, tail;	/* pend[] FIFO */
	uint64_t pos;		/* stream bytes posted */
	uint64_t done;		/* stream bytes whose WRITE completed */
	uint64_t writes;
	uint64_t splits;	/* WRITEs split at the end of the window */
	uint64_t throttled;	/* waits with cfg.hold bytes held */
	bool done_acked;
	/* MODE_ZCRX */
	struct chunk *chunks;	/* FIFO of the chunks not yet released */
	unsigned int nr_chunks, chunk_head, chunk_tail;
	uint64_t run_off;	/* received, contiguous, not yet posted */
	uint32_t run_len, run_chunks;
	uint64_t held;		/* bytes received whose WRITE is not done */
	struct area a;
	struct io_uring ring;
	struct zcrx_ifq q;
	/* MODE_RECV, MODE_WRITE */
	unsigned char *buf;
	unsigned int slots, slot_next, slots_busy;
};

static void fwd_connect(struct fwd *f)
{
	struct sockaddr_in dst;

	f->c.ch = rdma_create_event_channel();
	if (!f->c.ch)
		fail_errno(errno, "rdma_create_event_channel");
	f->c.id = cm_id(f->c.ch);
	sockaddr4(cfg.sink, cfg.rport, &dst);
	if (rdma_resolve_addr(f->c.id, NULL, (struct sockaddr *)&dst, 5000))
		fail_errno(errno, "rdma_resolve_addr %s", cfg.sink);
	cm_event(f->c.ch, RDMA_CM_EVENT_ADDR_RESOLVED, NULL, NULL, 0);
	if (rdma_resolve_route(f->c.id, 5000))
		fail_errno(errno, "rdma_resolve_route");
	cm_event(f->c.ch, RDMA_CM_EVENT_ROUTE_RESOLVED, NULL, NULL, 0);
	conn_qp(&f->c, f->c.id->verbs);
}

static void fwd_establish(struct fwd *f)
{
	struct rdma_conn_param param = {
		.responder_resources = 1,
		.initiator_depth = 1,
		.retry_count = 7,
		.rnr_retry_count = 7,
	};

	if (rdma_connect(f->c.id, &param))
		fail_errno(errno, "rdma_connect");
	cm_event(f->c.ch, RDMA_CM_EVENT_ESTABLISHED, NULL, &f->win,
		 sizeof(f->win));
	if (!f->win.size || f->win.size % 256)
		fail("the sink's window of %" PRIu64 " bytes is no multiple of 256",
		     (uint64_t)f->win.size);
	printf(PROG ": connected to the sink %s:%d on %s, window %" PRIu64 " bytes\n",
	       cfg.sink, cfg.rport,
	       ibv_get_device_name(f->c.id->verbs->device),
	       (uint64_t)f->win.size);
	if (ibv_req_notify_cq(f->c.cq, 0))
		fail_errno(errno, "ibv_req_notify_cq");
}

/* The buffers of a completed WRITE go back to their owner. */
static void fwd_release(struct fwd *f, unsigned int n)
{
	if (cfg.mode != MODE_ZCRX) {
		f->slots_busy -= n;
		return;
	}
	while (n--) {
		const struct chunk *ch;

		if (f->chunk_head == f->chunk_tail)
			fail("released more chunks than were received");
		ch = &f->chunks[f->chunk_head++ % f->nr_chunks];
		f->held -= ch->len;
		zcrx_refill(&f->q, ch->off, ch->len);
	}
}

/*
 * Reap every completion there is (the completion channel only tells of
 * new ones once re-armed); the number reaped.
 */
static int fwd_reap(struct fwd *f)
{
	struct ibv_wc wc[32];
	int n, i, total = 0;

again:
	n = ibv_poll_cq(f->c.cq, 32, wc);
	if (n < 0)
		fail("ibv_poll_cq failed");
	total += n;
	for (i = 0; i < n; i++) {
		struct pending *p;

		if (wc[i].status != IBV_WC_SUCCESS && wc[i].wr_id == WR_DONE)
			fail("SEND: %s", ibv_wc_status_str(wc[i].status));
		if (wc[i].status != IBV_WC_SUCCESS) {
			p = &f->pend[f->head % SQ_DEPTH];
			fail("RDMA WRITE after %" PRIu64 " bytes (%u bytes of buffer offset %" PRIu64 " to window offset %" PRIu64 "): %s",
			     f->done, p->len, p->off, p->woff,
			     ibv_wc_status_str(wc[i].status));
		}
		if (wc[i].wr_id == WR_DONE) {
			f->done_acked = true;
			continue;
		}
		if (f->head == f->tail)
			fail("a WRITE completion without a WRITE");
		p = &f->pend[f->head++ % SQ_DEPTH];
		f->done += p->len;
		fwd_release(f, p->release);
	}
	if (n == 32)
		goto again;
	return total;
}

/* Reap at least one completion, sleeping for it if need be. */
static void fwd_reap_wait(struct fwd *f, const char *what)
{
	char why[128];

	while (!fwd_reap(f)) {
		cq_rearm(&f->c);
		if (fwd_reap(f))
			break;
		snprintf(why, sizeof(why),
			 "%s; %" PRIu64 " bytes posted in %" PRIu64 " WRITEs, %" PRIu64 " completed, %u in flight",
			 what, f->pos, f->writes, f->done, f->tail - f->head);
		cq_sleep(&f->c, why);
	}
}

static void fwd_post(struct fwd *f, struct ibv_send_wr *wr)
{
	struct ibv_send_wr *bad;

	if (ibv_post_send(f->c.id->qp, wr, &bad))
		fail_errno(errno, "ibv_post_send after %" PRIu64 " bytes",
			   f->pos);
}

/*
 * WRITE len bytes at off of the buffer to the sink, at the stream
 * position modulo the window (two WRITEs where it wraps); the last one
 * releases @release buffers when it completes.
 */
static void fwd_write(struct fwd *f, uint64_t off, uint32_t len,
		      uint32_t release)
{
	while (len) {
		uint64_t woff = f->pos % f->win.size;
		uint32_t n = len;
		struct ibv_sge sge;
		struct ibv_send_wr wr = { 0 };
		struct pending *p;

		if (woff + n > f->win.size) {
			n = f->win.size - woff;
			f->splits++;
		}
		while (f->tail - f->head >= SQ_DEPTH)
			fwd_reap_wait(f, "a free send queue entry");
		p = &f->pend[f->tail++ % SQ_DEPTH];
		p->off = off;
		p->woff = woff;
		p->len = n;
		p->release = n == len ? release : 0;

		sge.addr = f->mr_base + off;
		sge.length = n;
		sge.lkey = f->mr->lkey;
		wr.wr_id = WR_WRITE;
		wr.sg_list = &sge;
		wr.num_sge = 1;
		wr.opcode = IBV_WR_RDMA_WRITE;
		wr.send_flags = IBV_SEND_SIGNALED;
		wr.wr.rdma.remote_addr = f->win.addr + woff;
		wr.wr.rdma.rkey = f->win.rkey;
		fwd_post(f, &wr);
		f->writes++;
		f->pos += n;
		off += n;
		len -= n;
	}
}

/* Post the run of received chunks that are contiguous in the buffer. */
static void fwd_flush(struct fwd *f)
{
	if (!f->run_len)
		return;
	fwd_write(f, f->run_off, f->run_len, f->run_chunks);
	f->run_len = 0;
	f->run_chunks = 0;
}

/*
 * A chunk of the stream arrived at off: queue it for release and add it
 * to the run, which becomes one WRITE (zcrx fills buffers of the area in
 * turn, so consecutive chunks are often adjacent).
 */
static void fwd_chunk(struct fwd *f, uint64_t off, uint32_t len)
{
	struct chunk *ch;

	if (f->run_len && (off != f->run_off + f->run_len ||
			   f->run_len + len > cfg.max_write))
		fwd_flush(f);
	if (f->chunk_tail - f->chunk_head == f->nr_chunks)
		fail("more chunks in flight than buffers in the area");
	ch = &f->chunks[f->chunk_tail++ % f->nr_chunks];
	ch->off = off;
	ch->len = len;
	f->held += len;
	if (!f->run_len)
		f->run_off = off;
	f->run_len += len;
	f->run_chunks++;
}

/* Wait for every WRITE, then tell the sink how many bytes there are. */
static void fwd_finish(struct fwd *f)
{
	struct done_msg msg = { .bytes = f->pos };
	struct ibv_sge sge = {
		.addr = (uintptr_t)&msg,
		.length = sizeof(msg),
	};
	struct ibv_send_wr wr = {
		.wr_id = WR_DONE,
		.sg_list = &sge,
		.num_sge = 1,
		.opcode = IBV_WR_SEND,
		.send_flags = IBV_SEND_SIGNALED | IBV_SEND_INLINE,
	};

	while (f->head != f->tail)
		fwd_reap_wait(f, "the last WRITEs");
	fwd_post(f, &wr);
	while (!f->done_acked)
		fwd_reap_wait(f, "the sink's receipt of the last message");
}

/*
 * The buffer: registered with a ring of its own and exported as a
 * dma-buf (zcrx_common.h's AREA_IOURING); the dma-buf is the MR, at iova
 * 0, and the zcrx area. From here on the application has no access to it.
 */
static void fwd_setup_zcrx(struct fwd *f)
{
	unsigned int ifindex;
	int ret;

	ifindex = if_nametoindex(cfg.ifname);
	if (!ifindex)
		fail_errno(errno, "interface %s", cfg.ifname);
	zcrx_ring_init(&f->ring, cfg.area_size);
	area_alloc(&f->a, cfg.area_size, AREA_IOURING);
	f->mr = ibv_reg_dmabuf_mr(f->c.pd, 0, f->a.size, 0, f->a.dmabuf_fd,
				  IBV_ACCESS_LOCAL_WRITE);
	if (!f->mr)
		fail_errno(errno, "ibv_reg_dmabuf_mr of the exported buffer");
	f->mr_base = 0;
	/*
	 * Each chunk holds a reference to a buffer of the area (a page at
	 * least); room for four per buffer, and a clear failure beyond.
	 */
	f->nr_chunks = 4 * (f->a.size / sysconf(_SC_PAGESIZE));
	f->chunks = calloc(f->nr_chunks, sizeof(*f->chunks));
	if (!f->chunks)
		fail("out of memory");
	if (mprotect(f->a.cpu, f->a.size, PROT_NONE))
		fail_errno(errno, "mprotect PROT_NONE");
	ret = zcrx_register(&f->ring, ifindex, cfg.queue, &f->a,
			    cfg.rx_buf_len, &f->q);
	if (ret)
		fail_errno(-ret, "zcrx on %s queue %d", cfg.ifname, cfg.queue);
	printf(PROG ": io_uring buffer of %zu bytes exported as dma-buf %d: zcrx %u area on %s queue %d (rx_buf_len %u) and MR lkey 0x%x; its mapping is PROT_NONE\n",
	       f->a.size, f->a.dmabuf_fd, f->q.id, cfg.ifname, cfg.queue,
	       f->q.rx_buf_len, f->mr->lkey);
}

static void fwd_setup_recv(struct fwd *f)
{
	f->buf = mmap(NULL, cfg.area_size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (f->buf == MAP_FAILED)
		fail_errno(errno, "mmap of a %zu-byte buffer", cfg.area_size);
	f->mr = ibv_reg_mr(f->c.pd, f->buf, cfg.area_size,
			   IBV_ACCESS_LOCAL_WRITE);
	if (!f->mr)
		fail_errno(errno, "ibv_reg_mr");
	f->mr_base = (uintptr_t)f->buf;
	f->slots = cfg.area_size / cfg.chunk;
	if (cfg.mode == MODE_WRITE) {
		size_t i;

		/* Slots start at multiples of 256: the pattern's period. */
		for (i = 0; i < cfg.area_size; i++)
			f->buf[i] = pattern(cfg.seed, i);
		printf(PROG ": RDMA side alone: WRITEs of %zu bytes from a buffer of %u slots holding the pattern, MR lkey 0x%x\n",
		       cfg.chunk, f->slots, f->mr->lkey);
		return;
	}
	printf(PROG ": recv() into a buffer of %u slots of %zu bytes, MR lkey 0x%x\n",
	       f->slots, cfg.chunk, f->mr->lkey);
}

/* The RDMA side alone: WRITE the slots in turn, as fast as they free up. */
static void fwd_run_write(struct fwd *f)
{
	while (f->pos < cfg.bytes) {
		unsigned int slot = f->slot_next;
		uint64_t n = cfg.bytes - f->pos;

		while (f->slots_busy == f->slots)
			fwd_reap_wait(f, "a free slot");
		if (n > cfg.chunk)
			n = cfg.chunk;
		f->slots_busy++;
		f->slot_next = (slot + 1) % f->slots;
		fwd_write(f, (uint64_t)slot * cfg.chunk, n, 1);
		fwd_reap(f);
	}
}

/* recv() into the next free slot, WRITE it; slots free up in order. */
static void fwd_run_recv(struct fwd *f, int fd)
{
	for (;;) {
		unsigned int slot = f->slot_next;
		ssize_t n;

		while (f->slots_busy == f->slots)
			fwd_reap_wait(f, "a free slot");
		n = recv(fd, f->buf + (size_t)slot * cfg.chunk, cfg.chunk, 0);
		if (n < 0)
			fail_errno(errno, "recv after %" PRIu64 " bytes", f->pos);
		if (!n)
			break;
		f->slots_busy++;
		f->slot_next = (slot + 1) % f->slots;
		fwd_write(f, (uint64_t)slot * cfg.chunk, n, 1);
		fwd_reap(f);
	}
}

static void arm_cq_poll(struct fwd *f)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&f->ring);

	if (!sqe)
		fail("no free SQE");
	io_uring_prep_poll_multishot(sqe, f->c.cc->fd, POLLIN);
	sqe->user_data = POLL_TAG;
}

/*
 * Take data off the socket only while the chunks waiting for their WRITE
 * hold less than cfg.hold bytes of the area: each RECV_ZC request asks
 * for at most what is left of that (its len), and the next one goes in
 * once WRITE completions have made room. The rest waits in the socket,
 * whose receive buffer (cfg.rcvbuf) closes the TCP window, as recv()'s
 * does when the application stops reading. Without this the sender runs
 * ahead of the RDMA WRITEs, the area runs out of free buffers, and the
 * NIC drops what it cannot place (TCP then retransmits).
 */
static uint32_t fwd_budget(const struct fwd *f)
{
	uint64_t room;

	if (!cfg.hold)
		return 0;	/* no limit: len 0 */
	room = f->held < (uint64_t)cfg.hold ? cfg.hold - f->held : 0;
	/* Not worth a request below an eighth of the limit. */
	if (room < (uint64_t)cfg.hold / 8)
		return UINT32_MAX;
	return room > UINT32_MAX - 1 ? UINT32_MAX - 1 : room;
}

/*
 * One ring waits for both: RECV_ZC completions post WRITEs, the
 * completion channel's poll reaps them and refills the area.
 */
static void fwd_run_zcrx(struct fwd *f, int fd)
{
	bool eof = false, rearm = false, armed = false;
	uint64_t received = 0, req_got = 0;
	uint32_t req_len = 0;
	int ret;

	arm_cq_poll(f);
	while (!eof) {
		struct __kernel_timespec ts = { .tv_sec = cfg.timeout };
		struct io_uring_cqe *cqe;
		unsigned int head, seen = 0;

		if (!armed) {
			uint32_t budget = fwd_budget(f);

			if (budget != UINT32_MAX) {
				zcrx_arm_len(&f->ring, fd, &f->q, budget);
				armed = true;
				req_len = budget;
				req_got = 0;
			} else {
				f->throttled++;
			}
		}
		ret = io_uring_submit_and_wait_timeout(&f->ring, &cqe, 1, &ts,
						       NULL);
		if (ret == -ETIME)
			fail("nothing within %d s: %" PRIu64 " bytes received",
			     cfg.timeout, received);
		if (ret < 0 && ret != -EINTR)
			fail_errno(-ret, "io_uring_submit_and_wait_timeout");
		io_uring_for_each_cqe(&f->ring, head, cqe) {
			__u64 off;

			seen++;
			if (cqe->user_data == POLL_TAG) {
				if (!(cqe->flags & IORING_CQE_F_MORE))
					arm_cq_poll(f);
				cq_rearm(&f->c);
				continue;
			}
			if (cqe->user_data != RECV_TAG)
				fail("unexpected completion, user_data %llu",
				     (unsigned long long)cqe->user_data);
			/* Only the offset: the data is not for the CPU. */
			if (!zcrx_cqe_data(cqe, &f->a, received, &off, &eof,
					   &rearm)) {
				/* A request that got its len: not the end. */
				if (eof && req_len && req_got >= req_len) {
					eof = false;
					rearm = true;
				}
				continue;
			}
			received += cqe->res;
			req_got += cqe->res;
			fwd_chunk(f, off, cqe->res);
		}
		io_uring_cq_advance(&f->ring, seen);
		fwd_flush(f);
		fwd_reap(f);
		if (rearm) {
			rearm = false;
			armed = false;
		}
	}
}

static int run_forwarder(void)
{
	struct timeval tv = { .tv_sec = cfg.timeout };
	struct cpu_ticks t0, t1;
	uint64_t ns0, ns1, copy_bytes = 0;
	struct fwd f = { 0 };
	double secs;
	int lfd, fd;
	bool ok;

	fwd_connect(&f);
	if (cfg.mode == MODE_ZCRX)
		fwd_setup_zcrx(&f);
	else
		fwd_setup_recv(&f);
	fwd_establish(&f);

	if (cfg.mode == MODE_WRITE) {
		cpu_ticks_read(&t0);
		ns0 = now_ns();
		fwd_run_write(&f);
		goto finish;
	}
	lfd = listen_tcp(cfg.addr, cfg.port);
	printf(PROG ": listening on [%s]:%d\n", cfg.addr ? cfg.addr : "::",
	       cfg.port);
	fflush(stdout);
	fd = accept_one(lfd, cfg.timeout);
	close(lfd);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
		fail_errno(errno, "SO_RCVTIMEO");
	if (cfg.mode == MODE_ZCRX && cfg.rcvbuf) {
		int v = cfg.rcvbuf;

		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)))
			fail_errno(errno, "SO_RCVBUF");
	}

	cpu_ticks_read(&t0);
	ns0 = now_ns();
	if (cfg.mode == MODE_ZCRX)
		fwd_run_zcrx(&f, fd);
	else
		fwd_run_recv(&f, fd);
	close(fd);
finish:
	fwd_finish(&f);
	ns1 = now_ns();
	cpu_ticks_read(&t1);

	if (cfg.mode == MODE_ZCRX && f.q.stats)
		copy_bytes = __atomic_load_n(&f.q.stats->copy_bytes,
					     __ATOMIC_RELAXED);
	else if (cfg.mode == MODE_ZCRX)
		copy_bytes = UINT64_MAX;	/* unknown: no zcrx statistics */
	secs = (ns1 - ns0) / 1e9;
	printf("RESULT mode=%s bytes=%" PRIu64 " secs=%.4f MBps=%.2f hz=%ld cpu_user=%llu cpu_sys=%llu cpu_irq=%llu writes=%" PRIu64 " splits=%" PRIu64 " throttled=%" PRIu64,
	       mode_name[cfg.mode], f.pos, secs,
	       f.pos / secs / 1e6, sysconf(_SC_CLK_TCK), t1.user - t0.user,
	       t1.system - t0.system, t1.irq - t0.irq, f.writes, f.splits,
	       f.throttled);
	if (copy_bytes == UINT64_MAX)
		printf(" copy_fallback_bytes=unknown\n");
	else
		printf(" copy_fallback_bytes=%" PRIu64 "\n", copy_bytes);
	/*
	 * Copies of each payload byte, by construction of the paths (not
	 * measured, except the copy fallback). The application's: recv()
	 * copies every byte into its buffer; with zcrx none (its mapping of
	 * the buffer is PROT_NONE), unless the kernel's copy fallback placed
	 * some. The device models' (a NIC or an RNIC would DMA instead):
	 * netdevsim copies into the zcrx area, and hands the sender's skb to
	 * recv(); rxe and siw copy from the MR into frames and, at the sink,
	 * from frames into the window.
	 */
	if (cfg.mode == MODE_ZCRX && copy_bytes != UINT64_MAX)
		printf(PROG ": copies per byte: application %.3f (kernel copy fallback %" PRIu64 " of %" PRIu64 " bytes); device models: netdevsim rx 1, RDMA 2 (requester, responder)\n",
		       f.pos ? (double)copy_bytes / f.pos : 0.0, copy_bytes,
		       f.pos);
	else if (cfg.mode == MODE_ZCRX)
		printf(PROG ": copies per byte: application unknown (kernel without zcrx copy statistics)\n");
	else if (cfg.mode == MODE_RECV)
		printf(PROG ": copies per byte: application 1 (recv()); device models: netdevsim rx 0, RDMA 2 (requester, responder)\n");
	else
		printf(PROG ": copies per byte: application 0 (no TCP side); device models: RDMA 2 (requester, responder)\n");

	conn_close(&f.c);
	ibv_dereg_mr(f.mr);
	ibv_dealloc_pd(f.c.pd);
	if (cfg.mode == MODE_ZCRX) {
		io_uring_queue_exit(&f.ring);
		close(f.a.dmabuf_fd);
		io_uring_queue_exit(&f.a.ring);
	}
	rdma_destroy_id(f.c.id);
	rdma_destroy_event_channel(f.c.ch);
	ok = f.pos == cfg.bytes && f.done == f.pos;
	if (f.pos != cfg.bytes)
		printf(PROG ": forwarded %" PRIu64 " of %" PRIu64 " bytes\n",
		       f.pos, cfg.bytes);
	return ok ? 0 : 1;
}

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s -i IFNAME -q QUEUE -r SINKADDR [-m zcrx|recv|write] [-a ADDR] [-p PORT]\n"
		"          [-R RPORT] [-n BYTES] [-A AREA] [-S CHUNK] [-M BYTES] [-B LEN]\n"
		"          [-H HOLD] [-b RCVBUF] [-t SECONDS]\n"
		"       %s -P -a SINKADDR [-R RPORT] [-n BYTES] [-W WINDOW] [-s SEED]\n"
		"       %s -c HOST [-p PORT] [-n BYTES] [-s SEED] [-S CHUNK]\n"
		"  -m zcrx  receive with zcrx into an exported io_uring buffer that is\n"
		"           also the MR (default); recv: recv() into an ibv_reg_mr() buffer\n"		"           write: the RDMA side alone (no TCP), -S bytes per WRITE\n"
		"  -A AREA  the forwarder's buffer (zcrx area or recv() slots)\n"
		"  -S CHUNK recv() size of the forwarder (-m recv), WRITE size (-m write),\n"
		"           send() size of the client\n"
		"  -M BYTES the longest WRITE of adjacent zcrx chunks (256K)\n"
		"  -B LEN   zcrx buffer size (rx_buf_len: a power of two the NIC takes\n"
		"           as rx-page-size; default the page size)\n"
		"  -H HOLD  zcrx: take no more off the socket while HOLD bytes of the\n"
		"           area wait for their WRITE (default 0: no limit)\n"
		"  -b RCVBUF  zcrx: the socket's SO_RCVBUF (default 0: the kernel's\n"
		"           autotuning)\n"
		"  -W WINDOW  the sink's RDMA window, a multiple of 256 (default: BYTES)\n",
		prog, prog, prog);
	exit(2);
}

int main(int argc, char **argv)
{
	long page_size = sysconf(_SC_PAGESIZE);
	int c;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((c = getopt(argc, argv, "c:Pi:q:r:m:a:p:R:n:s:A:W:S:M:B:H:b:t:h")) != -1) {
		switch (c) {
		case 'c':
			cfg.role = CLIENT;
			cfg.host = optarg;
			break;
		case 'P':
			cfg.role = SINK;
			break;
		case 'i':
			cfg.ifname = optarg;
			break;
		case 'q':
			cfg.queue = atoi(optarg);
			break;
		case 'r':
			cfg.sink = optarg;
			break;
		case 'm':
			if (!strcmp(optarg, "zcrx"))
				cfg.mode = MODE_ZCRX;
			else if (!strcmp(optarg, "recv"))
				cfg.mode = MODE_RECV;
			else if (!strcmp(optarg, "write"))
				cfg.mode = MODE_WRITE;
			else
				usage(argv[0]);
			break;
		case 'a':
			cfg.addr = optarg;
			break;
		case 'p':
			cfg.port = atoi(optarg);
			break;
		case 'R':
			cfg.rport = atoi(optarg);
			break;
		case 'n':
			cfg.bytes = parse_size("-n", optarg);
			break;
		case 's':
			cfg.seed = strtoul(optarg, NULL, 0);
			break;
		case 'A':
			cfg.area_size = parse_size("-A", optarg);
			break;
		case 'W':
			cfg.window = parse_size("-W", optarg);
			break;
		case 'S':
			cfg.chunk = parse_size("-S", optarg);
			break;
		case 'M': {
			uint64_t v = parse_size("-M", optarg);

			if (v > 1u << 30)
				fail("-M: at most 1G");
			cfg.max_write = v;
			break;
		}
		case 'B': {
			uint64_t v = parse_size("-B", optarg);

			if (v & (v - 1) || v > 1u << 30)
				fail("-B: a power of two, at most 1G");
			cfg.rx_buf_len = v;
			break;
		}
		case 'H':
			cfg.hold = parse_size("-H", optarg);
			break;
		case 'b': {
			uint64_t v = parse_size("-b", optarg);

			if (v > INT32_MAX / 2)
				fail("-b: at most 1G");
			cfg.rcvbuf = v;
			break;
		}
		case 't':
			cfg.timeout = atoi(optarg);
			break;
		default:
			usage(argv[0]);
		}
	}
	if (optind != argc || cfg.port <= 0 || cfg.port > 65535 ||
	    cfg.rport <= 0 || cfg.rport > 65535 || cfg.timeout <= 0 ||
	    !cfg.chunk || cfg.chunk > UINT32_MAX || !cfg.max_write)
		usage(argv[0]);
	switch (cfg.role) {
	case CLIENT:
		return run_client();
	case SINK:
		if (!cfg.addr)
			usage(argv[0]);
		if (!cfg.window)
			cfg.window = (cfg.bytes + 255) & ~255ull;
		if (!cfg.window || cfg.window % 256)
			fail("-W: the window must be a non-zero multiple of 256");
		return run_sink();
	case FORWARDER:
		break;
	}
	if (!cfg.ifname || cfg.queue < 0 || !cfg.sink)
		usage(argv[0]);
	if (!cfg.area_size || cfg.area_size % page_size)
		fail("-A: the buffer size must be a multiple of %ld bytes",
		     page_size);
	if (cfg.mode != MODE_ZCRX && cfg.area_size < cfg.chunk)
		fail("-A: the buffer must hold a -S chunk");
	if (cfg.mode == MODE_WRITE && cfg.chunk % 256)
		fail("-S: a multiple of 256 with -m write (the pattern's period)");
	if ((uint64_t)cfg.hold > cfg.area_size)
		fail("-H: at most the buffer (-A)");
	return run_forwarder();
}
