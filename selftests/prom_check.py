#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""prom_check.py PROM LISTENERS_JSON [DESTINATIONS_JSON]

The per-listener (and per-destination) series of `tcpstate stats
--prometheus [--destinations]` say what `tcpstate listeners -j` (and
`destinations -j`) say, read at the same moment: every entry has each of
its series, with the same value, and no series names another entry.
Exits 1 with the first difference.
"""
import json
import re
import sys

SERIES = re.compile(r'^([a-z_]+)\{([^}]*)\} (\S+)$')

LISTENER = {
    "half_open": "half_open",
    "half_open_peak": "half_open_peak",
    "syns": "syns_total",
    "synacks": "synacks_total",
    "synack_retrans": "synack_retransmissions_total",
    "handshakes": "handshakes_total",
    "expired": "half_open_expired_total",
    "resets": "half_open_resets_total",
    "flood": "flood",
    "floods": "floods_total",
    "cookies_sent": "syncookies_sent_total",
    "cookies_recv": "syncookies_received_total",
    "listen_overflows": "listen_overflows_total",
    "stuck": "stuck_total",
    "accept_queue": "accept_queue",
    "accept_queue_max": "accept_queue_limit",
    "syn_queue": "syn_queue",
}

DEST = {
    "flows": "flows",
    "time_wait": "time_wait",
    "peak": "flows_peak",
    "warn": "port_pressure",
    "warnings": "port_pressure_warnings_total",
}


def parse(path):
    series = {}
    for line in open(path):
        if line.startswith("#") or not line.strip():
            continue
        m = SERIES.match(line.rstrip("\n"))
        if not m:
            continue
        labels = dict(kv.split("=", 1) for kv in m.group(2).split(","))
        labels = {k: v.strip('"') for k, v in labels.items()}
        le = labels.pop("le", None)
        key = (m.group(1), labels.get("addr"), labels.get("port"), le)
        series[key] = float(m.group(3))
    return series


def entry_labels(e):
    if e["overflow"]:
        return "overflow", "0"
    return e["addr"], str(e["port"])


def check(series, entries, group, keys, hist):
    prefix = "tcpstate_%s_" % group
    seen = {(a, p) for (n, a, p, _) in series if n.startswith(prefix)}
    want = {entry_labels(e) for e in entries}
    if seen != want:
        sys.exit("%s: series for %s, entries %s" % (group, sorted(seen),
                                                     sorted(want)))
    for e in entries:
        a, p = entry_labels(e)
        for k, name in keys.items():
            got = series.get((prefix + name, a, p, None))
            v = e[k]
            if v is None:
                if got is not None:
                    sys.exit("%s %s:%s %s: %s, json null" % (group, a, p,
                                                              name, got))
                continue
            if got != float(v):
                sys.exit("%s %s:%s %s: %s, json %s" % (group, a, p, name,
                                                        got, v))
        if hist:
            check_hist(series, e, a, p)


def check_hist(series, e, a, p):
    name = "tcpstate_listener_handshake_seconds"
    h = e["handshake_us_log2"]
    total = 0
    for i, n in enumerate(h[:-1]):
        total += n
        le = "%g" % ((1 << (i + 1)) / 1e6)
        got = series.get((name + "_bucket", a, p, le))
        if got != total:
            sys.exit("%s:%s le=%s: %s, json %s" % (a, p, le, got, total))
    total += h[-1]
    for key, want in (((name + "_bucket", a, p, "+Inf"), total),
                      ((name + "_count", a, p, None), total),
                      ((name + "_sum", a, p, None),
                       e["handshake_us_sum"] / 1e6)):
        if abs(series.get(key, -1) - want) > 1e-6:
            sys.exit("%s: %s, json %s" % (key, series.get(key), want))


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    series = parse(sys.argv[1])
    check(series, json.load(open(sys.argv[2])), "listener", LISTENER, True)
    if len(sys.argv) == 4:
        check(series, json.load(open(sys.argv[3])), "destination", DEST,
              False)


main()
