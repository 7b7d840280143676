#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Send the tcpstate family malformed requests over a raw netlink socket.

For each case prints one line "NAME errno=N msg=MESSAGE" (msg=- when the
kernel gave none). The kernel must answer every one with an error, and
must still answer a good request afterwards ("sane ok" last).

nl_raw.py get FAMILY CLIENT CPORT SERVER SPORT: one flow-get request (not
a dump); prints "CLIENT_STATE SERVER_STATE CLIENT_BYTES SERVER_BYTES" of
the flow, or "errno=N msg=MESSAGE".
"""
import os
import socket
import struct
import sys

NETLINK_GENERIC = 16
NETLINK_EXT_ACK = 11
NETLINK_CAP_ACK = 10
SOL_NETLINK = 270
NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP = 1, 4, 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLA_F_NESTED = 0x8000
GENL_ID_CTRL, CTRL_CMD_GETFAMILY = 16, 3
CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME = 1, 2

# from include/uapi/tcpstate.h
CMD_STATS_GET, CMD_FLOW_GET, CMD_CONFIG_SET = 1, 2, 5
A_FLOW_FAMILY, A_FLOW_FILTER = 2, 31
A_FLOW_CLIENT_ADDR, A_FLOW_CLIENT_PORT = 3, 4
A_FLOW_SERVER_ADDR, A_FLOW_SERVER_PORT = 5, 6
A_FLOW_CLIENT_STATE, A_FLOW_SERVER_STATE = 7, 8
A_FLOW_CLIENT_BYTES, A_FLOW_SERVER_BYTES = 15, 17
A_FILTER_FAMILY, A_FILTER_ADDR = 1, 5
A_CONFIG_TIMEOUT_TIME_WAIT, A_CONFIG_MAX_FLOWS = 6, 8


def attr(t, payload):
    n = 4 + len(payload)
    return struct.pack("=HH", n, t) + payload + b"\0" * ((4 - n % 4) % 4)


class Genl:
    def __init__(self):
        self.s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW,
                               NETLINK_GENERIC)
        self.s.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
        self.s.setsockopt(SOL_NETLINK, NETLINK_CAP_ACK, 1)
        self.s.bind((0, 0))
        self.seq = 0
        _, msgs = self.talk(GENL_ID_CTRL, CTRL_CMD_GETFAMILY,
                            attr(CTRL_ATTR_FAMILY_NAME, b"tcpstate\0"))
        self.family = struct.unpack_from("=H", self.attrs(msgs[0])[
            CTRL_ATTR_FAMILY_ID])[0]

    @staticmethod
    def attrs(payload):
        out, off = {}, 4
        while off + 4 <= len(payload):
            n, t = struct.unpack_from("=HH", payload, off)
            out.setdefault(t & 0x3fff, payload[off + 4:off + n])
            off += (n + 3) & ~3
        return out

    def talk(self, family, cmd, payload=b"", flags=0):
        """(errno, extack message or None), replies before the ACK."""
        self.seq += 1
        body = struct.pack("=BBH", cmd, 1, 0) + payload
        self.s.send(struct.pack("=IHHII", 16 + len(body), family,
                                NLM_F_REQUEST | NLM_F_ACK | flags, self.seq,
                                0) + body)
        msgs = []
        while True:
            data = self.s.recv(1 << 16)
            off = 0
            while off < len(data):
                n, t, fl, seq, _ = struct.unpack_from("=IHHII", data, off)
                body = data[off + 16:off + n]
                off += (n + 3) & ~3
                if t in (NLMSG_ERROR, NLMSG_DONE):
                    err = -struct.unpack_from("=i", body)[0]
                    # capped: the request's header only, then the TLVs
                    tlv = body[4 + 16:] if t == NLMSG_ERROR else body[4:]
                    msg, o = None, 0
                    while o + 4 <= len(tlv):
                        an, at = struct.unpack_from("=HH", tlv, o)
                        if at == 1:
                            msg = tlv[o + 4:o + an].rstrip(b"\0").decode()
                        o += (an + 3) & ~3
                    return (err, msg), msgs
                msgs.append(body)


def flow_get(argv):
    fam = {"inet": socket.AF_INET, "inet6": socket.AF_INET6}[argv[0]]
    g = Genl()
    payload = attr(A_FLOW_FAMILY, bytes([fam]))
    for a, p, (ta, tp) in ((argv[1], argv[2], (A_FLOW_CLIENT_ADDR,
                                               A_FLOW_CLIENT_PORT)),
                           (argv[3], argv[4], (A_FLOW_SERVER_ADDR,
                                               A_FLOW_SERVER_PORT))):
        payload += attr(ta, socket.inet_pton(fam, a))
        payload += attr(tp, struct.pack("!H", int(p)))
    (err, msg), msgs = g.talk(g.family, CMD_FLOW_GET, payload)
    if err or len(msgs) != 1:
        print("errno=%d msg=%s replies=%d" % (err, msg or "-", len(msgs)))
        return
    a = Genl.attrs(msgs[0])
    print(a[A_FLOW_CLIENT_STATE][0], a[A_FLOW_SERVER_STATE][0],
          struct.unpack("=Q", a[A_FLOW_CLIENT_BYTES])[0],
          struct.unpack("=Q", a[A_FLOW_SERVER_BYTES])[0])


def main():
    if sys.argv[1:2] == ["get"]:
        return flow_get(sys.argv[2:])
    g = Genl()
    f = g.family
    u32 = lambda v: struct.pack("=I", v)
    cases = [
        ("unknown_attribute", CMD_CONFIG_SET, attr(60, u32(1)), 0),
        ("unknown_attribute_stats", CMD_STATS_GET, attr(1, u32(1)), 0),
        ("wrong_type", CMD_CONFIG_SET,
         struct.pack("=HH", 8, A_CONFIG_TIMEOUT_TIME_WAIT | NLA_F_NESTED) +
         u32(1), 0),
        ("wrong_length", CMD_CONFIG_SET,
         attr(A_CONFIG_TIMEOUT_TIME_WAIT, b"\1\0"), 0),
        ("out_of_range", CMD_CONFIG_SET, attr(A_CONFIG_MAX_FLOWS, u32(0)), 0),
        ("missing_required", CMD_FLOW_GET, attr(A_FLOW_FAMILY, b"\2"), 0),
        ("config_set_empty", CMD_CONFIG_SET, b"", 0),
        ("unknown_command", 99, b"", 0),
        ("oversized_filter", CMD_FLOW_GET,
         attr(A_FLOW_FILTER | NLA_F_NESTED,
              attr(A_FILTER_FAMILY, b"\2") + attr(A_FILTER_ADDR, b"\1" * 64)),
         NLM_F_DUMP),
        ("huge_filter", CMD_FLOW_GET,
         attr(A_FLOW_FILTER | NLA_F_NESTED,
              b"".join(attr(A_FILTER_ADDR, b"\1" * 16) for _ in range(2000))),
         NLM_F_DUMP),
        ("filter_outside_nest", CMD_FLOW_GET, attr(A_FLOW_FAMILY, b"\2"),
         NLM_F_DUMP),
        ("bad_family", CMD_FLOW_GET,
         attr(A_FLOW_FILTER | NLA_F_NESTED, attr(A_FILTER_FAMILY, b"\7")),
         NLM_F_DUMP),
    ]
    for name, cmd, payload, flags in cases:
        (err, msg), _ = g.talk(f, cmd, payload, flags)
        print("%s errno=%d msg=%s" % (name, err, msg or "-"))
    (err, _), msgs = g.talk(f, CMD_STATS_GET)
    print("sane %s" % ("ok" if err == 0 and msgs else "errno=%d" % err))


if __name__ == "__main__":
    sys.exit(main())
