#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""nl_fuzz.py SECONDS SEED: send the tcpstate family random messages.

For SECONDS, builds messages from SEED: every command number (valid or
not), random flags (do, dump, ack), random genetlink versions, and bodies
that are well-formed attribute sets with random types, lengths and nests,
mutations of good requests, or plain garbage, some with a netlink or
genetlink header that lies about its length. Each reply is read to its
end; no request may go unanswered when it asked for an ACK. Prints what
came back, by errno, then "sane ok" if a good stats request still works.
Exits non-zero if the kernel stopped answering.
"""
import collections
import errno
import os
import random
import select
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nl_raw import Genl, attr, NLA_F_NESTED, NLM_F_ACK, NLM_F_DUMP, \
    NLM_F_REQUEST, NLMSG_DONE, NLMSG_ERROR  # noqa: E402

CMDS = range(0, 12)             # 1..8 exist, 0 and 9.. do not
ATTR_TYPES = range(0, 40)
NESTS = (31, 7, 5)              # flow filter, and some that are not nests


def rand_payload(rng):
    return bytes(rng.getrandbits(8) for _ in range(rng.choice(
        (0, 1, 2, 3, 4, 6, 8, 16, 17, 40, rng.randrange(300)))))


def rand_attrs(rng, depth=0):
    out = b""
    for _ in range(rng.randrange(6)):
        t = rng.choice(ATTR_TYPES)
        if depth < 4 and (t in NESTS or rng.random() < 0.15):
            out += attr(t | NLA_F_NESTED, rand_attrs(rng, depth + 1))
        else:
            out += attr(t, rand_payload(rng))
    return out


def good(rng):
    """A plausible request: a filter nest, a config value, a tuple."""
    u32 = lambda v: struct.pack("=I", v)
    filt = b"".join(rng.choice((
        attr(1, bytes([rng.choice((2, 10, 0, 7))])),
        attr(2, u32(rng.getrandbits(16))),
        attr(3, bytes([rng.randrange(5)])),
        attr(4, u32(rng.getrandbits(16))),
        attr(5, bytes(rng.choice((4, 16, 3, 0))) ),
        attr(8, struct.pack("!H", rng.getrandbits(16))),
        attr(11, attr(1, bytes([2])) + attr(2, bytes(4))),
    )) for _ in range(rng.randrange(1, 5)))
    return rng.choice((
        attr(31 | NLA_F_NESTED, filt),
        attr(rng.randrange(1, 12), u32(rng.choice((0, 1, 1000, 2**31, 2**32 - 1)))),
        attr(2, bytes([rng.choice((2, 10))])) + attr(3, bytes(rng.choice((4, 16)))) +
        attr(4, b"\0\x50") + attr(5, bytes(rng.choice((4, 16)))) + attr(6, b"\x1f\x90"),
    ))


def mutate(rng, msg):
    b = bytearray(msg)
    for _ in range(rng.randrange(1, 4)):
        if not b:
            break
        b[rng.randrange(len(b))] = rng.getrandbits(8)
    if b and rng.random() < 0.3:
        del b[rng.randrange(len(b)):]
    return bytes(b)


def main():
    secs, seed = float(sys.argv[1]), int(sys.argv[2])
    rng = random.Random(seed)
    g = Genl()
    s, fam = g.s, g.family
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    seen = collections.Counter()
    sent = unanswered = 0
    end = time.monotonic() + secs
    while time.monotonic() < end:
        cmd = rng.choice(CMDS)
        flags = NLM_F_REQUEST | rng.choice((0, NLM_F_ACK, NLM_F_DUMP,
                                            NLM_F_DUMP | NLM_F_ACK))
        kind = rng.random()
        body = rand_attrs(rng) if kind < 0.4 else good(rng) if kind < 0.7 \
            else mutate(rng, good(rng)) if kind < 0.9 else rand_payload(rng)
        ver = 1 if rng.random() < 0.9 else rng.getrandbits(8)
        gen = struct.pack("=BBH", cmd, ver, 0)
        if rng.random() < 0.05:
            gen = gen[:rng.randrange(4)]       # genetlink header cut short
        msg = gen + body
        nlen = 16 + len(msg)
        if rng.random() < 0.05:                # a header that lies
            nlen = rng.choice((0, 15, 16, nlen + 4, 65535))
        g.seq += 1
        try:
            s.send(struct.pack("=IHHII", nlen, fam, flags, g.seq, 0) + msg)
        except OSError as e:
            seen["send " + errno.errorcode.get(e.errno, str(e.errno))] += 1
            continue
        sent += 1
        done = False
        while not done:
            r, _, _ = select.select([s], [], [], 0.05 if not flags & NLM_F_ACK
                                    and not flags & NLM_F_DUMP else 5)
            if not r:
                if flags & (NLM_F_ACK | NLM_F_DUMP) and 16 <= nlen <= 16 + len(msg):
                    unanswered += 1
                    print("no answer: cmd %d flags %#x body %s" %
                          (cmd, flags, msg.hex()))
                else:
                    seen["silent"] += 1
                break
            data = s.recv(1 << 20)
            off = 0
            while off + 16 <= len(data):
                n, t, _, seq, _ = struct.unpack_from("=IHHII", data, off)
                if seq != g.seq:               # the tail of an earlier one
                    seen["late"] += 1
                elif t == NLMSG_ERROR:
                    e = -struct.unpack_from("=i", data, off + 16)[0]
                    seen["ok" if not e else errno.errorcode.get(e, str(e))] += 1
                    done = True
                elif t == NLMSG_DONE:
                    seen["dump done"] += 1
                    done = True
                else:
                    seen["reply"] += 1
                off += max((n + 3) & ~3, 16)
    for k, v in sorted(seen.items()):
        print("%s %d" % (k, v))
    print("sent %d unanswered %d" % (sent, unanswered))
    (err, _), msgs = Genl().talk(fam, 1)
    print("sane %s" % ("ok" if err == 0 and msgs else "errno=%d" % err))
    return 1 if unanswered or err else 0


if __name__ == "__main__":
    sys.exit(main())
