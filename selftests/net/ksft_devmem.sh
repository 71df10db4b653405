#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The kernel tree's devmem TCP test (drivers/net/hw/devmem.py with ncdevmem:
# a udmabuf bound to RX queues through netlink, RX and TX) on two linked
# netdevsim devices with 4 queues each.
exec "$(dirname "$0")/ksft_net.sh" hw/devmem.py hw/ncdevmem
