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
 * Uses the phyr test module (CONFIG_DMABUF_PHYR_TEST): "export" a buffer,
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

#include "helpers.h"

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
	return t1 - t0;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(int rounds, int nbufs, int per)
{
	double *t = calloc(rounds, sizeof(*t)), m;
	int i;

	if (!t)
		exit(1);
	revoke_round(nbufs, per);	/* warm up */
	for (i = 0; i < rounds; i++)
		t[i] = revoke_round(nbufs, per);
	qsort(t, rounds, sizeof(*t), cmp);
	m = t[rounds / 2];
	free(t);
	return m;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 20;
	double one, eight, spread;

	if (rounds < 1)
		rounds = 1;
	if (access(PHYR_TEST, W_OK)) {
		printf("skip: %s: %s\n", PHYR_TEST, strerror(errno));
		return 4;
	}
	one = median(rounds, 1, 1);
	eight = median(rounds, 1, MAX_N);
	spread = median(rounds, MAX_N, 1);
	printf("revoke of a 1 MiB dma-buf, median of %d rounds:\n", rounds);
	printf("  1 importer:                 %10.1f us\n", one);
	printf("  %d importers, one buffer:    %10.1f us  %.2fx\n", MAX_N, eight,
	       eight / one);
	printf("  %d buffers, 1 importer each: %10.1f us  %.2fx (a grace period each)\n",
	       MAX_N, spread, spread / one);
	return 0;
}
