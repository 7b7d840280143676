#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kernel.sh kdir|krel|mk [KVER]: the kernel tcpstate builds for and boots.
# KVER names one by version; else the running kernel if its headers are
# installed (a real server), else Debian's default kernel (what
# linux-headers-amd64 depends on), else the newest installed linux-headers
# tree. `mk` prints both as make assignments (the Makefile's
# build/kernel.mk).
set -u

kver=${2:-}
if [ -n "$kver" ]; then
	kdir=/lib/modules/$kver/build
else
	kdir=/lib/modules/$(uname -r)/build
fi
if [ -z "$kver" ] && [ ! -d "$kdir" ]; then
	dep=$(dpkg-query -W -f='${Depends}' linux-headers-amd64 2>/dev/null |
	      sed -n 's/^\(linux-headers-[^ ,]*\).*/\1/p')
	kdir=/usr/src/$dep
	if [ -z "$dep" ] || [ ! -d "$kdir" ]; then
		kdir=$(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -n 1)
	fi
fi
krel=$(sed -n 's/.*UTS_RELEASE "\(.*\)"/\1/p' "$kdir/include/generated/utsrelease.h" 2>/dev/null)
case "${1:-kdir}" in
kdir) echo "$kdir" ;;
krel) echo "$krel" ;;
mk)
	if [ -z "$krel" ]; then
		echo "kernel.sh: no kernel headers in '$kdir'${kver:+ for KVER=$kver}" >&2
		exit 1
	fi
	echo "TCPSTATE_KDIR := $kdir"
	echo "TCPSTATE_KREL := $krel"
	;;
*) echo "usage: $0 kdir|krel|mk [KVER]" >&2; exit 2 ;;
esac
