/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by the guest selftests. */
#ifndef PHYR_SELFTEST_HELPERS_H
#define PHYR_SELFTEST_HELPERS_H

#include <dirent.h>
#include <drm/drm.h>
#include <drm/drm_mode.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

/* The phyr test importer and exporter (dma-buf selftests' phyr_test_mod). */
#define PHYR_TEST	"/sys/kernel/debug/dma_buf_phyr_test"

/*
 * Send @cmd to the phyr test module and read its reply into @reply (@size
 * bytes, NUL-terminated). Return: 0, or -errno of the write.
 */
static inline int phyr_test_cmd(const char *cmd, char *reply, size_t size)
{
	int fd = open(PHYR_TEST, O_RDWR), err = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	if (write(fd, cmd, strlen(cmd)) < 0)
		err = -errno;
	n = err ? 0 : pread(fd, reply, size - 1, 0);
	reply[n > 0 ? n : 0] = '\0';
	close(fd);
	return err;
}

/*
 * A dma-buf of @size bytes of the phyr test exporter, which tests may
 * revoke; @mode is "", "refuse" or "revoke-on-attach" (see
 * tools/testing/selftests/drivers/dma-buf/phyr_test_mod).
 * Return: the fd, or -errno.
 */
static inline int phyr_test_export(size_t size, const char *mode)
{
	char cmd[64], reply[32];
	int ret, fd;

	snprintf(cmd, sizeof(cmd), "export %zu %s", size, mode);
	ret = phyr_test_cmd(cmd, reply, sizeof(reply));
	if (ret)
		return ret;
	return sscanf(reply, "fd %d", &fd) == 1 ? fd : -EIO;
}

/*
 * Revoke test exporter buffer @fd, or read its state (@revoke false).
 * Return: the phyr pins the exporter held, or -errno; *@revoked is set
 * when not NULL.
 */
static inline int phyr_test_buf_state(int fd, int revoke, int *revoked)
{
	char cmd[32], reply[64];
	int ret, pins, rev = 0;

	snprintf(cmd, sizeof(cmd), "%s %d", revoke ? "revoke" : "status", fd);
	ret = phyr_test_cmd(cmd, reply, sizeof(reply));
	if (ret)
		return ret;
	if (revoke ? sscanf(reply, "pins %d", &pins) != 1 :
		     sscanf(reply, "pins %d revoked %d", &pins, &rev) != 2)
		return -EIO;
	if (revoked)
		*revoked = rev;
	return pins;
}

/*
 * Lines of the dma-buf debugfs bufinfo that contain @what. Return: the
 * count, or -errno when bufinfo cannot be read.
 */
static inline int bufinfo_count(const char *what)
{
	FILE *f = fopen("/sys/kernel/debug/dma_buf/bufinfo", "r");
	char line[256];
	int n = 0;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		n += strstr(line, what) != NULL;
	fclose(f);
	return n;
}

/*
 * A 16 KiB dma-buf of a vgem GEM object (DRM PRIME), an exporter that
 * implements no map_phyr; -1 if there is no vgem device.
 */
static inline int vgem_dmabuf(void)
{
	struct drm_mode_create_dumb c = { .width = 4096, .height = 4, .bpp = 8 };
	struct drm_prime_handle p = { .flags = DRM_CLOEXEC | DRM_RDWR, .fd = -1 };
	char name[16], path[32];
	struct drm_version v;
	int i, fd = -1;

	for (i = 0; i < 16 && fd < 0; i++) {
		snprintf(path, sizeof(path), "/dev/dri/card%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		memset(&v, 0, sizeof(v));
		memset(name, 0, sizeof(name));
		v.name = name;
		v.name_len = sizeof(name) - 1;
		if (ioctl(fd, DRM_IOCTL_VERSION, &v) || strcmp(name, "vgem")) {
			close(fd);
			fd = -1;
		}
	}
	if (fd < 0)
		return -1;
	if (!ioctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &c)) {
		p.handle = c.handle;
		if (ioctl(fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &p))
			p.fd = -1;
	}
	/* the dma-buf keeps the GEM object */
	close(fd);
	return p.fd;
}

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

/* Write @val to the file @path. Return: 0, or -1. */
static inline int write_str(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	int ok = fd >= 0 && write(fd, val, strlen(val)) == (ssize_t)strlen(val);

	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

/* FOLL_PIN references taken and not yet released, system-wide. */
static inline long pins_held(void)
{
	long acquired = -1, released = -1, v;
	char key[64];
	FILE *f;

	/* fold the per-CPU deltas so the counters are exact */
	if (write_str("/proc/sys/vm/stat_refresh", "1"))
		return -1;
	f = fopen("/proc/vmstat", "r");
	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", key, &v) == 2) {
		if (!strcmp(key, "nr_foll_pin_acquired"))
			acquired = v;
		else if (!strcmp(key, "nr_foll_pin_released"))
			released = v;
	}
	fclose(f);
	return acquired < 0 || released < 0 ? -1 : acquired - released;
}

/*
 * Pins held by the system, at rest: 9p pins user pages for its own I/O
 * (writeback of the results included), so take the least of a few samples.
 */
static inline long pins_settled(void)
{
	long least = -1, v;
	int i;

	for (i = 0; i < 5; i++) {
		v = pins_held();
		if (v >= 0 && (least < 0 || v < least))
			least = v;
		usleep(20000);
	}
	return least;
}

/* io_uring without liburing (whose own uapi copy lacks the export). */

/* A new ring of 4 entries. Return: its fd, or -1 and errno. */
static inline int iou_ring(void)
{
	struct io_uring_params p;

	memset(&p, 0, sizeof(p));
	return syscall(__NR_io_uring_setup, 4, &p);
}

/* io_uring_register(2). Return: what it returns, or -errno. */
static inline int iou_reg(int ring, unsigned int op, void *arg, unsigned int nr)
{
	int ret = syscall(__NR_io_uring_register, ring, op, arg, nr);

	return ret < 0 ? -errno : ret;
}

/* Register [mem, mem + len) as the ring's only buffer. Return: 0, -errno. */
static inline int iou_register(int ring, void *mem, size_t len)
{
	struct iovec iov = { .iov_base = mem, .iov_len = len };

	return iou_reg(ring, IORING_REGISTER_BUFFERS, &iov, 1);
}

/*
 * IORING_REGISTER_EXPORT_BUFFER of [off, off + len) of buffer @idx, with
 * IORING_BUF_EXPORT_* @flags. Return: the dma-buf fd, or -errno.
 */
static inline int iou_export_flags(int ring, unsigned int idx, uint64_t off,
				   uint64_t len, uint32_t flags)
{
	struct io_uring_buf_export e = {
		.buf_index = idx, .flags = flags, .offset = off, .len = len,
	};

	return iou_reg(ring, IORING_REGISTER_EXPORT_BUFFER, &e, 1);
}

/* A read-write export, see iou_export_flags(). */
static inline int iou_export(int ring, unsigned int idx, uint64_t off,
			     uint64_t len)
{
	return iou_export_flags(ring, idx, off, len, 0);
}

/*
 * A PCI endpoint in a DMA-translated IOMMU group, bound to a driver
 * (@driver 1) or to none (@driver 0). A driver sets the DMA mask, which is
 * when the DMA core decides whether the device needs syncs; a device
 * without one counts as needing them (dev_dma_skip_sync() is false), as a
 * device that is not cache-coherent does, and the converter maps it with
 * dma_map_sgtable() instead of linking the IOVA range itself.
 */
static inline int iommu_device_driver(char *name, size_t size, int driver)
{
	const char *base = "/sys/bus/pci/devices";
	char path[600], type[32];
	unsigned int class;
	struct dirent *de;
	int found = 0;
	DIR *d;

	d = opendir(base);
	if (!d)
		return 0;
	while (!found && (de = readdir(d))) {
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/driver", base, de->d_name);
		if (!access(path, F_OK) != !!driver)
			continue;
		/* an endpoint, not one of the topology's PCIe ports */
		snprintf(path, sizeof(path), "%s/%s/class", base, de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fscanf(f, "%x", &class) != 1)
			class = 0;
		fclose(f);
		if ((class >> 8) == 0x0604)
			continue;
		snprintf(path, sizeof(path), "%s/%s/iommu_group/type", base, de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fscanf(f, "%31s", type) == 1 &&
		    (!strcmp(type, "DMA") || !strcmp(type, "DMA-FQ"))) {
			snprintf(name, size, "%.*s", (int)size - 1, de->d_name);
			found = 1;
		}
		fclose(f);
	}
	closedir(d);
	return found;
}

/* A PCI endpoint with a driver in a DMA-translated IOMMU group. */
static inline int iommu_device(char *name, size_t size)
{
	return iommu_device_driver(name, size, 1);
}

#endif
