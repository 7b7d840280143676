// SPDX-License-Identifier: GPL-2.0
/*
 * struct ts_flow from the state machine's record, and the order flows are
 * listed in.
 */
#include <stdlib.h>
#include <string.h>

#include "flow.h"

static uint64_t span_us(uint64_t from, uint64_t to)
{
	return to >= from ? (to - from) / 1000 : TS_NONE;
}

/* Handshake RTT split: SYN -> SYN-ACK, SYN-ACK -> handshake ACK. */
static void fill_rtt(struct ts_flow *f, const struct tcpstate_fsm *fsm)
{
	uint64_t syn = tcpstate_fsm_time(fsm, TCPSTATE_TS_SYN);
	uint64_t synack = tcpstate_fsm_time(fsm, TCPSTATE_TS_SYNACK);
	uint64_t est = tcpstate_fsm_time(fsm, TCPSTATE_TS_ESTABLISHED);
	/* the times are 0 when not seen, but so is a capture's epoch */
	bool have_syn = !(f->flags & TCPSTATE_F_MIDSTREAM);
	bool have_synack = strpbrk(f->history, "Hh");
	bool have_est = f->flags & TCPSTATE_F_HANDSHAKE;

	f->rtt_syn_synack_us = TS_NONE;
	f->rtt_synack_ack_us = TS_NONE;
	if (have_syn && have_synack)
		f->rtt_syn_synack_us = span_us(syn, synack);
	if (have_synack && have_est)
		f->rtt_synack_ack_us = span_us(synack, est);
}

static void fill_duration(struct ts_flow *f, const struct tcpstate_fsm *fsm)
{
	enum tcpstate_ts end = f->flags & TCPSTATE_F_ENDED ?
			       TCPSTATE_TS_CLOSE : TCPSTATE_TS_LAST;
	uint64_t t = tcpstate_fsm_time(fsm, end);

	f->duration_ms = t > f->start_ns ? (t - f->start_ns) / 1000000 : 0;
}

void ts_flow_fill(struct ts_flow *f, const struct tcpstate_fsm *fsm,
		  const struct ts_tuple *t)
{
	unsigned int dir[2];
	int i;

	dir[TS_CLIENT] = tcpstate_fsm_orig_dir(fsm);
	dir[TS_SERVER] = dir[TS_CLIENT] ^ 1;

	memset(f, 0, sizeof(*f));
	f->family = t->family;
	for (i = 0; i < 2; i++) {
		memcpy(f->addr[i], t->addr[dir[i]], sizeof(f->addr[i]));
		f->port[i] = t->port[dir[i]];
		f->state[i] = fsm->state[dir[i]];
		f->pkts[i] = fsm->pkts[dir[i]];
		f->bytes[i] = fsm->bytes[dir[i]];
		f->retrans[i] = fsm->rtx[dir[i]];
	}
	f->conn_state = tcpstate_fsm_conn_state(fsm);
	f->close_reason = fsm->close_reason;
	f->closer = tcpstate_fsm_closer(fsm);
	tcpstate_fsm_history(fsm, f->history, sizeof(f->history));
	f->flags = tcpstate_fsm_flags(fsm);
	f->syn_retrans = fsm->syn_rtx;
	f->synack_retrans = fsm->synack_rtx;
	f->fin_retrans = fsm->fin_rtx;
	f->keepalives = fsm->keepalives;
	f->invalid = fsm->invalid;
	f->start_ns = tcpstate_fsm_time(fsm, TCPSTATE_TS_START);
	fill_rtt(f, fsm);
	fill_duration(f, fsm);
}

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

static int cmp_side(const struct ts_flow *x, const struct ts_flow *y, int side)
{
	int r = memcmp(x->addr[side], y->addr[side], sizeof(x->addr[side]));

	return r ? r : cmp_u64(x->port[side], y->port[side]);
}

/* family, client address and port, server address and port, start */
int ts_flow_cmp(const void *a, const void *b)
{
	const struct ts_flow *x = a, *y = b;
	int r;

	r = cmp_u64(x->family, y->family);
	if (!r)
		r = cmp_side(x, y, TS_CLIENT);
	if (!r)
		r = cmp_side(x, y, TS_SERVER);
	if (!r)
		r = cmp_u64(x->start_ns, y->start_ns);
	if (!r)
		r = cmp_u64(x->seq, y->seq);	/* qsort is not stable */
	return r;
}

void ts_flow_sort(struct ts_flow *flows, size_t n)
{
	if (n > 1)
		qsort(flows, n, sizeof(*flows), ts_flow_cmp);
}
