// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: arbitrary bytes are a sequence of 16-byte records,
 * each a segment, an expiry, a caller close or a jump to the next deadline
 * (format in unit.h, written by runner --seeds). After every record the
 * invariants of check.c must hold; any violation aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "check.h"

static const u32 base[2] = { 0xfffff000, 0x7ffff000 };

static const struct tcpstate_timeouts short_timeouts = {
	1, 1, 1, 1, 1, 1, 1,
};

static void verify(const struct tcpstate_fsm *fsm,
		   const struct tcpstate_fsm *before,
		   const struct tcpstate_result *res)
{
	const char *err = unit_check(fsm, before, res);
	unsigned int t;

	for (t = 0; t <= TCPSTATE_TS_MAX; t++)
		(void)tcpstate_fsm_time(fsm, t);
	(void)tcpstate_fsm_deadline(fsm, &tcpstate_timeouts_default);
	(void)tcpstate_fsm_flags(fsm);
	if (err) {
		fprintf(stderr, "invariant violated: %s\n", err);
		abort();
	}
}

static u32 pick(unsigned int mode, int32_t delta, const struct tcpstate_fsm *fsm,
		unsigned int dir, unsigned char extra)
{
	switch (mode) {
	case 0:
		return fsm->end[dir] + delta;
	case 1:
		return base[dir] + delta;
	case 2:
		return fsm->isn[dir] + delta;
	default:
		return (u32)delta * 2654435761U ^ (u32)extra << 24;
	}
}

static void make_seg(const unsigned char *rec, const struct tcpstate_fsm *fsm,
		     u64 now, struct tcpstate_seg *seg)
{
	unsigned int dir = rec[0] & 1;
	int16_t sd = (int16_t)(rec[6] | rec[7] << 8);
	int16_t ad = (int16_t)(rec[8] | rec[9] << 8);

	memset(seg, 0, sizeof(*seg));
	seg->tstamp = now;
	seg->dir = dir;
	seg->flags = rec[1];
	seg->seq = pick(rec[4] & 0xf, sd, fsm, dir, rec[15]);
	seg->ack = pick(rec[4] >> 4, ad, fsm, dir ^ 1, rec[15]);
	seg->len = rec[10] | rec[11] << 8;
	seg->win = rec[12] | rec[13] << 8;
	seg->pkts = rec[14];
	seg->opt = rec[5] & 0xf;
	seg->wscale = rec[5] >> 4;
	seg->sflags = (rec[15] & 0x80 ? TCPSTATE_SEG_NO_SOCK : 0) |
		      (rec[15] & 0x60 ? TCPSTATE_SEG_REQ : 0) |
		      (rec[15] & 0x40 ? TCPSTATE_SEG_REQ_FULL : 0);
}

static void do_seg(struct tcpstate_fsm *fsm, const unsigned char *rec, u64 now)
{
	struct tcpstate_fsm before = *fsm;
	struct tcpstate_result res;
	struct tcpstate_seg seg;

	make_seg(rec, fsm, now, &seg);
	tcpstate_fsm_update(fsm, &seg, &res);
	verify(fsm, &before, &res);
	if (!(res.events & TCPSTATE_EV_NEW_INC))
		return;
	/* the old record is over; the caller starts a new one */
	if (!(fsm->flags & TCPSTATE_F_ENDED))
		abort();
	tcpstate_fsm_restart(fsm, &seg, &res);
	memset(&before, 0, sizeof(before));
	verify(fsm, &before, &res);
	if (res.events & TCPSTATE_EV_NEW_INC)
		abort();	/* a fresh record never asks for another */
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static int ready;
	struct tcpstate_fsm fsm, before;
	struct tcpstate_result res;
	u64 now = 1ULL << 40, dt, d;
	size_t off;

	if (!ready) {
		unit_build_allowed();
		ready = 1;
	}
	tcpstate_fsm_init(&fsm, now);
	for (off = 0; off + FUZZ_REC <= size; off += FUZZ_REC) {
		const unsigned char *rec = data + off;
		unsigned int op = (rec[0] >> 1) & 7, t = rec[0] >> 4;

		dt = (u64)(rec[2] | rec[3] << 8) << (t * 3 + 6);
		now = now + dt < (1ULL << 62) ? now + dt : 1ULL << 62;
		before = fsm;
		switch (op) {
		case 4:
			tcpstate_fsm_socket(&fsm, ((rec[15] & 0x7f) %
						   __TCPSTATE_S_MAX) |
					    (rec[15] & TCPSTATE_SOCK_REFUSED),
					    now, &res);
			verify(&fsm, &before, &res);
			break;
		case 5:
			tcpstate_fsm_expire(&fsm, now, rec[15] & 1 ?
					    &short_timeouts :
					    &tcpstate_timeouts_default, &res);
			verify(&fsm, &before, &res);
			break;
		case 6:
			tcpstate_fsm_close(&fsm, now,
					   1 + rec[15] % (__TCPSTATE_CLOSE_MAX - 1),
					   &res);
			verify(&fsm, &before, &res);
			break;
		case 7:
			d = tcpstate_fsm_deadline(&fsm, &tcpstate_timeouts_default);
			if (d > now && d < (1ULL << 62))
				now = d;
			if (!tcpstate_fsm_expire(&fsm, now,
						 &tcpstate_timeouts_default, &res) &&
			    d <= now)
				abort();	/* at the deadline it must expire */
			verify(&fsm, &before, &res);
			break;
		default:
			do_seg(&fsm, rec, now);
		}
	}
	return 0;
}
