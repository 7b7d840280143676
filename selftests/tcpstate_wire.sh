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
N=${HOSTILE_N:-2000}
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

	# Fragments: a non-first one is counted, not parsed; a first one
	# carries a whole TCP header and is tracked like any SYN. b's IP
	# queues both for reassembly, which never completes.
	blast "$fam" frag-later
	wait_eq 30000 "$N" kdelta "$reasm"
	for ns in "$a" "$b"; do
		expect "$ns" fragments "$N"
		only "$ns" fragments
	done
	still_live
	blast "$fam" frag-first
	wait_eq 30000 "$N" kdelta "$reasm"
	for ns in "$a" "$b"; do
		expect "$ns" flows_created "$N"
		only "$ns" flows_created
	done
	still_live
	# A first fragment too short for the TCP header is a fragment too:
	# without reassembly there is no header to read (not malformed).
	blast "$fam" frag-short
	wait_eq 30000 "$N" kdelta "$reasm"
	for ns in "$a" "$b"; do
		expect "$ns" fragments "$N"
		only "$ns" fragments
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
)
ktap_select "$@"
kernel_clean || true
ktap_run
