#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Captures for tcpstate replay's selftests, made fresh by each run.

  mkpcap.py OUTDIR

writes OUTDIR/NAME.pcap for every scenario below. Packets are built with
scapy; the pcap container is written here so that link types, capture
lengths (snaplen cuts) and broken files are exactly what a test asks for.
Every packet is 1 ms after the previous one unless a scenario says.
"""
import logging
import os
import struct
import sys
import warnings

warnings.filterwarnings("ignore")
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import (  # noqa: E402
    ARP, ICMP, IP, TCP, UDP, CookedLinux, CookedLinuxV2, Dot1Q, Ether,
    IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop,
    Raw)

LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
LINKTYPE_LINUX_SLL = 113
LINKTYPE_IPV4 = 228
LINKTYPE_IPV6 = 229
LINKTYPE_LINUX_SLL2 = 276
LINKTYPE_IEEE802_11 = 105

T0 = 1700000000.0
SYN_OPTS = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (1, 0)),
            ("NOP", None), ("WScale", 7)]


def write_pcap(path, linktype, records, nano=False, snaplen=65535):
    """records: (time, frame bytes[, wire length]) in order."""
    magic = 0xa1b23c4d if nano else 0xa1b2c3d4
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", magic, 2, 4, 0, 0, snaplen,
                            linktype))
        for rec in records:
            t, data = rec[0], rec[1]
            wire = rec[2] if len(rec) > 2 else len(data)
            sec = int(t)
            frac = round((t - sec) * (1e9 if nano else 1e6))
            f.write(struct.pack("<IIII", sec, frac, len(data), wire))
            f.write(data)


class Conv:
    """Both ends of one TCP connection; tracks each side's snd_nxt."""

    def __init__(self, cli, srv, cport, sport, isn=(1000, 5000), ext=None):
        self.ep = [(cli, cport), (srv, sport)]
        self.nxt = list(isn)
        self.v6 = ":" in cli
        self.ext = ext

    def ip(self, side):
        src, dst = self.ep[side][0], self.ep[side ^ 1][0]
        if not self.v6:
            return IP(src=src, dst=dst)
        l3 = IPv6(src=src, dst=dst)
        return l3 / self.ext() if self.ext else l3

    def seg(self, side, flags, data=b"", seq=None, ack=None, opts=None,
            win=65535):
        s = self.nxt[side] if seq is None else seq
        if ack is None:
            ack = self.nxt[side ^ 1] if "A" in flags else 0
        tcp = TCP(sport=self.ep[side][1], dport=self.ep[side ^ 1][1],
                  flags=flags, seq=s % 2**32, ack=ack % 2**32, window=win,
                  options=opts or [])
        pkt = self.ip(side) / tcp
        if data:
            pkt = pkt / Raw(data)
        end = s + len(data) + ("S" in flags) + ("F" in flags)
        if seq is None or end > self.nxt[side]:
            self.nxt[side] = end
        return pkt

    def c(self, flags, data=b"", **kw):
        return self.seg(0, flags, data, **kw)

    def s(self, flags, data=b"", **kw):
        return self.seg(1, flags, data, **kw)

    def handshake(self, opts=True):
        o = SYN_OPTS if opts else None
        return [self.c("S", opts=o), self.s("SA", opts=o), self.c("A")]

    def close_client_first(self):
        return [self.c("FA"), self.s("A"), self.s("FA"), self.c("A")]


def timed(pkts, start=T0, step=0.001):
    return [(start + i * step, p) for i, p in enumerate(pkts)]


def eth(pkt, vlans=()):
    v6 = pkt.haslayer(IPv6)
    frame = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
    tpids = [0x88a8] + [0x8100] * (len(vlans) - 1) if vlans else []
    for tpid, vid in zip(tpids, vlans):
        frame.lastlayer().type = tpid
        frame = frame / Dot1Q(vlan=vid)
    frame.lastlayer().type = 0x86dd if v6 else 0x0800
    return bytes(frame / pkt)


def sll(pkt):
    proto = 0x86dd if pkt.haslayer(IPv6) else 0x0800
    return bytes(CookedLinux(pkttype=0, lladdrtype=1, lladdrlen=6,
                             src=b"\x02\0\0\0\0\x01\0\0", proto=proto) / pkt)


def sll2(pkt):
    proto = 0x86dd if pkt.haslayer(IPv6) else 0x0800
    return bytes(CookedLinuxV2(proto=proto, ifindex=2, pkttype=0,
                               lladdrtype=1, lladdrlen=6,
                               src=b"\x02\0\0\0\0\x01\0\0") / pkt)


def frames(link, timed_pkts):
    return [(t, link(p)) for t, p in timed_pkts]


# ---- scenarios: name -> (linktype, records[, nano]) ----

def sf():
    """Ethernet, IPv4: handshake with options, data, client closes."""
    c = Conv("10.0.0.1", "10.0.0.2", 40000, 80)
    pkts = c.handshake() + [c.c("PA", b"GET / HTTP/1.0\r\n\r\n"), c.s("A"),
                            c.s("PA", b"x" * 500), c.c("A")]
    pkts += c.close_client_first()
    return LINKTYPE_ETHERNET, frames(eth, timed(pkts)), True


def rej():
    """Linux SLL, IPv4: SYN answered by RST+ACK."""
    c = Conv("10.0.1.1", "10.0.1.2", 40001, 81)
    pkts = [c.c("S"), c.s("RA", seq=0)]
    return LINKTYPE_LINUX_SLL, frames(sll, timed(pkts))


def s0():
    """Raw IP, IPv6 with a destination options header: SYN sent twice."""
    c = Conv("2001:db8::1", "2001:db8::2", 40002, 443, ext=IPv6ExtHdrDestOpt)
    syn = c.c("S", opts=SYN_OPTS)
    pkts = [syn, c.c("S", seq=1000, opts=SYN_OPTS)]
    return LINKTYPE_RAW, [(t, bytes(p)) for t, p in timed(pkts, step=1.0)]


def rsto():
    """Ethernet with stacked VLAN tags, IPv4: the client aborts."""
    c = Conv("10.0.2.1", "10.0.2.2", 40003, 22)
    pkts = c.handshake() + [c.c("PA", b"hello"), c.s("A"), c.c("RA")]
    return LINKTYPE_ETHERNET, [(t, eth(p, vlans=(100, 10)))
                               for t, p in timed(pkts)]


def halfclose():
    """Linux SLL, IPv4: client shuts down writing, server keeps sending."""
    c = Conv("10.0.3.1", "10.0.3.2", 40004, 8080)
    pkts = c.handshake() + [c.c("FA"), c.s("A")]
    for _ in range(20):
        pkts += [c.s("PA", b"d" * 100), c.c("A")]
    return LINKTYPE_LINUX_SLL, frames(sll, timed(pkts))


def simclose():
    """Ethernet, IPv6 with hop-by-hop options: FINs cross."""
    c = Conv("2001:db8:1::1", "2001:db8:1::2", 40005, 80,
             ext=IPv6ExtHdrHopByHop)
    pkts = c.handshake()
    s_nxt, c_nxt = c.nxt[1], c.nxt[0]
    pkts += [c.c("FA", ack=s_nxt), c.s("FA", ack=c_nxt), c.c("A"), c.s("A")]
    return LINKTYPE_ETHERNET, frames(eth, timed(pkts))


def reuse():
    """Ethernet, IPv4: a new SYN on a tuple in TIME_WAIT, one second on."""
    c = Conv("10.0.4.1", "10.0.4.2", 40006, 80)
    first = c.handshake(opts=False) + [c.c("PA", b"a"), c.s("A")]
    first += c.close_client_first()
    c.nxt = [900000, 700000]
    second = c.handshake(opts=False) + [c.c("PA", b"b" * 10), c.s("A")]
    recs = timed(first) + timed(second, start=T0 + 1)
    return LINKTYPE_ETHERNET, frames(eth, recs)


def midstream():
    """Raw IP (LINKTYPE_IPV4): picked up with data flowing, no SYN."""
    c = Conv("10.0.5.2", "10.0.5.1", 80, 50000, isn=(123456, 654321))
    pkts = []
    for _ in range(3):
        pkts += [c.c("PA", b"r" * 200), c.s("A")]
    return LINKTYPE_IPV4, [(t, bytes(p)) for t, p in timed(pkts)]


def sll2_v6():
    """Linux SLL2, IPv6: handshake, data both ways, server closes first."""
    c = Conv("2001:db8:2::1", "2001:db8:2::2", 40007, 25)
    pkts = c.handshake() + [c.s("PA", b"220 hi\r\n"), c.c("A"),
                            c.s("FA"), c.c("A"), c.c("FA"), c.s("A")]
    return LINKTYPE_LINUX_SLL2, frames(sll2, timed(pkts))


def interleave():
    """Ethernet: four flows, v4 and v6, their segments interleaved."""
    a = Conv("10.0.6.1", "10.0.6.9", 40010, 80)
    b = Conv("10.0.6.1", "10.0.6.9", 40011, 80)
    d = Conv("10.0.6.2", "10.0.6.9", 40012, 80)
    e = Conv("2001:db8:6::1", "2001:db8:6::9", 40013, 80)
    fa = a.handshake() + [a.c("PA", b"q"), a.s("PA", b"r")] + \
        a.close_client_first()
    fb = [b.c("S"), b.s("RA", seq=0)]
    fd = d.handshake() + [d.c("PA", b"q" * 50), d.s("RA")]
    fe = e.handshake() + [e.c("PA", b"v6" * 10), e.s("A")]
    lists = [fe, fd, fb, fa]
    pkts = []
    while any(lists):
        for lst in lists:
            if lst:
                pkts.append(lst.pop(0))
    return LINKTYPE_ETHERNET, frames(eth, timed(pkts))


def tcp_raw(doff, opts=b"", flags=0x02, payload=b""):
    """A TCP header built by hand, data offset and options as given."""
    hdr = struct.pack("!HHIIBBHHH", 1234, 80, 1, 0, doff << 4, flags,
                      1000, 0, 0)
    return hdr + opts + payload


def ip4_raw(tcp, src="10.0.7.66", dst="10.0.7.2"):
    return IP(src=src, dst=dst, proto=6) / Raw(tcp)


def malformed():
    """Ethernet: one good flow among broken TCP and IP headers."""
    c = Conv("10.0.7.1", "10.0.7.2", 40020, 80)
    good = [(eth(p),) for p in c.handshake()]
    big = eth(c.c("PA", b"z" * 1000))
    good += [(big[:96], len(big)), (eth(c.s("A")),)]  # snaplen cut: fine
    odd_mss = tcp_raw(6, b"\x02\x03\x05\x01")   # MSS of length 3: ignored
    bad = [
        eth(ip4_raw(tcp_raw(4))),                     # data offset < 5
        eth(ip4_raw(tcp_raw(15))),                    # offset past the end
        eth(ip4_raw(tcp_raw(6, b"\x02\x00\x05\xb4"))),  # option length 0
        eth(ip4_raw(tcp_raw(6, b"\x08\x0a\x00\x00"))),  # option overruns
        eth(ip4_raw(tcp_raw(6, b"\x01\x01\x01\x03"))),  # no room for length
        eth(ip4_raw(tcp_raw(6, b"\x04\x01\x01\x01"))),  # option length 1
        eth(ip4_raw(tcp_raw(5)))[:14 + 20 + 12],      # TCP header cut
        bytes(Ether(type=0x0800)) + b"\x4f" + bytes(19),  # IHL past end
        eth(IP(src="10.0.7.66", dst="10.0.7.2", len=400) / TCP()),  # tot_len
        b"\x02\0\0\0\0\x01\x08",                   # shorter than Ethernet
        eth(IPv6(src="2001:db8:7::66", dst="2001:db8:7::2", nh=60) /
            Raw(b"\x06\x09" + bytes(6))),             # ext header overruns
    ]
    recs = good + [(data,) for data in bad] + \
        [(eth(ip4_raw(odd_mss, src="10.0.7.67")),)]
    out = [(T0 + i * 0.001,) + r for i, r in enumerate(recs)]
    return LINKTYPE_ETHERNET, out


def fragments():
    """Ethernet: TCP fragments, UDP, ICMP and ARP among two SYN flows."""
    recs = [
        eth(IP(src="10.0.8.1", dst="10.0.8.2", flags="MF") /
            TCP(sport=40030, dport=80, flags="S", seq=1)),   # first: counted
        eth(IP(src="10.0.8.1", dst="10.0.8.2") /
            TCP(sport=40031, dport=80, flags="S", seq=1)),   # whole: tracked
        eth(IPv6(src="2001:db8:8::1", dst="2001:db8:8::2") /
            IPv6ExtHdrFragment(nh=6, offset=0, m=0) /
            TCP(sport=40032, dport=80, flags="S", seq=1)),   # atomic: tracked
        eth(IP(src="10.0.8.1", dst="10.0.8.2", frag=100, proto=6) /
            Raw(b"x" * 64)),                                  # not first
        eth(IPv6(src="2001:db8:8::1", dst="2001:db8:8::2") /
            IPv6ExtHdrFragment(nh=6, offset=10) / Raw(b"y" * 64)),
        eth(IP(src="10.0.8.1", dst="10.0.8.2") / UDP(sport=53, dport=53)),
        eth(IP(src="10.0.8.1", dst="10.0.8.2") / ICMP()),
        bytes(Ether(src="02:00:00:00:00:01", dst="ff:ff:ff:ff:ff:ff") /
              ARP()),
        eth(IPv6(src="2001:db8:8::1", dst="2001:db8:8::2") /
            UDP(sport=53, dport=53)),
        eth(IP(src="10.0.8.1", dst="10.0.8.2", frag=50, proto=17) /
            Raw(b"u" * 8)),                                   # UDP, not first
    ]
    return LINKTYPE_ETHERNET, timed(recs)


def expire():
    """Raw IP: a SYN never answered, then 200 s until another flow: the
    first expires, as the module's GC would expire it."""
    a = Conv("10.0.9.1", "10.0.9.2", 40040, 80)
    b = Conv("10.0.9.3", "10.0.9.2", 40041, 80)
    recs = timed([a.c("S")]) + timed(b.handshake(), start=T0 + 200)
    return LINKTYPE_RAW, [(t, bytes(p)) for t, p in recs]


def v6raw():
    """LINKTYPE_IPV6: a handshake and a server RST."""
    c = Conv("2001:db8:9::1", "2001:db8:9::2", 40050, 80)
    pkts = c.handshake() + [c.c("PA", b"x"), c.s("RA")]
    return LINKTYPE_IPV6, [(t, bytes(p)) for t, p in timed(pkts)]


def rtx():
    """Ethernet, IPv4: SYN-ACK and data retransmitted, keepalive probes."""
    c = Conv("10.0.11.1", "10.0.11.2", 40060, 80)
    pkts = [c.c("S"), c.s("SA"), c.s("SA", seq=5000), c.c("A"),
            c.c("PA", b"k" * 100), c.c("PA", b"k" * 100, seq=1001),
            c.s("A")]
    for _ in range(2):
        pkts += [c.c("A", b"\0", seq=c.nxt[0] - 1), c.s("A")]
    return LINKTYPE_ETHERNET, frames(eth, timed(pkts))


def garbage():
    """Ethernet: SYNs with random bytes after the IP header, for ASan."""
    import random
    rnd = random.Random(7)
    out = []
    for i in range(400):
        n = rnd.randrange(0, 80)
        body = bytes(rnd.randrange(256) for _ in range(n))
        ip = IP(src="10.0.10.1", dst="10.0.10.2", proto=6) / Raw(body)
        frame = eth(ip)
        cut = rnd.randrange(0, len(frame) + 1) if i % 3 == 0 else len(frame)
        out.append((T0 + i * 0.001, frame[:cut], len(frame)))
    return LINKTYPE_ETHERNET, out


def empty():
    return LINKTYPE_ETHERNET, []


def wifi():
    return LINKTYPE_IEEE802_11, timed([b"\x08\x00" + bytes(22)])


SCENARIOS = {f.__name__: f for f in (
    sf, rej, s0, rsto, halfclose, simclose, reuse, midstream, sll2_v6,
    interleave, rtx, malformed, fragments, expire, v6raw, garbage, empty, wifi)}


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    for name, fn in SCENARIOS.items():
        res = fn()
        linktype, records = res[0], res[1]
        nano = len(res) > 2 and res[2]
        write_pcap(os.path.join(outdir, name + ".pcap"), linktype, records,
                   nano=nano)
    return 0


if __name__ == "__main__":
    sys.exit(main())
