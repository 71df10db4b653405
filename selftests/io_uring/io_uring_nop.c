// SPDX-License-Identifier: GPL-2.0
/*
 * io_uring round trip: NOPs go through the submission queue and come back
 * on the completion queue with their user_data and a zero result.
 */
#include <errno.h>
#include <liburing.h>
#include <string.h>

#include "kselftest.h"

#define BATCH 64

static int nop_single(struct io_uring *ring)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct io_uring_cqe *cqe;
	int ret;

	if (!sqe)
		return -EBUSY;
	io_uring_prep_nop(sqe);
	io_uring_sqe_set_data64(sqe, 0xfeedfacecafe);
	ret = io_uring_submit(ring);
	if (ret != 1)
		return ret < 0 ? ret : -EIO;
	ret = io_uring_wait_cqe(ring, &cqe);
	if (ret)
		return ret;
	if (cqe->res != 0 || io_uring_cqe_get_data64(cqe) != 0xfeedfacecafe) {
		ksft_print_msg("cqe res %d user_data %llx\n", cqe->res,
			       (unsigned long long)io_uring_cqe_get_data64(cqe));
		ret = -EINVAL;
	}
	io_uring_cqe_seen(ring, cqe);
	return ret;
}

static int nop_batch(struct io_uring *ring)
{
	unsigned char seen[BATCH] = { 0 };
	struct io_uring_cqe *cqe;
	int i, ret;

	for (i = 0; i < BATCH; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

		if (!sqe)
			return -EBUSY;
		io_uring_prep_nop(sqe);
		io_uring_sqe_set_data64(sqe, i);
	}
	ret = io_uring_submit_and_wait(ring, BATCH);
	if (ret != BATCH)
		return ret < 0 ? ret : -EIO;
	for (i = 0; i < BATCH; i++) {
		ret = io_uring_wait_cqe(ring, &cqe);
		if (ret)
			return ret;
		if (cqe->res != 0 || io_uring_cqe_get_data64(cqe) >= BATCH ||
		    seen[io_uring_cqe_get_data64(cqe)]++) {
			io_uring_cqe_seen(ring, cqe);
			return -EINVAL;
		}
		io_uring_cqe_seen(ring, cqe);
	}
	/* nothing left over */
	return io_uring_peek_cqe(ring, &cqe) == -EAGAIN ? 0 : -EINVAL;
}

int main(void)
{
	struct io_uring ring;
	int ret;

	ksft_print_header();
	ksft_set_plan(3);

	ret = io_uring_queue_init(BATCH, &ring, 0);
	if (ret)
		ksft_exit_fail_msg("io_uring_queue_init: %s\n", strerror(-ret));
	ksft_test_result_pass("io_uring_setup\n");

	ret = nop_single(&ring);
	ksft_test_result(!ret, "nop round trip %s\n", ret ? strerror(-ret) : "");
	ret = nop_batch(&ring);
	ksft_test_result(!ret, "nop batch of %d %s\n", BATCH, ret ? strerror(-ret) : "");

	io_uring_queue_exit(&ring);
	ksft_finished();
}
