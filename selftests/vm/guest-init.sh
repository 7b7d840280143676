#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Stage 2 of the selftest VM, running on the host's root (read-only 9p):
# finish the mounts, load tcpstate.ko, run the command on ttyS0, unload the
# module, leave the exit status and the kernel log in the job directory and
# power off. The kernel logs to ttyS1, a file the host reads afterwards.
set -u
job=$TCPSTATE_JOB
# shellcheck source=/dev/null
. "$job/env"

mount -t proc proc /proc
mount -t sysfs sys /sys
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
ln -sf /proc/self/fd /dev/fd 2>/dev/null

stty -F /dev/ttyS0 raw -echo 2>/dev/null
exec </dev/null >/dev/ttyS0 2>&1

export PATH="$TCPSTATE_REPO/tools:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
export HOME=/root TERM=dumb LC_ALL=C.UTF-8 TCPSTATE_IN_VM=1
hostname tcpstate-vm
ip link set lo up
echo 1 > /proc/sys/kernel/sysrq

finish() {
	dmesg > "$job/dmesg"
	echo "$1" > "$job/status"
	sync
	# Power-off takes the 9p root away: nothing may print after the
	# command's last line (the host reads the KTAP totals from it).
	exec > /dev/null 2>&1
	echo o > /proc/sysrq-trigger
	sleep 10
}

# A kmemleak kernel (the debug kernel): forget what boot leaked, scan on
# demand only, and after the run fail on any leak tcpstate's code made.
kmemleak=/sys/kernel/debug/kmemleak
if [ -w "$kmemleak" ]; then
	echo scan=off > "$kmemleak"
	echo scan > "$kmemleak"
	echo clear > "$kmemleak"
fi

if [ "$TCPSTATE_LOAD_MODULE" = 1 ] &&
   ! insmod "$TCPSTATE_REPO/module/tcpstate.ko" $TCPSTATE_MODULE_ARGS; then
	echo "vm: cannot load $TCPSTATE_REPO/module/tcpstate.ko"
	finish 125
fi

cd "$TCPSTATE_REPO" || finish 125
: > "$job/started"
bash -c "$TCPSTATE_CMD"
status=$?

if grep -q '^tcpstate ' /proc/modules && ! rmmod tcpstate; then
	echo "vm: rmmod tcpstate failed"
	[ "$status" = 0 ] && status=1
fi
if [ -w "$kmemleak" ]; then
	echo scan > "$kmemleak"
	echo scan > "$kmemleak"
	cat "$kmemleak" > "$job/kmemleak"
	if grep -q tcpstate "$job/kmemleak"; then
		echo "tcpstate: kmemleak reports leaks from tcpstate" > /dev/kmsg
		cat "$job/kmemleak"
		[ "$status" = 0 ] && status=1
	fi
fi
finish "$status"
