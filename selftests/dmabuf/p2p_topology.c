// SPDX-License-Identifier: GPL-2.0
/*
 * P2P through phyr in the iommu boot's PCIe topology (scripts/vm.sh
 * --iommu): a PCI switch holding an ivshmem BAR (the P2P provider) and an
 * ATS-capable virtio device, more devices on root ports of their own, a
 * virtual Intel IOMMU with device IOTLB, and a CPU model whose host bridge
 * forwards peer-to-peer transactions (-cpu EPYC).
 *
 * The ivshmem device is bound to vfio-pci and its BAR 2 exported as a
 * dma-buf (VFIO_DEVICE_FEATURE_DMA_BUF over iommufd's device interface).
 * For every PCI endpoint with a driver, the phyr test importer reports how
 * the core says that device reaches the BAR ("reach" for a phyr importer,
 * "sgt-reach" for a classic one), and the test checks
 * it against what the topology and the device's state say: under the same
 * switch, bus addresses and no ATS; elsewhere, through the host bridge,
 * with ATS exactly when ATS is enabled in the device's config space. A classic importer of the same buffer gets its
 * sg_table from the core's converter (the BAR's bus address under the
 * switch). iommufd maps BAR dma-bufs of one and two ranges and a udmabuf
 * into the IOAS of the provider's IOMMU domain through the dma-buf core
 * (IOMMU_IOAS_MAP_FILE). Revocation: disabling the BAR's memory decoding
 * revokes the buffer (iommufd's attachments show it in bufinfo, their
 * mappings are gone, a new map fails), enabling it lets importers map
 * again, so does a device reset, closing the device revokes it for good.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/iommufd.h>
#include <linux/pci_regs.h>
#include <linux/udmabuf.h>
#include <linux/vfio.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "kselftest.h"
#include "phyr_test.h"

#define PCI_DEVS	"/sys/bus/pci/devices"
#define MAX_DEVS	64
#define BAR		2

struct pdev {
	char name[32];
	char path[PATH_MAX];	/* realpath of the sysfs directory */
	bool has_driver;
	bool bridge;
	bool ats;		/* ATS capability with Enable set */
	bool translated;	/* IOMMU group of type DMA or DMA-FQ */
};

static struct pdev devs[MAX_DEVS];
static int nr_devs;
/* the IOAS the provider is attached to: a domain of the Intel IOMMU */
static __u32 ioas_id;
/* does the kernel let P2P through this host bridge (cpu_supports_p2pdma)? */
static bool host_bridge_p2p;

static int read_hex(const char *dir, const char *attr, unsigned long *val)
{
	char path[PATH_MAX + 32];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/%s", dir, attr);
	f = fopen(path, "r");
	if (!f)
		return -1;
	ok = fscanf(f, "%lx", val) == 1;
	fclose(f);
	return ok ? 0 : -1;
}

/* ATS Enable in the device's extended capabilities (config space). */
static bool ats_enabled(const char *dir)
{
	char path[PATH_MAX + 32];
	uint8_t cfg[4096];
	unsigned int pos = 0x100;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/config", dir);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return false;
	n = pread(fd, cfg, sizeof(cfg), 0);
	close(fd);
	while (n == sizeof(cfg) && pos && pos < sizeof(cfg) - 8) {
		uint32_t hdr = cfg[pos] | cfg[pos + 1] << 8 |
			       cfg[pos + 2] << 16 | (uint32_t)cfg[pos + 3] << 24;
		uint16_t ctl = cfg[pos + 6] | cfg[pos + 7] << 8;

		if (!hdr)
			break;
		if (PCI_EXT_CAP_ID(hdr) == PCI_EXT_CAP_ID_ATS)
			return ctl & PCI_ATS_CTRL_ENABLE;
		pos = PCI_EXT_CAP_NEXT(hdr);
	}
	return false;
}

static void scan(void)
{
	struct dirent *de;
	DIR *d = opendir(PCI_DEVS);

	if (!d)
		ksft_exit_fail_msg("%s: %s\n", PCI_DEVS, strerror(errno));
	while ((de = readdir(d)) && nr_devs < MAX_DEVS) {
		struct pdev *p = &devs[nr_devs];
		char link[PATH_MAX + 300], type[32] = "";
		unsigned long class;
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), "%s/%s", PCI_DEVS, de->d_name);
		if (!realpath(link, p->path))
			continue;
		snprintf(p->name, sizeof(p->name), "%.31s", de->d_name);
		p->bridge = !read_hex(p->path, "class", &class) &&
			    (class >> 8) == 0x0604;
		snprintf(link, sizeof(link), "%s/driver", p->path);
		p->has_driver = !access(link, F_OK);
		p->ats = ats_enabled(p->path);
		snprintf(link, sizeof(link), "%s/iommu_group/type", p->path);
		f = fopen(link, "r");
		if (f) {
			if (fscanf(f, "%31s", type) != 1)
				type[0] = '\0';
			fclose(f);
		}
		p->translated = !strcmp(type, "DMA") || !strcmp(type, "DMA-FQ");
		nr_devs++;
	}
	closedir(d);
}

static struct pdev *find_dev(unsigned long vendor, unsigned long device)
{
	int i;

	for (i = 0; i < nr_devs; i++) {
		unsigned long ven, dev;

		if (!read_hex(devs[i].path, "vendor", &ven) &&
		    !read_hex(devs[i].path, "device", &dev) &&
		    ven == vendor && dev == device)
			return &devs[i];
	}
	return NULL;
}

static struct pdev *find_ivshmem(void)
{
	return find_dev(0x1af4, 0x1110);
}

/*
 * The kernel lets P2P through any host bridge of an AMD CPU of family 0x17
 * (Zen) or later, and through host bridges on its allowlist; q35's
 * (8086:29c0) is not on it. The boot's CPU model says which case this is
 * (-cpu EPYC: allowed; TCG's max, AMD family 6: refused).
 */
static bool cpu_allows_p2p(void)
{
	char line[256], vendor[64] = "";
	FILE *f = fopen("/proc/cpuinfo", "r");
	int family = -1;

	if (!f)
		ksft_exit_fail_msg("/proc/cpuinfo: %s\n", strerror(errno));
	while (fgets(line, sizeof(line), f) && (family < 0 || !vendor[0])) {
		if (!vendor[0])
			sscanf(line, "vendor_id : %63s", vendor);
		if (family < 0)
			sscanf(line, "cpu family : %d", &family);
	}
	fclose(f);
	return (!strcmp(vendor, "AuthenticAMD") || !strcmp(vendor, "HygonGenuine")) &&
	       family >= 0x17;
}

/* Is @p under the switch whose downstream port holds @prov? */
static bool same_switch(const struct pdev *prov, const struct pdev *p)
{
	char up[PATH_MAX];
	char *slash;

	/* provider: .../<root port>/<upstream port>/<downstream port>/<dev> */
	snprintf(up, sizeof(up), "%s", prov->path);
	slash = strrchr(up, '/');
	if (!slash)
		return false;
	*slash = '\0';
	slash = strrchr(up, '/');
	if (!slash)
		return false;
	*slash = '\0';
	return !strncmp(p->path, up, strlen(up)) && p->path[strlen(up)] == '/';
}

static int bind_vfio(const struct pdev *p)
{
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/driver_override", p->path);
	if (write_str(path, "vfio-pci"))
		return -1;
	snprintf(path, sizeof(path), "%s/driver/unbind", p->path);
	if (!access(path, F_OK) && write_str(path, p->name))
		return -1;
	return write_str("/sys/bus/pci/drivers_probe", p->name);
}

/* Open the device through iommufd, attached to a fresh IOAS. */
static int open_vfio(const struct pdev *p, int *iommufd)
{
	struct vfio_device_attach_iommufd_pt attach = { .argsz = sizeof(attach) };
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct iommu_ioas_alloc ioas = { .size = sizeof(ioas) };
	char path[PATH_MAX + 32], cdev[300] = "";
	struct dirent *de;
	int fd;
	DIR *d;

	snprintf(path, sizeof(path), "%s/vfio-dev", p->path);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, "vfio", 4))
			snprintf(cdev, sizeof(cdev), "/dev/vfio/devices/%s", de->d_name);
	closedir(d);
	*iommufd = open("/dev/iommu", O_RDWR);
	fd = cdev[0] ? open(cdev, O_RDWR) : -1;
	if (*iommufd < 0 || fd < 0)
		return -1;
	bind.iommufd = *iommufd;
	if (ioctl(fd, VFIO_DEVICE_BIND_IOMMUFD, &bind)) {
		ksft_print_msg("VFIO_DEVICE_BIND_IOMMUFD: %s\n", strerror(errno));
		return -1;
	}
	if (ioctl(*iommufd, IOMMU_IOAS_ALLOC, &ioas)) {
		ksft_print_msg("IOMMU_IOAS_ALLOC: %s\n", strerror(errno));
		return -1;
	}
	ioas_id = ioas.out_ioas_id;
	attach.pt_id = ioas_id;
	if (ioctl(fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach)) {
		ksft_print_msg("VFIO_DEVICE_ATTACH_IOMMUFD_PT: %s\n", strerror(errno));
		return -1;
	}
	return fd;
}

/* A dma-buf of @n (1 or 2) ranges of BAR @bar; -errno on failure. */
static int bar_dmabuf(int vfio, int bar, const struct vfio_region_dma_range *r,
		      unsigned int n, uint32_t flags)
{
	struct {
		struct vfio_device_feature f;
		struct vfio_device_feature_dma_buf db;
		struct vfio_region_dma_range r[2];
	} __attribute__((packed)) req = {
		.f.argsz = sizeof(req),
		.f.flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_DMA_BUF,
		.db.region_index = bar,
		.db.open_flags = O_RDWR | O_CLOEXEC,
		.db.flags = flags,
		.db.nr_ranges = n,
	};
	int fd;

	memcpy(req.r, r, n * sizeof(*r));
	req.f.argsz = sizeof(req) - (2 - n) * sizeof(*r);
	fd = ioctl(vfio, VFIO_DEVICE_FEATURE, &req);
	return fd < 0 ? -errno : fd;
}

/* Read or write @len bytes at @off of vfio region @index; 0 or -errno. */
static int region_rw(int vfio, unsigned int index, off_t off, void *buf,
		     size_t len, bool write)
{
	struct vfio_region_info info = { .argsz = sizeof(info), .index = index };
	ssize_t n;

	if (ioctl(vfio, VFIO_DEVICE_GET_REGION_INFO, &info))
		return -errno;
	n = write ? pwrite(vfio, buf, len, info.offset + off) :
		    pread(vfio, buf, len, info.offset + off);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

/* Set or clear @bits of the command register through vfio's config region. */
static int set_command(int vfio, uint16_t bits, bool on)
{
	uint16_t cmd;
	int ret;

	ret = region_rw(vfio, VFIO_PCI_CONFIG_REGION_INDEX, PCI_COMMAND, &cmd,
			2, false);
	if (ret)
		return ret;
	cmd = on ? cmd | bits : cmd & ~bits;
	return region_rw(vfio, VFIO_PCI_CONFIG_REGION_INDEX, PCI_COMMAND, &cmd,
			 2, true);
}

static int set_memory(int vfio, bool on)
{
	return set_command(vfio, PCI_COMMAND_MEMORY, on);
}

/*
 * Map @len bytes of user memory @uptr, or of dma-buf @fd when @uptr is
 * NULL, readable and writable, into IOAS @ioas: at *@iova when it is not
 * 0, else where iommufd picks (returned in *@iova). 0, or -errno.
 */
static int ioas_map_in(int iommufd, __u32 ioas, void *uptr, int fd,
		       size_t len, __u64 *iova)
{
	__u32 flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE |
		      (*iova ? IOMMU_IOAS_MAP_FIXED_IOVA : 0);
	struct iommu_ioas_map_file mf = {
		.size = sizeof(mf), .flags = flags, .ioas_id = ioas,
		.fd = fd, .length = len, .iova = *iova,
	};
	struct iommu_ioas_map m = {
		.size = sizeof(m), .flags = flags, .ioas_id = ioas,
		.user_va = (uintptr_t)uptr, .length = len, .iova = *iova,
	};

	if (uptr ? ioctl(iommufd, IOMMU_IOAS_MAP, &m) :
		   ioctl(iommufd, IOMMU_IOAS_MAP_FILE, &mf))
		return -errno;
	*iova = uptr ? m.iova : mf.iova;
	return 0;
}

/* All of dma-buf @fd into the provider's IOAS, where iommufd picks. */
static int ioas_map(int iommufd, int fd, size_t len, __u64 *iova)
{
	*iova = 0;
	return ioas_map_in(iommufd, ioas_id, NULL, fd, len, iova);
}

static int ioas_unmap(int iommufd, __u64 iova, size_t len)
{
	struct iommu_ioas_unmap unmap = {
		.size = sizeof(unmap),
		.ioas_id = ioas_id,
		.iova = iova,
		.length = len,
	};

	return ioctl(iommufd, IOMMU_IOAS_UNMAP, &unmap) ? -errno : 0;
}

/* bufinfo: iommufd's attachments, @revoked of them revoked, @mapped mapped */
static void check_iommufd_importers(const char *when, int revoked, int mapped)
{
	int n = bufinfo_count("iommufd revoked writes");
	int m = bufinfo_count("iommufd pinned mapped writes");

	ksft_test_result(n == revoked && m == mapped,
			 "bufinfo %s: %d iommufd importers revoked (expected %d), %d mapped (expected %d)\n",
			 when, n, revoked, m, mapped);
}

/* A udmabuf of @len bytes of a sealed memfd; -errno on failure. */
static int new_udmabuf(size_t len)
{
	struct udmabuf_create c = { .flags = UDMABUF_FLAGS_CLOEXEC, .size = len };
	int memfd = memfd_create("p2p-topology", MFD_ALLOW_SEALING);
	int dev = open("/dev/udmabuf", O_RDWR);
	int fd = -EBADF;

	if (memfd >= 0 && dev >= 0 && !ftruncate(memfd, len) &&
	    !fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK)) {
		c.memfd = memfd;
		fd = ioctl(dev, UDMABUF_CREATE, &c);
		if (fd < 0)
			fd = -errno;
	} else {
		fd = -errno;
	}
	if (memfd >= 0)
		close(memfd);
	if (dev >= 0)
		close(dev);
	return fd;
}

/*
 * "reach <fd> <dev>": fills @how and @ats from the first range's line.
 * Return: 0, the errno of the command or of the range, or -EIO.
 */
static int reach(int fd, const char *dev, char *how, size_t size, int *ats)
{
	char cmd[96], reply[512], word[32];
	unsigned int ranges;
	size_t len;
	int ret;

	snprintf(cmd, sizeof(cmd), "reach %d %s", fd, dev);
	ret = phyr_test_cmd(cmd, reply, sizeof(reply));
	if (ret)
		return ret;
	if (sscanf(reply, "ranges %u %zu %31s", &ranges, &len, word) != 3 ||
	    ranges < 1)
		return -EIO;
	if (!strcmp(word, "error")) {
		char *e = strstr(reply, "error ");

		return e ? atoi(e + 6) : -EIO;
	}
	snprintf(how, size, "%s", word);
	return sscanf(strstr(reply, word) + strlen(word), " ats %d", ats) == 1 ?
	       0 : -EIO;
}

/* "sgt-reach <fd> <dev>": "<how> ats <n>". Return: 0, -errno, -EIO. */
static int sgt_reach(int fd, const char *dev, char *how, size_t size, int *ats)
{
	char cmd[96], reply[128], word[32];
	int ret;

	snprintf(cmd, sizeof(cmd), "sgt-reach %d %s", fd, dev);
	ret = phyr_test_cmd(cmd, reply, sizeof(reply));
	if (ret)
		return ret;
	if (sscanf(reply, "%31s ats %d", word, ats) != 2)
		return -EIO;
	snprintf(how, size, "%s", word);
	return 0;
}

static void check_importers(const struct pdev *prov, int fd, int *pairs_switch,
			    int *pairs_ats)
{
	int i;

	for (i = 0; i < nr_devs; i++) {
		const struct pdev *p = &devs[i];
		bool sw = same_switch(prov, p);
		const char *want = sw ? "p2p-bus-addr" : "p2p-host-bridge";
		int want_ats = !sw && p->ats;
		/* through a host bridge the kernel does not allow: refused */
		int want_ret = sw || host_bridge_p2p ? 0 : -EREMOTEIO;
		char how[32] = "";
		int ats = -1, ret;

		if (p == prov || p->bridge || !p->has_driver)
			continue;
		if (want_ret) {
			ret = reach(fd, p->name, how, sizeof(how), &ats);
			ksft_test_result(ret == want_ret,
					 "reach of the BAR from %s (elsewhere, host bridge not allowed): %s (expected EREMOTEIO)\n",
					 p->name, ret ? strerror(-ret) : how);
			ret = sgt_reach(fd, p->name, how, sizeof(how), &ats);
			ksft_test_result(ret == want_ret,
					 "sgt-reach of the BAR from %s (host bridge not allowed): %s (expected EREMOTEIO)\n",
					 p->name, ret ? strerror(-ret) : how);
			*pairs_switch += sw;
			continue;
		}
		ret = reach(fd, p->name, how, sizeof(how), &ats);
		ksft_test_result(!ret && !strcmp(how, want) && ats == want_ats,
				 "reach of the BAR from %s (%s, ATS %s, %s): %s ats %d, expected %s ats %d%s%s\n",
				 p->name, sw ? "same switch" : "elsewhere",
				 p->ats ? "enabled" : "off",
				 p->translated ? "translated" : "not translated",
				 how, ats, want, want_ats, ret ? " error " : "",
				 ret ? strerror(-ret) : "");
		/* a classic importer of one range is told the same */
		ret = sgt_reach(fd, p->name, how, sizeof(how), &ats);
		ksft_test_result(!ret && !strcmp(how, want) && ats == want_ats,
				 "sgt-reach of the BAR from %s: %s ats %d, expected %s ats %d%s%s\n",
				 p->name, how, ats, want, want_ats,
				 ret ? " error " : "", ret ? strerror(-ret) : "");
		*pairs_switch += sw;
		*pairs_ats += want_ats;
	}
}

/* The classic importer's first DMA address, or 0. */
static unsigned long long sgt_first(int fd, const char *dev, int *err)
{
	char cmd[96], reply[4096];
	unsigned long long addr = 0;
	unsigned int nents, len;
	size_t total;

	snprintf(cmd, sizeof(cmd), "sgt %d %s", fd, dev);
	*err = phyr_test_cmd(cmd, reply, sizeof(reply));
	if (!*err && sscanf(reply, "nents %u length %zu %llx %u", &nents,
			    &total, &addr, &len) != 4)
		*err = -EIO;
	return addr;
}

/* BAR @bar's start and length from sysfs; 0 for both when unknown. */
static void bar_resource(const struct pdev *p, int bar,
			 unsigned long long *start, unsigned long long *len)
{
	char path[PATH_MAX + 32];
	unsigned long long end = 0, flags;
	FILE *f;
	int i;

	*start = 0;
	*len = 0;
	snprintf(path, sizeof(path), "%s/resource", p->path);
	f = fopen(path, "r");
	if (!f)
		return;
	for (i = 0; i <= bar; i++)
		if (fscanf(f, "%llx %llx %llx", start, &end, &flags) != 3)
			*start = end = 0;
	fclose(f);
	*len = end > *start ? end - *start + 1 : 0;
}

static unsigned long long bar_start(const struct pdev *p, int bar)
{
	unsigned long long start, len;

	bar_resource(p, bar, &start, &len);
	return start;
}

static unsigned long long bar_len(const struct pdev *p, int bar)
{
	unsigned long long start, len;

	bar_resource(p, bar, &start, &len);
	return len;
}

/* 1 MiB of the BAR; [0, 64K) and [128K, 192K) of it */
static const struct vfio_region_dma_range one_mib[] = { { 0, 1 << 20 } };
static const struct vfio_region_dma_range two_ranges[] = {
	{ 0, 1 << 16 }, { 2 << 16, 1 << 16 },
};

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Bad requests and importers: ranges outside the BAR; a classic importer
 * that does not take P2P memory (no allow_peer2peer: the test module's
 * sgt-hold importer); RAM, which no device reaches as P2P or with ATS; an
 * exporter that revokes its buffer when iommufd attaches, between the
 * attachment and the map.
 */
static void check_bad_input(const struct pdev *prov, int vfio, int iommufd)
{
	unsigned long long len = bar_len(prov, BAR);
	char cmd[64], reply[256], how[32];
	int fd, ret, i, ats, n, before;
	__u64 iova = 0;

	const struct {
		const char *what;
		struct vfio_region_dma_range r;
		int err;
	} bad[] = {
		{ "just past the BAR", { len, 4096 }, -EINVAL },
		{ "across the BAR's end", { len - 4096, 8192 }, -EINVAL },
		{ "whose address overflows", { ~0xfffULL, 4096 }, -EOVERFLOW },
	};

	for (i = 0; i < (int)(sizeof(bad) / sizeof(bad[0])); i++) {
		fd = bar_dmabuf(vfio, BAR, &bad[i].r, 1, 0);
		ksft_test_result(fd == bad[i].err,
				 "dma-buf of a range %s (BAR of %#llx bytes): %s (expected %s)\n",
				 bad[i].what, len, fd < 0 ? strerror(-fd) : "created",
				 strerror(-bad[i].err));
		if (fd >= 0)
			close(fd);
	}

	fd = bar_dmabuf(vfio, BAR, one_mib, 1, 0);
	snprintf(cmd, sizeof(cmd), "sgt-hold %d 1000", fd);
	ret = fd < 0 ? fd : phyr_test_cmd(cmd, reply, sizeof(reply));
	ksft_test_result(ret == -EOPNOTSUPP,
			 "a classic importer without allow_peer2peer attaches to the BAR dma-buf: %s (expected EOPNOTSUPP)\n",
			 ret ? strerror(-ret) : "held");
	if (fd >= 0)
		close(fd);

	/* RAM: never P2P, never ATS, from any device */
	fd = new_udmabuf(64 << 10);
	n = 0;
	for (i = 0; fd >= 0 && i < nr_devs; i++) {
		const struct pdev *p = &devs[i];
		int ats2 = -1, ret2;
		char how2[32] = "";

		if (p->bridge || !p->has_driver)
			continue;
		ret = reach(fd, p->name, how, sizeof(how), &ats);
		ret2 = sgt_reach(fd, p->name, how2, sizeof(how2), &ats2);
		if (ret || ret2 || strcmp(how, "ram") || strcmp(how2, "ram") ||
		    ats || ats2) {
			ksft_print_msg("udmabuf from %s: reach %s ats %d (%s), sgt-reach %s ats %d (%s)\n",
				       p->name, how, ats, strerror(-ret), how2,
				       ats2, strerror(-ret2));
			n = -1;
			break;
		}
		n++;
	}
	ksft_test_result(fd >= 0 && n > 0,
			 "a udmabuf is RAM without ATS for every device with a driver (%d devices, reach and sgt-reach)\n",
			 n);
	if (fd >= 0)
		close(fd);

	/* revoked between iommufd's attachment and its map */
	before = bufinfo_count("iommufd");
	fd = phyr_test_export(64 << 10, "revoke-on-attach");
	ret = fd < 0 ? fd : ioas_map(iommufd, fd, 64 << 10, &iova);
	n = bufinfo_count("iommufd");
	ksft_test_result(ret == -ENODEV && n == before &&
			 (fd < 0 || phyr_test_buf_state(fd, 0, NULL) == 0),
			 "iommufd map of a buffer revoked when iommufd attaches: %s (expected ENODEV), %d iommufd importers (%d before), no pin left\n",
			 ret ? strerror(-ret) : "mapped", n, before);
	if (!ret)
		ioas_unmap(iommufd, iova, 64 << 10);
	if (fd >= 0)
		close(fd);
}

/*
 * A DMA engine: QEMU's "edu" device (1234:11e8) copies between its own
 * 4 KiB buffer (at 0x40000 of its address space) and a DMA address, one
 * command at a time, in a timer 100 ms after the command. QEMU 7.2
 * rejects a transfer that ends at the buffer's end (an off-by-one, fixed
 * later) by stopping the guest, so transfers here are 2 KiB. Its DMA
 * addresses are masked to 28 bits: IOVAs below 256 MiB.
 */
#define EDU_DMA_SRC	0x80
#define EDU_DMA_DST	0x88
#define EDU_DMA_CNT	0x90
#define EDU_DMA_CMD	0x98
#define EDU_RUN		0x1
#define EDU_TO_RAM	0x2	/* from the device's buffer to the address */
#define EDU_BUF		0x40000
#define EDU_LEN		2048
#define EDU_IOVA_RAM	0x100000ULL
#define EDU_IOVA_BAR	0x400000ULL
#define EDU_BAR_OFF	0x3000

static int edu_reg(int vfio, unsigned int reg, uint64_t *val, bool write)
{
	return region_rw(vfio, VFIO_PCI_BAR0_REGION_INDEX, reg, val, 8, write);
}

/* One transfer of EDU_LEN bytes; 0, or -errno, -ETIMEDOUT after 10 s. */
static int edu_dma(int vfio, uint64_t src, uint64_t dst, uint64_t cmd)
{
	uint64_t cnt = EDU_LEN;
	int ret, i;

	ret = edu_reg(vfio, EDU_DMA_SRC, &src, true);
	ret = ret ?: edu_reg(vfio, EDU_DMA_DST, &dst, true);
	ret = ret ?: edu_reg(vfio, EDU_DMA_CNT, &cnt, true);
	cmd |= EDU_RUN;
	ret = ret ?: edu_reg(vfio, EDU_DMA_CMD, &cmd, true);
	for (i = 0; !ret && i < 1000; i++) {
		ret = edu_reg(vfio, EDU_DMA_CMD, &cmd, false);
		if (!ret && !(cmd & EDU_RUN))
			return 0;
		usleep(10000);
	}
	return ret ?: -ETIMEDOUT;
}

/* Bytes of BAR @BAR at EDU_BAR_OFF that hold @pat's; -errno. */
static int bar_matches(int vfio, const uint8_t *pat)
{
	uint8_t got[EDU_LEN];
	int ret, i, n = 0;

	ret = region_rw(vfio, BAR, EDU_BAR_OFF, got, sizeof(got), false);
	if (ret)
		return ret;
	for (i = 0; i < EDU_LEN; i++)
		n += got[i] == pat[i];
	return n;
}

/*
 * Data moved by a DMA engine through a P2P mapping: the edu device, bound
 * to vfio-pci in an IOAS of its own, reads a pattern from RAM and writes it
 * to the IOVA where iommufd mapped the provider's BAR dma-buf (@fd, 1 MiB)
 * through the dma-buf core; the pattern must be in the BAR. Then memory
 * decoding off and on revokes the buffer: the same DMA must not reach the
 * BAR any more, although the BAR decodes again.
 */
static void check_dma_engine(int vfio, int fd)
{
	int evfio = -1, eiommufd = -1, ret, n = -1;
	__u32 prov_ioas = ioas_id, eioas;
	__u64 iova_ram = EDU_IOVA_RAM, iova_bar = EDU_IOVA_BAR;
	uint8_t zero[EDU_LEN] = { 0 };
	struct pdev *edu;
	uint8_t *ram;
	int i;

	edu = find_dev(0x1234, 0x11e8);
	if (!edu) {
		ksft_test_result_skip("DMA engine: no edu device\n");
		ksft_test_result_skip("DMA engine after a revocation: no edu device\n");
		return;
	}
	ram = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ram == MAP_FAILED)
		ksft_exit_fail_msg("mmap: %s\n", strerror(errno));
	for (i = 0; i < EDU_LEN; i++)
		ram[i] = i * 13 + 5;
	ret = bind_vfio(edu) ? -errno : 0;
	if (!ret) {
		evfio = open_vfio(edu, &eiommufd);
		ret = evfio < 0 ? -EIO : 0;
	}
	eioas = ioas_id;
	ioas_id = prov_ioas;
	ret = ret ?: set_command(evfio, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, true);
	ret = ret ?: ioas_map_in(eiommufd, eioas, ram, -1, 4096, &iova_ram);
	ret = ret ?: ioas_map_in(eiommufd, eioas, NULL, fd, 1 << 20, &iova_bar);
	ret = ret ?: region_rw(vfio, BAR, EDU_BAR_OFF, zero, EDU_LEN, true);
	/* RAM into the device's buffer, the buffer into the BAR */
	ret = ret ?: edu_dma(evfio, EDU_IOVA_RAM, EDU_BUF, 0);
	ret = ret ?: edu_dma(evfio, EDU_BUF, EDU_IOVA_BAR + EDU_BAR_OFF, EDU_TO_RAM);
	if (!ret)
		n = bar_matches(vfio, ram);
	ksft_test_result(!ret && n == EDU_LEN,
			 "DMA engine %s wrote through iommufd's mapping of the BAR dma-buf: %d of %d bytes in the BAR %s\n",
			 edu->name, n, EDU_LEN, ret ? strerror(-ret) : "");

	/* revoked, BAR decoding again: the old mapping must be gone */
	ret = ret ?: set_memory(vfio, false);
	ret = ret ?: set_memory(vfio, true);
	ret = ret ?: region_rw(vfio, BAR, EDU_BAR_OFF, zero, EDU_LEN, true);
	ret = ret ?: edu_dma(evfio, EDU_BUF, EDU_IOVA_BAR + EDU_BAR_OFF, EDU_TO_RAM);
	n = ret ? -1 : bar_matches(vfio, zero);
	ksft_test_result(!ret && n == EDU_LEN,
			 "DMA engine after the revocation: %d of %d bytes of the BAR untouched %s\n",
			 n, EDU_LEN, ret ? strerror(-ret) : "");
	if (evfio >= 0) {
		struct iommu_ioas_unmap all = {
			.size = sizeof(all), .ioas_id = eioas, .length = UINT64_MAX,
		};

		ioctl(eiommufd, IOMMU_IOAS_UNMAP, &all);
		close(evfio);
	}
	if (eiommufd >= 0)
		close(eiommufd);
	munmap(ram, 4096);
}

int main(void)
{
	int vfio, iommufd, fd, ret, sw = 0, ats = 0, err, i, atsv, nr = 0;
	__u64 iova1 = 0, iova2 = 0, iova3 = 0, iova4 = 0;
	int fd2, ufd, n, held;
	char cmd[96], reply[256];
	long t0;
	const struct pdev *peer_switch = NULL, *peer_host = NULL, *peer;
	unsigned long long addr;
	struct pdev *prov;
	char how[32];

	ksft_print_header();
	host_bridge_p2p = cpu_allows_p2p();
	ksft_print_msg("P2P through the host bridge: %s\n",
		       host_bridge_p2p ? "allowed (AMD family 0x17 or later)" :
					 "not allowed (CPU model, q35 host bridge)");
	scan();
	prov = find_ivshmem();
	if (!prov)
		ksft_exit_skip("no ivshmem device: not the iommu boot's topology\n");

	if (bind_vfio(prov))
		ksft_exit_fail_msg("binding %s to vfio-pci: %s\n", prov->name,
				   strerror(errno));
	vfio = open_vfio(prov, &iommufd);
	if (vfio < 0)
		ksft_exit_fail_msg("opening %s through iommufd: %s\n",
				   prov->name, strerror(errno));
	/* the state of every device now that vfio owns the provider */
	nr_devs = 0;
	scan();
	prov = find_ivshmem();
	if (!prov)
		ksft_exit_fail_msg("the ivshmem device went away\n");
	for (i = 0; i < nr_devs; i++)
		nr += &devs[i] != prov && !devs[i].bridge && devs[i].has_driver;
	ksft_set_plan(34 + 2 * nr);
	ret = bar_dmabuf(vfio, BAR, one_mib, 1, 1);
	ksft_test_result(ret == -EINVAL, "dma-buf with unknown flags: %s (expected EINVAL)\n",
			 strerror(-ret));
	check_bad_input(prov, vfio, iommufd);
	fd = bar_dmabuf(vfio, BAR, one_mib, 1, 0);
	if (fd < 0)
		ksft_exit_fail_msg("VFIO_DEVICE_FEATURE_DMA_BUF of BAR %d: %s\n",
				   BAR, strerror(-fd));

	for (i = 0; i < nr_devs; i++) {
		const struct pdev *p = &devs[i];

		if (p == prov || p->bridge || !p->has_driver)
			continue;
		if (same_switch(prov, p))
			peer_switch = p;
		else if (p->ats && p->translated)
			peer_host = p;
	}
	/* a peer that reaches the BAR, for the revocation checks below */
	peer = host_bridge_p2p ? peer_host : peer_switch;
	/* the topology itself, or the checks below prove nothing */
	ksft_test_result(peer_switch && peer_host,
			 "topology: a peer under the provider's switch (%s), an ATS peer behind the host bridge (%s)\n",
			 peer_switch ? peer_switch->name : "none",
			 peer_host ? peer_host->name : "none");
	check_importers(prov, fd, &sw, &ats);
	ksft_print_msg("%d importers under the switch, %d with ATS\n", sw, ats);

	ret = reach(fd, "", how, sizeof(how), &atsv);
	ksft_test_result(ret == -EREMOTEIO,
			 "reach from a device that is not PCI: %s (expected EREMOTEIO)\n",
			 strerror(-ret));

	/* classic importers, through the core's converter */
	if (peer_switch) {
		addr = sgt_first(fd, peer_switch->name, &err);
		ksft_test_result(!err && addr == bar_start(prov, BAR),
				 "sgt for %s: first segment %#llx, the BAR's bus address %#llx %s\n",
				 peer_switch->name, addr, bar_start(prov, BAR),
				 err ? strerror(-err) : "");
	} else {
		ksft_test_result_skip("sgt under the switch: no peer\n");
	}
	if (peer_host && !host_bridge_p2p) {
		addr = sgt_first(fd, peer_host->name, &err);
		ksft_test_result(err == -EREMOTEIO,
				 "sgt for %s through a host bridge not allowed: %s (expected EREMOTEIO)\n",
				 peer_host->name, err ? strerror(-err) : "mapped");
	} else if (peer_host) {
		addr = sgt_first(fd, peer_host->name, &err);
		ksft_test_result(!err && addr && addr != bar_start(prov, BAR),
				 "sgt for %s: first segment %#llx, an IOVA %s\n",
				 peer_host->name, addr, err ? strerror(-err) : "");
	} else {
		ksft_test_result_skip("sgt through the host bridge: no peer\n");
	}
	/* two ranges with a hole between them: one IOVA range, 128 KiB */
	if (peer_host) {
		char cmd[96], reply[4096];
		unsigned int nents;
		size_t total = 0;
		int fd2 = bar_dmabuf(vfio, BAR, two_ranges, 2, 0);

		err = fd2 < 0 ? fd2 : 0;
		if (!err) {
			snprintf(cmd, sizeof(cmd), "sgt %d %s", fd2, peer_host->name);
			err = phyr_test_cmd(cmd, reply, sizeof(reply));
			if (!err && sscanf(reply, "nents %u length %zu", &nents,
					   &total) != 2)
				err = -EIO;
			close(fd2);
		}
		if (host_bridge_p2p)
			ksft_test_result(!err && total == 2 << 16,
					 "sgt of a BAR dma-buf of two ranges for %s: %zu bytes %s\n",
					 peer_host->name, total, err ? strerror(-err) : "");
		else
			ksft_test_result(err == -EREMOTEIO,
					 "sgt of a BAR dma-buf of two ranges for %s, host bridge not allowed: %s (expected EREMOTEIO)\n",
					 peer_host->name, err ? strerror(-err) : "mapped");
	} else {
		ksft_test_result_skip("two ranges through the host bridge: no peer\n");
	}
	sgt_first(fd, "", &err);
	ksft_test_result(err == -EREMOTEIO,
			 "sgt for a device that is not PCI: %s (expected EREMOTEIO)\n",
			 strerror(-err));
	err = sgt_reach(fd, "", how, sizeof(how), &atsv);
	ksft_test_result(err == -EREMOTEIO,
			 "sgt-reach for a device that is not PCI: %s (expected EREMOTEIO)\n",
			 strerror(-err));

	/*
	 * iommufd imports through the dma-buf core: BAR dma-bufs of one and
	 * of two ranges, and a udmabuf, into the IOAS of the provider's
	 * Intel IOMMU domain. bufinfo shows each as a phyr importer.
	 */
	ret = ioas_map(iommufd, fd, 1 << 20, &iova1);
	ksft_test_result(!ret, "iommufd maps the BAR dma-buf: %s\n", strerror(-ret));
	fd2 = bar_dmabuf(vfio, BAR, two_ranges, 2, 0);
	ret = fd2 < 0 ? fd2 : ioas_map(iommufd, fd2, 2 << 16, &iova2);
	ksft_test_result(!ret, "iommufd maps a BAR dma-buf of two ranges: %s\n",
			 strerror(-ret));
	ufd = new_udmabuf(1 << 20);
	ret = ufd < 0 ? ufd : ioas_map(iommufd, ufd, 1 << 20, &iova3);
	ksft_test_result(!ret, "iommufd maps a udmabuf: %s\n", strerror(-ret));
	check_iommufd_importers("after the maps", 0, 3);

	/* revocation: memory decoding off, on again, then the device closed */
	ret = set_memory(vfio, false);
	ksft_test_result(!ret, "memory decoding off: %s\n",
			 strerror(-ret));
	ret = reach(fd, peer ? peer->name : "", how, sizeof(how), &atsv);
	ksft_test_result(ret == -ENODEV, "reach of the revoked BAR: %s (expected ENODEV)\n",
			 strerror(-ret));
	/* the core unmapped both BAR dma-bufs from the domain, not the udmabuf */
	check_iommufd_importers("with memory decoding off", 2, 1);
	ret = ioas_map(iommufd, fd, 1 << 20, &iova4);
	ksft_test_result(ret == -ENODEV, "iommufd map of the revoked BAR dma-buf: %s (expected ENODEV)\n",
			 strerror(-ret));
	ret = ioas_unmap(iommufd, iova1, 1 << 20);
	ksft_test_result(!ret, "iommufd unmaps the revoked area: %s\n", strerror(-ret));
	ret = set_memory(vfio, true);
	ksft_test_result(!ret, "memory decoding on: %s\n", strerror(-ret));
	ret = ioas_map(iommufd, fd, 1 << 20, &iova1);
	ksft_test_result(!ret, "iommufd maps the BAR dma-buf again: %s\n", strerror(-ret));
	/*
	 * A device reset revokes the mapping too, and waits until a classic
	 * importer (P2P capable, on a peer) that holds a table of the BAR
	 * has given it back: 300 ms after its invalidation. The BAR maps
	 * again after the reset.
	 */
	snprintf(cmd, sizeof(cmd), "sgt-hold %d 300 %s", fd, peer ? peer->name : "");
	held = phyr_test_cmd(cmd, reply, sizeof(reply));
	t0 = now_ms();
	if (ioctl(vfio, VFIO_DEVICE_RESET)) {
		ksft_test_result_skip("VFIO_DEVICE_RESET: %s\n", strerror(errno));
		ksft_test_result_skip("VFIO_DEVICE_RESET under a classic importer\n");
		ksft_test_result_skip("iommufd maps the BAR dma-buf after the reset\n");
		snprintf(cmd, sizeof(cmd), "sgt-dev %d drop", fd);
		phyr_test_cmd(cmd, reply, sizeof(reply));
	} else {
		long dt = now_ms() - t0;

		snprintf(cmd, sizeof(cmd), "sgt-dev %d drop", fd);
		ret = phyr_test_cmd(cmd, reply, sizeof(reply));
		ksft_test_result(!held && dt >= 280 && ret == -ENOENT,
				 "VFIO_DEVICE_RESET under a classic importer on %s holding a table: %s, the reset took %ld ms (the importer unmaps 300 ms after its invalidation), the importer let go: %s\n",
				 peer ? peer->name : "-", held ? strerror(-held) : "held",
				 dt, ret == -ENOENT ? "yes" : "no");
		check_iommufd_importers("after VFIO_DEVICE_RESET", 2, 1);
		ret = ioas_unmap(iommufd, iova1, 1 << 20);
		ret = ret ?: ioas_map(iommufd, fd, 1 << 20, &iova1);
		ksft_test_result(!ret, "iommufd maps the BAR dma-buf after the reset: %s\n",
				 strerror(-ret));
	}
	check_dma_engine(vfio, fd);
	ret = reach(fd, peer ? peer->name : "", how, sizeof(how), &atsv);
	ksft_test_result(!ret, "reach after memory decoding is back: %s %s\n",
			 ret ? strerror(-ret) : how, ret ? "" : "ok");
	close(vfio);
	ret = reach(fd, peer ? peer->name : "", how, sizeof(how), &atsv);
	ksft_test_result(ret == -ENODEV, "reach after the device closed: %s (expected ENODEV)\n",
			 strerror(-ret));
	/* the two of the BAR, not the udmabuf's */
	check_iommufd_importers("after the device closed", 2, 1);
	ret = ioas_unmap(iommufd, iova1, 1 << 20);
	ret = ret ?: ioas_unmap(iommufd, iova2, 2 << 16);
	ret = ret ?: ioas_unmap(iommufd, iova3, 1 << 20);
	n = bufinfo_count("iommufd");
	ksft_test_result(!ret && !n, "iommufd unmaps everything: %s, %d importers left\n",
			 strerror(-ret), n);
	close(fd2);
	close(ufd);
	close(fd);
	close(iommufd);
	ksft_finished();
}
