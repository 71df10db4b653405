#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Receive steering of netdevsim: the RSS indirection table, RSS contexts and
# ntuple rules of a port, set with ethtool, decide on which of its queues a
# TCP connection from its linked peer arrives. The queue is found from the
# NAPI ID of the accepted socket (SO_INCOMING_NAPI_ID), matched against the
# NAPI IDs that the netdev netlink family reports for the port's queues.
set -u
. "$(dirname "$0")/ktap_helpers.sh"
. "$(dirname "$0")/nsim_lib.sh"

ID_A=41
ID_B=42
NS_A=nss-a			# sender
NS_B=nss-b			# receiver, where the steering is set
ADDR_A=2001:db8:5e::1
ADDR_B=2001:db8:5e::2
NQ=4

helper=$(mktemp /tmp/nsim_steer.XXXXXX.py)
cleanup() {
	echo $ID_A >$NSIM/del_device 2>/dev/null
	echo $ID_B >$NSIM/del_device 2>/dev/null
	ip netns del $NS_A 2>/dev/null
	ip netns del $NS_B 2>/dev/null
	rm -f "$helper"
}
trap cleanup EXIT

# Connects from namespace $1 to [$4]:$5 in namespace $2 and prints the queue
# of netdev $3 (an ifindex in $2) that the connection arrived on, "noconn"
# if it could not connect, or "napi-N" if NAPI ID N is not one of the queues.
cat >"$helper" <<'EOF'
import ctypes, os, socket, struct, sys

SO_INCOMING_NAPI_ID = 56
libc = ctypes.CDLL(None, use_errno=True)

def setns(name):
    fd = os.open("/run/netns/" + name, os.O_RDONLY)
    if libc.setns(fd, 0x40000000) != 0:         # CLONE_NEWNET
        sys.exit("setns %s: %s" % (name, os.strerror(ctypes.get_errno())))
    os.close(fd)

def attrs(buf):
    out = {}
    while len(buf) >= 4:
        ln, typ = struct.unpack_from("HH", buf)
        if ln < 4:
            break
        out[typ & 0x3fff] = buf[4:ln]
        buf = buf[(ln + 3) & ~3:]
    return out

def genl(sock, family, cmd, payload, seq):
    body = struct.pack("BBH", cmd, 1, 0) + payload
    flags = 0x301 if family != 0x10 else 0x1    # REQUEST (| DUMP)
    sock.send(struct.pack("IHHII", 16 + len(body), family, flags, seq, 0) + body)
    msgs = []
    while True:
        data = sock.recv(1 << 16)
        off = 0
        while off < len(data):
            ln, typ = struct.unpack_from("IH", data, off)
            if typ == 3:                        # NLMSG_DONE
                return msgs
            if typ == 2:                        # NLMSG_ERROR
                err = struct.unpack_from("i", data, off + 16)[0]
                sys.exit("netlink: " + os.strerror(-err))
            msgs.append(attrs(data[off + 20:off + ln]))
            if family == 0x10:
                return msgs
            off += (ln + 3) & ~3

def nla(typ, val):
    return struct.pack("HH", 4 + len(val), typ) + val + b"\0" * (-len(val) % 4)

# queue index of each NAPI ID of the RX queues of ifindex
def rx_queue_napi(ifindex):
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 16)
    fam = genl(sock, 0x10, 3, nla(2, b"netdev\0"), 1)   # CTRL_CMD_GETFAMILY
    fam_id = struct.unpack("H", fam[0][1][:2])[0]
    queues = genl(sock, fam_id, 10,                      # QUEUE_GET
                  nla(2, struct.pack("I", ifindex)), 2)
    napi = {}
    for q in queues:
        if struct.unpack("I", q[3])[0] == 0 and 4 in q:  # rx, napi-id
            napi[struct.unpack("I", q[4])[0]] = struct.unpack("I", q[1])[0]
    return napi

ns_a, ns_b, ifindex, addr, port = sys.argv[1:6]
# Deadlines of a connection that should arrive scale with the machine
# (PHYR_TIME_SCALE, wait_lib.sh); one that should not (a drop rule) is given
# a fixed time in argv[6]: nothing can make it arrive, a longer wait would
# only slow the test down.
if len(sys.argv) > 6:
    secs = float(sys.argv[6])
else:
    # three socket operations in a row: each an eighth of the budget at most
    secs = 3 * int(os.environ.get("PHYR_TIME_SCALE", "1"))
    if os.environ.get("PHYR_BUDGET"):
        secs = min(secs, int(os.environ["PHYR_BUDGET"]) / 8)
setns(ns_b)
napi = rx_queue_napi(int(ifindex))
srv = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("::", int(port)))
srv.listen(1)
srv.settimeout(secs)
setns(ns_a)
try:
    cli = socket.create_connection((addr, int(port)), timeout=secs)
    cli.sendall(b"x" * 4096)
    conn, _ = srv.accept()
except OSError:
    print("noconn")
    sys.exit(0)
conn.settimeout(secs)
got = 0
while got < 4096:
    chunk = conn.recv(4096)
    if not chunk:
        break
    got += len(chunk)
nid = conn.getsockopt(socket.SOL_SOCKET, SO_INCOMING_NAPI_ID)
print(napi.get(nid, "napi-%d" % nid))
EOF

comment() {
	echo "$*" | sed 's/^/# /'
}

eth_b() {
	ip netns exec $NS_B ethtool "$@"
}

# "ethtool -x" of the receiver ($@: more options) as "<entries>:<queues>",
# e.g. "128:0,1," for a table of 128 entries that uses queues 0 and 1
indir() {
	eth_b -x "$b" "$@" | awk '$1 ~ /^[0-9]+:$/ {
		for (i = 2; i <= NF; i++) { n++; q[$i] = 1 } }
		END { s = n ":"; for (i = 0; i < 256; i++) if (i in q) s = s i ",";
		      print s }'
}

# ethtool $@ on the receiver must fail with an error message matching $1
fails_with() {
	local msg=$1 out
	shift
	out=$(eth_b "$@" 2>&1) && { comment "unexpected success: $out"; return 1; }
	comment "$out"
	echo "$out" | grep -qi "$msg"
}

# queue of the receiver that a connection to port $1 lands on
rx_queue() {
	python3 "$helper" $NS_A $NS_B "$ib" $ADDR_B "$@" 2>&1
}

# steered_to PORT QUEUE: a connection to PORT lands on QUEUE ("noconn": it
# does not connect within 3 s)
steered_to() {
	local q
	if [ "$2" = noconn ]; then
		q=$(rx_queue "$1" 3)
	else
		q=$(rx_queue "$1")
	fi
	comment "port $1: queue $q"
	test "$q" = "$2"
}

ktap_print_header
ktap_set_plan 22

ip netns add $NS_A && ip netns add $NS_B ||
	ktap_exit_fail_msg "cannot create namespaces"
if echo "$ID_A 1 $NQ" >$NSIM/new_device && echo "$ID_B 1 $NQ" >$NSIM/new_device; then
	a=$(nsim_netdev_of $ID_A)
	b=$(nsim_netdev_of $ID_B)
fi
[ -n "${a:-}" ] && [ -n "${b:-}" ] ||
	ktap_exit_fail_msg "netdevsim devices did not appear"
nq=$(ls -d /sys/class/net/"$b"/queues/rx-* | wc -l)
ktap_test_result "two netdevsim devices ($a, $b) with $NQ queues" test "$nq" = $NQ

ip link set "$a" netns $NS_A && ip link set "$b" netns $NS_B &&
ip -n $NS_A addr add $ADDR_A/64 dev "$a" nodad &&
ip -n $NS_B addr add $ADDR_B/64 dev "$b" nodad &&
ip -n $NS_A link set "$a" up && ip -n $NS_B link set "$b" up ||
	ktap_exit_fail_msg "cannot set up the ports"
ib=$(ip netns exec $NS_B cat /sys/class/net/"$b"/ifindex)
nsim_link $NS_A "$a" $NS_B "$b" &&
	ip netns exec $NS_A ping -6 -c 2 -i 0.2 -W 2 $ADDR_B >/dev/null
ktap_test_result "linked peers, ping" test $? = 0

# RSS indirection table and contexts
t=$(indir)
comment "entries:queues $t"
ktap_test_result "ethtool -x: 128 entries over queues 0-3" test "$t" = "128:0,1,2,3,"

eth_b -X "$b" equal 2 && t=$(indir)
comment "entries:queues $t"
ktap_test_result "ethtool -X equal 2: queues 0-1 only" test "$t" = "128:0,1,"
eth_b -X "$b" default

out=$(eth_b -X "$b" context new start 3 equal 1)
ctx=${out##* }
comment "$out"
t=$(indir context "$ctx")
comment "entries:queues $t"
ktap_test_result "context new start 3 equal 1: context $ctx on queue 3" test "$t" = "128:3,"

eth_b -X "$b" context "$ctx" delete && ! eth_b -x "$b" context "$ctx" >/dev/null 2>&1
ktap_test_result "context $ctx deleted" test $? = 0

# ntuple rules
out=$(eth_b -N "$b" flow-type tcp6 dst-port 5001 action 3)
comment "$out"
rule=${out##* }
case $out in "Added rule with ID "[0-9]*) true ;; *) false ;; esac
ktap_test_result "ntuple rule to queue 3 added" test $? = 0

eth_b -n "$b" | grep -q "^Filter: $rule\$" &&
	eth_b -n "$b" rule "$rule" | grep -q "Action: Direct to queue 3"
ktap_test_result "ethtool -n lists rule $rule" test $? = 0

eth_b -N "$b" delete "$rule" && ! eth_b -n "$b" | grep -q "^Filter: $rule\$"
ktap_test_result "rule $rule deleted" test $? = 0

fails_with "invalid argument" -N "$b" flow-type tcp6 dst-port 5001 action 9
ktap_test_result "rule to queue 9 refused" test $? = 0

fails_with "no such file" -N "$b" delete 42
ktap_test_result "deleting a missing rule refused" test $? = 0

fails_with "not supported" -N "$b" flow-type ether dst 02:00:00:00:00:01 action 1
ktap_test_result "flow-type ether refused" test $? = 0

fails_with "not supported" -N "$b" flow-type tcp4 dst-port 5001 tos 4 action 1 &&
	fails_with "not supported" -N "$b" flow-type tcp6 dst-port 5001 vlan 5 action 1
ktap_test_result "unsupported fields (tos, vlan) refused" test $? = 0

fails_with "invalid argument" -N "$b" flow-type tcp6 dst-port 5001 context 7
ktap_test_result "rule to a missing RSS context refused" test $? = 0

# (each loop in one shell in the namespace: every process start counts on
# the debug kernel under emulation)
ok=1
ip netns exec $NS_B bash -c 'r=0; for i in {0..63}; do
	ethtool -N "$1" flow-type udp6 dst-port $((6000 + i)) action 1 loc $i >/dev/null || r=1
done; exit $r' - "$b" || ok=0
fails_with "no space" -N "$b" flow-type udp6 dst-port 7000 action 1 || ok=0
ip netns exec $NS_B bash -c 'r=0; for i in {0..63}; do
	ethtool -N "$1" delete $i || r=1
done; exit $r' - "$b" || ok=0
ktap_test_result "64 rules fit, the 65th does not" test $ok = 1

# Steering of real traffic
eth_b -X "$b" equal 1
rule=$(eth_b -N "$b" flow-type tcp6 dst-port 5001 action 3)
rule=${rule##* }
steered_to 5001 3
ktap_test_result "flow of rule $rule received on queue 3" test $? = 0
steered_to 5002 0
ktap_test_result "other flow received on queue 0 (equal 1)" test $? = 0
eth_b -N "$b" delete "$rule"

eth_b -X "$b" weight 0 0 1 0 && steered_to 5003 2
ktap_test_result "flow follows the table (weight 0 0 1 0): queue 2" test $? = 0
eth_b -X "$b" equal 1

out=$(eth_b -X "$b" context new start 1 equal 1)
ctx=${out##* }
rule=$(eth_b -N "$b" flow-type tcp6 src-ip $ADDR_A dst-port 5004 context "$ctx")
rule=${rule##* }
steered_to 5004 1
ktap_test_result "flow of rule $rule to RSS context $ctx received on queue 1" test $? = 0

fails_with "busy" -X "$b" context "$ctx" delete
ktap_test_result "RSS context $ctx in use cannot be deleted" test $? = 0

drop=$(eth_b -N "$b" flow-type tcp6 dst-port 5005 action -1)
drop=${drop##* }
steered_to 5005 noconn
ktap_test_result "flow of drop rule $drop does not connect" test $? = 0

# Destroy the receiver with its rules and RSS context in place
echo $ID_B >$NSIM/del_device
ktap_test_result "device with rules and RSS context deleted" test $? = 0
ktap_finished
