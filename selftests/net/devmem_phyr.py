#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""devmem bindings through phyr on netdevsim: bad input, revocation, teardown.

netdevsim has no DMA: bind-rx and bind-tx import the dma-buf as physical
ranges (a pinned phyr attachment) and the device copies with the CPU. The
upstream devmem.py covers the data paths; this covers what goes wrong:
- bind-rx/bind-tx with bad input gets the right errno (header split off,
  queue out of range or already bound, closed fd, a file that is not a
  dma-buf, an exporter without physical ranges (vgem), bad or oversized
  rx-page-size, a dma-buf with fewer net_iovs than netdevsim's largest
  frame takes (ENOBUFS: netdevsim's page_pool_params.mp_min_netmems), a
  device without netmem TX);
- a udmabuf of scattered 4K pages bound with rx-page-size 16K: a TCP
  stream lands in 16K net_iovs that span pages apart in memory, read
  back through the udmabuf's own mapping;
- a 128K udmabuf, fewer net_iovs than netdevsim's ring: binds, and a 4M
  stream through a socket whose receive buffer is below the binding
  arrives intact;
- the exporter decides: it refuses the binding (EPERM), or revokes the
  buffer while the bind attaches, before it maps (ENODEV);
- the exporter revokes an RX binding: the queue drops its provider and
  traffic to it is received into host memory again;
- the exporter revokes an RX binding and its netlink socket closes right
  after, before the revocation's work has closed the queue, many times;
- the same window held open on purpose: the revocation's queue-closing
  work waits for the netdev lock behind the unbind and a new binding of
  the queue (netdevsim's queue_start_hold holds the lock), and must
  leave the new binding's queue alone;
- the exporter revokes while bind-rx starts the queue (held by
  queue_start_hold): the bind fails with ENODEV;
- the exporter revokes a TX binding: a send that worked before gets ENODEV;
- the netlink socket is closed while traffic flows into the binding;
- an RX binding of an io_uring registered buffer exported as a dma-buf
  (IORING_REGISTER_EXPORT_BUFFER): a TCP stream lands in it and is read
  through the buffer's own mapping, the buffer is unregistered mid-stream
  (the exporter revokes), the stream goes on in host memory, nothing is
  written into the buffer after the unregister returns, its pins go, and
  binding the revoked export gets ENODEV;
- a read-only io_uring export (IORING_BUF_EXPORT_RDONLY): bind-rx, which
  writes it, gets EACCES and says why; bind-tx, which reads it, binds;
- the device is deleted, or its namespace torn down, with bindings live.
Revocable buffers come from the phyr test exporter (the dma-buf selftests'
phyr_test_mod)
and io_uring exports, the others from udmabuf. Leaks and splats are caught
by the runner's kmemleak scan and log check.
Output is KTAP.
"""

import array
import ctypes
import errno
import fcntl
import mmap
import os
import socket
import struct
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "ksft/tools/net/ynl/pyynl"))
from lib import YnlFamily, NlError  # noqa: E402

SPEC = os.path.join(HERE, "ksft/Documentation/netlink/specs/netdev.yaml")
NSIM = "/sys/bus/netdevsim"
ID_RX, ID_TX, ID_3 = 61, 62, 63
NS = "dmp-peer"
NS3 = "dmp-ns3"
ADDR_RX, ADDR_TX = "2001:db8:8::1", "2001:db8:8::2"
QUEUE = 3
PHYR_TEST = "/sys/kernel/debug/dma_buf_phyr_test"

SO_BINDTODEVICE = 25
SO_ZEROCOPY = 60
SCM_DEVMEM_LINEAR = 78
SCM_DEVMEM_DMABUF = 79
SO_DEVMEM_DONTNEED = 80
MSG_ZEROCOPY = 0x4000000
MSG_SOCK_DEVMEM = 0x2000000
NR_IO_URING_SETUP, NR_IO_URING_REGISTER = 425, 427
IORING_REGISTER_BUFFERS, IORING_UNREGISTER_BUFFERS = 0, 1
IORING_REGISTER_EXPORT_BUFFER = 38
IORING_BUF_EXPORT_RDONLY = 1
UDMABUF_CREATE = 0x40187542
F_ADD_SEALS, F_SEAL_SHRINK = 1033, 2

libc = ctypes.CDLL(None, use_errno=True)
results = []


def ktap(ok, desc, diag=None):
    results.append(bool(ok))
    if diag:
        for line in str(diag).splitlines():
            print(f"# {line}")
    print(f"{'ok' if ok else 'not ok'} {len(results)} {desc}", flush=True)


def sh(cmd, check=True):
    r = subprocess.run(cmd, shell=True, capture_output=True, text=True)
    if check and r.returncode:
        raise RuntimeError(f"{cmd}: {r.stderr.strip()}")
    return r.stdout


def udmabuf(size, fill=None, huge=False, scatter=False):
    """A udmabuf of a new memfd. @scatter: its pages are faulted in, even
    ones first, then odd ones, so that neighbouring pages of the buffer
    are unlikely to be neighbours in memory (the caller checks)."""
    flags = os.MFD_ALLOW_SEALING | (os.MFD_HUGETLB if huge else 0)
    mfd = os.memfd_create("dmp", flags)
    os.ftruncate(mfd, size)
    if fill is not None:
        with mmap.mmap(mfd, size) as m:
            m[:] = fill
    if scatter:
        with mmap.mmap(mfd, size) as m:
            m.madvise(mmap.MADV_NOHUGEPAGE)
            for first in (0, 1):
                for pg in range(first, size // 4096, 2):
                    m[pg * 4096] = 0
    fcntl.fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK)
    dev = os.open("/dev/udmabuf", os.O_RDWR)
    arg = ctypes.create_string_buffer(struct.pack("IIQQ", mfd, 0, 0, size))
    fd = libc.ioctl(dev, UDMABUF_CREATE, arg)
    err = ctypes.get_errno()
    os.close(dev)
    os.close(mfd)
    if fd < 0:
        raise OSError(err, "UDMABUF_CREATE")
    return fd


def vgem_dmabuf():
    """A dma-buf of vgem (no physical ranges), or None without vgem."""
    for card in sorted(os.listdir("/sys/class/drm")):
        dev = os.path.realpath(f"/sys/class/drm/{card}/device")
        if not card.startswith("card") or "vgem" not in dev:
            continue
        fd = os.open(f"/dev/dri/{card}", os.O_RDWR)
        dumb = ctypes.create_string_buffer(
            struct.pack("IIIIIIQ", 64, 64, 32, 0, 0, 0, 0))
        if libc.ioctl(fd, 0xC02064B2, dumb):	# DRM_IOCTL_MODE_CREATE_DUMB
            os.close(fd)
            return None
        handle = struct.unpack("IIIIIIQ", dumb.raw[:32])[4]
        prime = ctypes.create_string_buffer(
            struct.pack("IIi", handle, os.O_CLOEXEC | os.O_RDWR, -1))
        if libc.ioctl(fd, 0xC00C642D, prime):	# DRM_IOCTL_PRIME_HANDLE_TO_FD
            os.close(fd)
            return None
        return struct.unpack("IIi", prime.raw[:12])[2]
    return None


def phyr_test(cmd):
    """Send @cmd to the phyr test module; its reply."""
    dbg = os.open(PHYR_TEST, os.O_RDWR)
    try:
        os.write(dbg, cmd.encode())
        return os.pread(dbg, 256, 0).decode()
    finally:
        os.close(dbg)


def testbuf(size, fill=None, mode=""):
    """A dma-buf of the phyr test exporter, which revoke() can revoke."""
    fd = int(phyr_test(f"export {size} {mode}").split()[1])
    if fill is not None:
        with mmap.mmap(fd, size) as m:
            m[:] = fill
    return fd


def revoke(fd):
    """Revoke test exporter buffer @fd: its importers lose it for good.
    The exporter's reply: "pins N", the pins it held before."""
    return phyr_test(f"revoke {fd}").strip()


def nl_errno(fn):
    try:
        fn()
    except NlError as e:
        return -e.nl_msg.error, (e.nl_msg.extack or {}).get("msg", "")
    return 0, ""


def expect(desc, want, fn, says=None):
    """@fn fails with errno @want, its extack message containing @says."""
    got, msg = nl_errno(fn)
    ktap(got == want and (says is None or says in msg),
         f"{desc}: {errno.errorcode.get(want, want)}",
         f"got {errno.errorcode.get(got, got)} {msg}".strip())


# How many times slower than a fast machine this guest runs (measured by
# selftests/run.sh, see wait_lib.sh): every deadline below scales by it.
# A wait never takes more than a quarter of the suite's budget
# (PHYR_BUDGET), so that one that fails ends in this suite's own failure.
TIME_SCALE = int(os.environ.get("PHYR_TIME_SCALE", "1"))
WAIT_CAP = int(os.environ.get("PHYR_BUDGET", "0")) / 4 or float("inf")


def wait_for(cond, secs=20):
    """Poll @cond every 0.1 s for @secs (scaled, capped) at most; its last
    value."""
    end = time.monotonic() + min(secs * TIME_SCALE, WAIT_CAP)
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.1)
    return cond()


def netdev_of(nsim_id):
    d = f"{NSIM}/devices/netdevsim{nsim_id}/net"
    if wait_for(lambda: os.path.isdir(d) and os.listdir(d), 10):
        return os.listdir(d)[0]
    raise RuntimeError(f"netdevsim{nsim_id} has no netdev")


def setns(name):
    fd = os.open(f"/run/netns/{name}", os.O_RDONLY)
    if libc.setns(fd, 0):
        raise OSError(ctypes.get_errno(), f"setns {name}")
    os.close(fd)


def peer_send(port, data_len, bind_port=None):
    """Send @data_len bytes of 'x' from the peer namespace; returns Popen."""
    src = f",bind=[{ADDR_TX}]:{bind_port}" if bind_port else ""
    return subprocess.Popen(
        f"ip netns exec {NS} bash -c 'head -c {data_len} /dev/zero | "
        f"tr \"\\\\0\" x | socat -u - TCP6:[{ADDR_RX}]:{port}{src}'",
        shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def plain_receive(port, want, secs=60):
    """Accept one connection on @port and read @want bytes from it."""
    ls = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((ADDR_RX, port))
    ls.listen(1)
    ls.settimeout(secs)
    sender = peer_send(port, want)
    got = b""
    try:
        c, _ = ls.accept()
        c.settimeout(secs)
        while len(got) < want:
            b = c.recv(65536)
            if not b:
                break
            got += b
        c.close()
    except OSError as e:
        return f"{e}"
    finally:
        ls.close()
        sender.wait(secs)
    return got


def queue(ynl, idx, qid):
    return ynl.do("queue-get", {"ifindex": idx, "id": qid, "type": "rx"})


def main():
    print("TAP version 13")
    print("1..47")
    ynl = YnlFamily(SPEC)

    sh(f"ip netns add {NS}")
    sh(f'echo "{ID_RX} 1 4" > {NSIM}/new_device')
    sh(f'echo "{ID_TX} 1 4" > {NSIM}/new_device')
    rx, tx = netdev_of(ID_RX), netdev_of(ID_TX)
    sh(f"ip link set {tx} netns {NS}")
    irx = int(open(f"/sys/class/net/{rx}/ifindex").read())
    itx = int(sh(f"ip netns exec {NS} cat /sys/class/net/{tx}/ifindex"))
    fdrx = os.open("/proc/self/ns/net", os.O_RDONLY)
    fdtx = os.open(f"/run/netns/{NS}", os.O_RDONLY)
    with open(f"{NSIM}/link_device", "w") as f:
        f.write(f"{fdrx}:{irx} {fdtx}:{itx}")
    os.close(fdrx)
    os.close(fdtx)
    sh(f"ip -6 addr add {ADDR_RX}/64 dev {rx} nodad && ip link set {rx} up")
    sh(f"ip -n {NS} -6 addr add {ADDR_TX}/64 dev {tx} nodad && "
       f"ip -n {NS} link set lo up && ip -n {NS} link set {tx} up")
    sh(f"ip netns exec {NS} ping -6 -c 1 -W 5 {ADDR_RX}")
    q = [{"id": QUEUE, "type": "rx"}]

    def bind_rx(fd, queues=q, **kw):
        a = {"ifindex": irx, "fd": fd, "queues": queues}
        a.update(kw)
        return ynl.do("bind-rx", a)

    buf = testbuf(4 << 20)
    expect("bind-rx with tcp-data-split off", errno.EINVAL,
           lambda: bind_rx(buf))
    sh(f"ethtool -G {rx} tcp-data-split on")
    sh(f"ethtool -X {rx} equal {QUEUE}")

    expect("bind-rx to queue 7 of 4", errno.EINVAL,
           lambda: bind_rx(buf, [{"id": 7, "type": "rx"}]))
    closed = os.dup(buf)
    os.close(closed)
    expect("bind-rx of a closed fd", errno.EBADF, lambda: bind_rx(closed))
    memfd = os.memfd_create("notdmabuf")
    os.ftruncate(memfd, 1 << 20)
    expect("bind-rx of a memfd (not a dma-buf)", errno.EINVAL,
           lambda: bind_rx(memfd))
    os.close(memfd)
    vg = vgem_dmabuf()
    if vg is None:
        ktap(False, "bind-rx of a vgem dma-buf: EOPNOTSUPP", "no vgem device")
    else:
        expect("bind-rx of a vgem dma-buf (no physical ranges)",
               errno.EOPNOTSUPP, lambda: bind_rx(vg))
        os.close(vg)
    expect("bind-rx with rx-page-size 12288 (not a power of 2)",
           errno.EINVAL, lambda: bind_rx(buf, **{"rx-page-size": 12288}))
    # 2M huge pages: the ranges are aligned to 128K, netdevsim refuses it
    hbuf = udmabuf(2 << 20, huge=True)
    expect("bind-rx with rx-page-size 128K (above netdevsim's 64K)",
           errno.EINVAL, lambda: bind_rx(hbuf, **{"rx-page-size": 128 << 10}))
    os.close(hbuf)
    small = udmabuf(8 << 10)
    expect("bind-rx of 8K with rx-page-size 16K", errno.EINVAL,
           lambda: bind_rx(small, **{"rx-page-size": 16 << 10}))
    expect("bind-rx of 8K: fewer net_iovs than netdevsim's largest frame",
           errno.ENOBUFS, lambda: bind_rx(small))
    os.close(small)
    fragmented_rx(ynl, rx, irx)
    small_rx(ynl, rx, irx)
    refused = testbuf(4 << 20, mode="refuse")
    expect("bind-rx of a buffer whose exporter refuses it", errno.EPERM,
           lambda: bind_rx(refused))
    os.close(refused)
    early = testbuf(4 << 20, mode="revoke-on-attach")
    expect("bind-rx of a buffer revoked while the bind attaches",
           errno.ENODEV, lambda: bind_rx(early))
    os.close(early)
    # The exporter forbids struct pages, as for P2P MMIO: the CPU copies
    # into the binding need them.
    nopage = testbuf(4 << 20, mode="nopage")
    expect("bind-rx of a buffer whose exporter forbids struct pages",
           errno.EOPNOTSUPP, lambda: bind_rx(nopage))
    state = phyr_test(f"status {nopage}").strip()
    ktap(state.startswith("pins 0 "),
         "the refused bind leaves no pin at the exporter", state)
    os.close(nopage)
    ktap("dmabuf" not in queue(ynl, irx, QUEUE),
         "failed binds leave queue 3 without a provider")

    # A binding, then a second one on the same queue.
    r = bind_rx(buf)
    ktap(queue(ynl, irx, QUEUE).get("dmabuf") == r["id"],
         f"bind-rx of 4M to queue {QUEUE}: dmabuf {r['id']}")
    buf2 = udmabuf(4 << 20)
    expect("bind-rx to a queue that has a provider", errno.EEXIST,
           lambda: bind_rx(buf2))

    # Revocation of the RX binding by the exporter.
    revoke(buf)
    ktap(wait_for(lambda: "dmabuf" not in queue(ynl, irx, QUEUE)),
         "revoked RX binding: queue 3 drops its provider")
    pools = [p for p in ynl.dump("page-pool-get", {})
             if p.get("dmabuf") == r["id"] and "detach-time" not in p]
    ktap(not pools, "revoked RX binding: no live page pool uses it",
         f"pools: {pools}" if pools else None)
    sh(f"ethtool -N {rx} flow-type tcp6 dst-port 7001 action {QUEUE}")
    got = plain_receive(7001, 256 << 10)
    ktap(got == b"x" * (256 << 10),
         "after revocation, a flow steered to queue 3 reaches recv() intact",
         None if isinstance(got, bytes) else got)
    # through its own socket, to unbind it by closing that
    ynl2 = YnlFamily(SPEC)
    r2 = ynl2.do("bind-rx", {"ifindex": irx, "fd": buf2, "queues": q})
    ktap(queue(ynl, irx, QUEUE).get("dmabuf") == r2["id"],
         "queue 3 takes a new binding after the revocation")
    ynl2.sock.close()
    wait_for(lambda: "dmabuf" not in queue(ynl, irx, QUEUE))
    ok, diag = revoke_work_after_rebind(irx)
    ktap(ok, "revocation work held behind the unbind and a new binding of "
         "queue 3: the new binding keeps the queue", diag)
    ktap(revoke_then_unbind(irx, 10),
         "revoke, then the socket closes at once, 10 times: the queue ends "
         "without a provider (and nothing closes it twice)")
    ok, diag = revoke_during_bind(irx)
    ktap(ok, "revoked while bind-rx starts the queue: the bind fails with "
         "ENODEV, the queue keeps no provider", diag)

    # TX: a send through a phyr binding, then its revocation.
    pattern = bytes((i * 7 + 3) & 0xff for i in range(1 << 16))
    txbuf = testbuf(1 << 16, pattern)
    t = ynl.do("bind-tx", {"ifindex": irx, "fd": txbuf})
    ktap("id" in t, f"bind-tx on netdevsim: dmabuf {t.get('id')}")
    ok, diag = tx_send_and_revoke(rx, t["id"], txbuf, pattern)
    ktap(ok[0], "devmem TX through phyr: peer receives the dma-buf's bytes",
         diag[0])
    ktap(ok[1], "revoked TX binding: sendmsg gets ENODEV", diag[1])

    veth_rx, veth_tx = veth_bind(ynl)
    ktap(veth_rx == errno.EOPNOTSUPP, "bind-rx on veth (a queue that cannot "
         "take a provider): EOPNOTSUPP",
         f"got {errno.errorcode.get(veth_rx, veth_rx)}")
    ktap(veth_tx == errno.EOPNOTSUPP, "bind-tx on veth (no netmem TX): "
         "EOPNOTSUPP", f"got {errno.errorcode.get(veth_tx, veth_tx)}")

    # Close the binding's socket while traffic flows into it.
    ktap(unbind_under_traffic(rx, irx),
         "netlink socket closed while a flow fills the binding: "
         "queue 3 drops the provider")
    got = plain_receive(7001, 256 << 10)
    ktap(got == b"x" * (256 << 10),
         "after the unbind, queue 3 receives into host memory again",
         None if isinstance(got, bytes) else got)

    # An io_uring registered buffer, exported, bound, unregistered mid-flow.
    iou_devmem_rx(ynl, rx, irx)
    iou_read_only(irx)

    # Teardown with bindings live.
    ktap(teardown_device_bound(), "device deleted with an RX and a TX "
         "binding live, then the binding's owner exits")
    ktap(teardown_netns_bound(), "namespace of a bound device torn down "
         "after the binding's owner exits")
    os.close(buf)
    os.close(buf2)
    os.close(txbuf)

    fails = results.count(False)
    print(f"# Totals: pass:{len(results) - fails} fail:{fails} xfail:0 "
          f"xpass:0 skip:0 error:0")
    return 1 if fails else 0


def revoke_then_unbind(irx, rounds):
    """Bind queue 3 through a socket of its own, revoke, close the socket
    right away: unbind runs while the revocation's queue-closing work may
    still be pending. The queue must end without a provider each time; a
    second close of the queue would WARN (the console check)."""
    ynl = YnlFamily(SPEC)
    q = [{"id": QUEUE, "type": "rx"}]
    for i in range(rounds):
        fd = testbuf(4 << 20)
        ynl2 = YnlFamily(SPEC)
        try:
            ynl2.do("bind-rx", {"ifindex": irx, "fd": fd, "queues": q})
        except NlError as e:
            print(f"# round {i}: bind-rx: {e}")
            return False
        # the binding held the exporter's one pin: the revoke reached it
        pins = revoke(fd)
        ynl2.sock.close()
        os.close(fd)
        if pins != "pins 1":
            print(f"# round {i}: revoke: {pins!r}, expected 'pins 1'")
            return False
        if not wait_for(lambda: "dmabuf" not in queue(ynl, irx, QUEUE)):
            return False
    return True


def task_states(pids=None):
    """(tid, state, kernel stack) of the threads of @pids (every process
    when None; the kernel workers when "kworker": a scan of every task
    takes seconds on a slow guest)."""
    if pids is None or pids == "kworker":
        procs = [p for p in os.listdir("/proc") if p.isdigit()]
    else:
        procs = [str(p) for p in pids]
    for pid in procs:
        try:
            if pids == "kworker":
                with open(f"/proc/{pid}/comm") as f:
                    if not f.read().startswith("kworker"):
                        continue
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tasks:
            try:
                with open(f"/proc/{pid}/task/{tid}/stat") as f:
                    state = f.read().rsplit(")", 1)[1].split()[0]
                with open(f"/proc/{pid}/task/{tid}/stack") as f:
                    stack = f.read()
            except (OSError, IndexError):
                continue
            yield int(tid), state, stack


def tasks_in(fn, lock=True, below=None, pids=None):
    """Thread ids of the tasks (of task_states(@pids)) whose kernel stack
    has function @fn (or a clone of it); with @lock, only those asleep
    (state D) right in it: /proc/PID/stack leaves out the scheduler's and
    the sleeping locks' own functions (__sched), so the top frame of a
    task asleep on a mutex is the function that called mutex_lock().
    @below: a function that must be further down the stack."""
    tids = []
    for tid, state, stack in task_states(pids):
        top = stack.split("\n", 1)[0] if lock else stack
        if not any(w in top for w in (f" {fn}+", f" {fn}.")):
            continue
        if lock and state != "D":
            continue
        if below and f" {below}+" not in stack:
            continue
        tids.append(tid)
    return tids


def asleep_stacks():
    """The top frames of every task asleep (state D) in the kernel."""
    out = []
    for tid, state, stack in task_states():
        if state != "D":
            continue
        frames = [ln.split()[-1] for ln in stack.split("\n") if ln.strip()]
        out.append(f"task {tid} asleep in: {' < '.join(frames[:6])}")
    return out


def phyr_importers(fd):
    """The phyr importer lines of dma-buf @fd in the dma-buf bufinfo."""
    ino = os.fstat(fd).st_ino
    with open("/sys/kernel/debug/dma_buf/bufinfo") as f:
        lines = f.read().split("\n")
    found, out = False, []
    for line in lines:
        cols = line.split("\t")
        if len(cols) == 7 and cols[5].isdigit():
            found = int(cols[5]) == ino
        elif found and line.startswith("\t") and \
                "Phyr importers" not in line and \
                "Attached Devices" not in line:
            out.append(line.strip())
    return out


def revoke_work_after_rebind(irx):
    """The window of revoke_then_unbind(), opened on purpose. A restart of
    queue 0 is held with the netdev instance lock (netdevsim's
    queue_start_hold); behind it line up, each seen asleep on a mutex in
    its kernel stack before the next starts: the unbind of a binding of
    queue 3 (its socket closes), a bind-rx of a new buffer to queue 3, and
    the queue-closing work of the first binding's revocation (each asleep
    in the function that takes the lock). Released,
    the lock is handed to them in that order, so the work runs last, with
    the queue now the new binding's. It must close nothing: the old
    binding goes (its attachment leaves the buffer) and the new one keeps
    the queue. An unbind that does not forget its queues makes the work
    close queue 3 again through the unbound binding: an oops that the
    console check catches (and the case does not end).
    Returns (ok, diagnostic)."""
    port = f"/sys/kernel/debug/netdevsim/netdevsim{ID_RX}/ports/0"
    hold = f"{port}/queue_start_hold"
    if not os.path.exists(hold):
        return False, "no queue_start_hold: netdevsim without patch 0079"
    q = [{"id": QUEUE, "type": "rx"}]
    ynl = YnlFamily(SPEC)
    old, new = testbuf(4 << 20), testbuf(4 << 20)
    ynl_old, ynl_new = YnlFamily(SPEC), YnlFamily(SPEC)
    res, steps = {}, []
    lined = done = False
    me = os.getpid()

    def write(path, val):
        with open(path, "w") as f:
            f.write(val)

    def holding():
        with open(hold) as f:
            return f.read().strip() == "2"

    def bind_new():
        try:
            res["id"] = ynl_new.do("bind-rx", {"ifindex": irx, "fd": new,
                                              "queues": q})["id"]
        except NlError as e:
            res["err"] = str(e)

    def lined_up(what, cond):
        # well within netdevsim's 30 s limit on a hold
        ok = bool(wait_for(cond, min(20, 2 * TIME_SCALE) / TIME_SCALE))
        steps.append(f"{what}: {'waits' if ok else 'not seen'}")
        if not ok:
            steps.extend(asleep_stacks())
        return ok

    closer = threading.Thread(target=ynl_old.sock.close)
    binder = threading.Thread(target=bind_new)
    holder = threading.Thread(target=write,
                              args=(f"{port}/queue_reset", "0 0"))
    try:
        ynl_old.do("bind-rx", {"ifindex": irx, "fd": old, "queues": q})
        write(hold, "1")
        holder.start()
        lined = lined_up("queue 0 restart held", holding)
        if lined:
            closer.start()
            lined = lined_up("unbind", lambda: tasks_in(
                "netdev_nl_sock_priv_destroy", pids=[me]))
        if lined:
            binder.start()
            # netdev_get_by_index_lock() takes the lock in a helper
            lined = lined_up("bind-rx", lambda: tasks_in(
                "netdev_put_lock", below="netdev_nl_bind_rx_doit",
                pids=[me]) or
                tasks_in("netdev_get_by_index_lock",
                         below="netdev_nl_bind_rx_doit", pids=[me]))
        if lined:
            steps.append(f"revoke: {revoke(old)}")
            lined = lined_up("revocation work", lambda: tasks_in(
                "net_devmem_phyr_revoked", pids="kworker"))
        if lined and not holding():
            steps.append("the hold ended before the line-up")
            lined = False
    except (OSError, NlError) as e:
        steps.append(f"error: {e}")
        lined = False
    finally:
        write(hold, "0")
        for t in (holder, closer, binder):
            if t.ident:
                t.join()
        if not closer.ident:
            ynl_old.sock.close()
    if lined:
        # the work has run when the unbound binding is gone
        done = wait_for(lambda: not phyr_importers(old))
        steps.append(f"old binding gone: {done}")
    if done:
        cur = queue(ynl, irx, QUEUE).get("dmabuf")
        steps.append(f"new binding {res.get('id', res.get('err'))}, "
                     f"queue 3 provider {cur}")
        done = "id" in res and cur == res["id"]
    ynl_new.sock.close()
    wait_for(lambda: "dmabuf" not in queue(ynl, irx, QUEUE))
    ynl.sock.close()
    os.close(old)
    os.close(new)
    return lined and done, "\n".join(steps)


def revoke_during_bind(irx):
    """The exporter revokes while bind-rx starts the queue: the bind has
    imported the buffer and waits in the queue's start (held by
    netdevsim's queue_start_hold, with the netdev instance lock), the
    revocation completes and its work waits for the lock. Released, the
    bind must fail with ENODEV, not report a binding that the work then
    takes away, and the queue must be left without a provider.
    Returns (ok, diagnostic)."""
    port = f"/sys/kernel/debug/netdevsim/netdevsim{ID_RX}/ports/0"
    hold = f"{port}/queue_start_hold"
    q = [{"id": QUEUE, "type": "rx"}]
    ynl, ynlb = YnlFamily(SPEC), YnlFamily(SPEC)
    fd = testbuf(4 << 20)
    res, steps = {}, []

    def bind():
        try:
            res["id"] = ynlb.do("bind-rx", {"ifindex": irx, "fd": fd,
                                           "queues": q})["id"]
        except NlError as e:
            res["err"] = e.nl_msg.error

    def holding():
        with open(hold) as f:
            return f.read().strip() == "2"

    binder = threading.Thread(target=bind)
    lined = False
    try:
        with open(hold, "w") as f:
            f.write("1")
        binder.start()
        lined = bool(wait_for(holding))
        steps.append(f"bind-rx held in the queue start: {lined}")
        imp = phyr_importers(fd)
        steps.append(f"importers: {imp}")
        if lined and imp:
            pins = revoke(fd)
            steps.append(f"revoke: {pins}")
            lined = pins == "pins 1" and holding()
    finally:
        with open(hold, "w") as f:
            f.write("0")
        if binder.ident:
            binder.join()
    steps.append(f"bind-rx: {res}")
    empty = wait_for(lambda: "dmabuf" not in queue(ynl, irx, QUEUE))
    gone = wait_for(lambda: not phyr_importers(fd))
    steps.append(f"queue without provider: {bool(empty)}, "
                 f"attachment gone: {bool(gone)}")
    ynlb.sock.close()
    ynl.sock.close()
    os.close(fd)
    return (lined and res.get("err") == -errno.ENODEV and bool(empty) and
            bool(gone)), "\n".join(steps)


def tx_send_and_revoke(ifname, dmabuf_id, txbuf, pattern):
    """sendmsg() from the TX binding: data first, then ENODEV after revoke."""
    ok, diag = [False, False], [None, None]
    port = 7002
    recv = subprocess.Popen(
        f"ip netns exec {NS} socat -u TCP6-LISTEN:{port},reuseaddr -",
        shell=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    s = None
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, SO_BINDTODEVICE, ifname.encode())
        s.setsockopt(socket.SOL_SOCKET, SO_ZEROCOPY, 1)
        wait_for(lambda: s.connect_ex((ADDR_TX, port)) == 0, 10)
        first = devmem_sendmsg(s, dmabuf_id, 0, len(pattern))
        if first < 0:
            diag[0] = f"sendmsg: {errno.errorcode.get(-first, first)}"
        # Revoke once the peer has acknowledged everything: frames still
        # in flight would be dropped, and retransmitted, forever.
        outq = ctypes.c_int(-1)
        wait_for(lambda: libc.ioctl(s.fileno(), 0x5411,	# SIOCOUTQ
                                    ctypes.byref(outq)) == 0 and
                 outq.value == 0, 60)
        revoke(txbuf)
        second = devmem_sendmsg(s, dmabuf_id, 0, 4096)
        ok[1] = second == -errno.ENODEV
        diag[1] = f"sendmsg after revoke: {second}"
        s.close()
        s = None
        out, err = recv.communicate(timeout=120)
        ok[0] = first == len(pattern) and out == pattern
        if not ok[0] and first >= 0:
            diag[0] = f"sent {first}, peer got {len(out)} bytes, " \
                      f"match {out == pattern} {err.decode().strip()}"
    except Exception as e:  # pylint: disable=broad-except
        diag[0] = diag[0] or f"{e}"
    finally:
        if s:
            s.close()
        recv.kill()
    return ok, diag


class Iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]


class Msghdr(ctypes.Structure):
    _fields_ = [("name", ctypes.c_void_p), ("namelen", ctypes.c_uint32),
                ("iov", ctypes.POINTER(Iovec)), ("iovlen", ctypes.c_size_t),
                ("control", ctypes.c_void_p), ("controllen", ctypes.c_size_t),
                ("flags", ctypes.c_int)]


def devmem_sendmsg(sock, dmabuf_id, off, length):
    """One sendmsg() of @length bytes at @off of TX binding @dmabuf_id."""
    iov = Iovec(off, length)
    cmsg = struct.pack("QiiI", 20, socket.SOL_SOCKET, SCM_DEVMEM_DMABUF,
                       dmabuf_id) + b"\0" * 4
    ctl = ctypes.create_string_buffer(cmsg)
    msg = Msghdr(None, 0, ctypes.pointer(iov), 1,
                 ctypes.cast(ctl, ctypes.c_void_p), len(cmsg), 0)
    ret = libc.sendmsg(sock.fileno(), ctypes.byref(msg), MSG_ZEROCOPY)
    return ret if ret >= 0 else -ctypes.get_errno()


def veth_bind(ynl):
    """bind-rx and bind-tx on a veth, a device without queue management."""
    sh("ip link add dmp-veth0 type veth peer name dmp-veth1")
    try:
        idx = int(open("/sys/class/net/dmp-veth0/ifindex").read())
        fd = udmabuf(1 << 20)
        rx, _ = nl_errno(lambda: ynl.do("bind-rx", {
            "ifindex": idx, "fd": fd, "queues": [{"id": 0, "type": "rx"}]}))
        tx, _ = nl_errno(lambda: ynl.do("bind-tx", {"ifindex": idx,
                                                    "fd": fd}))
        os.close(fd)
        return rx, tx
    finally:
        sh("ip link del dmp-veth0", check=False)


def run_binder(ns, ifname, queues, hold_secs, tx=False):
    """A child that binds a fresh udmabuf (and a TX one) in @ns, prints
    "bound", holds the bindings for @hold_secs, and exits."""
    code = f"""
import os, sys, time
sys.path.insert(0, {os.path.join(HERE, "ksft/tools/net/ynl/pyynl")!r})
sys.path.insert(0, {HERE!r})
from lib import YnlFamily
import devmem_phyr as d
ynl = YnlFamily(d.SPEC)
idx = int(open("/sys/class/net/{ifname}/ifindex").read())
fd = d.udmabuf(4 << 20)
ynl.do("bind-rx", {{"ifindex": idx, "fd": fd,
       "queues": [{{"id": q, "type": "rx"}} for q in {queues!r}]}})
if {tx!r}:
    ynl.do("bind-tx", {{"ifindex": idx, "fd": d.udmabuf(1 << 16)}})
print("bound", flush=True)
time.sleep({hold_secs})
"""
    pre = ["ip", "netns", "exec", ns] if ns else []
    return subprocess.Popen(pre + ["python3", "-c", code],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def unbind_under_traffic(rx, irx):
    """Bind queue 3 from a child, send a long flow into it, kill the child
    (its netlink socket closes: unbind) mid-flow."""
    ynl = YnlFamily(SPEC)
    child = run_binder(None, rx, [QUEUE], 600)
    if child.stdout.readline().strip() != "bound":
        print(f"# binder: {child.stderr.read()}")
        child.kill()
        return False
    ls = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((ADDR_RX, 7003))
    ls.listen(1)
    sh(f"ethtool -N {rx} flow-type tcp6 dst-port 7003 action {QUEUE}")
    sender = peer_send(7003, 64 << 20)
    ls.settimeout(60)
    c, _ = ls.accept()
    time.sleep(2)		# frames land in the binding's net_iovs
    child.kill()
    child.wait()
    gone = wait_for(lambda: "dmabuf" not in queue(ynl, irx, QUEUE))
    c.close()
    ls.close()
    sender.kill()
    sender.wait()
    return gone


# io_uring through the raw syscalls (the guest's Python has no binding).
libc.syscall.restype = ctypes.c_long


def syscall(nr, *args):
    ret = libc.syscall(ctypes.c_long(nr), *args)
    return ret if ret >= 0 else -ctypes.get_errno()


def iou_ring():
    """A new ring of 4 entries: its fd, or -errno."""
    params = ctypes.create_string_buffer(120)	# struct io_uring_params
    return syscall(NR_IO_URING_SETUP, ctypes.c_uint(4), params)


def iou_reg(ring, op, arg, nr):
    return syscall(NR_IO_URING_REGISTER, ctypes.c_int(ring), ctypes.c_uint(op),
                   arg, ctypes.c_uint(nr))


def iou_register(ring, addr, size):
    """[addr, addr + size) as the ring's only registered buffer."""
    iov = Iovec(addr, size)
    return iou_reg(ring, IORING_REGISTER_BUFFERS, ctypes.byref(iov), 1)


def iou_export(ring, idx, off, length, flags=0):
    """IORING_REGISTER_EXPORT_BUFFER: the dma-buf fd, or -errno."""
    arg = ctypes.create_string_buffer(    # struct io_uring_buf_export
        struct.pack("IIQQ3Q", idx, flags, off, length, 0, 0, 0))
    return iou_reg(ring, IORING_REGISTER_EXPORT_BUFFER, arg, 1)


def iou_read_only(irx):
    """A read-only export (IORING_BUF_EXPORT_RDONLY) of a 4M io_uring
    buffer: bind-rx, which writes the buffer, is refused with EACCES and
    says why; bind-tx, which only reads it, binds."""
    size = 4 << 20
    mem = mmap.mmap(-1, size)
    cbuf = (ctypes.c_char * size).from_buffer(mem)
    ring = iou_ring()
    if ring < 0:
        raise OSError(-ring, "io_uring_setup")
    err = iou_register(ring, ctypes.addressof(cbuf), size)
    fd = iou_export(ring, 0, 0, 0, IORING_BUF_EXPORT_RDONLY)
    if err or fd < 0:
        raise OSError(-(err or fd), f"register {err}, export {fd}")
    ynlb = YnlFamily(SPEC)	# its own socket: closing it unbinds
    try:
        got, msg = nl_errno(lambda: ynlb.do(
            "bind-rx", {"ifindex": irx, "fd": fd,
                        "queues": [{"id": QUEUE, "type": "rx"}]}))
        ktap(got == errno.EACCES and "read-only" in msg,
             "bind-rx of a read-only io_uring export: EACCES",
             f"got {errno.errorcode.get(got, got)} {msg}".strip())
        got, msg = nl_errno(lambda: ynlb.do("bind-tx",
                                            {"ifindex": irx, "fd": fd}))
        ktap(got == 0, "bind-tx of a read-only io_uring export",
             f"got {errno.errorcode.get(got, got)} {msg}".strip())
    finally:
        ynlb.sock.close()
        os.close(fd)
        os.close(ring)
        del cbuf
        mem.close()


def pin_counts():
    """FOLL_PIN references (acquired, released) since boot, system-wide."""
    with open("/proc/sys/vm/stat_refresh", "w") as f:
        f.write("1")
    v = dict(line.split() for line in open("/proc/vmstat"))
    return int(v["nr_foll_pin_acquired"]), int(v["nr_foll_pin_released"])


def pins_held():
    """FOLL_PIN references taken and not released, system-wide."""
    acquired, released = pin_counts()
    return acquired - released


def pins_settled():
    """The least of a few samples (9p pins pages for its own I/O for a
    moment), once the count has held still for 0.3 s: the buffers of
    earlier cases are unpinned when the last reference to them goes,
    which a binding's deferred teardown drops some time after its
    socket closed (a 4 MiB udmabuf released between two samples made
    a registration look as if it pinned nothing)."""
    end = time.monotonic() + min(10 * TIME_SCALE, WAIT_CAP)
    while True:
        least = None
        for _ in range(5):
            p = pins_held()
            least = p if least is None else min(least, p)
            time.sleep(0.06)
        if least == min(pins_held() for _ in range(3)) or \
                time.monotonic() > end:
            return least


def stream_pattern(n):
    """The first @n bytes (a multiple of 8) of the test stream: every
    8-byte word is its own index, so no byte fits anywhere else."""
    return array.array("Q", range(n // 8)).tobytes()


def listen_on(port, rcvbuf=None):
    """A TCP listener on ADDR_RX:@port, accepting within 60 s; @rcvbuf, if
    given, is the receive buffer of the sockets it accepts."""
    ls = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if rcvbuf:
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    ls.bind((ADDR_RX, port))
    ls.listen(1)
    ls.settimeout(60)
    return ls


def reap(sender, errors):
    """Wait for a peer_send_pattern() sender (killed after 60 s); its
    failure goes to @errors."""
    try:
        sender.wait(60)
    except subprocess.TimeoutExpired:
        sender.kill()
        sender.wait()
    if sender.returncode:
        errors.append(f"sender: {sender.returncode} "
                      f"{sender.stderr.read().decode().strip()}")


def peer_send_pattern(port, n):
    """Send stream_pattern(@n) from the peer namespace; returns Popen."""
    code = f"""
import array, socket
d = array.array("Q", range({n} // 8)).tobytes()
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.settimeout(120)
s.connect(({ADDR_RX!r}, {port}))
s.sendall(d)
s.shutdown(socket.SHUT_WR)
s.recv(1)
"""
    return subprocess.Popen(["ip", "netns", "exec", NS, "python3", "-c", code],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def devmem_dontneed(sock, tokens):
    """Give frags back, 128 tokens a call: how many the kernel freed."""
    freed = 0
    for i in range(0, len(tokens), 128):
        part = tokens[i:i + 128]
        arg = ctypes.create_string_buffer(
            b"".join(struct.pack("II", t, 1) for t in part))
        n = libc.setsockopt(sock.fileno(), socket.SOL_SOCKET,
                            SO_DEVMEM_DONTNEED, arg, 8 * len(part))
        if n < 0:
            raise OSError(ctypes.get_errno(), "SO_DEVMEM_DONTNEED")
        freed += n
    return freed


class DevmemStream:
    """Read a stream_pattern() stream with recvmsg(MSG_SOCK_DEVMEM): dmabuf
    frags are read from @mem (the buffer's user mapping) at @base plus
    their offset in dma-buf @dmabuf_id of @length bytes, everything else
    from the iov; every byte is checked against the pattern and every
    frag's token given back after its call. @at_cut(self), if given, runs
    once after the call that takes the stream past @cut bytes, with the
    tokens of that call still held (in self.held)."""

    def __init__(self, mem, base, length, dmabuf_id, pattern):
        self.mem, self.base, self.length = mem, base, length
        self.dmabuf_id, self.pattern = dmabuf_id, pattern
        self.off = 0			# stream bytes read
        self.dmabuf = 0			# of which in dmabuf frags
        self.host = 0			# in host memory (iov, no cmsg)
        self.linear = 0			# linear parts of devmem skbs (iov)
        self.cut = None			# stream offset of at_cut
        self.dmabuf_after = 0		# dmabuf frag bytes after the cut
        self.after_frags = 0		# and frags
        self.last_dmabuf_end = 0	# stream offset after the last frag
        self.tokens = self.freed = 0
        self.held = []
        self.errors = []
        self.errors_at_cut = None	# how many there were at the cut
        self.calls = 0			# recvmsg() calls
        self.host_at_cut = None		# host memory bytes at the cut
        self.t_cut = self.t_end = None
        self.max_frag = 0		# largest dmabuf frag

    def check(self, chunk, where):
        if chunk != self.pattern[self.off:self.off + len(chunk)] and \
           len(self.errors) < 5:
            self.errors.append(f"bytes {self.off}+{len(chunk)} ({where}) "
                               "do not match the stream")
        self.off += len(chunk)

    def run(self, sock, total, cut=None, at_cut=None):
        while self.off < total:
            try:
                data, anc, flags, _ = sock.recvmsg(1 << 20, 40 * 600,
                                                   MSG_SOCK_DEVMEM)
            except OSError as e:
                self.errors.append(f"recvmsg at {self.off}: {e}")
                return
            if not data and not anc:
                self.errors.append(f"EOF at {self.off} of {total}")
                return
            self.calls += 1
            if flags & socket.MSG_CTRUNC:
                self.errors.append(f"cmsgs truncated at {self.off}")
            # A call returns either host memory (in the iov, no cmsg) or
            # devmem skbs: their linear parts in the iov, their frags as
            # cmsgs; its length counts both.
            pos, frags, tokens = 0, 0, []
            for level, typ, cd in anc:
                if level != socket.SOL_SOCKET or \
                   typ not in (SCM_DEVMEM_LINEAR, SCM_DEVMEM_DMABUF):
                    self.errors.append(f"unexpected cmsg {level}/{typ}")
                    continue
                foff, fsize, ftok, did, _ = struct.unpack("QIIII", cd[:24])
                if typ == SCM_DEVMEM_LINEAR:
                    self.linear += fsize
                    self.check(data[pos:pos + fsize], "linear")
                    pos += fsize
                    continue
                frags += fsize
                if did != self.dmabuf_id or foff + fsize > self.length:
                    self.errors.append(f"frag {foff}+{fsize} of dmabuf "
                                       f"{did}: outside the binding")
                    self.off += fsize
                    continue
                tokens.append(ftok)
                self.dmabuf += fsize
                self.max_frag = max(self.max_frag, fsize)
                if self.cut is not None:
                    self.dmabuf_after += fsize
                    self.after_frags += 1
                at = self.base + foff
                self.check(self.mem[at:at + fsize], f"frag at {foff}")
                self.last_dmabuf_end = self.off
            if not anc:
                self.host += len(data)
                self.check(data, "host memory")
            elif pos + frags != len(data):
                self.errors.append(f"recvmsg returned {len(data)}, the "
                                   f"cmsgs cover {pos + frags}")
            self.tokens += len(tokens)
            if at_cut and self.cut is None and self.off >= cut:
                self.cut = self.off
                self.t_cut = time.monotonic()
                self.errors_at_cut = len(self.errors)
                self.host_at_cut = self.host
                self.held = tokens
                at_cut(self)
            else:
                self.freed += devmem_dontneed(sock, tokens)
        self.t_end = time.monotonic()


def binding_rx(ynl, rx, irx, fd, size, niov, port, total, what, nr=None,
               rcvbuf=None):
    """Bind queue 3 to dma-buf @fd (@size bytes) with rx-page-size @niov,
    receive a stream of @total bytes (more than the binding: net_iovs
    are recycled) into a socket of receive buffer @rcvbuf (None: autotuned),
    read every frag through the buffer's mapping. @what names the binding;
    @nr, if given, is its number of physical ranges, which must exceed its
    net_iovs. Two results."""
    q = [{"id": QUEUE, "type": "rx"}]
    ynlb = YnlFamily(SPEC)
    try:
        r = ynlb.do("bind-rx", {"ifindex": irx, "fd": fd, "queues": q,
                                "rx-page-size": niov})
    except NlError as e:
        ktap(False, f"bind-rx of {what}", f"{e}")
        ktap(False, f"TCP into {what}", "not bound")
        ynlb.sock.close()
        return
    ktap((nr is None or nr > size // niov) and
         queue(ynl, irx, QUEUE).get("dmabuf") == r["id"],
         f"bind-rx of {what}",
         f"{size // niov} net_iovs" +
         ("" if nr is None else f", {nr} physical ranges"))
    mem = mmap.mmap(fd, size)
    pattern = stream_pattern(total)
    sh(f"ethtool -N {rx} flow-type tcp6 dst-port {port} action {QUEUE}")
    ls = listen_on(port, rcvbuf)
    sender = peer_send_pattern(port, total)
    st = DevmemStream(mem, 0, size, r["id"], pattern)
    try:
        c, _ = ls.accept()
        c.settimeout(60)
        st.run(c, total)
        c.close()
    except OSError as e:
        st.errors.append(f"{e}")
    finally:
        ls.close()
    reap(sender, st.errors)
    ktap(st.off == total and not st.errors and st.dmabuf >= total // 2 and
         st.max_frag >= min(niov, 4096),
         f"TCP into {what}: all {total >> 20}M intact, read through the "
         "buffer's mapping",
         f"{st.dmabuf} in frags (largest {st.max_frag}), {st.host} in host "
         f"memory, {st.linear} linear, tokens {st.tokens} freed {st.freed}" +
         "".join(f"\n{e}" for e in st.errors))
    mem.close()
    ynlb.sock.close()
    wait_for(lambda: "dmabuf" not in queue(ynl, irx, QUEUE))


def fragmented_rx(ynl, rx, irx):
    """A 4M udmabuf of scattered 4K pages with rx-page-size 16K: every
    net_iov spans four pages apart in memory, which the device reaches
    page by page. 16M through it."""
    size = 4 << 20
    fd = udmabuf(size, scatter=True)
    m = phyr_test(str(fd)).split()
    nr = int(m[3]) if len(m) > 3 and m[2] == "ranges" else -1
    binding_rx(ynl, rx, irx, fd, size, 16 << 10, 7005, 16 << 20,
               "scattered 4K pages with rx-page-size 16K", nr=nr)
    os.close(fd)


def small_rx(ynl, rx, irx):
    """A 128K udmabuf, 32 net_iovs of 4K: fewer than netdevsim's ring of
    256, enough for its largest frame (16). The socket's receive buffer (64K)
    stays below the binding, so out-of-order frames cannot hold every
    net_iov while the one that fills the gap has none. 4M through it."""
    size = 128 << 10
    fd = udmabuf(size)
    binding_rx(ynl, rx, irx, fd, size, 4096, 7006, 4 << 20,
               "128K (32 net_iovs, fewer than the ring)", rcvbuf=64 << 10)
    os.close(fd)


def iou_devmem_rx(ynl, rx, irx, total=8 << 20, cut=3 << 20):
    """Bind queue 3 to 2M at 1M of a 4M io_uring registered buffer,
    exported; receive a stream of @total bytes into it, unregister the
    buffer after @cut (more frags than the binding has net_iovs: they
    are recycled), read the stream to its end in host memory."""
    size, base, length = 4 << 20, 1 << 20, 2 << 20
    port = 7004
    q = [{"id": QUEUE, "type": "rx"}]
    canary = b"\x5a" * size
    mem = mmap.mmap(-1, size)
    mem.madvise(mmap.MADV_NOHUGEPAGE)	# one pin per 4K page
    mem[:] = canary
    cbuf = (ctypes.c_char * size).from_buffer(mem)
    ring = iou_ring()
    if ring < 0:
        raise OSError(-ring, "io_uring_setup")
    pins0 = pins_settled()
    # What the registration pinned, counted by acquisitions alone: an
    # earlier case's buffer unpinned meanwhile (its binding's deferred
    # teardown) must not hide them (CI saw "0 pages pinned" that way).
    acquired0 = pin_counts()[0]
    err = iou_register(ring, ctypes.addressof(cbuf), size)
    pinned = pin_counts()[0] - acquired0
    fd = iou_export(ring, 0, base, length)
    if err or fd < 0:
        raise OSError(-(err or fd), f"register {err}, export {fd}")
    ynlb = YnlFamily(SPEC)	# the binding's own socket, closed to unbind
    r = ynlb.do("bind-rx", {"ifindex": irx, "fd": fd, "queues": q})
    ktap(queue(ynl, irx, QUEUE).get("dmabuf") == r["id"] and
         pinned >= size // 4096,
         f"bind-rx of an exported io_uring buffer ({length >> 20}M at "
         f"{base >> 20}M of {size >> 20}M): "
         f"dmabuf {r['id']}", f"{pinned} pages pinned by the registration")

    pattern = stream_pattern(total)
    sh(f"ethtool -N {rx} flow-type tcp6 dst-port {port} action {QUEUE}")
    ls = listen_on(port)
    sender = peer_send_pattern(port, total)
    st = DevmemStream(mem, base, length, r["id"], pattern)
    state = {}

    def unregister(s):
        # the frames still arrive: the sender is mid-stream
        state["err"] = iou_reg(ring, IORING_UNREGISTER_BUFFERS, None, 0)
        state["snap"] = bytes(mem[base:base + length])

    t0 = t_acc = time.monotonic()
    try:
        c, _ = ls.accept()
        t_acc = time.monotonic()
        c.settimeout(60)
        st.run(c, total, cut, unregister)
        held = len(st.held)
        held_freed = devmem_dontneed(c, st.held)
        c.close()
    except OSError as e:
        st.errors.append(f"{e}")
        held = held_freed = -1
    finally:
        ls.close()
    reap(sender, st.errors)
    before = st.dmabuf - st.dmabuf_after
    diag = (f"{st.off} bytes in {st.calls} calls; accepted at "
            f"{t_acc - t0:.1f} s, "
            f"{(st.t_cut or t0) - t0:.1f} s to the unregister, "
            f"{(st.t_end or t0) - t0:.1f} s in all: "
            f"{before} in frags before the unregister at "
            f"{st.cut}, {st.dmabuf_after} after (last ends at "
            f"{st.last_dmabuf_end}), {st.host} in host memory, {st.linear} "
            f"linear; tokens {st.tokens}, freed {st.freed} + {held_freed} "
            f"of {held} held") + "".join(f"\n{e}" for e in st.errors)
    # Before the unregister, the whole stream comes through the binding.
    ktap(st.cut is not None and before >= cut // 2 and
         st.host_at_cut == 0 and
         st.tokens - st.after_frags > length // 4096 and
         st.errors_at_cut == 0,
         "TCP into the export: the bytes of every dmabuf frag, read through "
         "the registered buffer's mapping, are the stream's (net_iovs "
         "recycled)", diag)
    gone = state.get("err") == 0 and \
        wait_for(lambda: "dmabuf" not in queue(ynl, irx, QUEUE))
    pools = [p for p in ynl.dump("page-pool-get", {})
             if p.get("dmabuf") == r["id"] and "detach-time" not in p]
    ktap(gone and not pools, "IORING_UNREGISTER_BUFFERS mid-stream revokes "
         "the binding: queue 3 drops its provider, no live page pool "
         "uses it", f"unregister: {state.get('err')}, pools: {pools}")
    # Frags after the unregister: only data the binding held already
    # (at most its 2M), the rest of the stream lands in host memory.
    ktap(st.off == total and not st.errors and st.cut is not None and
         st.last_dmabuf_end <= st.cut + length and
         st.host >= total - st.cut - length and st.freed == st.tokens - held,
         f"the stream goes on into host memory: all {total >> 20}M intact, "
         "no dmabuf frag past what the binding held at the unregister",
         diag)
    ktap(held > 0 and held_freed == held, f"{held} frags held across the "
         "unregister are given back (SO_DEVMEM_DONTNEED)",
         f"freed {held_freed}")
    outside = mem[:base] == canary[:base] and \
        mem[base + length:] == canary[base + length:]
    ktap("snap" in state and state["snap"] == mem[base:base + length] and
         outside, "nothing written into the buffer after the unregister "
         "returned, nor ever outside the exported range",
         f"outside untouched: {outside}")
    # the registration's pins, and any the binding took, are released
    # (after the importers are gone, from a work item: waited for)
    left = [None]

    def unpinned():
        left[0] = pins_settled() - pins0
        return left[0] < size // 4096 // 4
    ktap(wait_for(unpinned), f"the buffer's pins are released after the "
         f"unregister ({pinned} pinned)", f"{left[0]} pins above the start")
    expect("bind-rx of the export after its buffer was unregistered",
           errno.ENODEV, lambda: ynl.do("bind-rx", {
               "ifindex": irx, "fd": fd, "queues": q}), says="revoked")
    ynlb.sock.close()
    # A new flow to the queue, read the same way: all of it in host memory.
    ls = listen_on(port)
    sender = peer_send_pattern(port, 1 << 20)
    st2 = DevmemStream(mem, base, length, r["id"], pattern)
    try:
        c, _ = ls.accept()
        c.settimeout(60)
        st2.run(c, 1 << 20)
        c.close()
    except OSError as e:
        st2.errors.append(f"{e}")
    finally:
        ls.close()
    sender.wait(60)
    ktap(st2.off == 1 << 20 and st2.host == 1 << 20 and not st2.errors,
         "then a new flow on queue 3, read with MSG_SOCK_DEVMEM: every byte "
         "in host memory, no dmabuf cmsg", f"{st2.host} of {st2.off} in "
         "host memory" + "".join(f"\n{e}" for e in st2.errors))
    os.close(fd)
    os.close(ring)
    del cbuf
    mem.close()


def teardown_device_bound():
    sh(f'echo "{ID_3} 1 2" > {NSIM}/new_device')
    dev = netdev_of(ID_3)
    sh(f"ethtool -G {dev} tcp-data-split on && ip link set {dev} up")
    child = run_binder(None, dev, [1], 5, tx=True)
    ok = child.stdout.readline().strip() == "bound"
    sh(f"echo {ID_3} > {NSIM}/del_device")
    child.wait(60)
    ok = ok and child.returncode == 0
    if not ok:
        print(f"# binder: {child.stderr.read()}")
    return ok


def teardown_netns_bound():
    sh(f"ip netns add {NS3}")
    sh(f'echo "{ID_3} 1 2" > {NSIM}/new_device')
    dev = netdev_of(ID_3)
    sh(f"ip link set {dev} netns {NS3}")
    sh(f"ip -n {NS3} link set {dev} up && "
       f"ip netns exec {NS3} ethtool -G {dev} tcp-data-split on")
    child = run_binder(NS3, dev, [0, 1], 5, tx=True)
    ok = child.stdout.readline().strip() == "bound"
    # The namespace goes away when its last user, the binder, exits with
    # its bindings live.
    sh(f"ip netns del {NS3}")
    child.wait(60)
    ok = ok and child.returncode == 0
    if not ok:
        print(f"# binder: {child.stderr.read()}")
    # The device goes back to the initial namespace; delete it there.
    time.sleep(1)
    sh(f"echo {ID_3} > {NSIM}/del_device")
    return ok


def cleanup():
    for i in (ID_RX, ID_TX, ID_3):
        subprocess.run(f"echo {i} > {NSIM}/del_device", shell=True,
                       stderr=subprocess.DEVNULL)
    for n in (NS, NS3):
        subprocess.run(f"ip netns del {n}", shell=True,
                       stderr=subprocess.DEVNULL)
    subprocess.run("ip link del dmp-veth0", shell=True,
                   stderr=subprocess.DEVNULL)


if __name__ == "__main__":
    try:
        rc = main()
    except Exception as e:  # pylint: disable=broad-except
        print(f"# Bail out! {e}")
        rc = 1
    finally:
        cleanup()
    sys.exit(rc)
