// SPDX-License-Identifier: GPL-2.0
/*
 * Invariants that hold after every update, shared by the scenario runner
 * and the fuzzer. Each returns NULL or a message saying what broke.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"

static unsigned char allowed[__TCPSTATE_S_MAX][__TCPSTATE_S_MAX];

/*
 * The transitions the fsm may make: every (state, entry) pair of the
 * table, both views. Code-made moves are all table pairs too: mid-stream
 * promotion (entry T_MS) is NONE -> ESTABLISHED, simultaneous open makes
 * the SYN sender NONE -> SYN_RECEIVED (a SYN-ACK row pair), expiry and new
 * incarnations only go to CLOSED from states whose RST entry is CLOSED.
 * Moves back are the pairs of tcpstate_fsm_back. A server that refused the
 * third ACK and then sends a segment accepted it first: in one step it
 * goes from SYN_RECEIVED through ESTABLISHED or CLOSE_WAIT to what its
 * segment makes it.
 */
void unit_build_allowed(void)
{
	unsigned int v, k, s, e;

	for (s = 0; s < __TCPSTATE_S_MAX; s++)
		allowed[s][s] = 1;
	for (v = 0; v < TCPSTATE_VIEW_MAX; v++)
		for (k = 0; k < TCPSTATE_K_MAX; k++)
			for (s = 0; s < __TCPSTATE_S_MAX; s++) {
				e = tcpstate_fsm_trans[v][k][s];
				if (e < __TCPSTATE_S_MAX)
					allowed[s][e] = 1;
				else if (e == TCPSTATE_T_MS)
					allowed[s][TCPSTATE_S_ESTABLISHED] = 1;
			}
	for (k = 0; k < TCPSTATE_K_MAX; k++) {
		static const u8 via[] = {
			TCPSTATE_S_ESTABLISHED, TCPSTATE_S_CLOSE_WAIT,
		};

		for (s = 0; s < 2; s++) {
			e = tcpstate_fsm_trans[TCPSTATE_VIEW_SENDER][k][via[s]];
			if (e < __TCPSTATE_S_MAX)
				allowed[TCPSTATE_S_SYN_RECEIVED][e] = 1;
		}
	}
	for (k = 0; k < TCPSTATE_AGAIN_MAX; k++)
		for (s = 0; s < __TCPSTATE_S_MAX; s++) {
			e = tcpstate_fsm_back[k][s];
			if (e < __TCPSTATE_S_MAX)
				allowed[s][e] = 1;
		}
}

int unit_allowed(unsigned int from, unsigned int to)
{
	return from < __TCPSTATE_S_MAX && to < __TCPSTATE_S_MAX && allowed[from][to];
}

static char msg[256];

#define FAIL(...) do { snprintf(msg, sizeof(msg), __VA_ARGS__); return msg; } while (0)

static const char *check_history(const struct tcpstate_fsm *fsm)
{
	static const size_t sizes[] = { 0, 1, 2, 5, 9, TCPSTATE_HISTORY_MAX, 64 };
	char buf[64 + 8];
	size_t i, j, n, len;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		n = sizes[i];
		memset(buf, 0x5a, sizeof(buf));
		len = tcpstate_fsm_history(fsm, buf, n);
		for (j = n; j < sizeof(buf); j++)
			if (buf[j] != 0x5a)
				FAIL("history wrote past a %zu-byte buffer", n);
		if (!n) {
			if (len)
				FAIL("history into 0 bytes returned %zu", len);
			continue;
		}
		if (len >= n || buf[len] || strlen(buf) != len)
			FAIL("history into %zu bytes: bad termination", n);
		if (len > TCPSTATE_HISTORY_MAX - 1)
			FAIL("history longer than TCPSTATE_HISTORY_MAX");
		for (j = 0; j < len; j++) {
			if (!strchr("shadfrtwiqSHADFRTWIQ", buf[j]))
				FAIL("history letter '%c'", buf[j]);
			if (strchr(buf + j + 1, buf[j]))
				FAIL("history letter '%c' twice in %s", buf[j], buf);
		}
	}
	return NULL;
}

static const char *check_names(const struct tcpstate_fsm *fsm,
			       const struct tcpstate_result *res)
{
	unsigned int cs = tcpstate_fsm_conn_state(fsm);

	if (cs >= __TCPSTATE_CS_MAX || !strcmp(tcpstate_conn_state_name(cs), "?"))
		FAIL("conn_state %u out of range", cs);
	if (fsm->close_reason >= __TCPSTATE_CLOSE_MAX)
		FAIL("close reason %u out of range", fsm->close_reason);
	if (res->invalid >= TCPSTATE_INV_MAX)
		FAIL("invalid reason %u out of range", res->invalid);
	if (!!res->invalid != !!(res->events & TCPSTATE_EV_INVALID))
		FAIL("invalid reason %u vs event bit", res->invalid);
	if (tcpstate_fsm_closer(fsm) > TCPSTATE_SIDE_SERVER)
		FAIL("closer out of range");
	return NULL;
}

#define MONO(f) do { if (fsm->f < before->f) FAIL(#f " went down"); } while (0)
#define STICKY(b) do { \
	if ((before->flags & (b)) && !(fsm->flags & (b))) \
		FAIL("flag " #b " cleared"); } while (0)

static const char *check_counters(const struct tcpstate_fsm *fsm,
				  const struct tcpstate_fsm *before)
{
	unsigned int i;

	for (i = 0; i < 2; i++) {
		MONO(bytes[i]);
		MONO(pkts[i]);
		MONO(rtx[i]);
	}
	MONO(syn_rtx);
	MONO(synack_rtx);
	MONO(fin_rtx);
	MONO(keepalives);
	MONO(invalid);
	STICKY(TCPSTATE_F_ENDED);
	STICKY(TCPSTATE_F_HANDSHAKE);
	STICKY(TCPSTATE_F_MIDSTREAM);
	STICKY(TCPSTATE_F_SYN_DATA);
	STICKY(TCPSTATE_F_SIMOPEN);
	STICKY(TCPSTATE_F_REUSED);
	if (before->close_reason && fsm->close_reason != before->close_reason)
		FAIL("close reason changed %s -> %s",
		     tcpstate_close_reason_name(before->close_reason),
		     tcpstate_close_reason_name(fsm->close_reason));
	if ((fsm->hist & before->hist & 0xfffff) != (before->hist & 0xfffff))
		FAIL("history letter forgotten");
	return NULL;
}

/*
 * Mid-stream trust: what the flow table relies on. An untrusted flow
 * never outlives a half-open handshake, never sits on the fast path
 * (both ESTABLISHED), and the step that trusts it says so in an event.
 */
static const char *check_trust(const struct tcpstate_fsm *fsm,
			       const struct tcpstate_fsm *before,
			       const struct tcpstate_result *res)
{
	const struct tcpstate_timeouts *to = &tcpstate_timeouts_default;
	u64 last = tcpstate_fsm_time(fsm, TCPSTATE_TS_LAST);
	bool was = tcpstate_fsm_trusted(before), is = tcpstate_fsm_trusted(fsm);

	if (!is && tcpstate_fsm_deadline(fsm, to) >
		   last + (1ULL << 24) + (u64)to->syn_recv * 1000000)
		FAIL("untrusted flow's deadline beyond syn_recv");
	if (!is && fsm->state[0] == TCPSTATE_S_ESTABLISHED &&
	    fsm->state[1] == TCPSTATE_S_ESTABLISHED)
		FAIL("untrusted flow ESTABLISHED both ways");
	/* a zeroed `before` is a fresh record: trusted until a segment */
	if (before->hist && was && !is)
		FAIL("trust lost");
	if (before->hist && !was && is &&
	    !(res->events & (TCPSTATE_EV_TRUSTED | TCPSTATE_EV_HANDSHAKE)))
		FAIL("trusted without an event");
	return NULL;
}

/*
 * The highest ack of a trusted record never goes back, and is kept until
 * the peer's sequence space starts anew: a forged or reordered old ack
 * must not widen what the window check lets through.
 */
static const char *check_acks(const struct tcpstate_fsm *fsm,
			      const struct tcpstate_fsm *before,
			      const struct tcpstate_result *res)
{
	unsigned int d;

	if (!before->hist || (res->events & TCPSTATE_EV_NEW_INC) ||
	    !tcpstate_fsm_trusted(before) || !tcpstate_fsm_trusted(fsm))
		return NULL;
	for (d = 0; d < 2; d++) {
		if (!(before->acked & (1U << d)))
			continue;
		/* a new SYN or SYN-ACK of the peer voids acks of its old space */
		if (fsm->isn[d ^ 1] != before->isn[d ^ 1] ||
		    (s32)(before->ack[d] - fsm->end[d ^ 1]) > 0)
			continue;
		if (!(fsm->acked & (1U << d)))
			FAIL("dir %u forgot its highest ack", d);
		if ((s32)(fsm->ack[d] - before->ack[d]) < 0)
			FAIL("dir %u highest ack went back", d);
	}
	return NULL;
}

/*
 * An overflow is a listener refusing a client: never in a flow picked up
 * mid-stream or a simultaneous open, only for a segment of the client's
 * still pending, and never twice for one.
 */
static const char *check_overflow(const struct tcpstate_fsm *fsm,
				  const struct tcpstate_fsm *before,
				  const struct tcpstate_result *res)
{
	if (!(res->events & TCPSTATE_EV_OVERFLOW) ||
	    (res->events & TCPSTATE_EV_NEW_INC))
		return NULL;
	if (fsm->flags & (TCPSTATE_F_MIDSTREAM | TCPSTATE_F_SIMOPEN))
		FAIL("overflow in a mid-stream or simultaneous-open flow");
	if (!before->pending)
		FAIL("overflow with nothing of the client's pending");
	if (res->kind != TCPSTATE_K_SYN && fsm->pending &&
	    res->kind != TCPSTATE_K_INVALID)
		FAIL("overflow left the refused segment pending");
	return NULL;
}

const char *unit_check(const struct tcpstate_fsm *fsm,
		       const struct tcpstate_fsm *before,
		       const struct tcpstate_result *res)
{
	const char *err;
	unsigned int i;

	for (i = 0; i < 2; i++) {
		u8 o = before->state[i], n = fsm->state[i];

		if (n >= __TCPSTATE_S_MAX || n == TCPSTATE_S_LISTEN)
			FAIL("dir %u state %u invalid", i, n);
		if (res->old_state[i] != o || res->new_state[i] != n)
			FAIL("dir %u result old/new %u/%u, fsm %u/%u", i,
			     res->old_state[i], res->new_state[i], o, n);
		if (!!(res->events & (TCPSTATE_EV_TRANS0 << i)) != (o != n))
			FAIL("dir %u transition event does not match", i);
		if (!unit_allowed(o, n))
			FAIL("dir %u transition %s -> %s not in the table", i,
			     tcpstate_state_name(o), tcpstate_state_name(n));
	}
	err = check_counters(fsm, before);
	if (!err)
		err = check_trust(fsm, before, res);
	if (!err)
		err = check_acks(fsm, before, res);
	if (!err)
		err = check_overflow(fsm, before, res);
	if (!err)
		err = check_names(fsm, res);
	if (!err)
		err = check_history(fsm);
	return err;
}
