#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The kernel tree's io_uring zero-copy receive test (drivers/net/hw/
# iou-zcrx.py with iou-zcrx: a zcrx area on one RX queue, steered by an
# ntuple rule, alone and behind an RSS context) on two linked netdevsim
# devices with 4 queues each.
exec "$(dirname "$0")/ksft_net.sh" hw/iou-zcrx.py hw/iou-zcrx
