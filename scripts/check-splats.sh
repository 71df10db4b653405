#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Fail (exit 1) and print the reports when a guest console log holds a
# kernel splat: WARNING, BUG, KASAN, lockdep, kmemleak, DMA-API debug,
# oops, panic, hung task, RCU stall, UBSAN.
log=$1
pat='(WARNING:|BUG:|BUG kmalloc|KASAN:|UBSAN:|Oops|Kernel panic|general protection fault'
pat+='|possible circular locking|possible recursive locking|inconsistent lock state'
pat+='|suspicious RCU usage|lock held when returning|bad unlock balance|DEBUG_LOCKS_WARN_ON'
pat+='|unreferenced object 0x|DMA-API: .*device driver|DMA-API: debugging out of memory'
pat+='|rcu_.*detected stall|blocked for more than|refcount_t:|kmemleak: unavailable'
pat+='|kmemleak: Kernel memory leak detector disabled'
pat+='|list_(add|del) corruption|Unable to handle kernel|kernel BUG at)'
if grep -qE "$pat" "$log"; then
	echo "==== kernel splat(s) in $log ====" >&2
	grep -nE -A25 "$pat" "$log" | head -n 200 >&2
	exit 1
fi
exit 0
