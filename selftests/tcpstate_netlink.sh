#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The generic netlink family and the tcpstate CLI: the CLI agrees with
# procfs, filters select exactly the matching flows, monitor shows each
# transition of both endpoints and one end-of-flow record, bad input is
# refused with an extack message, unprivileged users read stats only,
# dumps of 100 000 flows are exact, namespaces are separate, config set
# changes behaviour.
#
#   [ a: client 10.0.1.1 fd00:1::1 ] <--veth--> [ b: server 10.0.1.2 fd00:1::2 ]
source "$(dirname "$0")/lib.sh"
TCPSTATE="$SELFTESTS/../tools/tcpstate"
SYNFLOOD="$SELFTESTS/../build/synflood"
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all)

ts() { local ns=$1; shift; ip netns exec "$ns" "$TCPSTATE" "$@"; }

# connect_pair ID ADDR PORT: client ID in a connected to server ID in b.
connect_pair()
{
	ctl srv listen "l$1" "$2" "$3"
	ctl cli connect "c$1" "$2" "$3"
	ctl srv accept "s$1" "l$1"
}

# flows_as_proc NS: `tcpstate flows -j` in the columns procfs shows.
flows_as_proc()
{
	ts "$1" flows -j | python3 -c '
import json, sys
for f in json.load(sys.stdin):
    print(" ".join(str(x) for x in (
        {"inet": "ipv4", "inet6": "ipv6"}[f["family"]], f["src"], f["sport"],
        f["dst"], f["dport"], f["client_state"], f["server_state"],
        f["conn_state"], f["history"] or "-", f["client_pkts"],
        f["client_bytes"], f["server_pkts"], f["server_bytes"],
        f["client_retrans"], f["server_retrans"], f["syn_retrans"],
        f["synack_retrans"], f["keepalives"], f["invalid"],
        f["close_reason"])))' | sort
}

# proc_flows NS: procfs flows, but for the flags and times.
proc_flows()
{
	proc_cols "$1" flows "family client cport server sport client_state \
		server_state conn_state history c_pkts c_bytes s_pkts s_bytes c_rtx \
		s_rtx syn_rtx synack_rtx keepalives invalid close_reason" | sort
}

# A known mix in b: established v4 and v6, a closed one in TIME_WAIT at the
# client, and (unless told "quiet") half-open handshakes from addresses that
# never answer, whose SYN-ACK retransmissions keep changing the counters.
mixed_flows()
{
	two_hosts
	# nothing expires while the test looks (TCG is slow)
	for ns in "$a" "$b"; do
		ts "$ns" config set timeout_time_wait_ms 600000 \
			timeout_syn_recv_ms 600000 timeout_syn_sent_ms 600000 \
			> /dev/null
	done
	ctl_start srv "$b"
	ctl_start cli "$a"
	connect_pair 1 10.0.1.2 8101
	connect_pair 2 fd00:1::2 8102
	connect_pair 3 10.0.1.2 8103
	ctl cli send c1 1000
	ctl srv recv s1 1000
	ctl cli close c3
	ctl srv close s3
	if [ "${1:-}" = quiet ]; then
		busywait 30000 wire_quiet "$a" "$b"
		return
	fi
	ctl srv listen l4 0.0.0.0 8104
	# the SYN-ACKs reach a, which drops them: the requests stay (for
	# 17 minutes: a debug kernel takes minutes over the filters)
	ip netns exec "$b" sysctl -qw net.ipv4.tcp_synack_retries=10
	ip -n "$a" route add 10.9.0.0/16 dev veth0
	ip -n "$b" route add 10.9.0.0/16 via 10.0.1.1
	run ip netns exec "$a" "$SYNFLOOD" -n 5 10.9.0.0 10.0.1.2 8104
	busywait 30000 wire_quiet "$a" "$b"
}

test_cli_equals_procfs()
{
	local cli proc
	mixed_flows quiet
	for ns in "$a" "$b"; do
		cli=$(flows_as_proc "$ns")
		proc=$(proc_flows "$ns")
		echo "$cli"
		[ -n "$cli" ] || fail "no flows"
		assert_eq "flows in $ns, netlink vs procfs" "$proc" "$cli"
		cli=$(ts "$ns" stats | awk '{ print $1, $2 }')
		proc=$(ip netns exec "$ns" cat /proc/net/tcpstate/stats)
		assert_eq "stats in $ns, netlink vs procfs" "$proc" "$cli"
	done
	# the text table has a header and one aligned row per flow
	assert_eq "text rows" "$(($(proc_flows "$b" | wc -l) + 1))" \
		"$(ts "$b" flows | wc -l)"
	[ "$(ts "$b" flows | awk '{ print index($0, $2) }' | sort -u | wc -l)" = 1 ] ||
		fail "columns not aligned"
}

# listeners_agree NS: the listener dump and procfs, read one after the
# other, say the same of every listener, queues included.
listeners_agree()
{
	ts "$1" listeners -j > "$TMPD/l.json"
	ip netns exec "$1" cat /proc/net/tcpstate/listeners > "$TMPD/l.proc"
	python3 - "$TMPD/l.json" "$TMPD/l.proc" <<-'EOF'
	import json, sys
	cli = {(l["addr"], l["port"]): l for l in json.load(open(sys.argv[1]))
	       if not l["overflow"]}
	rows = [r.split() for r in open(sys.argv[2])]
	keys = ("half_open syns synacks handshakes cookies_sent cookies_recv "
	        "listen_overflows accept_queue accept_queue_max syn_queue "
	        "stuck").split()
	assert len(rows) - 1 == len(cli), (rows, cli)
	for r in rows[1:]:
	    p = dict(zip(rows[0], r))
	    c = cli[(p["addr"], int(p["port"]))]
	    for k in keys:
	        want = None if p[k] == "-" else int(p[k])
	        assert c[k] == want, (k, p, c)
	EOF
}

# The listener dump says what procfs says, the queues of a local
# listening socket included (null where there is none), and those are
# the socket's: ss -lnt's Recv-Q and Send-Q, ss state syn-recv.
test_listener_queues()
{
	local want got
	mixed_flows
	TMPD=$(mktemp -d)
	defer rm -rf "$TMPD"
	# 8104's SYN-ACKs go on being sent again: a moment between two
	busywait $((30000 * WAIT_SCALE)) listeners_agree "$b"
	# 8104 listens on 0.0.0.0 with five spoofed requests held
	want="$(ip netns exec "$b" ss -Hltn 'sport = :8104' | awk '{ print $2, $3 }')"
	want+=" $(syn_recv_count "$b" 8104)"
	got=$(ts "$b" listeners -j | python3 -c '
import json, sys
for l in json.load(sys.stdin):
    if l["port"] == 8104:
        print(l["accept_queue"], l["accept_queue_max"], l["syn_queue"])')
	assert_eq "8104: accept queue, its limit, SYN queue (ss)" "$want" "$got"
	assert_eq "8104: SYN queue" 5 "${got##* }"
	prom_agrees "$b"
}

test_json_keys()
{
	mixed_flows
	ts "$b" flows -j | python3 -m json.tool > /dev/null
	ts "$b" flows -p | python3 -m json.tool > /dev/null
	ts "$b" flows -j | python3 -c '
import json, sys
keys = "family src sport dst dport client_state server_state conn_state history client_pkts client_bytes server_pkts server_bytes close_reason duration_ms".split()
flows = json.load(sys.stdin)
assert flows, "no flows"
for f in flows:
    missing = [k for k in keys if k not in f]
    assert not missing, "missing keys %s" % missing'
	for cmd in stats listeners config; do
		ts "$b" $cmd -j | python3 -m json.tool > /dev/null
	done
	ts "$b" stats -j | python3 -c '
import json, sys
s = json.load(sys.stdin)
for k in ("segments", "flows", "events_dropped", "endpoints_established"):
    assert k in s, k'
	ts "$b" listeners -j | python3 -c '
import json, sys
ls = json.load(sys.stdin)
assert any(l["port"] == 8101 and l["handshakes"] == 1 for l in ls), ls'
	ts "$b" stats --prometheus | grep -q '^# TYPE tcpstate_segments_total counter$'
	ts "$b" stats --prometheus |
		grep -q '^tcpstate_endpoints{role="client",state="established"} '
}

# roles_agree NS: the Prometheus endpoint gauges by role and state are the
# flow dump's client and server states counted (node_exporter's names).
roles_agree()
{
	ts "$1" stats --prometheus > "$TMPD/prom"
	ts "$1" flows -j > "$TMPD/flows.json"
	python3 - "$TMPD/prom" "$TMPD/flows.json" <<-'EOF'
	import collections, json, re, sys
	node = {"CLOSED": "close", "LISTEN": "listen", "SYN_SENT": "syn_sent",
	        "SYN_RECEIVED": "syn_recv", "ESTABLISHED": "established",
	        "FIN_WAIT_1": "fin_wait1", "FIN_WAIT_2": "fin_wait2",
	        "CLOSE_WAIT": "close_wait", "CLOSING": "closing",
	        "LAST_ACK": "last_ack", "TIME_WAIT": "time_wait"}
	want = collections.Counter()
	for f in json.load(open(sys.argv[2])):
	    for role in ("client", "server"):
	        s = f[role + "_state"]
	        if s != "NONE":
	            want[(role, node[s])] += 1
	got = collections.Counter()
	for l in open(sys.argv[1]):
	    m = re.match(r'^tcpstate_endpoints\{role="(\w+)",state="(\w+)"\} (-?\d+)$', l)
	    if m and int(m.group(3)):
	        got[(m.group(1), m.group(2))] = int(m.group(3))
	assert got == want, (sorted(got.items()), sorted(want.items()))
	EOF
}

# http_code NS URL [CURL_ARGS...]: the status curl gets from NS.
http_code()
{
	local ns=$1 url=$2
	shift 2
	ip netns exec "$ns" curl -s -o /dev/null -w '%{http_code}' "$@" "$url"
}

# raw_http REQUEST: the status line the exporter in x answers REQUEST
# (printf escapes) with, sent as is; empty if it closes without one.
raw_http()
{
	ip netns exec "$x" bash -c 'exec 3<> /dev/tcp/127.0.0.1/9925
		printf "$1" >&3; timeout 20 head -c 12 <&3' - "$1"
}

# exporter_same DIR NS...: the exporter's /metrics, its netns label taken
# off, are for each NS the samples `stats --prometheus` prints there.
exporter_same()
{
	local d=$1 ns
	shift
	ip netns exec "$x" curl -sf -o "$d/scrape" http://127.0.0.1:9925/metrics ||
		return 1
	for ns in "$@"; do
		grep -v '^#' < <(ts "$ns" stats --prometheus) | sort > "$d/want"
		grep "netns=\"$ns\"" "$d/scrape" | grep -v '^tcpstate_exporter_' |
			sed -E "s/\{netns=\"$ns\"\}/ /; s/ +/ /; s/netns=\"$ns\",?//; s/\{\}//" |
			sort > "$d/got"
		cmp -s "$d/want" "$d/got" || return 1
	done
}

# `tcpstate exporter` in a namespace of its own serves two others, named:
# what curl gets passes promtool and is, series by series, each one's
# `stats --prometheus` labelled netns; HEAD works; other paths, methods,
# oversized headers and garbage get 404, 405, 431 (or 413), 400, and it
# goes on serving; SIGTERM stops it (status 0). The textfile way writes
# the same by rename, leaving no temporary file.
test_exporter()
{
	local d pid rc=0 big code
	checktool curl
	checktool promtool
	mixed_flows quiet
	setup_ns x
	d=$(mktemp -d)
	defer rm -rf "$d"
	ip netns exec "$x" "$TCPSTATE" exporter --listen 127.0.0.1:9925 \
		--netns "$a" --netns "$b" 2> "$d/err" &
	pid=$!
	defer "kill $pid 2> /dev/null"
	busywait 30000 listening "$x" 9925
	# the namespaces are quiet: a scrape between two reads of each agrees
	busywait 30000 exporter_same "$d" "$a" "$b" || {
		diff "$d/want" "$d/got"; fail "the exporter's metrics differ"; }
	promtool check metrics < "$d/scrape" || fail "promtool check metrics"
	assert_eq "scrape success" 2 \
		"$(grep -c '^tcpstate_exporter_scrape_success{netns=".*"} 1$' "$d/scrape")"
	assert_eq "HEAD /metrics" 200 "$(http_code "$x" http://127.0.0.1:9925/metrics -I)"
	assert_eq "GET /" 200 "$(http_code "$x" http://127.0.0.1:9925/)"
	assert_eq "GET /other" 404 "$(http_code "$x" http://127.0.0.1:9925/other)"
	assert_eq "POST /metrics" 405 \
		"$(http_code "$x" http://127.0.0.1:9925/metrics -d x=1)"
	big=$(head -c 65536 /dev/zero | tr '\0' a)
	code=$(http_code "$x" http://127.0.0.1:9925/metrics -H "X-Big: $big")
	[ "$code" = 431 ] || [ "$code" = 413 ] || fail "a 64 KiB header: $code"
	assert_eq "a malformed header line" "HTTP/1.1 400" \
		"$(raw_http "GET /metrics HTTP/1.1\r\nHost: x\r\nno colon\r\n\r\n")"
	assert_eq "HTTP/9.9" "HTTP/1.1 505" \
		"$(raw_http "GET /metrics HTTP/9.9\r\n\r\n")"
	assert_eq "no request line: closed unanswered" "" \
		"$(raw_http "NONSENSE\r\n\r\n")"
	assert_eq "still serving" 200 "$(http_code "$x" http://127.0.0.1:9925/metrics)"
	kill -TERM "$pid"
	wait "$pid" || rc=$?
	assert_eq "exit status after SIGTERM" 0 "$rc"
	# the textfile collector's way
	ip netns exec "$b" "$TCPSTATE" exporter --textfile "$d/tcpstate.prom"
	promtool check metrics < "$d/tcpstate.prom" || fail "promtool: the textfile"
	grep -v '^#' "$d/tcpstate.prom" | sort > "$d/got"
	grep -v '^#' < <(ts "$b" stats --prometheus) | sort > "$d/want"
	diff "$d/want" "$d/got" || fail "the textfile differs from stats --prometheus"
	assert_eq "files left" tcpstate.prom "$(ls "$d" | grep tcpstate)"
	# bad arguments: usage errors; a namespace that does not exist: 1
	assert_eq "--listen nowhere" 2 \
		"$(ts "$b" exporter --listen nowhere > /dev/null 2>&1; echo $?)"
	assert_eq "--listen and --textfile" 2 \
		"$(ts "$b" exporter --listen :9925 --textfile "$d/y" > /dev/null 2>&1; echo $?)"
	assert_eq "--netns twice" 2 \
		"$(ts "$b" exporter --textfile "$d/y" --netns "$a" --netns "$a" > /dev/null 2>&1; echo $?)"
	assert_eq "--netns missing" 1 \
		"$(ts "$b" exporter --textfile "$d/y" --netns missing-$$ > /dev/null 2>&1; echo $?)"
}

YNL_DIR="$SELFTESTS/../build/ynl/linux-source-6.12"

# ynl NS ARGS...: the kernel's own ynl CLI, run in NS, the spec checked
# against the kernel's genetlink-legacy schema first.
ynl()
{
	local ns=$1
	shift
	ip netns exec "$ns" /usr/bin/python3 "$YNL_DIR/tools/net/ynl/cli.py" \
		--spec "$SELFTESTS/../spec/tcpstate.yaml" \
		--schema "$YNL_DIR/Documentation/netlink/genetlink-legacy.yaml" \
		--output-json "$@"
}

# ynl_flows_same NAME YNL_JSON FLOW_ARGS...: ynl's filtered dump names the
# flows `tcpstate flows` picks with FLOW_ARGS, in the same states.
ynl_flows_same()
{
	local name=$1 json=$2
	shift 2
	ynl "$b" --dump flow-get --json "$json" > "$TMPD/y.json"
	ts "$b" flows -j "$@" > "$TMPD/c.json"
	python3 - "$TMPD/y.json" "$TMPD/c.json" "$name" <<-'EOF'
	import json, sys
	y = {(f["client-addr"], f["client-port"], f["server-addr"],
	      f["server-port"], f["client-state"].upper().replace("-", "_"),
	      f["server-state"].upper().replace("-", "_")) for f in json.load(open(sys.argv[1]))}
	c = {(f["src"], f["sport"], f["dst"], f["dport"], f["client_state"],
	      f["server_state"]) for f in json.load(open(sys.argv[2]))}
	assert c, (sys.argv[3], "the filter picks nothing")
	assert y == c, (sys.argv[3], sorted(y), sorted(c))
	print("  %s: %d flows" % (sys.argv[3], len(c)))
	EOF
}

# The kernel's ynl drives the module from spec/tcpstate.yaml, validated
# against the kernel's schema: stats-get equals `stats -j`, filtered
# flow-get dumps equal `flows`, config-set changes what `config` shows,
# and the events it gets subscribed are `monitor -j`'s.
test_ynl()
{
	local i ypid mpid
	[ -r "$YNL_DIR/tools/net/ynl/cli.py" ] || skip "no ynl: make ynl"
	mixed_flows quiet
	TMPD=$(mktemp -d)
	defer rm -rf "$TMPD"
	ynl "$b" --do stats-get > "$TMPD/ynl.json"
	ts "$b" stats -j > "$TMPD/cli.json"
	python3 - "$TMPD/ynl.json" "$TMPD/cli.json" <<-'EOF'
	import json, sys
	y = json.load(open(sys.argv[1]))
	c = json.load(open(sys.argv[2]))
	n = 0
	for k, v in c.items():
	    if k.startswith("endpoints_"):
	        continue
	    assert y[k.replace("_", "-")] == v, (k, y.get(k.replace("_", "-")), v)
	    n += 1
	ep = {e["state"]: e["count"] for e in y["endpoints"]}
	assert ep["established"] == c["endpoints_established"], (ep, c)
	assert n >= 30, n
	print("  stats-get: %d counters agree" % n)
	EOF
	ynl_flows_same ipv4 '{"filter": {"family": 2}}' -4
	ynl_flows_same ipv6 '{"filter": {"family": 10}}' -6
	ynl_flows_same "server port 8101" '{"filter": {"server-port": 8101}}' dport 8101
	ynl_flows_same established '{"filter": {"states": 32}}' state established
	ynl "$b" --do config-set --json '{"timeout-time-wait": 31000}' > /dev/null
	assert_eq "config-set by ynl, config by the CLI" 31000 \
		"$(ts "$b" config -j | python3 -c 'import json, sys; print(json.load(sys.stdin)["timeout_time_wait_ms"])')"
	# events: ynl listens for 8 s; connections one after the other
	# until it is done, the first ones maybe before it joined the group
	ts "$a" monitor -j > "$TMPD/mon" 2> "$TMPD/mon.err" &
	mpid=$!
	defer "kill $mpid 2> /dev/null"
	busywait 30000 grep -q "listening for events" "$TMPD/mon.err"
	ynl "$a" --subscribe events --sleep $((8 * WAIT_SCALE)) > "$TMPD/ntf" &
	ypid=$!
	ip netns exec "$b" python3 "$SELFTESTS/tcpgen.py" serve 10.0.1.2 8240 \
		--count 0 &
	defer "kill $! 2> /dev/null"
	busywait 30000 listening "$b" 8240
	for i in $(seq 60); do
		kill -0 "$ypid" 2> /dev/null || break
		ip netns exec "$a" python3 "$SELFTESTS/tcpgen.py" connect 10.0.1.2 8240
		busywait 30000 wire_quiet "$a" "$b"
	done
	wait "$ypid" || fail "ynl --subscribe failed"
	python3 - "$TMPD/ntf" "$TMPD/mon" <<-'EOF'
	import collections, json, sys
	ynl = collections.defaultdict(list)
	for n in json.load(open(sys.argv[1])):
	    if n["name"] != "transition-ntf":
	        continue
	    m = n["msg"]
	    ynl[m["flow"]["client-port"]].append(
	        (m["side"], m["old-state"].upper().replace("-", "_"), m["new-state"].upper().replace("-", "_")))
	mon = collections.defaultdict(list)
	for l in open(sys.argv[2]):
	    e = json.loads(l)
	    if e["event"] == "transition" and e["dport"] == 8240:
	        mon[e["sport"]].append((e["side"], e["old_state"], e["new_state"]))
	whole = [p for p, t in ynl.items() if t and t[0][1] == "NONE"]
	assert whole, ("no flow seen from its first transition", dict(ynl))
	for p in whole:
	    assert ynl[p] == mon[p][:len(ynl[p])], (p, ynl[p], mon[p])
	print("  events: %d flows' transitions as monitor -j has them" % len(whole))
	EOF
}

# no_endpoints NS: every endpoint gauge, by role and state, is 0.
no_endpoints()
{
	! ts "$1" stats --prometheus | grep '^tcpstate_endpoints{' | grep -qv ' 0$'
}

# The endpoint gauges by role: the flow dump's states, also for a flow
# picked up mid-stream whose client turns out to be the other side (a
# SYN-ACK after an ACK: the roles swap); and all 0 after a flush, so no
# endpoint was counted under one role and taken off the other.
test_endpoint_roles()
{
	mixed_flows quiet
	TMPD=$(mktemp -d)
	defer rm -rf "$TMPD"
	roles_agree "$a"
	roles_agree "$b"
	# b's kernel answers the strays with RSTs: drop them
	ip netns exec "$b" nft add table inet roles
	ip netns exec "$b" nft add chain inet roles out \
		'{ type filter hook output priority 0; }'
	ip netns exec "$b" nft add rule inet roles out tcp sport 8230 drop
	ip netns exec "$a" /usr/bin/python3 - <<-'PY'
	import logging
	logging.getLogger("scapy").setLevel(logging.ERROR)
	from scapy.all import IP, TCP, send, conf
	conf.verb = 0
	ip = IP(src="10.0.1.1", dst="10.0.1.2")
	# a mid-stream ACK from a (a the client so far), then a's SYN-ACK:
	# a answers a SYN, so b is the client
	send(ip / TCP(sport=40230, dport=8230, flags="A", seq=1000, ack=5000))
	send(ip / TCP(sport=40230, dport=8230, flags="SA", seq=999, ack=5000))
	PY
	busywait 30000 wire_quiet "$a" "$b"
	assert_eq "the client of the flow on port 8230 (b's view)" 10.0.1.2 \
		"$(ts "$b" flows -j port 8230 | python3 -c '
import json, sys
print(" ".join(f["src"] for f in json.load(sys.stdin)))')"
	roles_agree "$a"
	roles_agree "$b"
	ts "$a" flush
	ts "$b" flush
	no_endpoints "$a" || { ts "$a" stats --prometheus | grep endpoints; fail "a: gauges left"; }
	no_endpoints "$b" || { ts "$b" stats --prometheus | grep endpoints; fail "b: gauges left"; }
}

# check_filter NAME PYTHON_PREDICATE FILTER...: the kernel's answer to the
# filter is exactly the flows of the full dump the predicate picks.
check_filter()
{
	local name=$1 pred=$2 want got
	shift 2
	want=$(python3 -c "
import json, sys
for f in json.load(open('$TMPD/all.json')):
    if $pred:
        print(f['src'], f['sport'], f['dst'], f['dport'])" | sort)
	got=$(ts "$b" flows -j "$@" | python3 -c '
import json, sys
for f in json.load(sys.stdin):
    print(f["src"], f["sport"], f["dst"], f["dport"])' | sort)
	[ -n "$want" ] || fail "$name: the mix has no flow for this filter"
	assert_eq "filter $name ($*): $(echo "$want" | wc -l) flows" "$want" "$got"
}

test_filters()
{
	local cp rc
	mixed_flows
	TMPD=$(mktemp -d)
	ts "$b" flows -j > "$TMPD/all.json"
	cp=$(python3 -c "
import json
print([f for f in json.load(open('$TMPD/all.json')) if f['dport'] == 8101][0]['sport'])")
	check_filter ipv4 'f["family"] == "inet"' -4
	check_filter ipv6 'f["family"] == "inet6"' -6
	check_filter established '"ESTABLISHED" in (f["client_state"], f["server_state"])' state established
	check_filter syn-recv '"SYN_RECEIVED" in (f["client_state"], f["server_state"])' state syn-recv
	check_filter SYN_RECEIVED '"SYN_RECEIVED" in (f["client_state"], f["server_state"])' state SYN_RECEIVED
	check_filter time-wait '"TIME_WAIT" in (f["client_state"], f["server_state"])' state time-wait
	check_filter two-states '{"TIME_WAIT", "SYN_RECEIVED"} & {f["client_state"], f["server_state"]}' state time-wait state syn-recv
	check_filter client-state 'f["client_state"] == "TIME_WAIT"' client-state time-wait
	check_filter server-state 'f["server_state"] == "SYN_RECEIVED"' server-state syn-recv
	check_filter conn-S1 'f["conn_state"] == "S1"' conn S1
	check_filter conn-SF 'f["conn_state"] == "SF"' conn sf
	check_filter dport 'f["dport"] == 8101' dport :8101
	check_filter sport "f['sport'] == $cp" sport ":$cp"
	check_filter port '8102 in (f["sport"], f["dport"])' port 8102
	check_filter src 'f["src"] == "10.0.1.1"' src 10.0.1.1
	check_filter dst 'f["dst"] == "fd00:1::2"' dst fd00:1::2
	check_filter addr '"10.0.1.2" in (f["src"], f["dst"])' addr 10.0.1.2
	check_filter listener '"h" in f["history"]' listener
	check_filter combined 'f["dport"] == 8101 and f["server_state"] == "ESTABLISHED"' server-state established dport :8101
	assert_eq "nothing matches" "[]" "$(ts "$b" flows -j dport :1)"
	ts "$b" flows state bogus 2> "$TMPD/err" && fail "bad state accepted"
	grep -q "syn-recv" "$TMPD/err"
	rc=0; ts "$b" flows src 10.0.1 2> "$TMPD/err" || rc=$?
	assert_eq "bad address exit" 2 "$rc"
	grep -q "IPv4 or IPv6" "$TMPD/err"
	rc=0; ts "$b" flows -6 src 10.0.1.1 2> /dev/null || rc=$?
	assert_eq "family clash exit" 2 "$rc"
	rm -rf "$TMPD"
}

# monitor_zeek_ends DIR N: monitor -j in DIR/json has N end records.
monitor_zeek_ends()
{
	[ "$(grep -c '"event":"flow_end"' "$1/json")" -ge "$2" ]
}

# `monitor --format zeek` writes Zeek's conn.log: one line per flow that
# ended (SF over IPv4 and IPv6, RSTO, REJ), equal to the end records of
# `monitor -j` running beside it, local_orig/local_resp from the
# namespace's addresses; SIGTERM closes the log (#close) and exits 0.
test_monitor_zeek()
{
	local dir zpid jpid off local=() ad rc=0
	two_hosts
	dir=$(mktemp -d)
	defer rm -rf "$dir"
	ip netns exec "$a" "$TCPSTATE" monitor --format zeek > "$dir/zeek" 2> "$dir/zerr" &
	zpid=$!
	ip netns exec "$a" "$TCPSTATE" monitor -j > "$dir/json" 2> "$dir/jerr" &
	jpid=$!
	defer "kill $zpid $jpid 2> /dev/null"
	busywait 30000 grep -q "listening for events" "$dir/zerr"
	busywait 30000 grep -q "listening for events" "$dir/jerr"
	ctl_start srv "$b"
	ctl_start cli "$a"
	ctl srv listen l 10.0.1.2 8211
	ctl srv listen l6 fd00:1::2 8211
	ctl cli connect c 10.0.1.2 8211
	ctl srv accept s l
	ctl cli send c 1000
	ctl srv recv s 1000
	ctl srv send s 2000
	ctl cli recv c 2000
	ctl cli close c
	ctl srv close s
	ctl cli connect c6 fd00:1::2 8211
	ctl srv accept s6 l6
	ctl cli send c6 10
	ctl srv recv s6 10
	ctl cli close c6
	ctl srv close s6
	ctl cli connect r 10.0.1.2 8211
	ctl srv accept sr l
	ctl cli abort r
	! ip netns exec "$a" bash -c 'exec 3<> /dev/tcp/10.0.1.2/8212' 2> /dev/null ||
		fail "a connection to a closed port"
	busywait $((30000 * WAIT_SCALE)) monitor_zeek_ends "$dir" 4
	kill -TERM "$zpid"
	wait "$zpid" || rc=$?
	assert_eq "monitor --format zeek: exit status after SIGTERM" 0 "$rc"
	kill "$jpid"
	cat "$dir/zeek"
	off=$(python3 -c 'import time; print(time.time() - time.monotonic())')
	for ad in $(ip -n "$a" -o addr show | awk '{ print $4 }' | cut -d/ -f1); do
		local+=(--local "$ad")
	done
	python3 "$SELFTESTS/zeek_check.py" "$dir/zeek" "$dir/json" \
		--offset "$off" "${local[@]}"
	assert_eq "conn_state of the four" "REJ RSTO SF SF" \
		"$(awk -F'\t' '!/^#/ { print $12 }' "$dir/zeek" | sort | xargs)"
	assert_eq "local_orig, local_resp" "T F" \
		"$(awk -F'\t' '!/^#/ { print $13, $14 }' "$dir/zeek" | sort -u)"
}

test_monitor_transitions()
{
	local dir cp pid
	two_hosts
	dir=$(mktemp -d)
	ip netns exec "$a" "$TCPSTATE" monitor -j > "$dir/out" 2> "$dir/err" &
	pid=$!
	busywait 30000 grep -q "listening for events" "$dir/err"
	ctl_start srv "$b"
	ctl_start cli "$a"
	ctl srv listen l 10.0.1.2 8201
	ctl cli connect c 10.0.1.2 8201
	ctl srv accept s l
	ctl cli port c
	cp=$CTL_REPLY
	ctl cli send c 1000
	ctl srv recv s 1000
	ctl srv send s 2000
	ctl cli recv c 2000
	busywait 30000 wire_quiet "$a" "$b"
	ctl cli shutdown c
	busywait 30000 wire_quiet "$a" "$b"
	ctl srv close s
	busywait 30000 grep -q '"flow_end"' "$dir/out"
	busywait 30000 wire_quiet "$a" "$b"
	kill "$pid"
	cat "$dir/out"
	python3 - "$dir/out" "$cp" <<-'PY'
	import json, sys
	ev = [json.loads(l) for l in open(sys.argv[1])]
	ev = [e for e in ev if e["dport"] == 8201 and e["sport"] == int(sys.argv[2])]
	seq = lambda side: [(e["old_state"], e["new_state"]) for e in ev
	                    if e["event"] == "transition" and e["side"] == side]
	want_c = [("NONE", "SYN_SENT"), ("SYN_SENT", "ESTABLISHED"),
	          ("ESTABLISHED", "FIN_WAIT_1"), ("FIN_WAIT_1", "FIN_WAIT_2"),
	          ("FIN_WAIT_2", "TIME_WAIT")]
	want_s = [("NONE", "SYN_RECEIVED"), ("SYN_RECEIVED", "ESTABLISHED"),
	          ("ESTABLISHED", "CLOSE_WAIT"), ("CLOSE_WAIT", "LAST_ACK"),
	          ("LAST_ACK", "CLOSED")]
	assert seq("client") == want_c, seq("client")
	assert seq("server") == want_s, seq("server")
	ends = [e for e in ev if e["event"] == "flow_end"]
	assert len(ends) == 1, ends
	e = ends[0]
	assert (e["conn_state"], e["close_reason"], e["client_state"],
	        e["server_state"]) == ("SF", "fin", "TIME_WAIT", "CLOSED"), e
	assert (e["client_bytes"], e["server_bytes"]) == (1000, 2000), e
	assert e["client_pkts"] > 0 and e["server_pkts"] > 0, e
	assert e["rtt_syn_synack_us"] is not None and e["rtt_synack_ack_us"] is not None, e
	assert "duration_ms" in e and e["history"].startswith("Sh"), e
	PY
	assert_eq "events dropped" 0 "$(tcpstate_stat "$a" events_dropped)"
	rm -rf "$dir"
}

test_bad_input()
{
	local out err
	setup_ns a
	out=$(ip netns exec "$a" python3 "$SELFTESTS/nl_raw.py")
	echo "$out"
	kernel_clean
	while read -r name err msg; do
		[ "$name" = sane ] && continue
		[ "$err" != errno=0 ] || fail "$name: accepted"
		# genetlink itself answers an unknown command, without a message
		[ "$name" = unknown_command ] && continue
		[ "$msg" != msg=- ] || fail "$name: no extack message"
	done <<< "$out"
	grep -q "^unknown_command errno=95 " <<< "$out"
	grep -q "^unknown_attribute errno=22 msg=Unknown attribute type" <<< "$out"
	grep -q "^sane ok$" <<< "$out"
	# the CLI shows the kernel's message
	err=$(ts "$a" config set max_flows 0 2>&1) && fail "max_flows 0 accepted"
	echo "$err"
	grep -q "out of range" <<< "$err"
	# output options that do not go together: usage errors
	assert_eq "stats --destinations alone" 2 \
		"$(ts "$a" stats --destinations > /dev/null 2>&1; echo $?)"
	assert_eq "monitor --format xml" 2 \
		"$(ts "$a" monitor --format xml > /dev/null 2>&1; echo $?)"
	assert_eq "monitor -j --format zeek" 2 \
		"$(ts "$a" monitor -j --format zeek > /dev/null 2>&1; echo $?)"
}

# A flow-get request finds each flow of the dump by its tuple, given in
# either order, with the dump's states and bytes; a tuple with no flow gets
# ENOENT.
test_flow_get()
{
	local fam src sport dst dport cs ss cb sb want n=0
	mixed_flows quiet
	while read -r fam src sport dst dport cs ss cb sb; do
		want="$cs $ss $cb $sb"
		assert_eq "get $src $sport $dst $dport" "$want" \
			"$(ip netns exec "$b" python3 "$SELFTESTS/nl_raw.py" get \
				"$fam" "$src" "$sport" "$dst" "$dport")"
		assert_eq "get $dst $dport $src $sport" "$want" \
			"$(ip netns exec "$b" python3 "$SELFTESTS/nl_raw.py" get \
				"$fam" "$dst" "$dport" "$src" "$sport")"
		n=$((n + 1))
	done < <(ts "$b" flows -j | python3 -c '
import json, sys
st = "NONE CLOSED LISTEN SYN_SENT SYN_RECEIVED ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 CLOSE_WAIT CLOSING LAST_ACK TIME_WAIT".split()
for f in json.load(sys.stdin):
    print(f["family"], f["src"], f["sport"], f["dst"], f["dport"],
          st.index(f["client_state"]), st.index(f["server_state"]),
          f["client_bytes"], f["server_bytes"])')
	assert_eq "flows looked up" 3 "$n"
	ip netns exec "$b" python3 "$SELFTESTS/nl_raw.py" get inet \
		10.0.1.1 1 10.0.1.2 2 | grep -q "^errno=2 msg=no such flow "
}

test_unprivileged()
{
	local err
	checktool setpriv
	mixed_flows
	for cmd in "config set max_flows 100" "flush" "flows" "listeners" "monitor"; do
		# shellcheck disable=SC2086
		err=$(ip netns exec "$b" "${NOBODY[@]}" "$TCPSTATE" $cmd 2>&1) &&
			fail "unprivileged '$cmd' allowed"
		echo "$cmd: $err"
		grep -q CAP_NET_ADMIN <<< "$err"
	done
	ip netns exec "$b" "${NOBODY[@]}" "$TCPSTATE" stats | grep -q "^flows "
	ip netns exec "$b" "${NOBODY[@]}" "$TCPSTATE" config | grep -q "^max_flows "
	assert_eq "max_flows unchanged" 262144 \
		"$(ts "$b" config | awk '$1 == "max_flows" { print $2 }')"
	[ "$(tcpstate_stat "$b" flows)" -gt 0 ] || fail "flows were flushed"
}

test_dump_100k()
{
	local n=100000 out dups
	[ -x "$SYNFLOOD" ] || fail "$SYNFLOOD is not built"
	two_hosts
	ip -n "$a" route add 10.9.0.0/16 dev veth0
	ip -n "$b" route add 10.9.0.0/16 dev veth1
	# refused (REJ) flows would expire while 100 000 SYNs are sent: that
	# takes 655 s on the debug kernel (153 SYNs/s), so they live an hour
	run ts "$b" config set timeout_closed_ms 3600000 timeout_syn_sent_ms 3600000
	# tcpstate must hold a flow for each SYN that reached IP
	syn_flood_counted "$a" "$b" 8301 $n
	busywait 20000 wire_quiet "$b"
	n=$(counted "$b")
	assert_eq "flows in b" "$n" "$(tcpstate_stat "$b" flows)"
	out=$(mktemp)
	ts "$b" flows | tail -n +2 | awk '{ print $2, $3 }' > "$out"
	assert_eq "flows listed" $n "$(wc -l < "$out")"
	dups=$(sort "$out" | uniq -d | wc -l)
	assert_eq "flows listed twice" 0 "$dups"
	assert_eq "filtered dump" $n "$(ts "$b" flows -j dport :8301 | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')"
	rm -f "$out"
	kernel_clean
}

test_two_namespaces()
{
	setup_ns c d
	ip netns exec "$c" python3 "$SELFTESTS/tcpgen.py" pairs 127.0.0.1 8401 --count 2
	ip netns exec "$d" python3 "$SELFTESTS/tcpgen.py" pairs 127.0.0.1 8402 --count 3
	assert_eq "c's flows" "8401 8401" "$(ts "$c" flows -j | python3 -c '
import json, sys; print(" ".join(str(f["dport"]) for f in json.load(sys.stdin)))')"
	assert_eq "d's flows" "8402 8402 8402" "$(ts "$d" flows -j | python3 -c '
import json, sys; print(" ".join(str(f["dport"]) for f in json.load(sys.stdin)))')"
	ts "$c" flush | grep -q "flushed 2 flows"
	assert_eq "d after c's flush" 3 "$(tcpstate_stat "$d" flows)"
}

test_config_set()
{
	local rc
	two_hosts
	run ts "$a" config set timeout_time_wait_ms 1000 timeout-closed 500
	assert_eq "time_wait in a" 1000 "$(ts "$a" config -j | python3 -c 'import json, sys; print(json.load(sys.stdin)["timeout_time_wait_ms"])')"
	assert_eq "time_wait in b" 60000 "$(ts "$b" config | awk '$1 == "timeout_time_wait_ms" { print $2 }')"
	ctl_start srv "$b"
	ctl_start cli "$a"
	connect_pair 1 10.0.1.2 8501
	ctl cli close c1
	ctl srv close s1
	# the client sits in TIME_WAIT: 1 s in a, 60 s in b
	wait_eq 30000 0 tcpstate_stat "$a" flows
	assert_eq "expired in a" 1 "$(tcpstate_stat "$a" flows_expired)"
	assert_eq "b still holds it in TIME_WAIT" 1 \
		"$(ts "$b" flows client-state time-wait dport :8501 | tail -n +2 | wc -l)"
	ts "$a" config set timeout_time_wait_ms 0 2> /dev/null && fail "0 ms accepted"
	rc=0; ts "$a" config set nosuchkey 1 2> /dev/null || rc=$?
	assert_eq "unknown key exit" 2 "$rc"
}

# Every key `config keys` lists is a module parameter (the kernel's
# /sys/module view) whose value a new namespace starts from, and its
# bounds are the kernel's: MAX passes, MAX + 1 and MIN - 1 are refused
# with the key and its range in the message, and nothing changes.
test_config_keys()
{
	local key min max def cur err n=0
	setup_ns a
	while read -r key min max def; do
		cur=$(cat "/sys/module/tcpstate/parameters/$key") ||
			fail "$key: no such module parameter"
		assert_eq "$key: new namespace" "$cur" \
			"$(ts "$a" config | awk -v k="$key" '$1 == k { print $2 }')"
		[ "$(ts "$a" config set "$key" "$max" | awk -v k="$key" \
			'$1 == k { print $2 }')" = "$max" ] || fail "$key $max refused"
		err=$(ts "$a" config set "$key" $((max + 1)) 2>&1) &&
			fail "$key $((max + 1)) accepted"
		grep -q "$key is out of range: $min to $max" <<< "$err" ||
			fail "$key: message '$err'"
		if [ "$min" -gt 0 ]; then
			ts "$a" config set "$key" $((min - 1)) 2> /dev/null &&
				fail "$key $((min - 1)) accepted"
		fi
		assert_eq "$key after refusals" "$max" \
			"$(ts "$a" config | awk -v k="$key" '$1 == k { print $2 }')"
		ts "$a" config set "$key" "$cur" > /dev/null
		n=$((n + 1))
	done < <("$TCPSTATE" config keys -j | python3 -c '
import json, sys
for k in json.load(sys.stdin):
    print(k["key"], k["min"], k["max"], k["default"])')
	assert_eq "keys checked" \
		"$(ts "$a" config | wc -l)" "$n"
	# parameters not on the module's command line are their defaults
	"$TCPSTATE" config keys | awk 'NR > 1 { print $1, $4 }' |
		while read -r key def; do
			assert_eq "$key default" "$def" \
				"$(cat "/sys/module/tcpstate/parameters/$key")"
		done
}

test_module_missing()
{
	local err rc=0
	rmmod tcpstate
	err=$("$TCPSTATE" flows 2>&1) || rc=$?
	run insmod "$SELFTESTS/../module/tcpstate.ko"
	echo "$err"
	assert_eq "exit status" 1 "$rc"
	grep -q "tcpstate module is not loaded: run 'insmod" <<< "$err"
}

# run_in CGROUP NS UID CMD...: CMD in namespace NS as UID, in CGROUP.
# bg_in, the same in the background: BG is its pid, the command's own.
run_in()
{
	local cg=$1 ns=$2 uid=$3
	shift 3
	sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$cg" \
		ip netns exec "$ns" setpriv --reuid="$uid" --regid="$uid" \
		--clear-groups "$@"
}

bg_in()
{
	local cg=$1 ns=$2 uid=$3
	shift 3
	sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$cg" \
		ip netns exec "$ns" setpriv --reuid="$uid" --regid="$uid" \
		--clear-groups "$@" &
	BG=$!
	defer "kill $BG 2> /dev/null; wait $BG 2> /dev/null"
}

# flow_count NS PORT: flows to server port PORT in NS.
flow_count()
{
	ip netns exec "$1" awk -v p="$2" 'NR > 1 && $5 == p' \
		/proc/net/tcpstate/flows | wc -l
}

# owners_of NS SIDE: "uid cgroup" of SIDE (client, server) of each flow
# to port 8700, with its client port.
owners_of()
{
	ts "$1" flows -j dport 8700 | python3 -c '
import json, sys
for f in json.load(sys.stdin):
    print(f["sport"], f[sys.argv[1] + "_uid"], f[sys.argv[1] + "_cgroup"])' "$2" |
		sort
}

# The owner of each local endpoint: its uid as ss -e shows it, its cgroup
# as /proc/PID/cgroup names it; for a connection open now, short ones and
# one ended by a reset. A remote endpoint has none; the listener has its
# socket's. The uid and cgroup filters select by owner.
test_owners()
{
	local cg=/sys/fs/cgroup/tcpstate-own-$$ rel=/tcpstate-own-$$ pid want got ns
	[ -r /sys/fs/cgroup/cgroup.controllers ] ||
		mount -t cgroup2 none /sys/fs/cgroup 2> /dev/null ||
		skip "no cgroup2"
	mkdir -p "$cg/srv" "$cg/cli/inner"
	defer "cgroup_remove $cg"
	TMPD=$(mktemp -d)
	defer rm -rf "$TMPD"
	two_hosts
	for ns in "$a" "$b"; do
		ts "$ns" config set timeout_time_wait_ms 600000 \
			timeout_closed_ms 600000 > /dev/null
	done
	bg_in "$cg/srv" "$b" 4242 python3 "$SELFTESTS/tcpgen.py" serve \
		10.0.1.2 8700 --count 0
	busywait 30000 listening "$b" 8700
	bg_in "$cg/cli/inner" "$a" 1234 python3 -c '
import socket, time
s = socket.create_connection(("10.0.1.2", 8700))
s.sendall(b"x")
s.recv(1)
time.sleep(600)'
	pid=$BG
	run_in "$cg/cli/inner" "$a" 1234 python3 "$SELFTESTS/tcpgen.py" \
		connect 10.0.1.2 8700 --count 3
	run_in "$cg/cli" "$a" 1235 python3 -c '
import socket, struct
s = socket.create_connection(("10.0.1.2", 8700))
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()'
	wait_eq 30000 5 flow_count "$a" 8700
	wait_eq 30000 5 flow_count "$b" 8700
	ts "$a" flows dport 8700
	ts "$b" listeners

	# the connection open now, against ss -e and the process's cgroup
	got=$(ip netns exec "$a" ss -Htne state established dport = :8700 2> /dev/null |
		grep -o 'uid:[0-9]*')
	assert_eq "ss: the client's uid" "uid:1234" "$got"
	assert_eq "the client process's cgroup" "0::$rel/cli/inner" \
		"$(cat /proc/"$pid"/cgroup)"
	got=$(ip netns exec "$b" ss -Htne state established sport = :8700 2> /dev/null |
		grep -o 'uid:[0-9]*' | sort -u)
	assert_eq "ss: the server's uid" "uid:4242" "$got"
	got=$(ip netns exec "$b" ss -Hltne sport = :8700 2> /dev/null | grep -o 'uid:[0-9]*')
	assert_eq "ss: the listener's uid" "uid:4242" "$got"

	# a: every client owned, the reset one by 1235; b: every server
	want=$(printf '%s\n' 1234 1234 1234 1234 1235)
	assert_eq "clients' uids in a" "$want" \
		"$(owners_of "$a" client | awk '{ print $2 }' | sort)"
	assert_eq "clients' cgroups in a" \
		"$(printf "$rel/cli%s\n" '' /inner /inner /inner /inner)" \
		"$(owners_of "$a" client | awk '{ print $3 }' | sort)"
	assert_eq "servers in a: remote" "$(printf 'None None\n%.0s' 1 2 3 4 5)" \
		"$(owners_of "$a" server | awk '{ print $2, $3 }')"
	assert_eq "servers in b" "$(printf "4242 $rel/srv\n%.0s" 1 2 3 4 5)" \
		"$(owners_of "$b" server | awk '{ print $2, $3 }')"
	assert_eq "clients in b: remote" "$(printf 'None None\n%.0s' 1 2 3 4 5)" \
		"$(owners_of "$b" client | awk '{ print $2, $3 }')"
	# the reset flow ended with its owner
	got=$(ts "$a" flows -j dport 8700 | python3 -c '
import json, sys
print(" ".join(str(f["client_uid"]) for f in json.load(sys.stdin)
               if f["close_reason"] == "rst_client"))')
	assert_eq "the reset flow's owner" 1235 "$got"
	got=$(ts "$b" listeners -j | python3 -c '
import json, sys
for l in json.load(sys.stdin):
    if l["port"] == 8700:
        print(l["uid"], l["cgroup"])')
	assert_eq "the listener's owner" "4242 $rel/srv" "$got"

	# filters: uid, a cgroup's subtree, by path from the root or the mount
	assert_eq "uid 1234" 4 "$(ts "$a" flows -j uid 1234 | python3 -c \
		'import json, sys; print(len(json.load(sys.stdin)))')"
	assert_eq "uid 4242 in b" 5 "$(ts "$b" flows -j uid 4242 | python3 -c \
		'import json, sys; print(len(json.load(sys.stdin)))')"
	assert_eq "uid 7" 0 "$(ts "$a" flows -j uid 7 | python3 -c \
		'import json, sys; print(len(json.load(sys.stdin)))')"
	assert_eq "cgroup $rel/cli" 5 "$(ts "$a" flows -j cgroup "$rel/cli" |
		python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')"
	assert_eq "cgroup $cg/cli/inner" 4 "$(ts "$a" flows -j cgroup \
		"$cg/cli/inner" | python3 -c \
		'import json, sys; print(len(json.load(sys.stdin)))')"
	assert_eq "cgroup $rel/srv in a" 0 "$(ts "$a" flows -j cgroup "$rel/srv" |
		python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')"
	assert_eq "uid 1235 and cgroup $rel/cli/inner" 0 \
		"$(ts "$a" flows -j uid 1235 cgroup "$rel/cli/inner" |
		python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')"
	ts "$a" flows cgroup "$rel/nothing" 2> "$TMPD/err" &&
		fail "a cgroup that does not exist was accepted"
	cat "$TMPD/err"
	grep -q "is not a cgroup" "$TMPD/err" || fail "no message"
	ts "$a" flows uid -1 2> /dev/null && fail "uid -1 accepted"
	true
}

# cgroup_remove CG: end every process in CG and below, then remove them.
cgroup_remove()
{
	local d
	for d in $(find "$1" -depth -type d); do
		xargs -r kill < "$d/cgroup.procs" 2> /dev/null
		busywait 30000 test ! -s "$d/cgroup.procs"
		rmdir "$d"
	done
}

# stuck_ports NS STATE: client ports of NS's flows to 8710 with an endpoint
# stuck in STATE, from `flows stuck STATE` and any further filters.
stuck_ports()
{
	local ns=$1 state=$2
	shift 2
	ts "$ns" flows -j stuck "$state" dport 8710 "$@" | python3 -c '
import json, sys
print(" ".join(str(f["sport"]) for f in
               sorted(json.load(sys.stdin), key=lambda f: f["sport"])))'
}

# ss_ports NS STATE FILTER: the peer (client) ports of NS's sockets in
# STATE, as ss shows them.
ss_ports()
{
	ip netns exec "$1" ss -Htn state "$2" "$3" | awk '{
		n = split($'"$4"', x, ":"); print x[n] }' | sort -n | xargs
}

# A service that never closes its side: its server endpoints are stuck in
# CLOSE_WAIT and the clients' in FIN_WAIT_2, as ss shows them; each is
# counted once (stats, its listener), announced once to monitor with its
# owner, and `flows stuck close-wait` with the service's cgroup lists
# exactly those. One that closes is no longer stuck.
test_stuck()
{
	local cg=/sys/fs/cgroup/tcpstate-stuck-$$ rel=/tcpstate-stuck-$$ i
	local mon want
	[ -r /sys/fs/cgroup/cgroup.controllers ] ||
		mount -t cgroup2 none /sys/fs/cgroup 2> /dev/null ||
		skip "no cgroup2"
	mkdir -p "$cg/svc" "$cg/other"
	defer "cgroup_remove $cg"
	TMPD=$(mktemp -d)
	defer rm -rf "$TMPD"
	two_hosts
	run ts "$b" config set stuck_close_wait_ms 600000 \
		stuck_fin_wait_2_ms 0 timeout_close_wait_ms 600000
	run ts "$a" config set stuck_fin_wait_2_ms 600000 \
		stuck_close_wait_ms 0 timeout_fin_wait_ms 600000
	ip netns exec "$b" "$TCPSTATE" monitor -j > "$TMPD/mon" 2> "$TMPD/err" &
	mon=$!
	defer "kill $mon 2> /dev/null"
	busywait 30000 grep -q "listening for events" "$TMPD/err"
	ctl_start srv "$b" "$cg/svc" 4343
	ctl_start cli "$a"
	ctl srv listen l 10.0.1.2 8710
	for i in 1 2 3; do
		ctl cli connect "c$i" 10.0.1.2 8710
		ctl srv accept "s$i" l
		ctl cli close "c$i"
	done
	# nothing is stuck before its time, however often the GC looks
	# (every second: two runs)
	busywait 10000 wire_quiet "$a" "$b"
	sleep 2
	assert_eq "stuck before 600 s" 0 "$(tcpstate_stat "$b" stuck_close_wait)"
	assert_eq "stuck before 600 s" 0 "$(tcpstate_stat "$a" stuck_fin_wait_2)"
	run ts "$b" config set stuck_close_wait_ms 1000
	run ts "$a" config set stuck_fin_wait_2_ms 1000
	wait_eq 30000 3 tcpstate_stat "$b" stuck_close_wait
	wait_eq 30000 3 tcpstate_stat "$a" stuck_fin_wait_2
	want=$(ss_ports "$b" close-wait "sport = :8710" 4)
	assert_eq "ss: 3 in CLOSE_WAIT" 3 "$(wc -w <<< "$want")"
	assert_eq "stuck in CLOSE_WAIT (ss)" "$want" "$(stuck_ports "$b" close-wait)"
	assert_eq "stuck in FIN_WAIT_2 (ss)" \
		"$(ss_ports "$a" fin-wait-2 "dport = :8710" 3)" \
		"$(stuck_ports "$a" fin-wait-2)"
	assert_eq "the service's cgroup" "$want" \
		"$(stuck_ports "$b" close-wait cgroup "$rel/svc")"
	assert_eq "the service's uid" "$want" \
		"$(stuck_ports "$b" close-wait uid 4343)"
	assert_eq "another cgroup" "" \
		"$(stuck_ports "$b" close-wait cgroup "$rel/other")"
	assert_eq "none stuck in SYN_RECEIVED" "" "$(stuck_ports "$b" syn-recv)"
	assert_eq "stuck at the listener" 3 "$(ts "$b" listeners -j | python3 -c '
import json, sys
print(sum(l["stuck"] for l in json.load(sys.stdin) if l["port"] == 8710))')"
	# health: a warning, exit 1, the service named
	ts "$b" health && fail "health: 0 with stuck endpoints"
	assert_eq "health: exit status" 1 "$(ts "$b" health -j > "$TMPD/h"; echo $?)"
	assert_eq "health: stuck by owner" "CLOSE_WAIT 3 4343 $rel/svc" "$(python3 -c '
import json, sys
for w in json.load(open(sys.argv[1])):
    if w["kind"] == "stuck":
        print(w["what"], w["endpoints"], w["uid"], w["cgroup"])' "$TMPD/h")"
	# one that closes moves on: no longer stuck
	ctl srv close s1
	busywait 30000 wire_quiet "$a" "$b"
	assert_eq "stuck after one closed" 2 \
		"$(stuck_ports "$b" close-wait | wc -w)"
	# each once: three GC runs (gc_interval_ms 1000) later, still three
	sleep 3
	assert_eq "counted once" 3 "$(tcpstate_stat "$b" stuck_close_wait)"
	kill "$mon"
	wait "$mon" 2> /dev/null || true
	python3 - "$TMPD/mon" "$want" "$rel/svc" <<-'PY'
	import json, sys
	ev = [json.loads(l) for l in open(sys.argv[1])]
	st = [e for e in ev if e["event"] == "stuck"]
	assert sorted(e["sport"] for e in st) == sorted(map(int, sys.argv[2].split())), st
	for e in st:
	    assert (e["side"], e["state"]) == ("server", "CLOSE_WAIT"), e
	    assert (e["server_uid"], e["server_cgroup"]) == (4343, sys.argv[3]), e
	    assert e["server_stuck"] and not e["client_stuck"], e
	PY
	[ $? -eq 0 ] || fail "stuck events"
}

# dest_of NS PORT: "flows time_wait ports warn warnings" of the
# destination 10.0.1.2:PORT in NS, or "none".
dest_of()
{
	ts "$1" destinations -j | python3 -c '
import json, sys
d = [d for d in json.load(sys.stdin) if d["port"] == int(sys.argv[1])]
print(" ".join(str(int(d[0][k])) for k in
               ("flows", "time_wait", "ports", "warn", "warnings"))
      if d else "none")' "$2"
}

# ss_dest NS PORT [STATE]: sockets of NS to 10.0.1.2:PORT (in STATE).
ss_dest()
{
	ip netns exec "$1" ss -Htan state "${3:-all}" dst 10.0.1.2 \
		dport = :"$2" | wc -l
}

# Port pressure: with 100 ephemeral ports, short connections to one
# destination pile up in TIME_WAIT; the destination's flows and TIME_WAIT
# equal ss's, its warning rises past port_pressure_pct (counted, announced)
# and falls when TIME_WAIT ends (2*MSL). The server's side holds none.
test_port_pressure()
{
	local mon err
	two_hosts
	TMPD=$(mktemp -d)
	defer rm -rf "$TMPD"
	ip netns exec "$a" sysctl -qw net.ipv4.ip_local_port_range="40000 40099"
	run ts "$a" config set port_pressure_pct 50
	ip netns exec "$b" python3 "$SELFTESTS/tcpgen.py" serve 10.0.1.2 8720 --count 0 &
	defer "kill $! 2> /dev/null"
	busywait 30000 listening "$b" 8720
	ip netns exec "$a" "$TCPSTATE" monitor -j > "$TMPD/mon" 2> "$TMPD/err" &
	mon=$!
	defer "kill $mon 2> /dev/null"
	busywait 30000 grep -q "listening for events" "$TMPD/err"
	ip netns exec "$a" python3 "$SELFTESTS/tcpgen.py" connect 10.0.1.2 8720 --count 20
	busywait 30000 wire_quiet "$a" "$b"
	assert_eq "20 of 100 ports" "20 20 100 0 0" "$(dest_of "$a" 8720)"
	ip netns exec "$a" python3 "$SELFTESTS/tcpgen.py" connect 10.0.1.2 8720 --count 40
	wait_eq 30000 1 tcpstate_stat "$a" port_pressure
	busywait 30000 wire_quiet "$a" "$b"
	assert_eq "ss: sockets to 10.0.1.2:8720" 60 "$(ss_dest "$a" 8720)"
	assert_eq "ss: in TIME_WAIT" 60 "$(ss_dest "$a" 8720 time-wait)"
	assert_eq "60 of 100 ports, warned" "60 60 100 1 1" "$(dest_of "$a" 8720)"
	assert_eq "no destination at the server" none "$(dest_of "$b" 8720)"
	prom_agrees "$a" --destinations
	ts "$a" destinations
	assert_eq "health: exit status" 1 "$(ts "$a" health -j > "$TMPD/h"; echo $?)"
	assert_eq "health: port pressure" "port_pressure 10.0.1.2:8720" \
		"$(python3 -c '
import json, sys
for w in json.load(open(sys.argv[1])):
    print(w["kind"], w["what"])' "$TMPD/h")"
	# TIME_WAIT ends after 60 s: the ports are free, the warning falls
	wait_eq $((90000 * WAIT_SCALE)) 0 ss_dest "$a" 8720
	wait_eq 30000 "0 0 100 0 1" dest_of "$a" 8720
	ts "$a" health || fail "health: warnings after the pressure fell"
	kill "$mon"
	wait "$mon" 2> /dev/null || true
	# up once the GC saw 50 of 100 or more (the connections go on
	# meanwhile), down once
	assert_eq "port-pressure events" "True True False" "$(python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
ev = [e for e in ev if e["event"] == "port_pressure" and e["port"] == 8720]
print(ev[0]["warn"], 50 <= ev[0]["flows"] <= 60, ev[1]["warn"], end="")
print("" if len(ev) == 2 else " and %d more" % (len(ev) - 2))' "$TMPD/mon")"
	# bad input
	ts "$a" destinations -n 0 2> /dev/null && fail "-n 0 accepted"
	err=$(ts "$a" config set port_pressure_pct 101 2>&1) &&
		fail "port_pressure_pct 101 accepted"
	echo "$err"
	err=$(ts "$a" config set stuck_close_wait_ms 2592000001 2>&1) &&
		fail "stuck_close_wait_ms 2592000001 accepted"
	echo "$err"
	err=0
	ts "$a" health -x 2> /dev/null || err=$?
	assert_eq "health: a bad option" 2 "$err"
	assert_eq "port_pressure_pct unchanged" 50 "$(ts "$a" config get -j |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["port_pressure_pct"])')"
}

TESTS=(
	cli_equals_procfs test_cli_equals_procfs
	json_keys test_json_keys
	listener_queues test_listener_queues
	owners test_owners
	stuck test_stuck
	port_pressure test_port_pressure
	filters test_filters
	monitor_transitions test_monitor_transitions
	monitor_zeek test_monitor_zeek
	endpoint_roles test_endpoint_roles
	exporter test_exporter
	ynl test_ynl
	bad_input test_bad_input
	flow_get test_flow_get
	unprivileged test_unprivileged
	dump_100k_flows test_dump_100k
	two_namespaces test_two_namespaces
	config_set test_config_set
	config_keys test_config_keys
	module_missing test_module_missing
)

# Arguments pick tests by name (all of them by default).
ktap_select "$@"
ktap_run
