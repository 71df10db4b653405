// SPDX-License-Identifier: GPL-2.0
/*
 * buf_export.h: a liburing-style helper for IORING_REGISTER_EXPORT_BUFFER
 * (io_uring registered buffers exported as dma-bufs; patch 0051 of the
 * series, docs/io_uring-export.md), for liburing versions that do not
 * know the opcode yet. Header only. The opcode and its argument carry
 * their own names here, so that a liburing that defines them does not
 * clash.
 */
#ifndef BUF_EXPORT_H
#define BUF_EXPORT_H

#include <errno.h>
#include <linux/types.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <liburing.h>

#define IOU_REGISTER_EXPORT_BUFFER	38
/* IORING_BUF_EXPORT_RDONLY: an O_RDONLY dma-buf, for importers that read */
#define IOU_BUF_EXPORT_RDONLY		(1U << 0)

/* struct io_uring_buf_export of <linux/io_uring.h> */
struct iou_buf_export {
	__u32	buf_index;
	__u32	flags;
	__u64	offset;
	__u64	len;
	__u64	resv[3];
};

/*
 * Export bytes [offset, offset + len) of registered buffer @index of
 * @ring as a dma-buf (len 0: to the end of the buffer; page boundaries);
 * @flags 0 for a read-write dma-buf, IOU_BUF_EXPORT_RDONLY for a
 * read-only one (importers that write are refused with EACCES).
 * Return: a new O_CLOEXEC dma-buf fd, or -errno (see
 * docs/io_uring-export.md). Importers of the dma-buf are revoked when the
 * last ring lets go of the buffer.
 */
static inline int io_uring_register_buffer_export(struct io_uring *ring,
						  unsigned int index,
						  __u64 offset, __u64 len,
						  unsigned int flags)
{
	struct iou_buf_export e = {
		.buf_index = index, .flags = flags, .offset = offset, .len = len,
	};
	int ret = syscall(__NR_io_uring_register, ring->ring_fd,
			  IOU_REGISTER_EXPORT_BUFFER, &e, 1);

	return ret < 0 ? -errno : ret;
}

#endif
