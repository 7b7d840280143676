#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""perfsum.py [CALLS]: tcpstate's share of `perf script -F period,ip,sym,symoff`.

Reads perf script's text (recorded with -g) on stdin. With -icount a
cpu-clock period in ns is that many guest instructions; CALLS, the number
of times the hook ran (tcpstate's skbs counters), gives instructions per
call. A sample whose call chain goes through
tcpstate_hook is tcpstate's; prints that share of all samples, tcpstate's
share of the non-idle samples, what those samples' leaf functions were
(self cost under the hook), and the inclusive share of each tcpstate_*
function. With PERFSUM_OFFSETS=N in the environment, also the N hottest
leaf instructions (symbol+offset) under the hook, to read beside
`objdump -d module/tcpstate.ko`.
"""
import collections
import os
import sys

# tcpstate_hook_v4, tcpstate_hook_v6; the floor module's (profile.sh)
ROOT = ("tcpstate_hook", "tcpstate_floor_hook")
ROOT_NAME = "/".join(ROOT)
IDLE = ("native_safe_halt", "default_idle", "amd_e400_idle", "cpu_idle")


def samples(lines):
    """(period, [leaf, caller, ...]) per sample."""
    period, stack = 0, []
    for line in lines:
        line = line.rstrip("\n")
        if not line.strip():
            if stack:
                yield period, stack
            stack = []
        elif line.startswith("\t"):
            parts = line.split()
            if len(parts) >= 2:
                stack.append(parts[1])
        else:
            period, stack = int(line.split()[0]), []
    if stack:
        yield period, stack


def main():
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    total = idle = mine = 0
    leaf = collections.Counter()
    incl = collections.Counter()
    offsets = int(os.environ.get("PERFSUM_OFFSETS", "0"))
    at = collections.Counter()
    for period, full in samples(sys.stdin):
        st = [f.split("+")[0] for f in full]
        total += period
        if st[0] in IDLE:
            idle += period
            continue
        roots = [i for i, f in enumerate(st) if f.startswith(ROOT)]
        if not roots:
            continue
        mine += period
        leaf[st[0]] += period
        at[full[0]] += period
        for f in set(st[:roots[-1] + 1]):
            if f.startswith("tcpstate_"):
                incl[f] += period
    busy = total - idle
    if not busy:
        sys.exit("perfsum: no samples")
    print("guest instructions %d (idle %d); under %s: %.2f%% of all, "
          "%.2f%% of busy" % (total, idle, ROOT_NAME, 100.0 * mine / total,
                              100.0 * mine / busy))
    if calls:
        print("hook calls %d: %.0f instructions per call" %
              (calls, mine / calls))
    print("inclusive, %% of busy samples:")
    for f, n in incl.most_common(15):
        print("  %6.2f%%  %s" % (100.0 * n / busy, f))
    print("leaf functions under %s, %% of busy samples:" % ROOT_NAME)
    for f, n in leaf.most_common(15):
        print("  %6.2f%%  %s" % (100.0 * n / busy, f))

    if offsets:
        print("hottest instructions under %s, instructions per call:" % ROOT_NAME)
        for f, n in at.most_common(offsets):
            print("  %6.1f  %s" % (n / max(calls, 1), f))


if __name__ == "__main__":
    main()
