// SPDX-License-Identifier: GPL-2.0
/*
 * Many queues in one user context of a soft RDMA device. siw hands every
 * CQ, QP and SRQ ring to user space at an mmap offset of the context, one
 * page for a one-entry queue, and its user library (every rdma-core since
 * siw's first) takes the offset SIW_INVAL_UOBJ_KEY (0x90000) for "no
 * mapping" and fails the verb. With 4 KiB pages that is the offset of the
 * 145th page. Each case uses a fresh context and puts one kind of ring on
 * it: 200 CQs; 100 CQs, then 50 RC QPs (two rings each), which must reach
 * INIT; 144 CQs, then an SRQ.
 *
 * usage: rdma_mmap_keys DEVICE
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <infiniband/verbs.h>

#include "kselftest.h"

#define MAX_CQS	200
#define MAX_QPS	50

static struct ibv_device *dev;

struct ctx {
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_cq *cq[MAX_CQS];
	struct ibv_qp *qp[MAX_QPS];
	struct ibv_srq *srq;
	int ncq, nqp;
};

static int open_ctx(struct ctx *c)
{
	memset(c, 0, sizeof(*c));
	c->ctx = ibv_open_device(dev);
	c->pd = c->ctx ? ibv_alloc_pd(c->ctx) : NULL;
	if (!c->pd)
		ksft_exit_fail_msg("open/alloc_pd: %s\n", strerror(errno));
	return 0;
}

static void close_ctx(struct ctx *c)
{
	if (c->srq)
		ibv_destroy_srq(c->srq);
	while (c->nqp > 0)
		ibv_destroy_qp(c->qp[--c->nqp]);
	while (c->ncq > 0)
		ibv_destroy_cq(c->cq[--c->ncq]);
	ibv_dealloc_pd(c->pd);
	ibv_close_device(c->ctx);
}

/* @n more one-entry CQs; the number created */
static int add_cqs(struct ctx *c, int n)
{
	while (n-- > 0) {
		errno = 0;
		c->cq[c->ncq] = ibv_create_cq(c->ctx, 1, NULL, NULL, 0);
		if (!c->cq[c->ncq]) {
			ksft_print_msg("CQ %d: %s\n", c->ncq, strerror(errno));
			break;
		}
		c->ncq++;
	}
	return c->ncq;
}

/* @n RC QPs with one-entry queues on the first CQs, each taken to INIT */
static int add_qps(struct ctx *c, int n)
{
	struct ibv_qp_attr attr = {
		.qp_state = IBV_QPS_INIT,
		.port_num = 1,
		.qp_access_flags = IBV_ACCESS_REMOTE_WRITE,
	};
	int mask = IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT |
		   IBV_QP_ACCESS_FLAGS;

	while (c->nqp < n) {
		struct ibv_qp_init_attr init = {
			.send_cq = c->cq[c->nqp],
			.recv_cq = c->cq[c->nqp],
			.cap = { .max_send_wr = 1, .max_recv_wr = 1,
				 .max_send_sge = 1, .max_recv_sge = 1 },
			.qp_type = IBV_QPT_RC,
		};
		struct ibv_qp *qp;
		int err;

		errno = 0;
		qp = ibv_create_qp(c->pd, &init);
		if (!qp) {
			ksft_print_msg("QP %d: create: %s\n", c->nqp, strerror(errno));
			break;
		}
		c->qp[c->nqp++] = qp;
		err = ibv_modify_qp(qp, &attr, mask);
		if (err) {
			ksft_print_msg("QP %d: to INIT: %s\n", c->nqp - 1, strerror(err));
			break;
		}
	}
	return c->nqp;
}

int main(int argc, char **argv)
{
	struct ibv_srq_init_attr sattr = { .attr = { .max_wr = 1, .max_sge = 1 } };
	struct ibv_device **list;
	struct ctx c;
	int i, n, ok;

	ksft_print_header();
	if (argc != 2)
		ksft_exit_fail_msg("usage: %s DEVICE\n", argv[0]);
	list = ibv_get_device_list(&n);
	for (i = 0; list && i < n && !dev; i++)
		if (!strcmp(ibv_get_device_name(list[i]), argv[1]))
			dev = list[i];
	if (!dev)
		ksft_exit_skip("no device %s\n", argv[1]);
	ksft_set_plan(3);

	open_ctx(&c);
	n = add_cqs(&c, MAX_CQS);
	ksft_test_result(n == MAX_CQS, "%d of %d CQs in one context\n", n, MAX_CQS);
	close_ctx(&c);

	open_ctx(&c);
	ok = add_cqs(&c, 100) == 100;
	n = ok ? add_qps(&c, MAX_QPS) : 0;
	ksft_test_result(ok && n == MAX_QPS,
			 "%d of %d QPs in INIT after 100 CQs in one context\n",
			 n, MAX_QPS);
	close_ctx(&c);

	open_ctx(&c);
	ok = add_cqs(&c, 144) == 144;
	errno = 0;
	c.srq = ok ? ibv_create_srq(c.pd, &sattr) : NULL;
	if (ok && !c.srq)
		ksft_print_msg("SRQ: %s\n", strerror(errno));
	ksft_test_result(c.srq, "an SRQ after 144 CQs in one context\n");
	close_ctx(&c);

	ibv_free_device_list(list);
	ksft_finished();
}
