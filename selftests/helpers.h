/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by the guest selftests. */
#ifndef PHYR_SELFTEST_HELPERS_H
#define PHYR_SELFTEST_HELPERS_H

#include <stdio.h>

/* Free 2 MiB hugetlb pages, 0 if unknown. */
static inline unsigned long free_hugepages(void)
{
	unsigned long n = 0;
	FILE *f = fopen("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "r");

	if (f) {
		if (fscanf(f, "%lu", &n) != 1)
			n = 0;
		fclose(f);
	}
	return n;
}

#endif
