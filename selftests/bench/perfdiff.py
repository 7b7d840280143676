#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""perfdiff.py BASE N_BASE RUN N_RUN: where a workload's extra instructions go.

BASE and RUN are `perf script -F period,ip,sym` texts of the same workload
without and with tcpstate, recorded under -icount (a cpu-clock period in ns
is that many guest instructions); N_BASE and N_RUN are how many units of
work (connections) each did. Prints instructions per unit in each, the
part of RUN whose call chain goes through tcpstate's hooks (their own
code and the kernel functions they call), the leaf symbols whose
instructions per unit grew or shrank the most, and RUN's own tcpstate_*
functions.
"""
import collections
import sys

from perfsum import IDLE, ROOT, ROOT_NAME, samples


def leaves(path):
    """Instructions per leaf symbol, idle left out; and those under ROOT."""
    per = collections.Counter()
    hooked = 0
    with open(path) as f:
        for period, stack in samples(f):
            leaf = stack[0].split("+")[0]
            if leaf in IDLE:
                continue
            per[leaf] += period
            if any(s.startswith(ROOT) for s in stack):
                hooked += period
    return per, hooked


def main():
    if len(sys.argv) != 5:
        sys.exit("usage: perfdiff.py BASE N_BASE RUN N_RUN")
    (base, bhooked), nb = leaves(sys.argv[1]), int(sys.argv[2])
    (run, hooked), nr = leaves(sys.argv[3]), int(sys.argv[4])
    if not nb or not nr:
        sys.exit("perfdiff: no work done")
    tb, tr = sum(base.values()) / nb, sum(run.values()) / nr
    print("busy instructions per unit: without %.0f, with %.0f, "
          "extra %.0f (%.1f%%)" % (tb, tr, tr - tb, 100.0 * (tr - tb) / tb))
    delta = {s: run[s] / nr - base[s] / nb for s in set(base) | set(run)}
    mine = sum(d for s, d in delta.items() if s.startswith("tcpstate_"))
    print("of the extra, in tcpstate_* functions themselves: %.0f" % mine)
    print("under %s call chains (with what they call): without %.0f, "
          "with %.0f" % (ROOT_NAME, bhooked / nb, hooked / nr))
    print("largest changes, instructions per unit (with - without):")
    for s in sorted(delta, key=lambda s: -abs(delta[s]))[:25]:
        print("  %+7.0f  %s" % (delta[s], s))
    own = [s for s in run if s.startswith("tcpstate_")]
    if own:
        print("tcpstate_* functions with, instructions per unit (self):")
        for s in sorted(own, key=lambda s: -run[s])[:15]:
            print("  %7.0f  %s" % (run[s] / nr, s))


if __name__ == "__main__":
    main()
