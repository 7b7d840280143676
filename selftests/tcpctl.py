#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Hold TCP sockets open and drive them one step at a time.

Reads commands from the FIFO given as argv[1], one per line, and appends
"<n> ok" or "<n> error: ..." to the file argv[2] after command number n:

  listen ID ADDR PORT [BACKLOG]   accept ID LISTENER
  connect ID ADDR PORT            connect_nb ID ADDR PORT (do not wait)
  connect_nb_n ID N ADDR PORT     N of those at once: ID1 .. IDN
  send ID NBYTES                  recv ID NBYTES
  shutdown ID                     (SHUT_WR: send a FIN, keep reading)
  close ID                        abort ID (SO_LINGER 0: send a RST)
  port ID                         (writes "<n> ok PORT": the local port)
  listen_tfo ID ADDR PORT         a listener that takes TCP Fast Open
  listen_defer ID ADDR PORT SECS  a listener with TCP_DEFER_ACCEPT SECS
  connect_tfo ID ADDR PORT NBYTES connect with NBYTES in the SYN
                                  (MSG_FASTOPEN: the kernel sends them
                                  there once it holds a cookie)
  keepalive ID IDLE               SO_KEEPALIVE, a probe after IDLE
                                  seconds idle, then every second
"""
import os
import socket
import struct
import sys

# A blocking call gives up after this long; the debug kernel is slower
# (lib.sh's WAIT_SCALE).
TIMEOUT = 30 * float(os.environ.get("WAIT_SCALE", "1"))


def family_of(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def main():
    socks = {}
    fifo, out = sys.argv[1], sys.argv[2]
    n = 0
    with open(fifo) as cmds:
        for line in cmds:
            args = line.split()
            if not args:
                continue
            n += 1
            try:
                extra = run(socks, args)
                reply = "%d ok%s" % (n, " " + extra if extra else "")
            except (OSError, KeyError, ValueError, IndexError) as e:
                reply = "%d error: %s" % (n, e)
            with open(out, "a") as f:
                f.write(reply + "\n")


def run(socks, args):
    cmd, sid = args[0], args[1]
    if cmd == "listen":
        s = socket.socket(family_of(args[2]), socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((args[2], int(args[3])))
        s.listen(int(args[4]) if len(args) > 4 else 128)
        socks[sid] = s
    elif cmd == "listen_tfo":
        s = socket.socket(family_of(args[2]), socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_FASTOPEN, 16)
        s.bind((args[2], int(args[3])))
        s.listen(128)
        socks[sid] = s
    elif cmd == "listen_defer":
        s = socket.socket(family_of(args[2]), socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_DEFER_ACCEPT,
                     int(args[4]))
        s.bind((args[2], int(args[3])))
        s.listen(128)
        socks[sid] = s
    elif cmd == "connect_tfo":
        s = socket.socket(family_of(args[2]), socket.SOCK_STREAM)
        socks[sid] = s
        # blocking (a timeout would make it non-blocking): returns once
        # the handshake is done and the data queued
        s.sendto(b"f" * int(args[4]), socket.MSG_FASTOPEN,
                 (args[2], int(args[3])))
        s.settimeout(TIMEOUT)
    elif cmd == "accept":
        socks[args[2]].settimeout(TIMEOUT)
        socks[sid], _ = socks[args[2]].accept()
    elif cmd in ("connect", "connect_nb"):
        s = socket.socket(family_of(args[2]), socket.SOCK_STREAM)
        socks[sid] = s
        if cmd == "connect":
            s.settimeout(TIMEOUT)
            s.connect((args[2], int(args[3])))
        else:
            s.setblocking(False)
            s.connect_ex((args[2], int(args[3])))
    elif cmd == "connect_nb_n":
        for i in range(1, int(args[2]) + 1):
            run(socks, ["connect_nb", sid + str(i), args[3], args[4]])
    elif cmd == "send":
        socks[sid].sendall(b"d" * int(args[2]))
    elif cmd == "recv":
        want, got = int(args[2]), 0
        socks[sid].settimeout(TIMEOUT)
        while got < want:
            data = socks[sid].recv(want - got)
            if not data:
                raise ValueError("EOF after %d bytes" % got)
            got += len(data)
    elif cmd == "shutdown":
        socks[sid].shutdown(socket.SHUT_WR)
    elif cmd == "close":
        socks.pop(sid).close()
    elif cmd == "abort":
        s = socks.pop(sid)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                     struct.pack("ii", 1, 0))
        s.close()
    elif cmd == "keepalive":
        s = socks[sid]
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, int(args[2]))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    elif cmd == "port":
        return str(socks[sid].getsockname()[1])
    else:
        raise ValueError("unknown command " + cmd)
    return ""


if __name__ == "__main__":
    main()
