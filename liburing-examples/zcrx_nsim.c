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
#include <dirent.h>
#include <inttypes.h>
#include <net/if.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	/* -Y: @expect, or a registration that the revocation follows */
	bool race;
	bool strict;
	size_t area_size;
	int timeout;
	size_t chunk;
	uint64_t revoke_at;
	/* -X: netdevsim's queue_start_hold of the receiving port */
	const char *hold_knob;
	/* -M: try to add a dma-buf area to the registered ifq */
	bool add_dmabuf_area;
	/* -D: buffers go back to the kernel this long after their data came */
	unsigned int refill_delay_us;
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

/*
 * Hold the ifq until the test sends SIGUSR1 (blocked since main() started,
 * so that one sent early stays pending), at most @secs: the test looks at
 * the queue while the ifq still exists. The bound only matters when nobody
 * sends the signal.
 */
static void hold_until_usr1(int secs)
{
	struct timespec most = { .tv_sec = secs };
	sigset_t usr1;

	printf("zcrx_nsim: holding the ifq until SIGUSR1 (%d s at most)\n", secs);
	fflush(stdout);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	if (sigtimedwait(&usr1, NULL, &most) < 0)
		printf("zcrx_nsim: no SIGUSR1 within %d s\n", secs);
}

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
		if (cfg.race && !ret) {
			/*
			 * The revocation came after the setup: the ifq must
			 * take it (the test watches its queue lose the
			 * provider) while we hold it
			 */
			hold_until_usr1(120);
			exit(0);
		}
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
	if (cfg.add_dmabuf_area) {
		struct area b;

		/*
		 * The ifq has a user-memory area, which the kernel's copy
		 * fallback writes: a dma-buf area is refused, after the
		 * buffer was imported. The ifq must not notice: the stream
		 * below lands in its area as if nothing happened.
		 */
		area_alloc(&b, 1 << 20, AREA_UDMABUF, "");
		ret = zcrx_add_area(ring, q, &b);
		printf("zcrx_nsim: ZCRX_CTRL_ADD_AREA of a dma-buf to a user-memory ifq: %s\n",
		       ret ? strerror(-ret) : "added");
		if (ret != -EINVAL)
			fail("expected EINVAL");
		munmap(b.cpu, b.size);
		close(b.dmabuf_fd);
	}
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

/*
 * -D: a consumer that keeps its buffers for a while after their data came,
 * as a forwarder does until the data was sent on: they go back to the
 * refill ring cfg.refill_delay_us later, in order. The area runs dry
 * while TCP's window stays open (the data left the socket).
 */
#define REFILL_LATER_MAX	65536
static struct {
	uint64_t due_ns;
	__u64 off;
	__u32 len;
} refills[REFILL_LATER_MAX];
static unsigned int refill_head, refill_tail;

static void refill_due(struct zcrx_ifq *q)
{
	uint64_t now = now_ns();

	while (refill_head != refill_tail) {
		unsigned int i = refill_head % REFILL_LATER_MAX;

		if (refills[i].due_ns > now)
			break;
		zcrx_refill(q, refills[i].off, refills[i].len);
		refill_head++;
	}
}

static void refill_later(__u64 off, __u32 len)
{
	unsigned int i;

	if (refill_tail - refill_head == REFILL_LATER_MAX)
		fail("more than %u buffers held", REFILL_LATER_MAX);
	i = refill_tail++ % REFILL_LATER_MAX;
	refills[i].due_ns = now_ns() + cfg.refill_delay_us * 1000ull;
	refills[i].off = off;
	refills[i].len = len;
}

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
	if (cfg.refill_delay_us)
		refill_later(off, cqe->res);
	else
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

		if (cfg.refill_delay_us) {
			/* wake up in time to give delayed buffers back */
			uint64_t ns = cfg.refill_delay_us * 1000ull / 4 + 1000;

			ts.tv_sec = ns / 1000000000ull;
			ts.tv_nsec = ns % 1000000000ull;
		}
		struct io_uring_cqe *cqe;
		unsigned int head, seen = 0;

		if (now_ns() > deadline)
			fail("timeout after %d s: %" PRIu64 " of %" PRIu64 " bytes received",
			     cfg.timeout, st.received, cfg.bytes);
		ret = io_uring_submit_and_wait_timeout(&ring, &cqe, 1, &ts, NULL);
		if (ret < 0 && ret != -ETIME && ret != -EINTR)
			fail_errno(-ret, "io_uring_submit_and_wait_timeout");
		refill_due(&q);
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
		/* Let the test see the queue without its provider while the
		 * ifq still exists (closing it is the kernel's job), until the
		 * test says it has looked: its netlink look-ups take a minute
		 * on a loaded emulated machine.
		 */
		hold_until_usr1(600);
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

/* ---- -X: a revocation while the registration holds the netdev lock ---- */

/*
 * Whether task @tid of @pid is asleep (state D) right in function @fn (or
 * a clone of it), with @fn2 further down its kernel stack.
 * /proc/PID/stack leaves out the scheduler's and the sleeping locks' own
 * functions (__sched): the top frame of a task asleep on a mutex is the
 * function that called mutex_lock().
 */
/* Read text file @path into @buf (@size bytes, NUL-terminated); false if empty. */
static bool read_text(const char *path, char *buf, size_t size)
{
	ssize_t n = -1;
	int fd = open(path, O_RDONLY);

	if (fd >= 0) {
		n = read(fd, buf, size - 1);
		close(fd);
	}
	buf[n > 0 ? n : 0] = '\0';
	return n > 0;
}

static bool proc_read(const char *pid, const char *tid, const char *file,
		      char *buf, size_t size)
{
	char path[560];

	snprintf(path, sizeof(path), "/proc/%s/task/%s/%s", pid, tid, file);
	return read_text(path, buf, size);
}

static bool task_in(const char *pid, const char *tid, const char *fn,
		    const char *fn2)
{
	char stack[4096], stat[512], pat[64];
	char *at, *eol;

	if (!proc_read(pid, tid, "stack", stack, sizeof(stack)))
		return false;
	eol = strchr(stack, '\n');
	snprintf(pat, sizeof(pat), " %s", fn);
	at = strstr(stack, pat);
	if (!at || (eol && at > eol) ||
	    (at[strlen(pat)] != '+' && at[strlen(pat)] != '.'))
		return false;
	snprintf(pat, sizeof(pat), " %s+", fn2);
	if (!strstr(stack, pat))
		return false;
	if (!proc_read(pid, tid, "stat", stat, sizeof(stat)))
		return false;
	at = strrchr(stat, ')');
	return at && at[1] == ' ' && at[2] == 'D';
}

static bool is_kworker(const char *comm_path)
{
	char comm[16];

	return read_text(comm_path, comm, sizeof(comm)) &&
	       !strncmp(comm, "kworker", 7);
}

/*
 * Whether a kernel worker is asleep right in function @fn, with @fn2 below
 * it (the other tasks are not read: a scan of all takes seconds on a slow
 * guest).
 */
static bool any_task_in(const char *fn, const char *fn2)
{
	struct dirent *p, *t;
	bool found = false;
	char path[288];
	DIR *procs, *tasks;

	procs = opendir("/proc");
	if (!procs)
		fail_errno(errno, "opendir /proc");
	while (!found && (p = readdir(procs))) {
		if (p->d_name[0] < '0' || p->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", p->d_name);
		if (!is_kworker(path))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/task", p->d_name);
		tasks = opendir(path);
		if (!tasks)
			continue;
		while (!found && (t = readdir(tasks)))
			found = t->d_name[0] != '.' &&
				task_in(p->d_name, t->d_name, fn, fn2);
		closedir(tasks);
	}
	closedir(procs);
	return found;
}

/* Poll @cond(@arg) every 20 ms for @secs at most; its last value. */
static bool poll_for(bool (*cond)(const void *), const void *arg, int secs)
{
	uint64_t end = now_ns() + secs * 1000000000ull;

	while (!cond(arg)) {
		if (now_ns() > end)
			return cond(arg);
		usleep(20000);
	}
	return true;
}

struct reg_thread {
	struct io_uring *ring;
	unsigned int ifindex;
	struct area *a;
	struct zcrx_ifq *q;
	int ret;
};

static void *reg_thread_fn(void *arg)
{
	struct reg_thread *r = arg;

	/* a DEFER_TASKRUN ring: registered by the task that made it */
	zcrx_ring_init(r->ring, cfg.area_size);
	r->ret = zcrx_register(r->ring, r->ifindex, cfg.queue, r->a, 0, r->q);
	return NULL;
}

static char knob_val(void)
{
	char val[16];

	if (!read_text(cfg.hold_knob, val, sizeof(val)))
		fail_errno(errno, "read %s", cfg.hold_knob);
	return val[0];
}

/* netdevsim holds the registration's queue start */
static bool reg_held(const void *arg __attribute__((unused)))
{
	return knob_val() == '2';
}

/*
 * The revocation's work item, asleep on a mutex in io_close_queue(): the
 * netdev lock, as the registration does not hold pp_lock there.
 * io_zcrx_phyr_revoked() calls io_close_queue() last, a tail call that may
 * leave no frame of its own, so either one counts.
 */
static bool work_waits(const void *arg __attribute__((unused)))
{
	return any_task_in("io_close_queue", "dma_buf_phyr_revoked_work") ||
	       any_task_in("io_zcrx_phyr_revoked", "dma_buf_phyr_revoked_work");
}

static void write_knob(const char *val)
{
	int fd = open(cfg.hold_knob, O_WRONLY);

	if (fd < 0 || write(fd, val, strlen(val)) < 0)
		fail_errno(errno, "write %s to %s", val, cfg.hold_knob);
	close(fd);
}

/*
 * The area of a test exporter buffer is imported (the dma_resv lock
 * dropped) and the registration then restarts the queue, holding the
 * netdev lock, held there by netdevsim's queue_start_hold. In that window
 * the exporter revokes the buffer, and the revocation's work takes the
 * ifq's netdev and waits for the lock (seen in its kernel stack); then the
 * hold is released. The registration must finish with its own netdev
 * pointer (it used ifq->netdev, which the work had cleared: a NULL
 * dereference), and the work must close the queue after it. The ifq is
 * then held until SIGUSR1, so that the test sees the queue without a
 * provider while the ifq lives.
 */
static int run_revoke_in_register(void)
{
	const char *scale = getenv("PHYR_TIME_SCALE");
	const char *budget = getenv("PHYR_BUDGET");
	/* 20 s on a fast machine, at most a quarter of the suite's budget */
	int secs = 20 * (scale && atoi(scale) > 0 ? atoi(scale) : 1);
	bool held, lined = false, still = false;
	struct reg_thread r = { 0 };
	char cmd[32], reply[32] = "";
	struct io_uring ring;
	struct zcrx_ifq q;
	struct area a;
	pthread_t t;
	int err;

	if (budget && atoi(budget) / 4 > 0 && atoi(budget) / 4 < secs)
		secs = atoi(budget) / 4;
	r.ring = &ring;
	r.a = &a;
	r.q = &q;
	r.ifindex = if_nametoindex(cfg.ifname);
	if (!r.ifindex)
		fail_errno(errno, "interface %s", cfg.ifname);
	area_alloc(&a, cfg.area_size, AREA_TEST, "");

	write_knob("1");
	err = pthread_create(&t, NULL, reg_thread_fn, &r);
	if (err)
		fail_errno(err, "pthread_create");
	held = poll_for(reg_held, NULL, secs);
	if (held) {
		snprintf(cmd, sizeof(cmd), "revoke %d", a.dmabuf_fd);
		err = phyr_test_cmd(cmd, reply, sizeof(reply));
		if (err)
			fail_errno(err, "revoke the dma-buf");
		reply[strcspn(reply, "\n")] = '\0';
		lined = poll_for(work_waits, NULL, secs);
		/* the window was open only if the registration still held it */
		still = reg_held(NULL);
	}
	write_knob("0");
	pthread_join(t, NULL);
	/* the test then waits for the work to close the queue */
	printf("zcrx_nsim: registration held restarting queue %d: %s; revoked (%s); work waiting for the netdev lock: %s, with the registration still held: %s; registration: %s\n",
	       cfg.queue, held ? "yes" : "no", held ? reply : "not done",
	       lined ? "yes" : "no", still ? "yes" : "no",
	       r.ret ? strerror(-r.ret) : "registered");
	if (!held || !lined || !still || r.ret) {
		printf("zcrx_nsim: FAIL\n");
		return 1;
	}
	hold_until_usr1(600);
	io_uring_queue_exit(&ring);
	printf("zcrx_nsim: PASS\n");
	return 0;
}

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s -i IFNAME -q QUEUE [-d | -E [-R BYTES] | -U [-R BYTES] | -O | -W | -Y | -P | -X KNOB | -M] [-z] [-a ADDR] [-p PORT] [-n BYTES] [-s SEED] [-A AREA] [-t SECONDS] [-D USEC]\n"
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
		"  -Y  only register an area of a test exporter buffer that is\n"
		"      revoked as soon as its map drops the dma_resv lock: succeed\n"
		"      if that fails with ENODEV and nothing stays pinned, or if it\n"
		"      registers (the revocation came after the setup), holding\n"
		"      the ifq until SIGUSR1\n"
		"  -P  only register an area of a test exporter buffer whose\n"
		"      struct pages importers must not use (as P2P MMIO); succeed\n"
		"      if that fails with EOPNOTSUPP and nothing stays pinned\n"
		"  -X KNOB  only register an area of a test exporter buffer and\n"
		"      revoke it while the registration restarts the queue, held\n"
		"      there by netdevsim's queue_start_hold file KNOB\n"
		"  -M  with a user-memory area: add a dma-buf area to the ifq\n"
		"      (ZCRX_CTRL_ADD_AREA), expect EINVAL, then receive as usual\n"
		"  -D USEC  give each buffer back to the kernel USEC after its\n"
		"      data came (as a forwarder that holds it until sent on)\n",
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
	while ((c = getopt(argc, argv, "c:i:q:a:p:n:s:dEUOWYPX:MzA:t:S:R:D:h")) != -1) {
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
		case 'Y':
			if (cfg.mem == AREA_UDMABUF)
				usage(argv[0]);
			cfg.mem = AREA_TEST;
			cfg.test_mode = "revoke-after-map";
			cfg.expect = ENODEV;
			cfg.race = true;
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
		case 'X':
			if (cfg.mem != AREA_USER)
				usage(argv[0]);
			cfg.hold_knob = optarg;
			break;
		case 'M':
			if (cfg.mem != AREA_USER)
				usage(argv[0]);
			cfg.add_dmabuf_area = true;
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
		case 'D':
			cfg.refill_delay_us = atoi(optarg);
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
	if (cfg.hold_knob) {
		if (cfg.revoke_at || cfg.mem != AREA_USER)
			usage(argv[0]);
		return run_revoke_in_register();
	}
	return run_server();
}
