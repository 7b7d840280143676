# SPDX-License-Identifier: GPL-2.0
#
# tcpstate: `make` builds module/tcpstate.ko and tools/tcpstate;
# `make demo` shows it at work in a VM; `make check` runs every test.

# The kernel to build for: KVER picks a kernel by version (installed
# first if missing); else the running kernel's headers; else Debian's
# default kernel (the one linux-headers-amd64 depends on), else the newest
# linux-headers tree. KDIR= overrides them all.
#
# make reads KDIR when it parses this file, and a fresh machine has no
# headers yet at that point. So build/kernel.mk is remade first: its rule
# installs what is missing (scripts/deps.sh; without root it prints the
# apt-get command and stops) and only then asks which kernel is there;
# make restarts with it whenever it changed.
.DEFAULT_GOAL := all

ifneq ($(filter-out clean,$(or $(MAKECMDGOALS),all)),)
include build/kernel.mk
endif

build/kernel.mk: FORCE
	@scripts/deps.sh $(KVER)
	@mkdir -p $(@D)
	@scripts/kernel.sh mk $(KVER) > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi

KDIR ?= $(TCPSTATE_KDIR)
# The release those headers are for; the VM boots that kernel.
KREL = $(shell sed -n 's/.*UTS_RELEASE "\(.*\)"/\1/p' \
	 $(KDIR)/include/generated/utsrelease.h 2>/dev/null)

VM = selftests/vm/run.sh --kernel $(KREL)
CHECKPATCH_DIR = build/checkpatch
PREFIX ?= /usr/local
VERSION = $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)

.PHONY: FORCE all deps kernel module tools check check-debug ynl uapi demo fuzz bench bench-stages bench-tools bench-fsm sparse \
	checkpatch install dkms-install clean

all: module tools

deps:
	@scripts/deps.sh $(KVER)

# The kernel tree this build uses and the release the VM boots.
kernel:
	@echo "$(KDIR) $(KREL)"

module:
	@test -d "$(KDIR)" || { echo "no kernel headers in '$(KDIR)'" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

tools:
	$(MAKE) -C tools

# Sparse on every file of the module; any report fails.
sparse:
	@mkdir -p build
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean >/dev/null
	$(MAKE) -C $(KDIR) M=$(CURDIR) C=2 modules > build/sparse.log 2>&1 || \
		{ cat build/sparse.log; exit 1; }
	@cat build/sparse.log; ! grep -E 'warning:|error:' build/sparse.log

# checkpatch.pl comes from Debian's linux-source at use time.
$(CHECKPATCH_DIR)/scripts/checkpatch.pl:
	mkdir -p $(CHECKPATCH_DIR)
	tar -xf $$(ls /usr/src/linux-source-*.tar.xz | sort -V | tail -n 1) \
		-C $(CHECKPATCH_DIR) --strip-components=1 --wildcards \
		'*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
		'*/scripts/const_structs.checkpatch'
	touch $@

# config.c expands settings.h's lines into file-scope declarations: each
# use takes some of a line's fields and ends its own statement, which
# checkpatch's macro checks cannot tell from a function-like macro.
CHECKPATCH = $(CHECKPATCH_DIR)/scripts/checkpatch.pl --no-tree --strict \
	--terse --ignore SPDX_LICENSE_TAG,FILE_PATH_CHANGES
CHECKPATCH_XMACRO = MACRO_ARG_UNUSED,MACRO_ARG_REUSE,TRAILING_SEMICOLON

checkpatch: $(CHECKPATCH_DIR)/scripts/checkpatch.pl
	$(CHECKPATCH) -f $$(ls module/*.[ch] include/uapi/*.h \
		selftests/bench/floor/*.c 2>/dev/null | \
		grep -v "\.mod\.c$$\|^module/config\.c$$")
	$(CHECKPATCH) --ignore $(CHECKPATCH_XMACRO) -f module/config.c

# Helpers the selftests, the demo and the benchmarks run in the VM.
SELFTEST_BINS = build/synflood build/hostile build/nschurn

build/synflood build/hostile: selftests/csum.h

build/%: selftests/%.c
	@mkdir -p build
	$(CC) -O2 -g -Wall -Wextra -Werror -o $@ $<

# The kernel's ynl and its schemas, from Debian's linux-source-6.12, for
# the tests that drive the module with it (never part of the repository).
YNL_SRC = /usr/src/linux-source-6.12.tar.xz
YNL = build/ynl/linux-source-6.12/tools/net/ynl/cli.py

$(YNL): $(YNL_SRC)
	@rm -rf build/ynl.tmp && mkdir -p build/ynl.tmp
	tar -xf $(YNL_SRC) -C build/ynl.tmp --wildcards \
		'linux-source-6.12/tools/net/ynl/*' \
		'linux-source-6.12/Documentation/netlink/*'
	@rm -rf build/ynl && mv build/ynl.tmp build/ynl && touch $@

ynl: $(YNL)

# include/uapi/tcpstate.h, generated from spec/tcpstate.yaml by the
# kernel's ynl-gen-c, and module/stats.h, the counters, from its stats
# set; both committed, and make check proves them up to date.
uapi: $(YNL)
	scripts/uapi-gen.sh > include/uapi/tcpstate.h.tmp
	scripts/stats-gen.py > module/stats.h.tmp
	mv include/uapi/tcpstate.h.tmp include/uapi/tcpstate.h
	mv module/stats.h.tmp module/stats.h

# The VM suites run in two VMs side by side, VM_SMP vCPUs each: two VMs
# of one vCPU keep both cores here busy without overcommitting them.
VM_SMP ?= 1

check: all $(SELFTEST_BINS) $(YNL)
	@selftests/check.sh --kernel $(KREL) --smp $(VM_SMP)

demo: all $(SELFTEST_BINS)
	@$(VM) -- selftests/demo.sh

fuzz:
	$(MAKE) -C selftests/unit fuzz

# tcpstate beside no tracking and nf_conntrack, in one VM: selftests/bench/README
BENCH_BINS = build/bench/connrate
# Hooks that do nothing: the floor profile.sh measures tcpstate against.
FLOOR = selftests/bench/floor

build/bench/%: selftests/bench/%.c
	@mkdir -p $(@D)
	$(CC) -O2 -g -Wall -Wextra -Werror -o $@ $<

bench-tools: all $(SELFTEST_BINS) $(BENCH_BINS)
	$(MAKE) -C $(KDIR) M=$(CURDIR)/$(FLOOR) modules

bench: bench-tools
	@selftests/bench/bench.sh --kernel $(KREL)

# What each stage of the per-segment work costs short connections.
bench-stages: bench-tools
	@selftests/bench/stages.sh --kernel $(KREL)

# Every VM selftest (or SUITES="faults wire") on a debug kernel (KASAN,
# lockdep, DEBUG_ATOMIC_SLEEP, kmemleak) built once from Debian's
# linux-source: scripts/debug-kernel.sh. kmemleak frees every object it
# tracks through call_rcu(); under a flood that is ~3000 callbacks/s, and
# with RCU's default 3 ms per softirq batch the emulated debug kernel
# invokes ~700/s: the backlog grows without end (610 000 after a minute,
# no module loaded) and every synchronize_rcu() waits it out. 100 ms
# batches keep it under 1000.
DEBUG_APPEND = rcutree.rcu_resched_ns=100000000

check-debug: tools $(SELFTEST_BINS) $(YNL)
	@kdir=$$(scripts/debug-kernel.sh) && \
	$(MAKE) --no-print-directory module KDIR=$$kdir && \
	selftests/check.sh --kernel $$(cat $$kdir/../krel) --smp $(VM_SMP) \
		--mem 4096 --timeout 14400 --append "$(DEBUG_APPEND)" \
		--vm-only $(SUITES)

bench-fsm:
	$(MAKE) -C selftests/unit bench

install: all
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules_install
	install -D -m 0755 tools/tcpstate $(DESTDIR)$(PREFIX)/sbin/tcpstate
	install -D -m 0644 tools/tcpstate.8 $(DESTDIR)$(PREFIX)/share/man/man8/tcpstate.8
	install -D -m 0644 tools/tcpstate.bash-completion \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/tcpstate

dkms-install:
	dkms remove -m tcpstate -v $(VERSION) --all 2>/dev/null || true
	rm -rf /usr/src/tcpstate-$(VERSION)
	mkdir -p /usr/src/tcpstate-$(VERSION)
	git ls-files -z | xargs -0 cp --parents -t /usr/src/tcpstate-$(VERSION)
	dkms install -m tcpstate -v $(VERSION) -k $(KREL)

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	-$(MAKE) -C $(KDIR) M=$(CURDIR)/$(FLOOR) clean
	-$(MAKE) -C tools clean
	-$(MAKE) -C selftests/unit clean
	rm -rf build
