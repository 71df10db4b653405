// SPDX-License-Identifier: GPL-2.0
/*
 * Many queues in one user context of a soft RDMA device. siw hands every
 * CQ and QP ring to user space at an mmap offset of the context, and its
 * user library (every rdma-core since siw's first) takes the offset
 * SIW_INVAL_UOBJ_KEY (0x90000) for "no mapping" and fails the verb. With
 * 4 KiB pages the 145th one-page ring of a context landed there. Create
 * 200 one-entry CQs in one context, then an RC QP on each of the last 50
 * (two rings each); all must succeed and the QPs reach INIT.
 *
 * usage: rdma_mmap_keys DEVICE
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <infiniband/verbs.h>

#include "kselftest.h"

#define NR_CQS	200
#define NR_QPS	50

int main(int argc, char **argv)
{
	struct ibv_qp_attr attr = {
		.qp_state = IBV_QPS_INIT,
		.port_num = 1,
		.qp_access_flags = IBV_ACCESS_REMOTE_WRITE,
	};
	struct ibv_device **list;
	struct ibv_cq *cq[NR_CQS] = {};
	struct ibv_qp *qp[NR_QPS] = {};
	struct ibv_context *ctx = NULL;
	struct ibv_pd *pd;
	int i, n, err = 0, mask;

	ksft_print_header();
	if (argc != 2)
		ksft_exit_fail_msg("usage: %s DEVICE\n", argv[0]);
	list = ibv_get_device_list(&n);
	for (i = 0; list && i < n && !ctx; i++)
		if (!strcmp(ibv_get_device_name(list[i]), argv[1]))
			ctx = ibv_open_device(list[i]);
	if (!ctx)
		ksft_exit_skip("no device %s\n", argv[1]);
	pd = ibv_alloc_pd(ctx);
	if (!pd)
		ksft_exit_fail_msg("ibv_alloc_pd: %s\n", strerror(errno));
	ksft_set_plan(2);

	for (n = 0; n < NR_CQS; n++) {
		errno = 0;
		cq[n] = ibv_create_cq(ctx, 1, NULL, NULL, 0);
		if (!cq[n]) {
			ksft_print_msg("CQ %d: %s\n", n, strerror(errno));
			break;
		}
	}
	ksft_test_result(n == NR_CQS, "%d of %d CQs in one context\n", n, NR_CQS);

	mask = IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT | IBV_QP_ACCESS_FLAGS;
	for (i = 0; i < NR_QPS && n == NR_CQS; i++) {
		struct ibv_qp_init_attr init = {
			.send_cq = cq[NR_CQS - 1 - i],
			.recv_cq = cq[NR_CQS - 1 - i],
			.cap = { .max_send_wr = 1, .max_recv_wr = 1,
				 .max_send_sge = 1, .max_recv_sge = 1 },
			.qp_type = IBV_QPT_RC,
		};

		errno = 0;
		qp[i] = ibv_create_qp(pd, &init);
		err = qp[i] ? ibv_modify_qp(qp[i], &attr, mask) : errno;
		if (err) {
			ksft_print_msg("QP %d: %s: %s\n", i, qp[i] ?
				       "to INIT" : "create", strerror(err));
			break;
		}
	}
	ksft_test_result(n == NR_CQS && i == NR_QPS,
			 "%d of %d QPs on them, in INIT\n", i, NR_QPS);

	while (i-- > 0)
		if (qp[i])
			ibv_destroy_qp(qp[i]);
	while (n-- > 0)
		ibv_destroy_cq(cq[n]);
	ibv_dealloc_pd(pd);
	ibv_close_device(ctx);
	ibv_free_device_list(list);
	ksft_finished();
}
