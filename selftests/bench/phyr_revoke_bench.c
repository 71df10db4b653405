// SPDX-License-Identifier: GPL-2.0
/*
 * The cost of revoking a dma-buf against the number of its phyr importers.
 *
 * The dma-buf core revokes all phyr importers of a buffer in two phases
 * with one RCU grace period between them, so a buffer with 8 importers
 * should cost about what a buffer with one costs. For comparison, the
 * same 8 importers spread over 8 buffers revoked one after the other wait
 * 8 grace periods: what one grace period per importer (the series before
 * the core took over revocation) costs.
 *
 * Uses the phyr test module (the dma-buf selftests' phyr_test_mod): "export" a buffer,
 * "import <fd> <n>" n pinned CPU importers, time "revoke <fd>".
 *
 * Usage: phyr_revoke_bench [rounds]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "phyr_test.h"

#define SIZE	(1 << 20)
#define MAX_N	8

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int import(int fd, int n)
{
	char cmd[32], reply[32];

	snprintf(cmd, sizeof(cmd), "import %d %d", fd, n);
	return phyr_test_cmd(cmd, reply, sizeof(reply));
}

/*
 * The importers let go of their buffers from the core's work item, after
 * the revoke returned: wait for that (up to 10 s), so that a round does
 * not pay for the teardown of the one before.
 */
static void wait_released(void)
{
	int i;

	for (i = 0; i < 1000 && bufinfo_count("dma_buf_phyr_test held"); i++)
		usleep(10 * 1000);
	if (bufinfo_count("dma_buf_phyr_test held")) {
		fprintf(stderr, "held importers still there 10 s after the revoke\n");
		exit(1);
	}
}

/* Revoke @nbufs buffers with @per importers each; return microseconds. */
static double revoke_round(int nbufs, int per)
{
	int fds[MAX_N], i, ret;
	double t0, t1;

	for (i = 0; i < nbufs; i++) {
		fds[i] = phyr_test_export(SIZE, "");
		if (fds[i] < 0) {
			fprintf(stderr, "export: %s\n", strerror(-fds[i]));
			exit(1);
		}
		ret = import(fds[i], per);
		if (ret) {
			fprintf(stderr, "import: %s\n", strerror(-ret));
			exit(1);
		}
	}
	t0 = now_us();
	for (i = 0; i < nbufs; i++) {
		ret = phyr_test_buf_state(fds[i], 1, NULL);
		if (ret != per) {
			fprintf(stderr, "revoke: %d pins, expected %d\n", ret, per);
			exit(1);
		}
	}
	t1 = now_us();
	for (i = 0; i < nbufs; i++)
		close(fds[i]);
	wait_released();
	return t1 - t0;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The three layouts: buffers x importers per buffer. */
static const int layout[3][2] = { { 1, 1 }, { 1, MAX_N }, { MAX_N, 1 } };

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 20, r, k;
	double *t[3], med[3], min[3];

	if (rounds < 1)
		rounds = 1;
	if (access(PHYR_TEST_FILE, W_OK)) {
		printf("skip: %s: %s\n", PHYR_TEST_FILE, strerror(errno));
		return 4;
	}
	for (k = 0; k < 3; k++) {
		t[k] = calloc(rounds, sizeof(*t[k]));
		if (!t[k])
			return 1;
		revoke_round(layout[k][0], layout[k][1]);	/* warm up */
	}
	/* round by round, so that a drift of the machine hits all three */
	for (r = 0; r < rounds; r++)
		for (k = 0; k < 3; k++)
			t[k][r] = revoke_round(layout[k][0], layout[k][1]);
	for (k = 0; k < 3; k++) {
		qsort(t[k], rounds, sizeof(*t[k]), cmp);
		med[k] = t[k][rounds / 2];
		min[k] = t[k][0];
		free(t[k]);
	}
	printf("revoke of a 1 MiB dma-buf, %d interleaved rounds, median (min):\n",
	       rounds);
	printf("  1 importer:                 %10.1f us (%8.1f)\n", med[0], min[0]);
	printf("  %d importers, one buffer:    %10.1f us (%8.1f)  %.2fx (%.2fx)\n",
	       MAX_N, med[1], min[1], med[1] / med[0], min[1] / min[0]);
	printf("  %d buffers, 1 importer each: %10.1f us (%8.1f)  %.2fx (%.2fx)\n",
	       MAX_N, med[2], min[2], med[2] / med[0], min[2] / min[0]);
	return 0;
}
