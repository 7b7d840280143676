#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""stages.py LOG: the table of `make bench-stages` from stages.sh's
"CONNS <config> <round> <connections>" lines: the median connections of
each configuration (min-max), its rate against no hooks, and what each
layer adds to the one before it."""
import statistics
import sys

LABELS = {
    "none": "no hooks",
    "hooks": "tcpstate_floor: empty hooks",
    "bare": "tcpstate_floor: bare tracker",
    "tcpstate": "tcpstate",
}
CHAIN = ["none", "hooks", "bare", "tcpstate"]


def main():
    runs = {}
    with open(sys.argv[1], encoding="utf-8") as log:
        for line in log:
            f = line.split()
            if len(f) == 4 and f[0] == "CONNS":
                runs.setdefault(f[1], []).append(int(f[3]))
    if "none" not in runs or "tcpstate" not in runs:
        sys.exit("stages.py: no complete run in " + sys.argv[1])
    med = {c: statistics.median(v) for c, v in runs.items()}
    base = med["none"]
    print(f"{'configuration':<40} {'connections':>19} {'/ none':>7} "
          f"{'stage adds':>10}")
    for c in LABELS:
        if c not in runs:
            continue
        v = runs[c]
        ratio = med[c] / base
        step = ""
        if c in CHAIN[1:]:
            prev = CHAIN[CHAIN.index(c) - 1]
            step = f"{(med[c] - med[prev]) / base * 100:+.1f}%"
        print(f"{LABELS[c]:<40} {med[c]:>7.0f} ({min(v)}-{max(v)}) "
              f"{ratio:>7.3f} {step:>10}")
    print(f"# {len(runs['none'])} rounds; the 95% target allows "
          f"{base * 0.05:.0f} fewer connections than no hooks")


main()
