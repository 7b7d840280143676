#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test_replay.sh: `tcpstate replay` over captures that mkpcap.py writes for
# this run (Ethernet with and without VLAN tags, Linux SLL and SLL2, raw
# IPv4/IPv6; IPv6 extension headers; broken headers and broken files).
# Each flow's final states are read from `replay -j` and from the text
# table, which must agree. A sanitizer build (ASan + UBSan, packets copied
# to exact-size buffers) replays every capture, the broken ones included.
# Host only: no VM, no root.
cd "$(dirname "$0")/../.." || exit 1
source selftests/lib.sh

TOP=$PWD
TOOL=$TOP/tools/tcpstate
DIR=$(mktemp -d /tmp/tcpstate-replay.XXXXXX)
trap 'rm -rf "$DIR"' EXIT
CAP=$DIR/cap

# A python3 with scapy (a pyenv python3 first in PATH may lack it).
PY=python3
for p in python3 /usr/bin/python3; do
	if "$p" -c 'import scapy' 2>/dev/null; then
		PY=$p
		break
	fi
done

# Compare `replay -j` and the text table with the expected flows, in order:
#   CLIENT SERVER CLIENT_STATE SERVER_STATE CONN_STATE [HISTORY|-] [KEY=VAL]..
# VAL is compared as printed (lists joined by commas); LO..HI is a range.
CHECK_PY='
import json, sys
flows = json.load(open(sys.argv[1]))
text = open(sys.argv[2]).read().splitlines()
exp = [l.split() for l in open(sys.argv[3]) if l.strip()]
errs = []

def ep(addr, port):
    return ("[%s]:%d" if ":" in addr else "%s:%d") % (addr, port)

def show(v):
    if isinstance(v, list):
        return ",".join(v)
    if isinstance(v, bool):
        return str(v).lower()
    return "null" if v is None else str(v)

cols = ["Family", "Client", "Server", "ClientState", "ServerState", "Conn",
        "History"]
if not text or text[0].split()[:7] != cols:
    errs.append("text header: %r" % (text[:1],))
rows = [l.split() for l in text[1:]]
if len(flows) != len(exp) or len(rows) != len(exp):
    errs.append("%d JSON flows, %d text rows, expected %d" %
                (len(flows), len(rows), len(exp)))
for i, (f, e, r) in enumerate(zip(flows, exp, rows)):
    got = [ep(f["src"], f["sport"]), ep(f["dst"], f["dport"]),
           f["client_state"], f["server_state"], f["conn_state"]]
    want = e[:5]
    for tok in e[5:]:
        if "=" not in tok:
            if tok != "-":
                got.append(f["history"])
                want.append(tok)
            continue
        k, v = tok.split("=", 1)
        if k not in f:
            errs.append("flow %d: no key %s" % (i, k))
        elif ".." in v:
            lo, hi = v.split("..")
            if f[k] is None or not int(lo) <= f[k] <= int(hi):
                errs.append("flow %d: %s=%s not in %s" % (i, k, f[k], v))
        elif show(f[k]) != v:
            errs.append("flow %d: %s=%s, expected %s" % (i, k, show(f[k]), v))
    if got != want:
        errs.append("flow %d: got %s, expected %s" % (i, got, want))
    trow = got[:5] + [f["history"] or "-"]
    if r[1:7] != trow:
        errs.append("text row %d: %s, JSON says %s" % (i, r[1:7], trow))
    if r[0] != f["family"]:
        errs.append("text row %d: family %s, JSON %s" % (i, r[0], f["family"]))
for e in errs:
    print(e)
sys.exit(1 if errs else 0)
'

# trace COMMAND...: like run, but the command line goes to stderr so that
# stdout can be redirected to a file.
trace()
{
	echo "+ $*" >&2
	"$@"
}

# replay_both PCAP: JSON to $DIR/out.json, text to $DIR/out.txt, stderr to
# $DIR/err; both runs must succeed.
replay_both()
{
	trace "$TOOL" replay -j "$1" > "$DIR/out.json" 2> "$DIR/err" ||
		{ cat "$DIR/err"; fail "replay -j $1"; }
	"$TOOL" replay "$1" > "$DIR/out.txt" 2>/dev/null || fail "replay $1"
	cat "$DIR/out.txt" "$DIR/err"
}

# expect_flows NAME < expected flows
expect_flows()
{
	cat > "$DIR/expect"
	replay_both "$CAP/$1.pcap"
	"$PY" -c "$CHECK_PY" "$DIR/out.json" "$DIR/out.txt" "$DIR/expect"
}

# expect_summary NAME "packets N tcp N ...": the counts on stderr
expect_summary()
{
	local got

	got=$(sed -n "s|^tcpstate: replay: $CAP/$1.pcap: ||p" "$DIR/err")
	[[ " $got " == *" $2 "* ]] || fail "summary '$got' lacks '$2'"
}

# expect_error EXIT_STATUS PATTERN ARGS...: fails so, says so on stderr
expect_error()
{
	local want=$1 pat=$2 rc=0
	shift 2
	echo "+ $TOOL $*"
	"$TOOL" "$@" > "$DIR/out" 2> "$DIR/err" || rc=$?
	cat "$DIR/err"
	assert_eq "exit status" "$want" "$rc"
	grep -Eq "$pat" "$DIR/err" || fail "stderr does not match '$pat'"
}

test_build()
{
	run make -s -C tools
	test -x "$TOOL"
}

test_mkpcap()
{
	checktool "$PY"
	"$PY" -c 'import scapy' || skip "python3-scapy is not installed"
	run "$PY" selftests/replay/mkpcap.py "$CAP"
	test -s "$CAP/sf.pcap"
}

test_sf()
{
	expect_flows sf <<-EOF
	10.0.0.1:40000 10.0.0.2:80 TIME_WAIT CLOSED SF ShADadFf close_reason=fin closer=client client_pkts=6 client_bytes=18 server_pkts=5 server_bytes=500 rtt_syn_synack_us=990..1000 rtt_synack_ack_us=990..1010 start_ns=1700000000000000000 midstream=false flags=handshake,ended,wscale,sack,timestamps
	EOF
	expect_summary sf "packets 11 tcp 11 non_tcp 0 malformed 0 fragments 0"
}

test_rej()
{
	expect_flows rej <<-EOF
	10.0.1.1:40001 10.0.1.2:81 CLOSED CLOSED REJ Sr close_reason=refused rtt_syn_synack_us=null
	EOF
}

test_s0()
{
	expect_flows s0 <<-EOF
	[2001:db8::1]:40002 [2001:db8::2]:443 SYN_SENT NONE S0 S syn_retrans=1 client_pkts=2 server_pkts=0 family=inet6 close_reason=none
	EOF
}

test_rsto()
{
	expect_flows rsto <<-EOF
	10.0.2.1:40003 10.0.2.2:22 CLOSED CLOSED RSTO ShADaR close_reason=rst_client client_bytes=5
	EOF
}

test_halfclose()
{
	expect_flows halfclose <<-EOF
	10.0.3.1:40004 10.0.3.2:8080 FIN_WAIT_2 CLOSE_WAIT S2 ShAFad server_bytes=2000 server_pkts=22 close_reason=none
	EOF
}

test_simclose()
{
	expect_flows simclose <<-EOF
	[2001:db8:1::1]:40005 [2001:db8:1::2]:80 TIME_WAIT TIME_WAIT SF ShAFfa close_reason=fin
	EOF
}

test_reuse()
{
	expect_flows reuse <<-EOF
	10.0.4.1:40006 10.0.4.2:80 CLOSED CLOSED SF ShADaFf flags=handshake,ended
	10.0.4.1:40006 10.0.4.2:80 ESTABLISHED ESTABLISHED S1 ShADa flags=reused,handshake client_bytes=10 start_ns=1700000001000000000
	EOF
	expect_summary reuse "flows 2 reused 1"
}

test_midstream()
{
	expect_flows midstream <<-EOF
	10.0.5.2:80 10.0.5.1:50000 ESTABLISHED ESTABLISHED OTH Da midstream=true flags=midstream client_bytes=600 rtt_syn_synack_us=null rtt_synack_ack_us=null
	EOF
}

test_sll2_v6()
{
	expect_flows sll2_v6 <<-EOF
	[2001:db8:2::1]:40007 [2001:db8:2::2]:25 CLOSED TIME_WAIT SF ShAdfFa closer=server server_bytes=8
	EOF
}

test_v6raw()
{
	expect_flows v6raw <<-EOF
	[2001:db8:9::1]:40050 [2001:db8:9::2]:80 CLOSED CLOSED RSTR ShADr close_reason=rst_server
	EOF
}

# Four flows interleaved come out sorted: family, client, server, start.
test_interleave()
{
	expect_flows interleave <<-EOF
	10.0.6.1:40010 10.0.6.9:80 TIME_WAIT CLOSED SF ShADdFaf
	10.0.6.1:40011 10.0.6.9:80 CLOSED CLOSED REJ Sr
	10.0.6.2:40012 10.0.6.9:80 CLOSED CLOSED RSTR ShADr client_bytes=50
	[2001:db8:6::1]:40013 [2001:db8:6::9]:80 ESTABLISHED ESTABLISHED S1 ShADa
	EOF
}

test_rtx()
{
	expect_flows rtx <<-EOF
	10.0.11.1:40060 10.0.11.2:80 ESTABLISHED ESTABLISHED S1 ShADTa synack_retrans=1 client_retrans=1 server_retrans=0 keepalives=2 client_bytes=200
	EOF
}

# Broken headers are counted and skipped; the good flow around them is
# tracked, its data counted in full although the capture cut it short.
# SYNs whose options have a bad length are tracked and counted, as the
# module does (Linux parses up to the bad option and goes on).
test_malformed()
{
	expect_flows malformed <<-EOF
	10.0.7.1:40020 10.0.7.2:80 ESTABLISHED ESTABLISHED S1 ShADa client_bytes=1000
	10.0.7.66:1234 10.0.7.2:80 SYN_SENT NONE S0 S syn_retrans=3
	10.0.7.67:1234 10.0.7.2:80 SYN_SENT NONE S0 S
	EOF
	expect_summary malformed "packets 17 tcp 10 non_tcp 0 malformed 7 fragments 0 bad_options 4"
}

test_fragments()
{
	expect_flows fragments <<-EOF
	10.0.8.1:40031 10.0.8.2:80 SYN_SENT NONE S0 S
	[2001:db8:8::1]:40032 [2001:db8:8::2]:80 SYN_SENT NONE S0 S family=inet6
	EOF
	expect_summary fragments "packets 10 tcp 2 non_tcp 5 malformed 0 fragments 3"
}

# A SYN left unanswered for 200 s of capture time expires as in the module.
test_expire()
{
	expect_flows expire <<-EOF
	10.0.9.1:40040 10.0.9.2:80 CLOSED NONE S0 S close_reason=timeout flags=ended
	10.0.9.3:40041 10.0.9.2:80 ESTABLISHED ESTABLISHED S1 ShA close_reason=none
	EOF
	expect_summary expire "expired 1"
}

# --format zeek: Zeek's conn.log, one line per flow of the capture, with
# the values of the same flows in -j (zeek_check.py says what is checked).
# The check itself fails on one wrong value; bad format names are usage
# errors.
test_zeek()
{
	local f n=0
	for f in "$CAP"/*.pcap; do
		[ "$(basename "$f")" = wifi.pcap ] && continue
		"$TOOL" replay --format zeek "$f" > "$DIR/z.log" 2> /dev/null
		"$TOOL" replay -j "$f" > "$DIR/z.json" 2> /dev/null
		echo "  $(basename "$f"): $("$PY" selftests/zeek_check.py \
			"$DIR/z.log" "$DIR/z.json")"
		n=$((n + 1))
	done
	[ "$n" -ge 15 ] || fail "only $n captures"
	"$TOOL" replay --format zeek "$CAP/sf.pcap" 2> /dev/null |
		awk -F'\t' -v OFS='\t' '!/^#/ { $17++ } 1' > "$DIR/z.bad"
	"$TOOL" replay -j "$CAP/sf.pcap" > "$DIR/z.json" 2> /dev/null
	! "$PY" selftests/zeek_check.py "$DIR/z.bad" "$DIR/z.json" 2> /dev/null ||
		fail "zeek_check.py missed a wrong orig_pkts"
	"$TOOL" replay --format zeek "$CAP/sf.pcap" 2> /dev/null |
		sed '$d' > "$DIR/z.bad"
	! "$PY" selftests/zeek_check.py "$DIR/z.bad" "$DIR/z.json" 2> /dev/null ||
		fail "zeek_check.py missed a missing #close"
	assert_eq "--format csv" 2 "$("$TOOL" replay --format csv "$CAP/sf.pcap" \
		> /dev/null 2>&1; echo $?)"
	assert_eq "-j --format zeek" 2 "$("$TOOL" replay -j --format zeek \
		"$CAP/sf.pcap" > /dev/null 2>&1; echo $?)"
	assert_eq "--format without a value" 2 "$("$TOOL" replay --format \
		> /dev/null 2>&1; echo $?)"
	assert_eq "--format text is the table" \
		"$("$TOOL" replay "$CAP/sf.pcap" 2> /dev/null)" \
		"$("$TOOL" replay --format text "$CAP/sf.pcap" 2> /dev/null)"
}

# -p is -j indented; every documented key is there; '-' reads stdin.
test_json()
{
	trace "$TOOL" replay -j "$CAP/interleave.pcap" > "$DIR/a.json" 2>/dev/null
	trace "$TOOL" replay -p - < "$CAP/interleave.pcap" > "$DIR/b.json" 2>/dev/null
	[ "$(wc -l < "$DIR/b.json")" -gt 4 ] || fail "-p is not pretty"
	"$PY" - "$DIR/a.json" "$DIR/b.json" <<-'EOF'
	import json, sys
	a, b = (json.load(open(f)) for f in sys.argv[1:3])
	assert a == b, "-j and -p differ"
	keys = """family src sport dst dport client_state server_state
	conn_state history client_pkts client_bytes server_pkts server_bytes
	client_retrans server_retrans syn_retrans synack_retrans keepalives
	invalid close_reason flags rtt_syn_synack_us rtt_synack_ack_us
	start_ns duration_ms midstream""".split()
	for f in a:
	    missing = [k for k in keys if k not in f]
	    assert not missing, "missing keys %s" % missing
	    assert isinstance(f["flags"], list)
	print(len(a), "flows, keys ok")
	EOF
}

test_empty()
{
	trace "$TOOL" replay -j "$CAP/empty.pcap" > "$DIR/out" 2>/dev/null
	assert_eq "JSON" "[]" "$(cat "$DIR/out")"
	trace "$TOOL" replay "$CAP/empty.pcap" > "$DIR/out" 2>/dev/null
	assert_eq "text lines" 1 "$(wc -l < "$DIR/out")"
	grep -q "^Family  *Client  *Server" "$DIR/out"
}

test_bad_missing()
{
	expect_error 1 "$DIR/nope.pcap: No such file or directory" \
		replay "$DIR/nope.pcap"
}

test_bad_text()
{
	printf 'this is a text file, not a capture at all\n' > "$DIR/text.pcap"
	expect_error 1 "$DIR/text.pcap: not a readable pcap capture" \
		replay -j "$DIR/text.pcap"
	[ ! -s "$DIR/out" ] || fail "output for a text file"
}

# Cut inside the last packet record: what came before is still shown.
test_bad_truncated()
{
	local size

	size=$(stat -c %s "$CAP/sf.pcap")
	head -c $((size - 20)) "$CAP/sf.pcap" > "$DIR/cut.pcap"
	expect_error 1 "$DIR/cut.pcap: capture truncated or corrupt after 10 packets" \
		replay -j "$DIR/cut.pcap"
	"$PY" -c 'import json, sys; f = json.load(open(sys.argv[1]));
assert f[0]["client_state"] == "TIME_WAIT", f' "$DIR/out"
}

test_bad_linktype()
{
	expect_error 1 "wifi.pcap: unsupported link type 105 \(IEEE802_11\)" \
		replay "$CAP/wifi.pcap"
	[ ! -s "$DIR/out" ] || fail "output for an unsupported link type"
}

test_bad_usage()
{
	expect_error 2 "no capture file given" replay
	expect_error 2 "Usage: tcpstate replay" replay -j
	expect_error 2 "unknown option '-x'" replay -x "$CAP/sf.pcap"
	expect_error 2 "only one capture file" replay "$CAP/sf.pcap" "$CAP/s0.pcap"
	trace "$TOOL" replay -h | grep -q "Usage: tcpstate replay"
}

# The writer (out.c) by itself, linked with nothing else: JSON escaping,
# compact and pretty, and the text table's alignment, from the same calls.
test_writer()
{
	cat > "$DIR/w.c" <<-'EOF'
	#include <stdlib.h>
	#include <string.h>
	#include "out.h"

	static void row(struct ts_out *o, const char *name, const char *q,
			uint64_t n)
	{
		out_obj_begin(o, NULL);
		out_str(o, OUT_TEXT, NULL, "Name", name);
		out_str(o, OUT_JSON, "q", NULL, q);
		out_u64(o, OUT_ANY, "n", "N", n);
		out_null(o, OUT_JSON, "z", NULL);
		out_bool(o, OUT_JSON, "b", NULL, true);
		out_array_begin(o, OUT_ANY, "l", "L");
		out_str(o, OUT_ANY, NULL, NULL, "x");
		out_str(o, OUT_ANY, NULL, NULL, "y");
		out_array_end(o, OUT_ANY, "L");
		out_array_begin(o, OUT_ANY, "e", "E");
		out_array_end(o, OUT_ANY, "E");
		out_obj_end(o);
	}

	int main(int argc, char *argv[])
	{
		struct ts_out *o;

		(void)argc;
		o = out_new(stdout, argv[1][0] != 't', argv[1][0] == 'p');
		out_list_begin(o);
		row(o, "a", "a\"b\\c\n\t\x01\x1f\x7f\xc3\xa9" "\xff\xe2\x82/", 5);
		row(o, "long-name", "", UINT64_MAX);
		out_list_end(o);
		return out_free(o) ? 1 : 0;
	}
	EOF
	run cc -std=gnu11 -Wall -Wextra -Werror -Itools -Iinclude -o "$DIR/w" \
		"$DIR/w.c" tools/out.o
	"$DIR/w" j > "$DIR/w.j"
	"$DIR/w" p > "$DIR/w.p"
	cat "$DIR/w.j" "$DIR/w.p"
	"$PY" - "$DIR/w.j" "$DIR/w.p" <<-'EOF'
	import json, sys
	want = [dict(q='a"b\\c\n\t\x01\x1f\x7f\u00e9\u00ff\u00e2\u0082/', n=5, z=None, b=True,
	             l=["x", "y"], e=[]),
	        dict(q="", n=2**64 - 1, z=None, b=True, l=["x", "y"], e=[])]
	for f in sys.argv[1:]:
	    got = json.load(open(f))
	    assert got == want, (f, got)
	EOF
	"$DIR/w" t > "$DIR/w.t"
	cat "$DIR/w.t"
	printf '%-9s  %20s  %-3s  %s\n' Name N L E a 5 x,y - \
		long-name 18446744073709551615 x,y - > "$DIR/w.want"
	diff -u "$DIR/w.want" "$DIR/w.t"
}

# Every capture through an ASan + UBSan build that copies each packet to a
# buffer of exactly its captured length, so any read past it is reported.
test_sanitizers()
{
	local f rc size

	mkdir -p "$DIR/asan/tools" "$DIR/asan/module" "$DIR/asan/include/uapi"
	cp module/fsm.[ch] module/key.h module/stats.h module/settings.h "$DIR/asan/module/"
	cp include/uapi/tcpstate.h "$DIR/asan/include/uapi/"
	cp tools/*.[ch] tools/Makefile "$DIR/asan/tools/"
	run make -s -C "$DIR/asan/tools" \
		CFLAGS="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -DREPLAY_EXACT_BUFFERS" \
		LDFLAGS="-fsanitize=address,undefined"
	size=$(stat -c %s "$CAP/sf.pcap")
	head -c $((size - 20)) "$CAP/sf.pcap" > "$DIR/cut.pcap"
	for f in "$CAP"/*.pcap "$DIR/cut.pcap"; do
		rc=0
		ASAN_OPTIONS=detect_leaks=1:exitcode=99 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=99 \
			"$DIR/asan/tools/tcpstate" replay -j "$f" \
			> /dev/null 2> "$DIR/asan.err" || rc=$?
		if [ "$rc" -gt 1 ] || grep -q "Sanitizer" "$DIR/asan.err"; then
			cat "$DIR/asan.err"
			fail "$f: sanitizer report (status $rc)"
		fi
		echo "  $(basename "$f"): status $rc, clean"
	done
}

ktap_plan 27
run_test tool_builds test_build
run_test captures_written test_mkpcap
run_test sf_ethernet_ipv4 test_sf
run_test rej_linux_sll test_rej
run_test s0_raw_ipv6_exthdr test_s0
run_test rsto_stacked_vlan test_rsto
run_test half_close_sll test_halfclose
run_test simultaneous_close_ipv6_hbh test_simclose
run_test time_wait_reuse_two_incarnations test_reuse
run_test midstream_oth_linktype_ipv4 test_midstream
run_test server_closes_sll2_ipv6 test_sll2_v6
run_test rstr_linktype_ipv6 test_v6raw
run_test interleaved_flows_sorted test_interleave
run_test retransmissions_keepalives test_rtx
run_test malformed_tcp_counted test_malformed
run_test fragments_and_non_tcp test_fragments
run_test timeout_on_capture_clock test_expire
run_test json_pretty_and_keys test_json
run_test zeek_conn_log test_zeek
run_test empty_capture test_empty
run_test bad_missing_file test_bad_missing
run_test bad_text_file test_bad_text
run_test bad_truncated_capture test_bad_truncated
run_test bad_unsupported_linktype test_bad_linktype
run_test bad_usage test_bad_usage
run_test json_writer_escapes_and_aligns test_writer
run_test asan_ubsan_all_captures test_sanitizers
ktap_finish
