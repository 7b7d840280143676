#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""report.py LOG JSON: the table of a `make bench` run.

Reads the "SAMPLE <config> <metric> <round> <value>" lines that guest.sh
and flowmem.sh print, writes medians with min/max per metric and
configuration, the ratios tcpstate/none (C/A) and tcpstate/conntrack (C/N),
and issue 6's targets, to stdout and as JSON. Fails if the run aborted or
a metric lacks a configuration it needs.
"""
import datetime
import json
import statistics
import subprocess
import sys

CONFIGS = ("A", "C", "N")
NAMES = {"A": "none", "C": "tcpstate", "N": "conntrack"}

# metric: (label, unit, configurations that must have it)
METRICS = {
    "bulk_mbps": ("bulk iperf3, 1 stream", "Mbit/s", "ACN"),
    "conn_per_s": ("connection rate", "conn/s", "ACN"),
    "flood_syn_rx_per_s": ("SYN flood: SYNs taken by receiver", "SYN/s", "ACN"),
    "flood_legit_per_s": ("SYN flood: legitimate connections", "conn/s", "ACN"),
    "flood_legit_failed": ("SYN flood: legitimate failures", "conn", "ACN"),
    "flood_established_lost": ("SYN flood: established flows evicted", "flows", "C"),
    "flow_object_bytes": ("flow object (slab objsize)", "bytes", "CN"),
    "slab_bytes_per_flow": ("Slab growth per flow", "bytes", "CN"),
    "mem_bytes_per_flow": ("memory in use per flow", "bytes", "CN"),
    "mem_mib_total": ("memory in use for the flows", "MiB", "CN"),
    "flows_created_per_s": ("flows created per s (SYN, big table)", "flows/s", "CN"),
    "idle_busy_pct": ("CPU busy holding MEM flows, no traffic", "%", "CN"),
    "dump_procfs_ms": ("procfs dump, DUMP flows", "ms", "C"),
    "dump_netlink_ms": ("netlink dump, DUMP flows", "ms", "N"),
}


def parse(path):
    samples, notes, aborted = {}, [], None
    with open(path, errors="replace") as f:
        for line in f:
            line = line.strip()
            if line.startswith("BENCH ABORT"):
                aborted = line
            elif line.startswith("SAMPLE "):
                _, cfg, metric, _, value = line.split()
                samples.setdefault(metric, {}).setdefault(cfg, []).append(
                    float(value))
            elif line.startswith("# "):
                notes.append(line[2:])
    return samples, notes, aborted


def stats(values):
    return {"median": statistics.median(values), "min": min(values),
            "max": max(values), "n": len(values), "samples": values}


def fmt(v):
    if v is None:
        return "-"
    if abs(v) >= 100 or v == int(v):
        return "%.0f" % v
    return "%.3g" % v


def ratio(a, b):
    return a / b if a is not None and b else None


def summarise(samples):
    summary = {}
    for metric, per_cfg in samples.items():
        s = {cfg: stats(v) for cfg, v in per_cfg.items()}
        med = {cfg: s[cfg]["median"] for cfg in s}
        s["ratio_tcpstate_none"] = ratio(med.get("C"), med.get("A"))
        s["ratio_tcpstate_conntrack"] = ratio(med.get("C"), med.get("N"))
        summary[metric] = s
    return summary


def med(summary, metric, cfg):
    return summary.get(metric, {}).get(cfg, {}).get("median")


def targets(summary, dump_flows, mem_flows):
    t = []

    def add(name, value, goal, met):
        t.append({"target": name, "measured": value, "goal": goal,
                  "met": bool(met)})

    a, c, n = (med(summary, "bulk_mbps", x) for x in CONFIGS)
    add("bulk tcpstate/none", round(c / a, 4), ">= 0.97", c / a >= 0.97)
    loss_c, loss_n = 1 - c / a, 1 - n / a
    add("bulk loss tcpstate/conntrack", round(loss_c / loss_n, 3)
        if loss_n > 0 else None, "<= 0.5", loss_n > 0 and loss_c <= loss_n / 2)
    a, c, n = (med(summary, "conn_per_s", x) for x in CONFIGS)
    add("connection rate tcpstate/none", round(c / a, 4), ">= 0.95",
        c / a >= 0.95)
    add("connection rate tcpstate/conntrack", round(c / n, 4), "> 1", c > n)
    b = med(summary, "flow_object_bytes", "C")
    add("bytes per flow (slab object)", b, "<= 192", b <= 192)
    per = med(summary, "mem_bytes_per_flow", "C")
    mib = per * 1000000 / 2**20
    add("memory for 1 000 000 flows (MiB, from %d flows)" % mem_flows,
        round(mib, 1), "< 250 MB (238 MiB)", mib * 2**20 < 250e6)
    lost = summary.get("flood_established_lost", {}).get("C", {})
    add("SYN flood: established flows evicted (max over rounds)",
        lost.get("max"), "0", lost.get("max") == 0)
    failed = summary["flood_legit_failed"]["C"]["max"]
    done = summary["flood_legit_per_s"]["C"]["min"]
    add("SYN flood: legitimate connections complete (min conn/s, max failed)",
        "%s/s, %s failed" % (fmt(done), fmt(failed)), "> 0/s, 0 failed",
        done > 0 and failed == 0)
    return t


def table(summary, dump_flows, mem_flows):
    rows = [("metric", "unit") + tuple(NAMES[c] + " med [min-max]"
                                       for c in CONFIGS) +
            ("tcpstate/none", "tcpstate/conntrack")]
    for metric, (label, unit, _) in METRICS.items():
        if metric not in summary:
            continue
        s = summary[metric]
        cells = []
        for cfg in CONFIGS:
            if cfg not in s:
                cells.append("-")
            elif s[cfg]["n"] == 1:
                cells.append(fmt(s[cfg]["median"]))
            else:
                cells.append("%s [%s-%s]" % (fmt(s[cfg]["median"]),
                                             fmt(s[cfg]["min"]),
                                             fmt(s[cfg]["max"])))
        rt = s["ratio_tcpstate_none"]
        rn = s["ratio_tcpstate_conntrack"]
        label = label.replace("DUMP", str(dump_flows))
        rows.append((label.replace("MEM", str(mem_flows)), unit) +
                    tuple(cells) +
                    ("%.3f" % rt if rt is not None else "-",
                     "%.3f" % rn if rn is not None else "-"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for i, r in enumerate(rows):
        out.append("  ".join(c.ljust(w) if j < 2 else c.rjust(w)
                             for j, (c, w) in enumerate(zip(r, widths))))
        if i == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def git_rev():
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain",
                                "--untracked-files=no"],
                               capture_output=True, text=True).stdout.strip()
        return rev + ("-dirty" if dirty else "")
    except OSError:
        return None


def main():
    log, out = sys.argv[1], sys.argv[2]
    samples, notes, aborted = parse(log)
    if aborted:
        sys.exit("report: the run aborted: " + aborted)
    for metric, (_, _, need) in METRICS.items():
        for cfg in need:
            if cfg not in samples.get(metric, {}):
                sys.exit("report: no %s sample for %s (%s)" %
                         (metric, NAMES[cfg], log))
    params = {}
    for note in notes:
        if note.startswith("params "):
            params = dict(kv.split("=", 1) for kv in note.split()[1:])
    dump_flows = int(params.get("dump_flows", 0))
    mem_flows = int(params.get("mem_flows", 0))
    summary = summarise(samples)
    tg = targets(summary, dump_flows, mem_flows)

    print()
    print("configurations: none = no tracking, tcpstate = tcpstate.ko, "
          "conntrack = nf_conntrack via nft `ct state`")
    print("medians over %s rounds [min-max]; guest time = instructions "
          "(QEMU -icount, 1 vCPU)" % params.get("rounds", "?"))
    print()
    print(table(summary, dump_flows, mem_flows))
    print()
    for x in tg:
        print("%-4s %s: %s (goal %s)" % ("MET" if x["met"] else "NOT",
                                        x["target"], x["measured"], x["goal"]))
    result = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "git": git_rev(),
        "params": params,
        "configurations": NAMES,
        "summary": summary,
        "targets": tg,
        "notes": notes,
    }
    with open(out, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    print()
    print("written: " + out)


if __name__ == "__main__":
    main()
