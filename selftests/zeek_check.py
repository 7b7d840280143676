#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""zeek_check.py CONN_LOG FLOWS_JSON [--offset SECONDS] [--local ADDR]...

CONN_LOG follows the rules of Zeek's TSV writer for conn.log and its lines
are the flows of FLOWS_JSON (a JSON array, or one object per line as
`monitor -j` writes them; only end records are taken), in any order:
  - the header: #separator \\x09, #set_separator, #empty_field,
    #unset_field, #path conn, #open, #fields, #types directly after
    #fields; #close the last line;
  - Zeek's standard fields first, in Zeek's order, then tcpstate's own;
  - every line has one value per field, none empty, each of its type;
  - uids in Zeek's form and unique;
  - the values are the JSON flow's. ts is start_ns + SECONDS (the offset
    from the JSON's clock to the epoch; 1 s of slack when given, exact
    otherwise). Without --local, local_orig and local_resp are unset;
    with it, T exactly for the addresses given.
Exits 1 with the first difference.
"""
import argparse
import ipaddress
import json
import re
import sys

ZEEK = ("ts uid id.orig_h id.orig_p id.resp_h id.resp_p proto service "
        "duration orig_bytes resp_bytes conn_state local_orig local_resp "
        "missed_bytes history orig_pkts orig_ip_bytes resp_pkts "
        "resp_ip_bytes tunnel_parents").split()
ZEEK_TYPES = ("time string addr port addr port enum string interval count "
              "count string bool bool count string count count count count "
              "set[string]").split()
STAMP = re.compile(r"^\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d$")
TYPES = {
    "time": re.compile(r"^\d+\.\d{6}$"),
    "addr": re.compile(r"^[0-9a-fA-F:.]+$"),
    "interval": re.compile(r"^\d+\.\d+$"),
    "count": re.compile(r"^\d+$"),
    "port": re.compile(r"^\d+$"),
    "bool": re.compile(r"^[TF]$"),
    "enum": re.compile(r"^[a-z]+$"),
    "string": re.compile(r"^[^\t\n]+$"),
    "set[string]": re.compile(r"^[^\t\n]+$"),
}


def die(msg):
    sys.exit("zeek_check: " + msg)


def header(lines):
    want = ["#separator \\x09", "#set_separator\t,", "#empty_field\t(empty)",
            "#unset_field\t-", "#path\tconn"]
    if lines[:5] != want:
        die("header %r, want %r" % (lines[:5], want))
    tag, _, stamp = lines[5].partition("\t")
    if tag != "#open" or not STAMP.match(stamp):
        die("line 6 %r is no #open" % lines[5])
    if not lines[6].startswith("#fields\t"):
        die("line 7 %r is no #fields" % lines[6])
    if not lines[7].startswith("#types\t"):
        die("#types does not follow #fields: %r" % lines[7])
    fields = lines[6].split("\t")[1:]
    types = lines[7].split("\t")[1:]
    if fields[:len(ZEEK)] != ZEEK or types[:len(ZEEK)] != ZEEK_TYPES:
        die("standard fields %r %r" % (fields[:len(ZEEK)], types))
    if len(types) != len(fields) or len(set(fields)) != len(fields):
        die("fields %r, types %r" % (fields, types))
    tag, _, stamp = lines[-1].partition("\t")
    if tag != "#close" or not STAMP.match(stamp):
        die("last line %r is no #close" % lines[-1])
    if any(l.startswith("#") for l in lines[8:-1]):
        die("a comment line among the records")
    return fields, types


def records(lines, fields, types):
    out = []
    for l in lines[8:-1]:
        vals = l.split("\t")
        if len(vals) != len(fields):
            die("%d values for %d fields: %r" % (len(vals), len(fields), l))
        for f, t, v in zip(fields, types, vals):
            if v == "":
                die("%s empty: %r" % (f, l))
            if v != "-" and not TYPES[t].match(v):
                die("%s=%r is no %s" % (f, v, t))
            if t == "addr" and v != "-":
                ipaddress.ip_address(v)
        out.append(dict(zip(fields, vals)))
    uids = [r["uid"] for r in out]
    for u in uids:
        if not re.match(r"^C[0-9A-Za-z]{17}$", u):
            die("uid %r" % u)
    if len(set(uids)) != len(uids):
        die("uids repeat")
    return out


def load_flows(path):
    text = open(path).read().strip()
    if text.startswith("["):
        return json.loads(text)
    flows = []
    for l in text.splitlines():
        o = json.loads(l)
        if o.get("event") == "flow_end":
            flows.append(o)
    return flows


def interval(us):
    return "-" if us is None else "%d.%06d" % (us // 1000000, us % 1000000)


def compare(r, f, args):
    want = {
        "id.orig_h": f["src"], "id.orig_p": str(f["sport"]),
        "id.resp_h": f["dst"], "id.resp_p": str(f["dport"]),
        "proto": "tcp", "service": "-",
        "duration": "%d.%03d" % (f["duration_ms"] // 1000,
                                 f["duration_ms"] % 1000),
        "orig_bytes": str(f["client_bytes"]),
        "resp_bytes": str(f["server_bytes"]),
        "conn_state": f["conn_state"], "missed_bytes": "-",
        "history": f["history"] or "-",
        "orig_pkts": str(f["client_pkts"]), "orig_ip_bytes": "-",
        "resp_pkts": str(f["server_pkts"]), "resp_ip_bytes": "-",
        "tunnel_parents": "-",
        "tcpstate_client_state": f["client_state"],
        "tcpstate_server_state": f["server_state"],
        "tcpstate_close_reason": f["close_reason"],
        "tcpstate_orig_retrans": str(f["client_retrans"]),
        "tcpstate_resp_retrans": str(f["server_retrans"]),
        "tcpstate_rtt_syn_synack": interval(f["rtt_syn_synack_us"]),
        "tcpstate_rtt_synack_ack": interval(f["rtt_synack_ack_us"]),
    }
    if args.local is None:
        want["local_orig"] = want["local_resp"] = "-"
    else:
        want["local_orig"] = "T" if f["src"] in args.local else "F"
        want["local_resp"] = "T" if f["dst"] in args.local else "F"
    for k, v in want.items():
        if r[k] != v:
            die("%s: %s=%r, JSON says %r" % (r["uid"], k, r[k], v))
    ts = f["start_ns"] / 1e9 + (args.offset or 0)
    slack = 1.0 if args.offset is not None else 1e-6
    if abs(float(r["ts"]) - ts) > slack:
        die("%s: ts %s, JSON start %.6f" % (r["uid"], r["ts"], ts))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("log")
    p.add_argument("flows")
    p.add_argument("--offset", type=float)
    p.add_argument("--local", action="append")
    args = p.parse_args()
    lines = open(args.log).read().split("\n")
    if lines[-1] != "":
        die("no newline at the end")
    lines = lines[:-1]
    if len(lines) < 9:
        die("%d lines: no header and #close" % len(lines))
    fields, types = header(lines)
    recs = records(lines, fields, types)
    flows = load_flows(args.flows)
    if len(recs) != len(flows):
        die("%d records, %d flows" % (len(recs), len(flows)))
    left = list(flows)
    for r in recs:
        key = (r["id.orig_h"], int(r["id.orig_p"]), r["id.resp_h"],
               int(r["id.resp_p"]), r["history"])
        for i, f in enumerate(left):
            if (f["src"], f["sport"], f["dst"], f["dport"],
                    f["history"] or "-") == key:
                compare(r, left.pop(i), args)
                break
        else:
            die("no flow for %r" % (key,))
    print("zeek_check: %d records agree" % len(recs))


main()
