#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build.sh: the Makefile works on a fresh machine, where no kernel headers
# exist when make starts and deps installs them. Each test runs a copy of
# the tree whose scripts/deps.sh is a stand-in: /usr/src and /lib/modules
# start empty (a private mount namespace) and the stand-in puts the real
# trees back, as installing the packages would.
cd "$(dirname "$0")/.." || exit 1
source selftests/lib.sh

# A fresh machine's plain `make`, whatever make check was given (KVER=...)
unset MAKEFLAGS MAKELEVEL MFLAGS
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# copy_tree DIR: the repository's files (committed or not) in DIR.
copy_tree()
{
	mkdir -p "$1"
	git ls-files --cached --others --exclude-standard -z |
		xargs -0 cp --parents -t "$1"
}

# fresh_make DIR ARGS...: make ARGS in DIR with /usr/src and /lib/modules
# empty until the stand-in deps step runs; it logs its arguments to
# DIR/deps.log.
fresh_make()
{
	local dir=$1 real=$tmp/real
	shift
	mkdir -p "$real/src" "$real/modules" /lib/modules
	cat > "$dir/scripts/deps.sh" <<STANDIN
#!/bin/bash
echo "deps \$*: \$(ls /usr/src | wc -l) trees before" >> "$dir/deps.log"
if [ -z "\$(ls /usr/src)" ]; then
	mount --bind "$real/src" /usr/src
	mount --bind "$real/modules" /lib/modules
fi
STANDIN
	unshare -m --propagation private bash -c '
		set -e
		mount --bind /usr/src "$1/src"
		mount --bind /lib/modules "$1/modules"
		mount -t tmpfs none /usr/src
		mount -t tmpfs none /lib/modules
		shift
		make -C "$@"' _ "$real" "$dir" "$@"
}

test_fresh_module()
{
	local dir=$tmp/fresh krel ko
	krel=$(scripts/kernel.sh krel)
	[ -n "$krel" ] || fail "no kernel headers here to restore"
	copy_tree "$dir"
	run fresh_make "$dir" module
	cat "$dir/deps.log"
	grep -q "^deps : 0 trees before" "$dir/deps.log" ||
		fail "deps did not run first on an empty /usr/src"
	ko=$dir/module/tcpstate.ko
	[ -r "$ko" ] || fail "no module built"
	assert_eq "vermagic" "$krel" "$(modinfo -F vermagic "$ko" | cut -d' ' -f1)"
}

test_fresh_kver()
{
	local dir=$tmp/kver krel out
	krel=$(scripts/kernel.sh krel)
	copy_tree "$dir"
	out=$(fresh_make "$dir" -s KVER="$krel" kernel)
	echo "$out"
	grep -q "^deps $krel: 0 trees before" "$dir/deps.log" ||
		fail "deps was not asked for KVER=$krel first"
	assert_eq "kernel" "/lib/modules/$krel/build $krel" "$out"
}

# Without root and without the packages, make stops with deps' advice,
# not with an error from kbuild.
test_nonroot_advice()
{
	local dir=$tmp/user out
	copy_tree "$dir"
	mkdir -p "$tmp/bin"
	printf '#!/bin/sh\nexit 1\n' > "$tmp/bin/dpkg-query"
	chmod 755 "$tmp/bin/dpkg-query" "$tmp"
	chmod -R a+rX "$dir"
	out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups \
		env PATH="$tmp/bin:$PATH" make -C "$dir" 2>&1) &&
		fail "make succeeded without the packages"
	echo "$out"
	grep -q "^  apt-get update && apt-get install -y --no-install-recommends .*linux-headers-amd64" <<< "$out" ||
		fail "no apt-get command"
	! grep -qE "no kernel headers|scripts/Makefile|kbuild" <<< "$out" ||
		fail "an error from the build instead of the advice"
}

checktool unshare
ktap_plan 3
run_test fresh_machine_builds_module test_fresh_module
run_test fresh_machine_kver test_fresh_kver
run_test nonroot_without_packages_gets_apt_command test_nonroot_advice
ktap_finish
