// SPDX-License-Identifier: GPL-2.0
/*
 * dma-buf memory regions on soft-RoCE: ibv_reg_dmabuf_mr() of a udmabuf
 * and of a system dma-heap buffer on an rxe device, RDMA WRITE and READ
 * and SEND/RECV into and out of them between two RC QPs of the device
 * (loopback), data checked byte for byte through the memfd or the heap
 * buffer's own mapping; offsets inside the buffer and an iova that is not
 * page aligned; bad input with its errno; a revoke by the exporter while
 * RDMA WRITEs run; a child that exits with its dma-buf MRs registered.
 *
 * usage: rdma_dmabuf <rxe device>
 */
#include <errno.h>
#include <fcntl.h>
#include <infiniband/verbs.h>
#include <linux/dma-heap.h>
#include <linux/udmabuf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest.h"

#define TEST_IMPORTER	"/sys/kernel/debug/dma_buf_phyr_test"
#define LOCAL_SIZE	(4UL << 20)
#define ACCESS_ALL	(IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | \
			 IBV_ACCESS_REMOTE_READ)

static struct ibv_context *ctx;
static struct ibv_pd *pd;
static struct ibv_cq *cq;
static struct ibv_qp *qp[2];
static struct ibv_mr *local_mr;
static char *local;
static long page_size;

/* The RoCEv2 IPv4 GID of port 1, from sysfs. */
static int roce_v2_gid(const char *dev)
{
	char path[256], type[32];
	union ibv_gid gid;
	int i;

	for (i = 0; i < 32; i++) {
		FILE *f;
		int ok;

		snprintf(path, sizeof(path),
			 "/sys/class/infiniband/%s/ports/1/gid_attrs/types/%d", dev, i);
		f = fopen(path, "r");
		if (!f)
			continue;
		ok = fgets(type, sizeof(type), f) && !strncmp(type, "RoCE v2", 7);
		fclose(f);
		if (ok && !ibv_query_gid(ctx, 1, i, &gid) &&
		    gid.raw[10] == 0xff && gid.raw[11] == 0xff)
			return i;
	}
	return -1;
}

static int connect_qp(struct ibv_qp *q, uint32_t dest_qpn, int gid_index,
		      union ibv_gid *gid)
{
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_INIT,
		.port_num = 1,
		.qp_access_flags = ACCESS_ALL,
	};

	if (ibv_modify_qp(q, &a, IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT |
			  IBV_QP_ACCESS_FLAGS))
		return -1;
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTR;
	a.path_mtu = IBV_MTU_1024;
	a.dest_qp_num = dest_qpn;
	a.max_dest_rd_atomic = 1;
	a.min_rnr_timer = 12;
	a.ah_attr.is_global = 1;
	a.ah_attr.grh.dgid = *gid;
	a.ah_attr.grh.sgid_index = gid_index;
	a.ah_attr.grh.hop_limit = 1;
	a.ah_attr.port_num = 1;
	if (ibv_modify_qp(q, &a, IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU |
			  IBV_QP_DEST_QPN | IBV_QP_RQ_PSN |
			  IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER))
		return -1;
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTS;
	a.timeout = 14;
	a.retry_cnt = 7;
	a.rnr_retry = 7;
	a.max_rd_atomic = 1;
	return ibv_modify_qp(q, &a, IBV_QP_STATE | IBV_QP_TIMEOUT |
			     IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY | IBV_QP_SQ_PSN |
			     IBV_QP_MAX_QP_RD_ATOMIC);
}

static int gid_index;
static union ibv_gid gid;

/* Back to RESET and connected again: a failed test leaves them in error. */
static int reconnect_qps(void)
{
	struct ibv_qp_attr a = { .qp_state = IBV_QPS_RESET };
	struct ibv_wc wc;

	if (ibv_modify_qp(qp[0], &a, IBV_QP_STATE) ||
	    ibv_modify_qp(qp[1], &a, IBV_QP_STATE))
		return -1;
	while (ibv_poll_cq(cq, 1, &wc) > 0)
		;
	return connect_qp(qp[0], qp[1]->qp_num, gid_index, &gid) ||
	       connect_qp(qp[1], qp[0]->qp_num, gid_index, &gid);
}

/* Two RC QPs of the device, connected to each other. */
static int setup_qps(const char *dev)
{
	struct ibv_qp_init_attr init = {
		.qp_type = IBV_QPT_RC,
		.cap = { .max_send_wr = 64, .max_recv_wr = 64,
			 .max_send_sge = 1, .max_recv_sge = 1 },
	};
	int i;

	cq = ibv_create_cq(ctx, 256, NULL, NULL, 0);
	if (!cq)
		return -1;
	init.send_cq = cq;
	init.recv_cq = cq;
	for (i = 0; i < 2; i++) {
		qp[i] = ibv_create_qp(pd, &init);
		if (!qp[i])
			return -1;
	}
	gid_index = roce_v2_gid(dev);
	if (gid_index < 0 || ibv_query_gid(ctx, 1, gid_index, &gid)) {
		errno = ENODEV;
		return -1;
	}
	if (connect_qp(qp[0], qp[1]->qp_num, gid_index, &gid) ||
	    connect_qp(qp[1], qp[0]->qp_num, gid_index, &gid))
		return -1;
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Wait for @n completions (at most 30 s); the status of the first bad
 * one, or SUCCESS.
 */
static enum ibv_wc_status wait_wc(int n)
{
	enum ibv_wc_status st = IBV_WC_SUCCESS;
	double deadline = now() + 30;
	struct ibv_wc wc;

	while (n) {
		int got = ibv_poll_cq(cq, 1, &wc);

		if (got < 0)
			return IBV_WC_GENERAL_ERR;
		if (!got) {
			if (now() > deadline) {
				ksft_print_msg("no completion within 30 s\n");
				return IBV_WC_RESP_TIMEOUT_ERR;
			}
			usleep(200);
			continue;
		}
		if (wc.status != IBV_WC_SUCCESS && st == IBV_WC_SUCCESS)
			st = wc.status;
		n--;
	}
	return st;
}

/* One RDMA WRITE or READ between local[loff] and the MR at iova. */
static enum ibv_wc_status rdma(enum ibv_wr_opcode op, size_t loff,
			       struct ibv_mr *mr, uint64_t iova, size_t len)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)local + loff,
		.length = len,
		.lkey = local_mr->lkey,
	};
	struct ibv_send_wr wr = {
		.sg_list = &sge,
		.num_sge = 1,
		.opcode = op,
		.send_flags = IBV_SEND_SIGNALED,
		.wr.rdma = { .remote_addr = iova, .rkey = mr->rkey },
	}, *bad;

	if (ibv_post_send(qp[0], &wr, &bad))
		return IBV_WC_GENERAL_ERR;
	return wait_wc(1);
}

/* SEND from (lkey, addr) on qp0 into (rkey-less) recv buffer on qp1. */
static enum ibv_wc_status send_recv(uint64_t from, uint32_t from_lkey,
				    uint64_t to, uint32_t to_lkey, size_t len)
{
	struct ibv_sge ssge = { .addr = from, .length = len, .lkey = from_lkey };
	struct ibv_sge rsge = { .addr = to, .length = len, .lkey = to_lkey };
	struct ibv_recv_wr rwr = { .sg_list = &rsge, .num_sge = 1 }, *rbad;
	struct ibv_send_wr swr = {
		.sg_list = &ssge,
		.num_sge = 1,
		.opcode = IBV_WR_SEND,
		.send_flags = IBV_SEND_SIGNALED,
	}, *sbad;

	if (ibv_post_recv(qp[1], &rwr, &rbad) || ibv_post_send(qp[0], &swr, &sbad))
		return IBV_WC_GENERAL_ERR;
	return wait_wc(2);
}

static void fill(char *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (char)(i * 31 + seed + (i >> 12));
}

static int same(const char *what, const char *a, const char *b, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (a[i] != b[i]) {
			ksft_print_msg("%s: byte %zu differs (%#x, expected %#x)\n",
				       what, i, a[i] & 0xff, b[i] & 0xff);
			return 0;
		}
	}
	return 1;
}

/* A dma-buf and the CPU mapping that shows its bytes. */
struct buf {
	const char *name;
	int fd;
	char *map;
	size_t size;
};

static int new_udmabuf(struct buf *b, size_t size)
{
	struct udmabuf_create c = { .flags = UDMABUF_FLAGS_CLOEXEC, .size = size };
	size_t npages = size / page_size, i, at = 0;
	int memfd, dev;

	b->name = "udmabuf";
	b->size = size;
	memfd = memfd_create("rdma-dmabuf", MFD_ALLOW_SEALING);
	dev = open("/dev/udmabuf", O_RDWR);
	if (memfd < 0 || dev < 0 || ftruncate(memfd, size) ||
	    fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK))
		return -1;
	b->map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (b->map == MAP_FAILED)
		return -1;
	/* allocate the pages out of order: a fragmented buffer */
	for (i = 0; i < npages; i++, at = (at + 7919) % npages)
		b->map[at * page_size] = 0;
	c.memfd = memfd;
	b->fd = ioctl(dev, UDMABUF_CREATE, &c);
	close(dev);
	close(memfd);
	return b->fd < 0 ? -1 : 0;
}

static int new_heap(struct buf *b, size_t size, int rw)
{
	struct dma_heap_allocation_data d = {
		.len = size,
		.fd_flags = (rw ? O_RDWR : O_RDONLY) | O_CLOEXEC,
	};
	int heap = open("/dev/dma_heap/system", O_RDONLY);

	b->name = "system heap";
	b->size = size;
	b->map = MAP_FAILED;
	if (heap < 0 || ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &d))
		return -1;
	close(heap);
	b->fd = d.fd;
	if (rw) {
		b->map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, b->fd, 0);
		if (b->map == MAP_FAILED)
			return -1;
	}
	return 0;
}

static void free_buf(struct buf *b)
{
	if (b->map != MAP_FAILED && b->map)
		munmap(b->map, b->size);
	if (b->fd >= 0)
		close(b->fd);
}

/*
 * RDMA WRITE into, RDMA READ out of, SEND into and SEND out of a dma-buf
 * MR of [off, off + len) of @b, registered at an iova with the same page
 * offset as @off.
 */
static void check_traffic(struct buf *b, size_t off, size_t len)
{
	uint64_t iova = 0x7f0000000000ULL + (off & (page_size - 1));
	enum ibv_wc_status st;
	char name[128];
	struct ibv_mr *mr;
	int ok = 1;

	snprintf(name, sizeof(name), "%s: MR of %zu bytes at offset %zu, iova %#llx",
		 b->name, len, off, (unsigned long long)iova);
	/* RDMA_DMABUF_KEEP_QPS=1: no reset between cases (for debugging) */
	if (!getenv("RDMA_DMABUF_KEEP_QPS") && reconnect_qps()) {
		ksft_test_result_fail("%s: QPs: %s\n", name, strerror(errno));
		return;
	}
	mr = ibv_reg_dmabuf_mr(pd, off, len, iova, b->fd, ACCESS_ALL);
	if (!mr) {
		ksft_test_result_fail("%s: ibv_reg_dmabuf_mr: %s\n", name, strerror(errno));
		return;
	}
	if (len > LOCAL_SIZE / 2)
		len = LOCAL_SIZE / 2;	/* what one round trip moves */

	fill(local, len, 1);
	memset(b->map + off, 0, len);
	st = rdma(IBV_WR_RDMA_WRITE, 0, mr, iova, len);
	if (st != IBV_WC_SUCCESS)
		ok = 0, ksft_print_msg("%s: RDMA WRITE: %s\n", name, ibv_wc_status_str(st));
	ok &= same("RDMA WRITE", b->map + off, local, len);

	fill(b->map + off, len, 2);
	memset(local + LOCAL_SIZE / 2, 0, len);
	st = rdma(IBV_WR_RDMA_READ, LOCAL_SIZE / 2, mr, iova, len);
	if (st != IBV_WC_SUCCESS)
		ok = 0, ksft_print_msg("%s: RDMA READ: %s\n", name, ibv_wc_status_str(st));
	ok &= same("RDMA READ", local + LOCAL_SIZE / 2, b->map + off, len);

	if (len <= 1 << 20) {	/* a SEND is one message: keep it small */
		fill(local, len, 3);
		memset(b->map + off, 0, len);
		st = send_recv((uintptr_t)local, local_mr->lkey, iova, mr->lkey, len);
		if (st != IBV_WC_SUCCESS)
			ok = 0, ksft_print_msg("%s: SEND into the MR: %s\n", name,
					       ibv_wc_status_str(st));
		ok &= same("SEND into", b->map + off, local, len);

		fill(b->map + off, len, 4);
		memset(local + LOCAL_SIZE / 2, 0, len);
		st = send_recv(iova, mr->lkey, (uintptr_t)local + LOCAL_SIZE / 2,
			       local_mr->lkey, len);
		if (st != IBV_WC_SUCCESS)
			ok = 0, ksft_print_msg("%s: SEND out of the MR: %s\n", name,
					       ibv_wc_status_str(st));
		ok &= same("SEND out of", local + LOCAL_SIZE / 2, b->map + off, len);
	}
	ksft_test_result(ok, "%s: WRITE, READ, SEND in and out\n", name);
	if (ibv_dereg_mr(mr))
		ksft_print_msg("%s: ibv_dereg_mr: %s\n", name, strerror(errno));
}

static void expect_errno(const char *what, uint64_t off, size_t len, int fd,
			 int access, int err)
{
	struct ibv_mr *mr = ibv_reg_dmabuf_mr(pd, off, len, off, fd, access);
	int got = mr ? 0 : errno;

	if (mr)
		ibv_dereg_mr(mr);
	ksft_test_result(got == err, "bad input: %s: %s (expected %s)\n", what,
			 mr ? "registered" : strerror(got), strerror(err));
}

/*
 * The exporter revokes a buffer while RDMA WRITEs into its MR run: the
 * writes before the revoke land, the first after it completes with a
 * remote access error, and the MR can still be deregistered.
 */
static void check_revoke(void)
{
	enum ibv_wc_status st = IBV_WC_SUCCESS;
	int dfd, n, before = 0, after = 0;
	struct ibv_mr *mr;
	struct buf b;
	char cmd[32];

	if (new_udmabuf(&b, 64 * page_size)) {
		ksft_test_result_fail("revoke: udmabuf: %s\n", strerror(errno));
		return;
	}
	mr = ibv_reg_dmabuf_mr(pd, 0, b.size, 0x10000, b.fd, ACCESS_ALL);
	dfd = open(TEST_IMPORTER, O_WRONLY);
	if (!mr || dfd < 0 || reconnect_qps()) {
		ksft_test_result_fail("revoke: setup: %s\n", strerror(errno));
		goto out;
	}
	fill(local, b.size, 5);
	for (n = 0; n < 40 && st == IBV_WC_SUCCESS; n++) {
		if (n == 20) {
			/* from here on the buffer is gone for the MR */
			snprintf(cmd, sizeof(cmd), "invalidate %d", b.fd);
			if (write(dfd, cmd, strlen(cmd)) < 0)
				ksft_print_msg("revoke: invalidate: %s\n", strerror(errno));
		}
		st = rdma(IBV_WR_RDMA_WRITE, 0, mr, 0x10000, b.size);
		if (st == IBV_WC_SUCCESS && n < 20)
			before++;
		else if (st == IBV_WC_SUCCESS)
			after++;
	}
	ksft_print_msg("revoke: %d writes before, %d after, then %s\n", before,
		       after, ibv_wc_status_str(st));
	ksft_test_result(before == 20 && !after && st == IBV_WC_REM_ACCESS_ERR &&
			 !ibv_dereg_mr(mr),
			 "revoke while RDMA WRITEs run: remote access error, MR deregistered\n");
	mr = NULL;
out:
	if (mr)
		ibv_dereg_mr(mr);
	if (dfd >= 0)
		close(dfd);
	free_buf(&b);
}

/* A child registers dma-buf MRs and exits without deregistering them. */
static void check_exit(const char *dev)
{
	int status;
	pid_t pid = fork();

	if (!pid) {
		struct ibv_device **list = ibv_get_device_list(NULL);
		struct ibv_context *c = NULL;
		struct ibv_pd *p;
		struct buf b;
		int i;

		for (i = 0; list && list[i]; i++)
			if (!strcmp(ibv_get_device_name(list[i]), dev))
				c = ibv_open_device(list[i]);
		p = c ? ibv_alloc_pd(c) : NULL;
		if (!p || new_udmabuf(&b, 16 * page_size))
			_exit(2);
		for (i = 0; i < 4; i++)
			if (!ibv_reg_dmabuf_mr(p, 0, b.size, 0, b.fd, ACCESS_ALL))
				_exit(3);
		_exit(0);
	}
	ksft_test_result(pid > 0 && waitpid(pid, &status, 0) == pid &&
			 WIFEXITED(status) && !WEXITSTATUS(status),
			 "process exit with 4 dma-buf MRs registered\n");
}

int main(int argc, char **argv)
{
	struct ibv_device **list;
	struct buf u = { .fd = -1 }, h = { .fd = -1 }, ro = { .fd = -1 };
	int i, memfd;

	page_size = sysconf(_SC_PAGESIZE);
	ksft_print_header();
	if (argc < 2)
		ksft_exit_fail_msg("usage: %s <rxe device>\n", argv[0]);
	list = ibv_get_device_list(NULL);
	for (i = 0; list && list[i]; i++)
		if (!strcmp(ibv_get_device_name(list[i]), argv[1]))
			ctx = ibv_open_device(list[i]);
	if (!ctx)
		ksft_exit_fail_msg("%s: no such device\n", argv[1]);
	pd = ibv_alloc_pd(ctx);
	local = mmap(NULL, LOCAL_SIZE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!pd || local == MAP_FAILED)
		ksft_exit_fail_msg("pd/mmap: %s\n", strerror(errno));
	local_mr = ibv_reg_mr(pd, local, LOCAL_SIZE, ACCESS_ALL);
	if (!local_mr || setup_qps(argv[1]))
		ksft_exit_fail_msg("MR/QPs: %s\n", strerror(errno));
	if (new_udmabuf(&u, 8 << 20) || new_heap(&h, 4 << 20, 1) ||
	    new_heap(&ro, 1 << 20, 0))
		ksft_exit_fail_msg("buffers: %s\n", strerror(errno));

	ksft_set_plan(17);
	check_traffic(&u, 0, u.size);
	check_traffic(&u, 3 * page_size + 100, 1);
	check_traffic(&u, 5 * page_size + 4000, 10000);
	check_traffic(&u, u.size - (1 << 20), 1 << 20);
	check_traffic(&h, 0, h.size);
	check_traffic(&h, page_size + 7, 3 * page_size);

	expect_errno("invalid fd", 0, 4096, -1, ACCESS_ALL, EBADF);
	memfd = memfd_create("not-a-dmabuf", 0);
	expect_errno("fd that is not a dma-buf", 0, 4096, memfd, ACCESS_ALL, EINVAL);
	close(memfd);
	expect_errno("offset past the buffer", u.size, 4096, u.fd, ACCESS_ALL, EINVAL);
	expect_errno("length past the buffer", 4096, u.size, u.fd, ACCESS_ALL, EINVAL);
	expect_errno("offset + length overflows", UINT64_MAX - 4095, 8192, u.fd,
		     ACCESS_ALL, EINVAL);
	expect_errno("zero length", 0, 0, u.fd, ACCESS_ALL, EINVAL);
	expect_errno("write access to a read-only buffer", 0, 4096, ro.fd,
		     ACCESS_ALL, EACCES);
	/* the core refuses ODP for dma-buf MRs before the driver sees it */
	expect_errno("on-demand paging", 0, 4096, u.fd,
		     ACCESS_ALL | IBV_ACCESS_ON_DEMAND, EINVAL);
	check_revoke();
	check_exit(argv[1]);
	/* read-only access to the read-only buffer is fine */
	{
		struct ibv_mr *mr = ibv_reg_dmabuf_mr(pd, 0, ro.size, 0, ro.fd,
						      IBV_ACCESS_REMOTE_READ);

		ksft_test_result(mr && !ibv_dereg_mr(mr),
				 "read-only registration of a read-only buffer\n");
	}

	free_buf(&u);
	free_buf(&h);
	free_buf(&ro);
	ibv_dereg_mr(local_mr);
	ibv_destroy_qp(qp[0]);
	ibv_destroy_qp(qp[1]);
	ibv_destroy_cq(cq);
	ibv_dealloc_pd(pd);
	ibv_close_device(ctx);
	ibv_free_device_list(list);
	ksft_finished();
}
