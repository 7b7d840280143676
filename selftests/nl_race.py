#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Readers and writers of the tcpstate family, in a loop, for the races.

  nl_race.py get SECONDS      flow get of each tuple read from stdin
                              ("inet|inet6 CLIENT CPORT SERVER SPORT" lines)
                              over and over; every reply must name the flow
                              asked for (either way round), or be ENOENT
  nl_race.py dump SECONDS     flow dumps; every flow well formed
  nl_race.py listeners SECONDS listener dumps
  nl_race.py flush SECONDS    flushes
  nl_race.py proc SECONDS     /proc/net/tcpstate/{flows,listeners} read
                              7 bytes at a time; every flows line whole

Prints "MODE rounds=N ..." and exits 1 on a wrong answer. A namespace or
module going away meanwhile ends the loop quietly (ENOENT or
EPROTONOSUPPORT for the family, ENOENT for a procfs file, EIO from one
open when its namespace's files were removed): that is one of the races.
"""
import errno
import socket
import struct
import sys
import time

from nl_raw import (A_FLOW_CLIENT_ADDR, A_FLOW_CLIENT_PORT, A_FLOW_FAMILY,
                    A_FLOW_SERVER_ADDR, A_FLOW_SERVER_PORT, CMD_FLOW_GET,
                    NLM_F_DUMP, Genl, attr)

CMD_LISTENER_GET, CMD_FLUSH = 3, 6
FAMILIES = {"inet": socket.AF_INET, "inet6": socket.AF_INET6}


def tuple_of(a):
    fam = a[A_FLOW_FAMILY][0]
    want = 4 if fam == socket.AF_INET else 16
    for t in (A_FLOW_CLIENT_ADDR, A_FLOW_SERVER_ADDR):
        if len(a[t]) != want:
            raise ValueError("address of %d bytes for family %d" %
                             (len(a[t]), fam))
    return (fam,
            (socket.inet_ntop(fam, a[A_FLOW_CLIENT_ADDR]),
             struct.unpack("!H", a[A_FLOW_CLIENT_PORT])[0]),
            (socket.inet_ntop(fam, a[A_FLOW_SERVER_ADDR]),
             struct.unpack("!H", a[A_FLOW_SERVER_PORT])[0]))


def request(fam, c, cp, s, sp):
    payload = attr(A_FLOW_FAMILY, bytes([fam]))
    payload += attr(A_FLOW_CLIENT_ADDR, socket.inet_pton(fam, c))
    payload += attr(A_FLOW_CLIENT_PORT, struct.pack("!H", cp))
    payload += attr(A_FLOW_SERVER_ADDR, socket.inet_pton(fam, s))
    payload += attr(A_FLOW_SERVER_PORT, struct.pack("!H", sp))
    return payload


def gone(err):
    """The family or the namespace's files went away: the race's end."""
    return err in (errno.ENOENT, errno.ENODEV, errno.ECONNREFUSED,
                   errno.EPROTONOSUPPORT, errno.EIO)


def run_get(g, deadline):
    tuples = []
    for line in sys.stdin:
        f, c, cp, s, sp = line.split()
        tuples.append((FAMILIES[f], c, int(cp), s, int(sp)))
    rounds = hits = misses = 0
    while time.time() < deadline and tuples:
        for fam, c, cp, s, sp in tuples:
            (err, msg), msgs = g.talk(g.family, CMD_FLOW_GET,
                                      request(fam, c, cp, s, sp))
            if err == errno.ENOENT and msg == "no such flow":
                misses += 1
                continue
            if err:
                if gone(err):
                    return "rounds=%d hits=%d misses=%d (gone)" % (
                        rounds, hits, misses)
                raise ValueError("get: errno %d %s" % (err, msg))
            got = tuple_of(Genl.attrs(msgs[0]))
            ends = {(c, cp), (s, sp)}
            if got[0] != fam or {got[1], got[2]} != ends:
                raise ValueError("asked for %s, got %s" % (ends, got))
            hits += 1
        rounds += 1
    return "rounds=%d hits=%d misses=%d" % (rounds, hits, misses)


def run_dump(g, deadline, cmd):
    rounds = items = 0
    while time.time() < deadline:
        (err, msg), msgs = g.talk(g.family, cmd, b"", NLM_F_DUMP)
        if err:
            if gone(err):
                break
            raise ValueError("dump: errno %d %s" % (err, msg))
        for m in msgs:
            if cmd == CMD_FLOW_GET:
                tuple_of(Genl.attrs(m))
        items += len(msgs)
        rounds += 1
    return "rounds=%d items=%d" % (rounds, items)


def run_flush(g, deadline):
    rounds = 0
    while time.time() < deadline:
        (err, msg), _ = g.talk(g.family, CMD_FLUSH)
        if err:
            if gone(err):
                break
            raise ValueError("flush: errno %d %s" % (err, msg))
        rounds += 1
    return "rounds=%d" % rounds


def read_small(path):
    with open(path, "rb", buffering=0) as f:
        data = b""
        while True:
            b = f.read(7)
            if not b:
                return data
            data += b


def run_proc(deadline):
    rounds = lines = 0
    while time.time() < deadline:
        try:
            text = read_small("/proc/net/tcpstate/flows").decode()
            read_small("/proc/net/tcpstate/listeners")
        except OSError as e:
            if gone(e.errno):
                break
            raise
        rows = text.splitlines()
        width = len(rows[0].split())
        for r in rows[1:]:
            if len(r.split()) != width:
                raise ValueError("torn line: %r" % r)
        lines += len(rows) - 1
        rounds += 1
    return "rounds=%d lines=%d" % (rounds, lines)


def main():
    mode, secs = sys.argv[1], float(sys.argv[2])
    deadline = time.time() + secs
    if mode == "proc":
        out = run_proc(deadline)
    else:
        try:
            g = Genl()
        except (OSError, IndexError, KeyError):
            print(mode, "no family")
            return 0
        out = {
            "get": lambda: run_get(g, deadline),
            "dump": lambda: run_dump(g, deadline, CMD_FLOW_GET),
            "listeners": lambda: run_dump(g, deadline, CMD_LISTENER_GET),
            "flush": lambda: run_flush(g, deadline),
        }[mode]()
    print(mode, out)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except ValueError as e:
        print("%s: WRONG: %s" % (sys.argv[1], e))
        sys.exit(1)
