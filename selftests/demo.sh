#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# demo.sh: what tcpstate shows for a short, realistic mix of TCP traffic
# between a client and a server namespace. Run by `make demo` in the VM.
#
#   [ client: 10.0.0.1 fd00::1 ] <--- veth ---> [ server: 10.0.0.2 fd00::2 ]
#       web-style requests to :80, a bulk transfer to :5201 (iperf3),
#       a connection refused by :81, requests over IPv6
set -e
cd "$(dirname "$0")/.."
source selftests/lib.sh
TCPGEN=selftests/tcpgen.py
trap cleanup_ns EXIT

say() { printf '\n== %s\n' "$*"; }

setup_ns client server
veth_pair "$client" 10.0.0.1 "$server" 10.0.0.2 fd00::1 fd00::2
ip netns exec "$server" "$TCPGEN" serve :: 80 --count 0 &
ip netns exec "$server" iperf3 -s -p 5201 > /dev/null 2>&1 &
busywait 30000 listening "$server" 80
busywait 30000 listening "$server" 5201

say "30 short request/response connections to 10.0.0.2:80"
ip netns exec "$client" "$TCPGEN" connect 10.0.0.2 80 --count 30 --bytes 2000 --parallel 3
say "10 more over IPv6 to [fd00::2]:80"
ip netns exec "$client" "$TCPGEN" connect fd00::2 80 --count 10 --bytes 2000
say "a connection to a closed port (10.0.0.2:81)"
ip netns exec "$client" "$TCPGEN" connect 10.0.0.2 81 2>&1 | sed 's/^/  /' || true
say "a 2-second bulk transfer (iperf3)"
ip netns exec "$client" iperf3 -c 10.0.0.2 -p 5201 -t 2 | grep -E 'sender|receiver'

say "the sockets as ss sees them in the client namespace"
ip netns exec "$client" ss -tan | head -n 8
echo "  ($(ip netns exec "$client" ss -Htan state time-wait | wc -l) in TIME-WAIT)"

say "a connection left half-closed: the client shut its side, the server still sends"
ctl_start srv "$server"
ctl_start cli "$client"
ctl srv listen l 10.0.0.2 8080 > /dev/null
ctl cli connect c 10.0.0.2 8080 > /dev/null
ctl srv accept s l > /dev/null
ctl cli shutdown c > /dev/null
ctl srv send s 5000 > /dev/null
ctl cli recv c 5000 > /dev/null
busywait 5000 wire_quiet "$client" "$server"

say "tcpstate flows, client namespace (first lines)"
ip netns exec "$client" tcpstate flows | head -n 8
echo "  ..."
say "tcpstate flows state fin-wait-2: the half-closed one"
ip netns exec "$client" tcpstate flows state fin-wait-2
say "tcpstate flows conn REJ: the refused one"
ip netns exec "$client" tcpstate flows conn REJ
say "the same half-closed connection as ss sees it, from both sides"
ip netns exec "$client" ss -tan "( dport = :8080 )" | sed 's/^/  client: /'
ip netns exec "$server" ss -tan "( sport = :8080 )" | sed 's/^/  server: /'
say "tcpstate listeners, server namespace"
ip netns exec "$server" tcpstate listeners
say "tcpstate stats, client namespace (non-zero)"
ip netns exec "$client" tcpstate stats | awk '$2 != 0'
say "the kernel's own count (nstat), client: TcpOutSegs + TcpRetransSegs"
echo "  $(($(nstat_abs "$client" TcpOutSegs) + $(nstat_abs "$client" TcpRetransSegs)))" \
     "segments sent; tcpstate says segments_out =" \
     "$(tcpstate_stat "$client" segments_out)"
