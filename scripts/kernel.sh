#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kernel.sh kdir|krel: the kernel tcpstate builds for and boots by default.
# The running kernel if its headers are installed (a real server), else
# Debian's default kernel (what linux-headers-amd64 depends on), else the
# newest installed linux-headers tree. Other kernels are chosen with KVER=.
set -u

kdir=/lib/modules/$(uname -r)/build
if [ ! -d "$kdir" ]; then
	dep=$(dpkg-query -W -f='${Depends}' linux-headers-amd64 2>/dev/null |
	      sed -n 's/^\(linux-headers-[^ ,]*\).*/\1/p')
	kdir=/usr/src/$dep
	if [ -z "$dep" ] || [ ! -d "$kdir" ]; then
		kdir=$(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -n 1)
	fi
fi
case "${1:-kdir}" in
kdir) echo "$kdir" ;;
krel) sed -n 's/.*UTS_RELEASE "\(.*\)"/\1/p' "$kdir/include/generated/utsrelease.h" 2>/dev/null ;;
*) echo "usage: $0 kdir|krel" >&2; exit 2 ;;
esac
