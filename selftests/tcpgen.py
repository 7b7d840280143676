#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Real TCP traffic for tcpstate's selftests and demo.

  tcpgen.py serve ADDR PORT [--count N]
      accept N connections (0: forever), echo each until EOF, close.
  tcpgen.py connect ADDR PORT [--count N] [--bytes B] [--parallel P]
      N connections: send B bytes, read them back, close first.
  tcpgen.py pairs ADDR PORT [--count N] [--bytes B]
      both ends in one process (for one namespace / loopback).
"""
import argparse
import socket
import sys
import threading


def family_of(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def listener(addr, port, backlog=128):
    s = socket.socket(family_of(addr), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(backlog)
    return s


def echo(conn):
    with conn:
        while True:
            data = conn.recv(65536)
            if not data:
                return
            conn.sendall(data)


def serve(lsock, count):
    served = 0
    while count == 0 or served < count:
        conn, _ = lsock.accept()
        threading.Thread(target=echo, args=(conn,), daemon=True).start()
        served += 1


def one_connection(addr, port, nbytes):
    with socket.create_connection((addr, port), timeout=30) as s:
        payload = b"x" * nbytes
        s.sendall(payload)
        got = 0
        while got < nbytes:
            data = s.recv(65536)
            if not data:
                raise RuntimeError("server closed early")
            got += len(data)


def connect(addr, port, count, nbytes, parallel):
    errors = []

    def worker(n):
        try:
            for _ in range(n):
                one_connection(addr, port, nbytes)
        except OSError as e:
            errors.append(e)

    share = [count // parallel + (1 if i < count % parallel else 0)
             for i in range(parallel)]
    threads = [threading.Thread(target=worker, args=(n,)) for n in share]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        print("tcpgen: %d connection(s) failed: %s" % (len(errors), errors[0]),
              file=sys.stderr)
        return 1
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["serve", "connect", "pairs"])
    ap.add_argument("addr")
    ap.add_argument("port", type=int)
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--bytes", type=int, default=1000)
    ap.add_argument("--parallel", type=int, default=1)
    a = ap.parse_args()

    if a.mode == "serve":
        serve(listener(a.addr, a.port), a.count)
        return 0
    if a.mode == "connect":
        return connect(a.addr, a.port, a.count, a.bytes, a.parallel)
    lsock = listener(a.addr, a.port)
    threading.Thread(target=serve, args=(lsock, a.count), daemon=True).start()
    return connect(a.addr, a.port, a.count, a.bytes, a.parallel)


if __name__ == "__main__":
    sys.exit(main())
