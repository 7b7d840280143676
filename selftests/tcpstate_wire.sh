#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What cannot be tracked is counted, not tracked: non-first IP fragments
# and TCP headers that are truncated or have a bad data offset, crafted
# with scapy and sent from a to b (no conntrack: no defragmentation).
# scapy sends through a packet socket, so a's egress hook never sees them.
#
#   [ a: 10.0.1.1 ] <--veth--> [ b: 10.0.1.2 ]
source "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3	# Debian's, which has scapy

# craft NS PYTHON-EXPRESSION: send the packets it evaluates to, from NS.
craft()
{
	ip netns exec "$1" "$PY" -c "
import logging; logging.getLogger('scapy').setLevel(logging.ERROR)
from scapy.all import IP, TCP, Raw, send
send($2, verbose=False)"
}

test_fragments_and_malformed()
{
	local f0 m0
	checktool "$PY"
	setup_ns a b
	veth_pair "$a" 10.0.1.1 "$b" 10.0.1.2
	f0=$(tcpstate_stat "$b" fragments)
	m0=$(tcpstate_stat "$b" malformed)
	# a non-first fragment of a TCP datagram
	craft "$a" "IP(dst='10.0.1.2', proto=6, frag=100)/Raw(b'x' * 40)"
	# data offset 3 (< 5), data offset 15 past the end, a 10-byte header
	craft "$a" "[IP(dst='10.0.1.2')/TCP(dport=80, dataofs=3),
		IP(dst='10.0.1.2')/TCP(dport=80, dataofs=15),
		IP(dst='10.0.1.2', proto=6)/Raw(b'0123456789')]"
	wait_eq 30000 $((f0 + 1)) tcpstate_stat "$b" fragments
	wait_eq 30000 $((m0 + 3)) tcpstate_stat "$b" malformed
	assert_eq "flows started by them" 0 "$(tcpstate_stat "$b" flows_created)"
	# the kernel's own TCP dropped the malformed ones as header errors
	[ "$(nstat_abs "$b" TcpInErrs)" -ge 1 ] || fail "TcpInErrs did not move"
}

TESTS=(fragments_and_malformed_counted test_fragments_and_malformed)
ktap_select "$@"
kernel_clean || true
ktap_run
