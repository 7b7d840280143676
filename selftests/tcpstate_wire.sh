#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Hostile segments: thousands of each kind, IPv4 and IPv6, sent from a raw
# socket in a to b (build/hostile). Each kind must move tcpstate's counter
# for it by exactly the number sent, in b (ingress) and in a (egress), and
# start no flow unless it is a segment that may start one. The kernel's
# own counters in b are the oracle where they apply (TcpInErrs, the
# reassembly counters, the RSTs b answers with). A live connection between
# a and b must be untouched after each kind, and the kernel must not
# complain. No conntrack is loaded: nothing reassembles fragments first.
#
#   [ a: 10.0.1.1 fd00::1 ] <--veth--> [ b: 10.0.1.2 fd00::2 ]
source "$(dirname "$0")/lib.sh"
HOSTILE=${HOSTILE:-$(cd "$SELFTESTS/.." && pwd)/build/hostile}
TCPSTATE="$SELFTESTS/../tools/tcpstate"
N=${HOSTILE_N:-1000}
PY=/usr/bin/python3	# Debian's, which has scapy

# Counters compared before and after each kind.
STATS="segments malformed bad_options bad_checksum fragments no_flow invalid flows_created"
declare -A T0 K0
PORT=10000

# One read of each file: in TCG every process spawned costs.
snapshot()
{
	local ns s v
	for ns in "$a" "$b"; do
		while read -r s v; do
			T0[$ns.$s]=$v
		done < <(ip netns exec "$ns" cat /proc/net/tcpstate/stats)
	done
	while read -r s v _; do
		K0[$s]=$v
	done < <(ip netns exec "$b" nstat -saz)
}

# delta NS STAT: how far STAT moved since the snapshot.
delta() { echo $(($(tcpstate_stat "$1" "$2") - ${T0[$1.$2]})); }
kdelta() { echo $(($(nstat_abs "$b" "$1") - ${K0[$1]:-0})); }

# expect NS STAT N: STAT moves by exactly N (waits for it).
expect()
{
	wait_eq 30000 "$3" delta "$1" "$2" ||
		fail "$1 $2 moved by $(delta "$1" "$2"), expected $3"
}

setup()
{
	checktool "$HOSTILE"
	checktool ethtool
	setup_ns a b
	veth_pair "$a" 10.0.1.1 "$b" 10.0.1.2 fd00::1 fd00::2
	# a veth receiving what a raw socket sent would vouch for its checksum
	ip netns exec "$b" ethtool -K veth1 rx off > /dev/null
	ctl_start srv "$b"
	ctl_start cli "$a"
}

# live FAMILY: a connection from a to b that the hostile traffic must not
# disturb; sets LA LP RA RP.
live()
{
	if [ "$1" = 6 ]; then LA=fd00::1 RA=fd00::2; else LA=10.0.1.1 RA=10.0.1.2; fi
	RP=7000
	ctl srv listen l "$RA" $RP
	ctl cli connect c "$RA" $RP
	ctl srv accept s l
	ctl cli port c
	LP=$CTL_REPLY
	busywait 30000 check_endpoint "$a" "$LA" "$LP" "$RA" "$RP" > /dev/null
}

# still_live: the connection works and both sides agree with ss.
still_live()
{
	ctl cli send c 3000
	ctl srv recv s 3000
	ctl srv send s 3000
	ctl cli recv c 3000
	check_endpoint "$a" "$LA" "$LP" "$RA" "$RP"
	check_endpoint "$b" "$RA" "$RP" "$LA" "$LP"
	assert_eq "established resets in b" 0 "$(kdelta TcpEstabResets)"
	kernel_clean
}

# blast FAMILY KIND: N segments of KIND from a to b's closed port 9.
blast()
{
	local fam=$1 kind=$2 src=10.0.1.1 dst=10.0.1.2 six=
	[ "$fam" = 6 ] && src=fd00::1 dst=fd00::2 six=-6
	echo "== IPv$fam $kind x $N"
	snapshot
	# source ports no earlier kind used: each segment is a new 4-tuple
	run ip netns exec "$a" "$HOSTILE" $six -k "$kind" -n "$N" -b "$PORT" \
		"$src" "$dst" 9
	PORT=$((PORT + N))
}

# only NS STAT...: of the counters compared, only these moved in NS.
only()
{
	local ns=$1 s v moved=
	local -A now
	shift
	while read -r s v; do
		now[$s]=$v
	done < <(ip netns exec "$ns" cat /proc/net/tcpstate/stats)
	for s in $STATS; do
		[ "$s" = segments ] && continue
		[[ " $* " == *" $s "* ]] && continue
		[ "${now[$s]}" = "${T0[$ns.$s]}" ] ||
			fail "$ns $s moved by $((now[$s] - T0[$ns.$s]))"
		moved+=" $s"
	done
	echo "  $ns unchanged:$moved"
}

hostile_family()
{
	local fam=$1 kind ns rsts reasm=IpReasmReqds
	[ "$fam" = 6 ] && reasm=Ip6ReasmReqds
	setup
	live "$fam"

	# Not parsable as TCP: counted as malformed on both sides.
	for kind in short doff-low doff-over; do
		blast "$fam" "$kind"
		for ns in "$a" "$b"; do
			expect "$ns" malformed "$N"
			only "$ns" malformed
		done
		# b's TCP drops them too; a data offset below 5 is an InErr
		[ "$kind" = doff-low ] && assert_eq "TcpInErrs" "$N" "$(kdelta TcpInErrs)"
		assert_eq "RSTs b sent" 0 "$(kdelta TcpOutRsts)"
		still_live
	done

	# Bad option lengths in a SYN: counted, and the SYN still tracked, as
	# b's TCP still answers it (with a RST: the port is closed).
	for kind in opt-zero opt-over; do
		blast "$fam" "$kind"
		wait_eq 30000 "$N" kdelta TcpOutRsts
		for ns in "$a" "$b"; do
			expect "$ns" bad_options "$N"
			expect "$ns" flows_created "$N"
			only "$ns" bad_options flows_created
		done
		expect "$b" rsts_out "$N"
		still_live
	done

	# Fragments, first or not, are counted and not tracked: nothing
	# reassembles before tcpstate here, and a segment seen in part would
	# put its sequence space wrong. A first fragment too short for the
	# TCP header is a fragment too (not malformed). b's IP queues them
	# for reassembly, which never completes.
	for kind in frag-later frag-first frag-short; do
		blast "$fam" "$kind"
		wait_eq 30000 "$N" kdelta "$reasm"
		for ns in "$a" "$b"; do
			expect "$ns" fragments "$N"
			only "$ns" fragments
		done
		still_live
	done

	# Overlapping fragments: b's IP drops each datagram whole (IPv4
	# counts it an overlap; IPv6 a reassembly failure that is no
	# timeout). Both fragments of each are counted.
	blast "$fam" frag-overlap
	wait_eq 30000 "$N" overlaps "$fam"
	for ns in "$a" "$b"; do
		expect "$ns" fragments $((2 * N))
		only "$ns" fragments
	done
	still_live
	# Two fragments that fit: b's IP reassembles a SYN with data and its
	# TCP answers with a RST, which matches no flow (the SYN was seen
	# only in fragments).
	blast "$fam" frag-pair
	wait_eq 30000 "$N" kdelta "${reasm%Reqds}OKs"
	wait_eq 30000 "$N" kdelta TcpOutRsts
	expect "$b" rsts_out "$N"
	for ns in "$a" "$b"; do
		expect "$ns" fragments $((2 * N))
		expect "$ns" no_flow "$N"
		only "$ns" fragments no_flow
	done
	still_live

	# Bad TCP checksums (b's veth vouches for nothing: rx offload off).
	# b's TCP drops them, by its TcpInCsumErrors; tcpstate in b counts
	# them and tracks none. a sent them: they are its SYNs.
	blast "$fam" badsum
	wait_eq 30000 "$N" kdelta TcpInCsumErrors
	expect "$b" bad_checksum "$N"
	only "$b" bad_checksum
	expect "$a" flows_created "$N"
	only "$a" flows_created
	assert_eq "RSTs b sent" 0 "$(kdelta TcpOutRsts)"
	still_live
	if [ "$fam" = 4 ]; then
		# IP options before the TCP header: tracked as any SYN
		blast 4 ipopt
		wait_eq 30000 "$N" kdelta TcpOutRsts
		for ns in "$a" "$b"; do
			expect "$ns" flows_created "$N"
			only "$ns" flows_created
		done
		still_live
	fi
	if [ "$fam" = 6 ]; then
		# an extension header chain cut short: malformed, both sides
		blast 6 ext-trunc
		for ns in "$a" "$b"; do
			expect "$ns" malformed "$N"
			only "$ns" malformed
		done
		still_live
	fi

	# Flag sets no stack sends, and RSTs for no connection: they start
	# no flow. b answers each that has no RST with a RST of its own.
	# Their RSTs match no flow either, in b going out and in a coming in.
	for kind in synfin synrst null xmas rst; do
		blast "$fam" "$kind"
		case $kind in
		synrst|rst) rsts=0 ;;
		*) rsts=$N ;;
		esac
		wait_eq 30000 "$rsts" kdelta TcpOutRsts
		expect "$b" rsts_out "$rsts"
		for ns in "$a" "$b"; do
			expect "$ns" no_flow $((N + rsts))
			only "$ns" no_flow
		done
		wire_quiet "$b"
		assert_eq "RSTs b sent" "$rsts" "$(kdelta TcpOutRsts)"
		still_live
	done

	# SYN-ACKs and ACKs of connections that do not exist: each is picked
	# up as a flow (tcpstate cannot know), and ends with b's RST.
	for kind in synack ack; do
		blast "$fam" "$kind"
		wait_eq 30000 "$N" kdelta TcpOutRsts
		expect "$b" rsts_out "$N"
		for ns in "$a" "$b"; do
			expect "$ns" flows_created "$N"
			only "$ns" flows_created no_flow invalid
		done
		still_live
	done
	kernel_clean
}

test_hostile_ipv4() { hostile_family 4; }
test_hostile_ipv6() { hostile_family 6; }

# overlaps FAMILY: datagrams b's IP dropped for overlapping fragments.
overlaps()
{
	if [ "$1" = 4 ]; then
		kdelta IpExtReasmOverlaps
	else
		echo $(($(kdelta Ip6ReasmFails) - $(kdelta Ip6ReasmTimeout)))
	fi
}

# addrs FAMILY: SRC, DST and SIX (the hostile flag) for a to b.
addrs()
{
	if [ "$1" = 6 ]; then SRC=fd00::1 DST=fd00::2 SIX=-6
	else SRC=10.0.1.1 DST=10.0.1.2 SIX=; fi
}

# Reassembly in front of tcpstate, as on a host that runs conntrack (a
# ct rule in b turns on its defragmentation): tcpstate sees whole
# datagrams only. Overlapping fragments never reach it; a SYN in two
# fragments that fit is one SYN. An nft counter after the reassembly is
# the oracle for what passed.
defrag()
{
	local fam=$1
	addrs "$fam"
	setup
	live "$fam"
	ip netns exec "$b" nft -f - <<-NFT
	table inet count {
		chain pre {
			type filter hook prerouting priority 0;
			tcp dport 9 ct state new counter
		}
	}
	NFT
	busywait 30000 wire_quiet "$a" "$b"
	snapshot
	run ip netns exec "$a" "$HOSTILE" $SIX -k frag-overlap -n "$N" -b 20000 \
		"$SRC" "$DST" 9
	[ "$fam" = 4 ] && wait_eq 30000 "$N" kdelta IpExtReasmOverlaps
	run ip netns exec "$a" "$HOSTILE" $SIX -k frag-pair -n "$N" -b 30000 \
		"$SRC" "$DST" 9
	wait_eq 30000 "$N" kdelta TcpOutRsts
	assert_eq "whole SYNs past reassembly (nft)" "$N" "$(counted "$b")"
	expect "$b" flows_created "$N"
	expect "$b" rsts_out "$N"
	only "$b" flows_created
	# a SYN in and a RST out per datagram, and nothing else
	assert_eq "segments in b" $((2 * N)) "$(delta "$b" segments)"
	# a sent every fragment, and b's RSTs match no flow there
	expect "$a" fragments $((4 * N))
	expect "$a" no_flow "$N"
	only "$a" fragments no_flow
	still_live
	kernel_clean
}

test_defrag_ipv4() { defrag 4; }
test_defrag_ipv6() { defrag 6; }

# flags_from NS DPORT LO: of the flows in NS to port DPORT from ports LO
# to LO + 199, how many show wscale, sack and timestamps (the CLI's JSON).
flags_from()
{
	ip netns exec "$1" "$TCPSTATE" flows -j dport "$2" | python3 -c '
import json, sys
lo = int(sys.argv[1])
fl = [f["flags"] for f in json.load(sys.stdin) if lo <= f["sport"] < lo + 200]
print(*(sum(k in f for f in fl) for k in ("wscale", "sack", "timestamps")))
' "$3"
}

# SYN options at the edges of the rules (EOL before the end, 40 bytes,
# lengths a kind never has), to a listener in b: b's TCP answers each
# with the options it took from the SYN (counted off the SYN-ACKs by
# hostile -w), and tcpstate in b shows those options negotiated. Only a
# length that breaks the list is a bad option, as for tcp_parse_options.
syn_options()
{
	local fam=$1 kind port=7300 out want w s t
	addrs "$fam"
	setup
	keep_ended_flows "$a" "$b"
	live "$fam"
	ctl srv listen o "$DST" $port 4096
	for kind in opt-eol opt-full opt-badlen; do
		echo "== IPv$fam $kind x 200"
		busywait 30000 wire_quiet "$a" "$b"
		snapshot
		out=$(ip netns exec "$a" "$HOSTILE" $SIX -w -k "$kind" -n 200 \
			-b "$PORT" "$SRC" "$DST" $port) || fail "hostile: $out"
		echo "  $out"
		read -r _ _ _ w _ s _ t <<< "$(tail -n 1 <<< "$out")"
		case $kind in
		opt-eol) want="200 0 0" ;;	# nothing after EOL is read
		opt-full) want="200 200 200" ;;
		opt-badlen) want="0 0 0" ;;	# each ignored, parsing goes on
		esac
		assert_eq "$kind: SYN-ACKs answered, wscale sack ts" \
			"answers 200 $want" "$(tail -n 1 <<< "$out" |
				awk '{ print $1, $2, $4, $6, $8 }')"
		for ns in "$a" "$b"; do
			expect "$ns" flows_created 200
			only "$ns" flows_created no_flow invalid
		done
		assert_eq "$kind: tcpstate wscale sack timestamps in b" "$w $s $t" \
			"$(flags_from "$b" $port "$PORT")"
		PORT=$((PORT + 200))
	done
	still_live
}

test_syn_options_ipv4() { syn_options 4; }
test_syn_options_ipv6() { syn_options 6; }

# TCP Fast Open (RFC 7413), the kernel's on both ends. A first connection
# asks for a cookie; the second carries its data in the SYN, which b
# takes before the handshake ends. Then SYNs with data and a cookie b
# never issued: b refuses their data (TCPFastOpenPassiveFail) and answers
# each as a plain SYN, acknowledging the SYN alone; a resets each.
tfo()
{
	local fam=$1 port=7200 ns p1 p2 out
	addrs "$fam"
	setup
	for ns in "$a" "$b"; do
		ip netns exec "$ns" sysctl -qw net.ipv4.tcp_fastopen=3
	done
	keep_ended_flows "$a" "$b"
	live "$fam"
	ctl srv listen_tfo t "$DST" $port
	busywait 30000 wire_quiet "$a" "$b"
	snapshot
	ctl cli connect_tfo c1 "$DST" $port 500
	ctl srv accept s1 t
	ctl srv recv s1 500
	ctl cli port c1
	p1=$CTL_REPLY
	ctl cli connect_tfo c2 "$DST" $port 700
	ctl srv accept s2 t
	ctl srv recv s2 700
	ctl cli port c2
	p2=$CTL_REPLY
	assert_eq "cookies b was asked for" 1 "$(kdelta TcpExtTCPFastOpenCookieReqd)"
	assert_eq "SYNs whose data b took" 1 "$(kdelta TcpExtTCPFastOpenPassive)"
	for p in "$p1" "$p2"; do
		check_endpoint "$a" "$SRC" "$p" "$DST" $port
		check_endpoint "$b" "$DST" $port "$SRC" "$p"
	done
	assert_eq "c_bytes of the second (ss: bytes_received)" \
		"$(ss_bytes "$b" $port "$p2" received)" \
		"$(flow_field "$b" "$SRC" "$p2" "$DST" $port c_bytes)"
	assert_eq "c_bytes of the first (ss: bytes_received)" \
		"$(ss_bytes "$b" $port "$p1" received)" \
		"$(flow_field "$b" "$SRC" "$p1" "$DST" $port c_bytes)"
	flow_field "$b" "$SRC" "$p2" "$DST" $port flags | grep -qw syn_data ||
		fail "the second flow's SYN carried data: no syn_data flag"
	flow_field "$b" "$SRC" "$p1" "$DST" $port flags | grep -qw syn_data &&
		fail "the first flow's SYN carried no data, yet syn_data"
	assert_eq "invalid in b" 0 "$(delta "$b" invalid)"

	busywait 30000 wire_quiet "$a" "$b"
	snapshot
	out=$(ip netns exec "$a" "$HOSTILE" $SIX -w -k tfo -n "$N" -b "$PORT" \
		"$SRC" "$DST" $port) || fail "hostile: $out"
	echo "  $out"
	PORT=$((PORT + N))
	assert_eq "SYN-ACKs" "$N" "$(tail -n 1 <<< "$out" | awk '{ print $2 }')"
	# each refused its data by the cookie check, or answered before it:
	# with a SYN cookie (a full SYN queue on a slow guest) or past a
	# full Fast Open queue
	wait_eq 30000 "$N" tfo_refused
	assert_eq "SYNs whose data b took" 0 "$(kdelta TcpExtTCPFastOpenPassive)"
	for ns in "$a" "$b"; do
		expect "$ns" flows_created "$N"
		only "$ns" flows_created
	done
	# a's kernel reset each: b holds no request for any of them
	wait_eq 30000 0 ss_count "$b" "state syn-recv"
	still_live
}

# tfo_refused: SYNs with data b answered without taking the data.
tfo_refused()
{
	echo $(($(kdelta TcpExtTCPFastOpenPassiveFail) + $(kdelta TcpExtSyncookiesSent) +
		$(kdelta TcpExtTCPFastOpenListenOverflow)))
}

test_tfo_ipv4() { tfo 4; }
test_tfo_ipv6() { tfo 6; }

# ss_bytes NS SPORT DPORT WHAT: bytes_WHAT (sent, received) of that
# socket of NS, as ss says.
ss_bytes()
{
	local n
	n=$(ip netns exec "$1" ss -Htni state all "( sport = :$2 and dport = :$3 )" |
		grep -o "bytes_$4:[0-9]*" | cut -d: -f2 | head -n 1)
	echo "${n:-0}"
}

# ss_count NS FILTER...: sockets of NS that ss lists.
ss_count()
{
	local ns=$1
	shift
	ip netns exec "$ns" ss -Htan $* | wc -l
}

# GSO on the sender, GRO on the receiver (a veth with NAPI): segments
# travel many to an skb both ways. tcpstate counts segments (gso_segs),
# bytes and states as the kernels do: what one side received is what the
# other sent (TcpOutSegs + TcpRetransSegs), the bytes are what ss says
# each socket received, and the states are ss's.
gro()
{
	local fam=$1 ns i in_b skbs_b
	local -A sent0
	setup
	ip netns exec "$a" ethtool -K veth0 gro on > /dev/null
	ip netns exec "$b" ethtool -K veth1 gro on > /dev/null
	live "$fam"
	busywait 30000 wire_quiet "$a" "$b"
	snapshot
	for ns in "$a" "$b"; do
		sent0[$ns]=$(sent "$ns")
	done
	# 1 MB each way, in pieces the receive buffers hold
	for i in $(seq 10); do
		ctl cli send c 100000
		ctl srv recv s 100000
		ctl srv send s 100000
		ctl cli recv c 100000
	done > /dev/null
	busywait 30000 wire_quiet "$a" "$b"
	in_b=$(delta "$b" segments_in)
	skbs_b=$(kdelta TcpInSegs)
	echo "  b received $in_b segments in $skbs_b skbs"
	[ "$skbs_b" -lt "$in_b" ] || fail "no GRO in b: as many skbs as segments"
	assert_eq "segments into b (a's TcpOutSegs + TcpRetransSegs)" \
		$(($(sent "$a") - ${sent0[$a]})) "$in_b"
	assert_eq "segments into a (b's TcpOutSegs + TcpRetransSegs)" \
		$(($(sent "$b") - ${sent0[$b]})) "$(delta "$a" segments_in)"
	# bytes on the wire, retransmitted ones too: what each socket sent
	assert_eq "client bytes in b (a's ss: bytes_sent)" \
		"$(ss_bytes "$a" "$LP" "$RP" sent)" \
		"$(flow_field "$b" "$LA" "$LP" "$RA" "$RP" c_bytes)"
	assert_eq "server bytes in a (b's ss: bytes_sent)" \
		"$(ss_bytes "$b" "$RP" "$LP" sent)" \
		"$(flow_field "$a" "$LA" "$LP" "$RA" "$RP" s_bytes)"
	for ns in "$a" "$b"; do
		only "$ns"
	done
	still_live
}

# sent NS: segments NS's TCP sent, first copies and retransmissions.
sent()
{
	echo $(($(nstat_abs "$1" TcpOutSegs) + $(nstat_abs "$1" TcpRetransSegs)))
}

test_gro_ipv4() { gro 4; }
test_gro_ipv6() { gro 6; }

# RSTs with the live connection's 4-tuple and sequence numbers far outside
# the window (RFC 5961): counted, ignored, the connection keeps working.
oow_rst()
{
	local fam=$1 six= cap end
	[ "$fam" = 6 ] && six=-6
	checktool tcpdump
	setup
	live "$fam"
	# a's sequence number, read off the wire by tcpdump in b
	cap=$(mktemp)
	ip netns exec "$b" tcpdump -i veth1 -n -S -l -c 1 \
		"src port $LP and greater 200" > "$cap" 2>&1 &
	busywait 30000 grep -q 'listening on' "$cap"
	ctl cli send c 1000
	ctl srv recv s 1000
	busywait 30000 grep -q 'seq [0-9]*:[0-9]*' "$cap"
	end=$(grep -o 'seq [0-9]*:[0-9]*' "$cap" | head -n 1 | cut -d: -f2)
	echo "  a's next sequence number: $end"
	wire_quiet "$a" "$b"
	snapshot
	# half the sequence space away from it: outside any window
	run ip netns exec "$a" "$HOSTILE" $six -k rst -n "$N" -p "$LP" \
		-q $(((end + 0x80000000) % 0x100000000)) "$LA" "$RA" "$RP"
	for ns in "$a" "$b"; do
		expect "$ns" rst_out_of_window "$N"
		expect "$ns" invalid "$N"
		only "$ns" invalid
	done
	wire_quiet "$b"
	assert_eq "RSTs b sent" 0 "$(kdelta TcpOutRsts)"
	still_live
	ctl cli close c
	ctl srv close s
}

test_oow_rst_ipv4() { oow_rst 4; }
test_oow_rst_ipv6() { oow_rst 6; }

# A whole connection whose client sequence numbers wrap past 2^32, over
# IPv4 and over IPv6, driven by one scapy process from a (whose kernel is
# kept from resetting them) to listeners in b: tracked through handshake
# and data across the wrap, as b's sockets saw them.
test_wrap()
{
	local fam src dst port line
	checktool "$PY"
	setup
	ip netns exec "$a" nft -f - <<-NFT
	table inet t {
		chain out {
			type filter hook output priority 0;
			tcp sport 33333 tcp flags & rst == rst drop
		}
	}
	NFT
	ctl srv listen l4 10.0.1.2 7104
	ctl srv listen l6 fd00::2 7106
	snapshot
	ip netns exec "$a" "$PY" - <<-'PY'
	import logging
	logging.getLogger("scapy").setLevel(logging.ERROR)
	from scapy.all import IP, IPv6, TCP, Raw, send, sniff, conf
	conf.verb = 0
	for ip, port in ((IP(src="10.0.1.1", dst="10.0.1.2"), 7104),
	                 (IPv6(src="fd00::1", dst="fd00::2"), 7106)):
	    # scapy's sr1() cannot match answers across the wrap: sniff instead
	    def exchange(seg, want):
	        got = sniff(iface="veth0", count=1, timeout=10,
	                    lfilter=lambda p: TCP in p and p[TCP].sport == port and want(p[TCP]),
	                    started_callback=lambda: send(ip / seg))
	        assert got, "no answer to %r" % seg
	        return got[0][TCP]
	    seq = 2**32 - 150
	    sa = exchange(TCP(sport=33333, dport=port, flags="S", seq=seq),
	                  lambda t: t.flags == "SA")
	    seq = (seq + 1) % 2**32
	    ack = (sa.seq + 1) % 2**32
	    send(ip / TCP(sport=33333, dport=port, flags="A", seq=seq, ack=ack))
	    for i in range(3):     # 3 x 100 bytes, the second crosses 2^32
	        end = (seq + 100) % 2**32
	        exchange(TCP(sport=33333, dport=port, flags="PA", seq=seq, ack=ack) /
	                 Raw(b"w" * 100), lambda t: t.ack == end)
	        seq = end
	    print("port", port, "client sequence now", seq)
	PY
	for fam in 4 6; do
		if [ $fam = 4 ]; then src=10.0.1.1 dst=10.0.1.2; else src=fd00::1 dst=fd00::2; fi
		port=710$fam
		ctl srv accept "s$fam" "l$fam"
		ctl srv recv "s$fam" 300
		line=$(ip netns exec "$b" ss -Htni state established "( sport = :$port )")
		echo "  b: $line"
		grep -q 'bytes_received:300' <<< "$line" || fail "b did not receive 300 bytes"
		assert_eq "IPv$fam tcpstate in b, client" ESTABLISHED \
			"$(tcpstate_state "$b" "$src" 33333 "$dst" $port)"
		assert_eq "IPv$fam tcpstate in b, server" ESTABLISHED \
			"$(tcpstate_state "$b" "$dst" $port "$src" 33333)"
		assert_eq "IPv$fam client bytes in b" 300 \
			"$(flow_field "$b" "$src" 33333 "$dst" $port c_bytes)"
	done
	assert_eq "invalid in b" 0 "$(delta "$b" invalid)"
	assert_eq "invalid in a" 0 "$(delta "$a" invalid)"
	assert_eq "retransmissions in b" 0 "$(delta "$b" retransmissions)"
}

# ends_seen: the capture holds a data segment each way.
ends_seen()
{
	grep "\.$LP > " "$CAP" | grep -q 'seq [0-9]*:[0-9]*' &&
		grep "\.$RP > " "$CAP" | grep -q 'seq [0-9]*:[0-9]*'
}

# next_seqs: A_END and B_END, the next sequence numbers of a and b on the
# live connection, read off the wire by tcpdump in b.
next_seqs()
{
	CAP=$(mktemp)
	defer "rm -f $CAP"
	ip netns exec "$b" tcpdump -i veth1 -n -S -l -c 2 "tcp and greater 200" \
		> "$CAP" 2>&1 &
	busywait 30000 grep -q 'listening on' "$CAP"
	ctl cli send c 1000
	ctl srv recv s 1000
	ctl srv send s 1000
	ctl cli recv c 1000
	busywait 30000 ends_seen
	A_END=$(grep "\.$LP > " "$CAP" | grep -o 'seq [0-9]*:[0-9]*' | head -n 1 | cut -d: -f2)
	B_END=$(grep "\.$RP > " "$CAP" | grep -o 'seq [0-9]*:[0-9]*' | head -n 1 | cut -d: -f2)
	echo "  next sequence numbers: a $A_END, b $B_END"
}

# inject KIND SEQ ACK: N segments of KIND on the live connection, as if
# from a's socket.
inject()
{
	local six=
	[ "$LA" = fd00::1 ] && six=-6
	wire_quiet "$a" "$b"
	snapshot
	run ip netns exec "$a" "$HOSTILE" $six -k "$1" -n "$N" -p "$LP" \
		-q $(($2 % 0x100000000)) -a $(($3 % 0x100000000)) "$LA" "$RA" "$RP"
}

# Forged FIN, data and ACK on a live connection, far from where its
# sequence numbers are: Linux drops each, and so they move no state, end
# nothing and derail nothing; later real data is not a retransmission.
injected()
{
	local ns rtx_a rtx_b
	checktool tcpdump
	setup
	live "$1"
	next_seqs
	rtx_a=$(tcpstate_stat "$a" retransmissions)
	rtx_b=$(tcpstate_stat "$b" retransmissions)
	# a FIN half the sequence space away, acking what b sent
	inject fin $((A_END + 0x80000000)) "$B_END"
	for ns in "$a" "$b"; do
		expect "$ns" invalid "$N"
		only "$ns" invalid
	done
	still_live
	next_seqs
	# data a quarter of the space ahead: outside any window
	inject data $((A_END + 0x40000000)) "$B_END"
	for ns in "$a" "$b"; do
		expect "$ns" invalid "$N"
		only "$ns" invalid
	done
	still_live
	next_seqs
	# an ACK of data b never sent (the fast path acks nothing: counted
	# invalid or not, it moves nothing)
	inject ack "$A_END" $((B_END + 0x40000000))
	wire_quiet "$a" "$b"
	for ns in "$a" "$b"; do
		only "$ns" invalid
	done
	still_live
	assert_eq "retransmissions in a" "$rtx_a" "$(tcpstate_stat "$a" retransmissions)"
	assert_eq "retransmissions in b" "$rtx_b" "$(tcpstate_stat "$b" retransmissions)"
	ctl cli close c
	ctl srv close s
}

test_injected_ipv4() { injected 4; }
test_injected_ipv6() { injected 6; }

TESTS=(
	hostile_ipv4 test_hostile_ipv4
	hostile_ipv6 test_hostile_ipv6
	oow_rst_ipv4 test_oow_rst_ipv4
	oow_rst_ipv6 test_oow_rst_ipv6
	injected_fin_data_ack_ipv4 test_injected_ipv4
	injected_fin_data_ack_ipv6 test_injected_ipv6
	seq_wrap_ipv4_ipv6 test_wrap
	defrag_ipv4 test_defrag_ipv4
	defrag_ipv6 test_defrag_ipv6
	syn_options_ipv4 test_syn_options_ipv4
	syn_options_ipv6 test_syn_options_ipv6
	tfo_ipv4 test_tfo_ipv4
	tfo_ipv6 test_tfo_ipv6
	gso_gro_ipv4 test_gro_ipv4
	gso_gro_ipv6 test_gro_ipv6
)
ktap_select "$@"
kernel_clean || true
ktap_run
