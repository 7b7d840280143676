// SPDX-License-Identifier: GPL-2.0
/*
 * tcpstate state machine: both endpoints' RFC 793 states from the wire.
 *
 * The model (DESIGN.md, "The state machine"): an endpoint's state moves
 * when it sends a segment and when a segment addressed to it is observed,
 * which is assumed delivered. So each segment gives two transitions, read
 * from one table: the sender's (what it must have done to send this) and
 * the receiver's (what this does to it). Where the two ends race (FINs
 * crossing), the ACK field of a segment says what its sender had received,
 * and the table has separate rows for segments that acknowledge the
 * receiver's SYN or FIN and segments that do not.
 *
 * Choices the tables encode:
 * - The receiver of a bare SYN stays NONE until it answers: a SYN-ACK makes
 *   it SYN_RECEIVED, a RST CLOSED. LISTEN is never entered (the listening
 *   socket is another 4-tuple).
 * - A flow picked up mid-stream is marked; an endpoint in NONE becomes
 *   ESTABLISHED once the two directions agree (TCPSTATE_T_MS): each has
 *   acked sequence space the other one sent. Forged segments with made-up
 *   numbers do not agree, and until then the flow is not trusted (short
 *   deadline, evictable) and stays off the fast path. A FIN moves it
 *   directly (FIN_WAIT_1 / CLOSE_WAIT), still untrusted.
 *   A flow whose first segment is a SYN-ACK is a handshake with a missed
 *   SYN: the SYN-ACK's receiver is the client and becomes ESTABLISHED.
 * - Evidence overrides the assumption of delivery: a SYN, SYN-ACK or FIN
 *   sent again after the peer's answer to it was seen proves that answer
 *   never arrived, and the sender moves back (tcpstate_fsm_back). A server
 *   that sends its SYN-ACK again after the third ACK did not accept that
 *   ACK (accept queue full, TCP_DEFER_ACCEPT, or lost): it is SYN_RECEIVED
 *   until it sends something else, whatever the client sends meanwhile.
 * - A full accept queue shows as the listener's refusals
 *   (TCPSTATE_EV_OVERFLOW, the kernel's ListenOverflows): a SYN-ACK sent
 *   again after the client ACKed (tcp_check_req() kept the request and
 *   dropped that ACK), a RST refusing the third ACK, a SYN sent again that
 *   the server never answered (tcp_conn_request() drops SYNs while the
 *   queue is full). Where the request socket is this host's, the hook says
 *   whether it really refused an ACK (TCPSTATE_SEG_REQ_FULL), which tells
 *   a full queue from a lost ACK and TCP_DEFER_ACCEPT. Seen from a router,
 *   a lost third ACK or SYN counts too: the wire cannot tell them apart.
 * - A SYN-ACK this host sent with no socket attached (TCPSTATE_SEG_NO_SOCK)
 *   is a SYN cookie: the server holds nothing and stays NONE, until a
 *   third ACK acking exactly the cookie makes it ESTABLISHED.
 * - A SYN on a tuple whose endpoint is in TIME_WAIT or CLOSED, or a SYN
 *   with a new ISN before the handshake completed, is a new incarnation:
 *   the old record ends (its TIME_WAIT endpoints go CLOSED) and the caller
 *   starts a fresh one with tcpstate_fsm_restart() and the same segment.
 * - FIN and ACK segments pass Linux's checks before the table: the
 *   sequence in the receiver's window (tcp_sequence()), an ack of nothing
 *   unsent (tcp_ack()), and towards SYN_RECEIVED an ack of the SYN-ACK
 *   (tcp_check_req()). A segment that fails them is invalid and moves
 *   nothing: a forged FIN, or an ACK of a FIN never sent, ends nothing.
 * - RSTs (RFC 5961): accepted when the sequence number is exactly the
 *   sender's snd_nxt (or the FIN's, once it sent one); in the window but
 *   not exact is a challenge (invalid), outside is invalid. An endpoint in
 *   SYN_SENT accepts only a RST that acknowledges its SYN (RFC 793).
 */
#include "fsm.h"

#define SNO TCPSTATE_S_NONE
#define SCL TCPSTATE_S_CLOSED
#define SLI TCPSTATE_S_LISTEN
#define SSS TCPSTATE_S_SYN_SENT
#define SSR TCPSTATE_S_SYN_RECEIVED
#define SES TCPSTATE_S_ESTABLISHED
#define SF1 TCPSTATE_S_FIN_WAIT_1
#define SF2 TCPSTATE_S_FIN_WAIT_2
#define SCW TCPSTATE_S_CLOSE_WAIT
#define SCG TCPSTATE_S_CLOSING
#define SLA TCPSTATE_S_LAST_ACK
#define STW TCPSTATE_S_TIME_WAIT
#define SMS TCPSTATE_T_MS
#define SIV TCPSTATE_T_IV

const u8
tcpstate_fsm_trans[TCPSTATE_VIEW_MAX][TCPSTATE_K_MAX][__TCPSTATE_S_MAX] = {
	[TCPSTATE_VIEW_SENDER] = {
/* syn */
/*	   SNO  SCL  SLI  SSS  SSR  SES  SF1  SF2  SCW  SCG  SLA  STW */
	{ SSS, SIV, SSS, SSS, SIV, SIV, SIV, SIV, SIV, SIV, SIV, SIV },
/*
 * SNO -> SSS	connect(): the client's first SYN (code makes it SSR when the
 *		peer's SYN is outstanding: simultaneous open)
 * SCL, STW	a new SYN here is a new incarnation, handled before the table
 * SSS		SYN again: retransmission, or a new ISN (new incarnation)
 * SSR -> SIV	a server that answered with a SYN-ACK does not send a SYN
 * SES.. -> SIV	SYN on a synchronized connection (peer sends challenge ACK)
 */
/* synack */
/*	   SNO  SCL  SLI  SSS  SSR  SES  SF1  SF2  SCW  SCG  SLA  STW */
	{ SSR, SIV, SSR, SSR, SSR, SES, SIV, SIV, SIV, SIV, SIV, SIV },
/*
 * SNO -> SSR	the server answers a SYN
 * SSS -> SSR	simultaneous open: SYN-ACK after the crossing SYNs
 * SSR -> SSR	SYN-ACK with a new ISN (retransmissions do not reach here)
 * SES -> SES	simultaneous open: the SYN-ACKs crossed
 * SF1.. -> SIV	a closing endpoint does not send a SYN-ACK
 */
/* fin */
/*	   SNO  SCL  SLI  SSS  SSR  SES  SF1  SF2  SCW  SCG  SLA  STW */
	{ SIV, SCL, SIV, SF1, SIV, SF1, SF1, SF2, SCG, SCG, SLA, STW },
/*
 * SNO, SSR	a FIN that does not ack the peer's SYN: bogus
 * SSS -> SF1	one-way capture: a client only sends a FIN once synchronized,
 *		so it got a SYN-ACK we did not see (Zeek's SH)
 * SCL -> SCL	FIN retransmitted after the final ACK we saw was lost
 * SES -> SF1	active close (ACK field stale but the FIN is real)
 * SF1 -> SF1	FIN retransmitted
 * SCW -> SCG	simultaneous close: this FIN was sent before the peer's FIN
 *		arrived (it does not ack it), which is now delivered
 * SCG, SF2, SLA, STW	FIN retransmitted, counted
 */
/* fin_acks */
/*	   SNO  SCL  SLI  SSS  SSR  SES  SF1  SF2  SCW  SCG  SLA  STW */
	{ SF1, SCL, SF1, SF1, SF1, SF1, SF1, SF2, SLA, SCG, SLA, STW },
/*
 * SNO -> SF1	mid-stream pickup: the first thing seen is a FIN
 * SCL -> SCL	FIN retransmitted after the final ACK we saw was lost:
 *		counted, the state does not move back
 * SSS -> SF1	client acked a SYN-ACK we missed, then closed
 * SSR -> SF1	close() in SYN_RECEIVED
 * SES -> SF1	active close
 * SCW -> SLA	passive close: FIN after the peer's FIN
 * SF1, SF2, SCG, SLA, STW	FIN retransmitted, counted
 */
/* ack */
/*	   SNO  SCL  SLI  SSS  SSR  SES  SF1  SF2  SCW  SCG  SLA  STW */
	{ SMS, SCL, SLI, SSS, SSR, SES, SF1, SF2, SCW, SCG, SLA, STW },
/*
 * SNO -> SMS	mid-stream: ESTABLISHED once both directions agree
 * SSS -> SSS	ACK not acking the peer's SYN: ignored
 * other	data or ACKs do not move the sender
 */
/* ack_acks */
/*	   SNO  SCL  SLI  SSS  SSR  SES  SF1  SF2  SCW  SCG  SLA  STW */
	{ SMS, SCL, SLI, SES, SSR, SES, SF1, SF2, SCW, SCG, SLA, STW },
/*
 * SNO -> SMS	mid-stream, as above
 * SSS -> SES	the client acks a SYN-ACK we did not see
 * SSR -> SSR	the server's own ACK does not complete its handshake
 * SCW -> SCW	half-close: the passive side still sends data
 * STW -> STW	the TIME_WAIT side re-acks a retransmitted FIN
 */
/* rst */
/*	   SNO  SCL  SLI  SSS  SSR  SES  SF1  SF2  SCW  SCG  SLA  STW */
	{ SCL, SCL, SCL, SCL, SCL, SCL, SCL, SCL, SCL, SCL, SCL, SCL },
/*
 * any -> SCL	the sender of an accepted RST has no connection any more
 *		(a TIME_WAIT socket answering with RST is destroyed too)
 */
	},
	[TCPSTATE_VIEW_RECEIVER] = {
/* syn */
/*	   SNO  SCL  SLI  SSS  SSR  SES  SF1  SF2  SCW  SCG  SLA  STW */
	{ SNO, SIV, SLI, SSR, SSR, SIV, SIV, SIV, SIV, SIV, SIV, SIV },
/*
 * SNO -> SNO	a bare SYN's receiver shows nothing until it answers
 * SSS -> SSR	simultaneous open: SYN received in SYN_SENT
 * SSR -> SSR	SYN again in simultaneous open
 * SCL, STW	new incarnation, handled before the table
 * SES.. -> SIV	SYN on a synchronized connection
 */
/* synack */
/*	   SNO  SCL  SLI  SSS  SSR  SES  SF1  SF2  SCW  SCG  SLA  STW */
	{ SES, SIV, SIV, SES, SES, SES, SF1, SF2, SCW, SCG, SLA, STW },
/*
 * SNO -> SES	we missed the SYN: the client was in SYN_SENT
 * SSS -> SES	three-way handshake, second segment
 * SSR -> SES	simultaneous open: SYN-ACK received in SYN_RECEIVED
 * SES.. -> same	SYN-ACK with a new ISN: the client re-acks
 */
/* fin */
/*	   SNO  SCL  SLI  SSS  SSR  SES  SF1  SF2  SCW  SCG  SLA  STW */
	{ SCW, SCL, SLI, SSS, SSR, SCW, SCG, STW, SCW, SCG, SLA, STW },
/*
 * SSS		FIN not acking our SYN is not acceptable: ignored
 * SSR		never: invalid before the table, as the third ACK
 * SES -> SCW	passive close
 * SF1 -> SCG	simultaneous close: the peer's FIN does not ack ours
 * SF2 -> STW	the peer closes after acking our FIN
 * SCW, SCG, SLA, STW	FIN retransmitted
 */
/* fin_acks */
/*	   SNO  SCL  SLI  SSS  SSR  SES  SF1  SF2  SCW  SCG  SLA  STW */
	{ SCW, SCL, SLI, SCW, SCW, SCW, STW, STW, SCW, STW, SCL, STW },
/*
 * SNO -> SCW	mid-stream: first thing seen is the peer's FIN
 * SSS -> SCW	the SYN-ACK we missed established us, then the FIN came
 * SSR -> SCW	the client's FIN also completes the handshake
 * SES -> SCW	passive close
 * SF1 -> STW	FIN and ACK of our FIN in one segment
 * SF2 -> STW	normal close, second FIN
 * SCG -> STW	simultaneous close: retransmitted FIN acks ours
 * SLA -> SCL	the peer's FIN acks ours: nothing left
 * STW -> STW	lost final ACK: retransmitted FIN, we re-ack
 */
/* ack */
/*	   SNO  SCL  SLI  SSS  SSR  SES  SF1  SF2  SCW  SCG  SLA  STW */
	{ SMS, SCL, SLI, SSS, SSR, SES, SF1, SF2, SCW, SCG, SLA, STW },
/*
 * SNO -> SMS	mid-stream: ESTABLISHED once both directions agree
 * SSR -> SSR	never: an ACK that does not ack the SYN-ACK is invalid
 *		(tcp_check_req()), checked before the table
 * SF1 -> SF1	ACK of data, not of our FIN
 * SCG, SLA	still waiting for the ACK of our FIN
 */
/* ack_acks */
/*	   SNO  SCL  SLI  SSS  SSR  SES  SF1  SF2  SCW  SCG  SLA  STW */
	{ SMS, SCL, SLI, SSS, SES, SES, SF2, SF2, SCW, STW, SCL, STW },
/*
 * SSS -> SSS	SYN_SENT takes only a SYN-ACK
 * SSR -> SES	three-way handshake, third segment
 * SF1 -> SF2	our FIN is acknowledged
 * SF2 -> SF2	half-close: data still flowing to us
 * SCG -> STW	simultaneous close, our FIN acked
 * SLA -> SCL	last ACK
 */
/* rst */
/*	   SNO  SCL  SLI  SSS  SSR  SES  SF1  SF2  SCW  SCG  SLA  STW */
	{ SCL, SCL, SCL, SCL, SCL, SCL, SCL, SCL, SCL, SCL, SCL, SCL },
/*
 * SSS -> SCL	connection refused
 * any -> SCL	accepted RST; TIME_WAIT too (Linux without rfc1337)
 */
	},
};

/*
 * The sender's state once what it sends again proves that the peer's
 * answer to it was never delivered; SIV: no move. Only taken when the
 * sender has sent nothing since but segments of this kind (code checks).
 */
const u8 tcpstate_fsm_back[TCPSTATE_AGAIN_MAX][__TCPSTATE_S_MAX] = {
/* syn */
/*	   SNO  SCL  SLI  SSS  SSR  SES  SF1  SF2  SCW  SCG  SLA  STW */
	{ SIV, SIV, SIV, SIV, SIV, SSS, SIV, SIV, SIV, SIV, SIV, SIV },
/*
 * SES -> SSS	the SYN-ACK seen was lost on the way to the client
 */
/* synack */
/*	   SNO  SCL  SLI  SSS  SSR  SES  SF1  SF2  SCW  SCG  SLA  STW */
	{ SIV, SIV, SIV, SIV, SIV, SSR, SIV, SIV, SSR, SIV, SIV, SIV },
/*
 * SES -> SSR	the request socket dropped the third ACK: accept queue full
 *		(tcp_abort_on_overflow 0), TCP_DEFER_ACCEPT, or the ACK lost
 * SCW -> SSR	... and the client's FIN after it
 */
/* fin */
/*	   SNO  SCL  SLI  SSS  SSR  SES  SF1  SF2  SCW  SCG  SLA  STW */
	{ SIV, SIV, SIV, SIV, SIV, SIV, SIV, SF1, SIV, SIV, SIV, SF1 },
/*
 * SF2 -> SF1	the ACK of the FIN was lost
 * STW -> SF1	it has not got the peer's FIN either: the FIN+ACK was lost
 */
/* fin_acks */
/*	   SNO  SCL  SLI  SSS  SSR  SES  SF1  SF2  SCW  SCG  SLA  STW */
	{ SIV, SIV, SIV, SIV, SIV, SIV, SIV, SF1, SIV, SIV, SIV, SCG },
/*
 * SF2 -> SF1	the ACK of the FIN was lost
 * STW -> SCG	it got the peer's FIN (it acks it), not the ACK of its own
 * SCL, STW	once the record ended (LAST_ACK's final ACK lost, both in
 *		TIME_WAIT), it stays ended: code checks
 */
};

/* The timeouts' defaults, those of settings.h. */
#define TCPSTATE_SETTING(...)
#define TCPSTATE_TIMEOUT(field, def, ...)	.field = def,
const struct tcpstate_timeouts tcpstate_timeouts_default = {
#include "settings.h"
};

#undef TCPSTATE_SETTING

/*
 * History: bits 0-19 are the set of letters seen, one bit per (direction,
 * letter); bits 20-23 count the entries of the order list, bits 24-63 hold
 * the first eight letters in order of first occurrence, 5 bits each
 * (code + 1). Later letters are printed after them in a fixed order.
 */
enum {
	H_S, H_H, H_A, H_D, H_F, H_R, H_T, H_W, H_I, H_Q, H_NUM,
};

#define HB(dir, l)	(1ULL << ((dir) * H_NUM + (l)))
static_assert(TCPSTATE_HIST_ACK(1) == HB(1, H_A) &&
	      TCPSTATE_HIST_DATA(1) == HB(1, H_D), "fsm.h's history bits");
#define HB2(l)		((1ULL | (1ULL << H_NUM)) << (l))
#define HIST_SEEN	((1ULL << (2 * H_NUM)) - 1)
#define HIST_CNT_SHIFT	20
#define HIST_ORD_SHIFT	24
#define HIST_ORD_MAX	8
#define HIST_SYNS	(HB2(H_S) | HB2(H_H))
/* letters of segments that carry an ACK or set the sequence baseline */
#define H_ACKB_MASK	((1ULL << H_A) | (1ULL << H_D) | (1ULL << H_F) | \
			 (1ULL << H_H))
#define HIST_ACKB(dir)	(H_ACKB_MASK << ((dir) * H_NUM))
#define HIST_SEQ(dir)	((H_ACKB_MASK | (1ULL << H_S)) << ((dir) * H_NUM))

static const char tcpstate_hist_letters[H_NUM] = "shadfrtwiq";

static inline bool seq_before(u32 a, u32 b)
{
	return (s32)(a - b) < 0;
}

static inline bool seq_after(u32 a, u32 b)
{
	return (s32)(b - a) < 0;
}

static void hist_add(struct tcpstate_fsm *fsm, unsigned int dir,
		     unsigned int l)
{
	unsigned int code = dir * H_NUM + l;
	u64 n;

	if (fsm->hist & (1ULL << code))
		return;
	fsm->hist |= 1ULL << code;
	n = (fsm->hist >> HIST_CNT_SHIFT) & 0xf;
	if (n >= HIST_ORD_MAX)
		return;
	fsm->hist |= (u64)(code + 1) << (HIST_ORD_SHIFT + 5 * n);
	fsm->hist += 1ULL << HIST_CNT_SHIFT;
}

/* Offset of now from the start, in units of 2^shift ns, saturating. */
static u32 fsm_offset(const struct tcpstate_fsm *fsm, u64 now,
		      unsigned int shift)
{
	u64 delta;

	if (now <= fsm->start)
		return 0;
	delta = (now - fsm->start) >> shift;
	return delta > 0xffffffffULL ? 0xffffffffU : (u32)delta;
}

static inline u8 sat8_inc(u8 v)
{
	return v == 0xff ? v : v + 1;
}

static bool synced(unsigned int s)
{
	return s >= TCPSTATE_S_ESTABLISHED && s <= TCPSTATE_S_TIME_WAIT;
}

static bool done(unsigned int s)
{
	return s == TCPSTATE_S_NONE || s == TCPSTATE_S_CLOSED ||
	       s == TCPSTATE_S_TIME_WAIT;
}

static unsigned int seg_kind(u8 flags)
{
	switch (flags & (TCPSTATE_TH_FIN | TCPSTATE_TH_SYN | TCPSTATE_TH_RST |
			 TCPSTATE_TH_ACK)) {
	case TCPSTATE_TH_SYN:
		return TCPSTATE_K_SYN;
	case TCPSTATE_TH_SYN | TCPSTATE_TH_ACK:
		return TCPSTATE_K_SYNACK;
	case TCPSTATE_TH_FIN | TCPSTATE_TH_ACK:
		return TCPSTATE_K_FIN;
	case TCPSTATE_TH_ACK:
		return TCPSTATE_K_ACK;
	/* Linux checks RST before FIN (tcp_validate_incoming()): a reset */
	case TCPSTATE_TH_RST:
	case TCPSTATE_TH_RST | TCPSTATE_TH_ACK:
	case TCPSTATE_TH_RST | TCPSTATE_TH_FIN:
	case TCPSTATE_TH_RST | TCPSTATE_TH_FIN | TCPSTATE_TH_ACK:
		return TCPSTATE_K_RST;
	}
	return TCPSTATE_K_INVALID;
}

/* TCP option kinds and the lengths Linux takes them with. */
enum {
	OPT_EOL = 0, OPT_NOP = 1, OPT_MSS = 2, OPT_WSCALE = 3, OPT_SACK_PERM = 4,
	OPT_TS = 8,
};

/* One option of length olen (at least 2) at o. */
static void parse_option(const u8 *o, unsigned int olen,
			 struct tcpstate_seg *seg)
{
	switch (o[0]) {
	case OPT_MSS:
		if (olen == 4)
			seg->opt |= TCPSTATE_OPT_MSS;
		break;
	case OPT_WSCALE:
		if (olen == 3) {
			seg->wscale = o[2];
			seg->opt |= TCPSTATE_OPT_WSCALE;
		}
		break;
	case OPT_SACK_PERM:
		if (olen == 2)
			seg->opt |= TCPSTATE_OPT_SACK_PERM;
		break;
	case OPT_TS:
		if (olen == 10)
			seg->opt |= TCPSTATE_OPT_TS;
		break;
	}
}

/*
 * The options of a SYN or SYN-ACK, the `len` bytes after the fixed header,
 * as Linux's tcp_parse_options() reads them: a known option of another
 * length is skipped; an option whose length is under 2 or runs past the
 * header ends parsing (what came before is kept) and false says so. The
 * segment is still a segment: the module and `tcpstate replay` track it.
 */
bool tcpstate_parse_options(const u8 *opt, unsigned int len,
			    struct tcpstate_seg *seg)
{
	unsigned int i = 0, olen;

	while (i < len) {
		if (opt[i] == OPT_EOL)
			break;
		if (opt[i] == OPT_NOP) {
			i++;
			continue;
		}
		if (len - i < 2)
			return false;
		olen = opt[i + 1];
		if (olen < 2 || olen > len - i)
			return false;
		parse_option(opt + i, olen, seg);
		i += olen;
	}
	return true;
}

void tcpstate_fsm_init(struct tcpstate_fsm *fsm, u64 now)
{
	*fsm = (struct tcpstate_fsm){ .start = now };
	fsm->t_last = (u32)(now >> 24);
}

static void res_init(const struct tcpstate_fsm *fsm,
		     struct tcpstate_result *res, unsigned int kind)
{
	res->old_state[0] = fsm->state[0];
	res->old_state[1] = fsm->state[1];
	res->new_state[0] = fsm->state[0];
	res->new_state[1] = fsm->state[1];
	res->kind = kind;
	res->invalid = TCPSTATE_INV_NONE;
	res->events = 0;
	res->rtx_segs = 0;
}

/*
 * How many of a GSO or GRO segment's seg->pkts carry data sent before
 * (below end): all of them, or their share of its bytes, at least one.
 * The kernel counts a retransmission per segment (TcpRetransSegs).
 */
static u32 rtx_segs(const struct tcpstate_seg *seg, u32 end)
{
	u32 pkts = seg->pkts ? seg->pkts : 1;
	u32 old = end - seg->seq;

	if (pkts == 1 || old >= seg->len)
		return pkts;
	/* old < len < 2^16: no overflow */
	pkts = pkts * old / seg->len;
	return pkts ? pkts : 1;
}

static void note_rtx(struct tcpstate_result *res, u32 segs)
{
	u32 n = res->rtx_segs + segs;

	res->events |= TCPSTATE_EV_RETRANS;
	res->rtx_segs = n > 0xffff ? 0xffff : n;
}

static unsigned int server_dir(const struct tcpstate_fsm *fsm)
{
	return tcpstate_fsm_orig_dir(fsm) ^ 1;
}

static void set_state(struct tcpstate_fsm *fsm, unsigned int dir, u8 state,
		      struct tcpstate_result *res)
{
	if (fsm->state[dir] == state)
		return;
	fsm->state[dir] = state;
	if (state != SSR && dir == server_dir(fsm))
		fsm->ack_refused = 0;
	res->new_state[dir] = state;
	res->events |= TCPSTATE_EV_TRANS0 << dir;
}

static void set_invalid(struct tcpstate_fsm *fsm, struct tcpstate_result *res,
			unsigned int reason)
{
	fsm->invalid = sat8_inc(fsm->invalid);
	res->invalid = reason;
	res->events |= TCPSTATE_EV_INVALID;
}

static void end_flow(struct tcpstate_fsm *fsm, u64 now, unsigned int reason,
		     struct tcpstate_result *res)
{
	if (fsm->flags & TCPSTATE_F_ENDED)
		return;
	fsm->flags |= TCPSTATE_F_ENDED;
	fsm->t_close = fsm_offset(fsm, now, 20);
	if (fsm->close_reason == TCPSTATE_CLOSE_NONE)
		fsm->close_reason = reason;
	res->events |= TCPSTATE_EV_FLOW_END;
}

static void set_orig(struct tcpstate_fsm *fsm, unsigned int dir)
{
	if (dir)
		fsm->flags |= TCPSTATE_FSM_F_ORIG1;
	else
		fsm->flags &= ~TCPSTATE_FSM_F_ORIG1;
}

/* First time someone closes (FIN or accepted RST): remember who. */
static void note_closer(struct tcpstate_fsm *fsm, unsigned int dir)
{
	if (fsm->hist & HB2(H_F))
		return;
	if (fsm->close_reason != TCPSTATE_CLOSE_NONE)
		return;
	if (dir)
		fsm->flags |= TCPSTATE_FSM_F_CLOSER1;
	else
		fsm->flags &= ~TCPSTATE_FSM_F_CLOSER1;
}

static void set_opts(struct tcpstate_fsm *fsm, unsigned int dir,
		     const struct tcpstate_seg *seg)
{
	u8 o = 0;

	if (seg->opt & TCPSTATE_OPT_WSCALE)
		o = TCPSTATE_FSM_O_WSCALE | (seg->wscale > 14 ? 14 : seg->wscale);
	if (seg->opt & TCPSTATE_OPT_SACK_PERM)
		o |= TCPSTATE_FSM_O_SACK;
	if (seg->opt & TCPSTATE_OPT_TS)
		o |= TCPSTATE_FSM_O_TS;
	fsm->opt[dir] = o | (fsm->opt[dir] & TCPSTATE_FSM_O_AGREE);
}

/* Does this ack cover the SYN that endpoint dir sent? */
static bool acks_syn(const struct tcpstate_fsm *fsm, unsigned int dir, u32 ack)
{
	return seq_after(ack, fsm->isn[dir]) && !seq_after(ack, fsm->end[dir]);
}

/*
 * Does the segment acknowledge everything the receiver sent that takes a
 * sequence number of its own: its FIN once sent, else its SYN or SYN-ACK?
 * A receiver that sent neither is acked only on a mid-stream flow.
 */
static bool acks_ctl(const struct tcpstate_fsm *fsm, unsigned int rcv,
		     const struct tcpstate_seg *seg)
{
	u32 want;

	if (!(seg->flags & TCPSTATE_TH_ACK))
		return false;
	if (fsm->hist & HB(rcv, H_F))
		want = fsm->end[rcv];
	else if (fsm->hist & (HB(rcv, H_S) | HB(rcv, H_H)))
		want = fsm->isn[rcv] + 1;
	else
		return fsm->flags & TCPSTATE_F_MIDSTREAM;
	return !seq_before(seg->ack, want);
}

static bool syn_new_incarnation(const struct tcpstate_fsm *fsm,
				const struct tcpstate_seg *seg, unsigned int d)
{
	bool sent_syn = fsm->hist & HB(d, H_S);
	unsigned int i;

	if (sent_syn && seg->seq == fsm->isn[d])
		return false;
	for (i = 0; i < 2; i++)
		if (fsm->state[i] == SCL || fsm->state[i] == STW)
			return true;
	return sent_syn && fsm->state[d] == SSS &&
	       !(fsm->flags & TCPSTATE_F_HANDSHAKE);
}

/*
 * The old record ends here; the segment is not applied. TIME_WAIT sockets
 * are recycled by the new SYN and an abandoned SYN_SENT is gone.
 */
static void new_incarnation(struct tcpstate_fsm *fsm, unsigned int d, u64 now,
			    struct tcpstate_result *res)
{
	unsigned int i;

	for (i = 0; i < 2; i++) {
		if (fsm->state[i] == STW) {
			res->events |= TCPSTATE_EV_TW_REUSE;
			set_state(fsm, i, SCL, res);
		}
	}
	if (fsm->state[d] == SSS)
		set_state(fsm, d, SCL, res);
	end_flow(fsm, now, TCPSTATE_CLOSE_REUSED, res);
	res->events |= TCPSTATE_EV_NEW_INC;
}

/*
 * A SYN-ACK answering a SYN that reused the ISN of a connection now over
 * (a retry after a lost refusal, a stack with fixed ISNs): the SYN was
 * taken for a retransmission of the old one; the peer's answer to it says
 * a new connection started. Not the old SYN-ACK sent again.
 */
static bool synack_new_incarnation(const struct tcpstate_fsm *fsm,
				   const struct tcpstate_seg *seg,
				   unsigned int d)
{
	unsigned int c = d ^ 1;

	if (!(fsm->hist & HB(c, H_S)) || seg->ack != fsm->isn[c] + 1 ||
	    ((fsm->hist & HB(d, H_H)) && seg->seq == fsm->isn[d]))
		return false;
	return (fsm->flags & TCPSTATE_F_ENDED) || done(fsm->state[c]) ||
	       fsm->state[d] == SCL || fsm->state[d] == STW;
}

/* Has dir sent nothing but its SYN or SYN-ACK: no ACK, data, FIN or RST? */
static bool only_syn_sent(const struct tcpstate_fsm *fsm, unsigned int dir)
{
	return !(fsm->hist & (HB(dir, H_A) | HB(dir, H_D) | HB(dir, H_F) |
			      HB(dir, H_R)));
}

/*
 * The sender sends `again` again: the answer to it that we saw was never
 * delivered, and its state moves back (tcpstate_fsm_back). Returns
 * whether it moved.
 */
static bool move_back(struct tcpstate_fsm *fsm, unsigned int d,
		      unsigned int again, struct tcpstate_result *res)
{
	u8 s = tcpstate_fsm_back[again][fsm->state[d]];

	if (s == SIV || (fsm->flags & TCPSTATE_F_ENDED))
		return false;
	if (again <= TCPSTATE_AGAIN_SYNACK &&
	    ((fsm->flags & TCPSTATE_F_SIMOPEN) || !only_syn_sent(fsm, d)))
		return false;
	set_state(fsm, d, s, res);
	return true;
}

/* check_*() results besides an enum tcpstate_invalid reason */
#define FSM_OK		0	/* go on to the table */
#define FSM_DONE	0xff	/* retransmission counted, nothing else */

/*
 * A SYN captured after the SYN-ACK that answers it (a capture's order,
 * not the wire's): isn[d] holds that SYN-ACK's ack, or d's first sequence
 * number after it. Recorded, as Zeek does; nothing moves.
 */
static bool late_syn(struct tcpstate_fsm *fsm, const struct tcpstate_seg *seg,
		     unsigned int d)
{
	if (!(fsm->flags & TCPSTATE_F_MIDSTREAM) ||
	    !(fsm->hist & HB(d ^ 1, H_H)) || d != tcpstate_fsm_orig_dir(fsm) ||
	    seg->seq + 1 != fsm->isn[d])
		return false;
	if (!(fsm->hist & HIST_SEQ(d)))
		fsm->end[d] = seg->seq + 1;
	fsm->isn[d] = seg->seq;
	hist_add(fsm, d, H_S);
	return true;
}

/* The client's SYN, and the server has not said a word yet. */
static bool syn_unanswered(const struct tcpstate_fsm *fsm, unsigned int d)
{
	return d == tcpstate_fsm_orig_dir(fsm) && !fsm->pkts[d ^ 1] &&
	       !(fsm->flags & (TCPSTATE_F_MIDSTREAM | TCPSTATE_F_SIMOPEN));
}

/* The client's ACK to a server that sent nothing but its SYN-ACK. */
static bool ack_to_request(const struct tcpstate_fsm *fsm, unsigned int d)
{
	return d == tcpstate_fsm_orig_dir(fsm) && (fsm->hist & HB(d ^ 1, H_H)) &&
	       only_syn_sent(fsm, d ^ 1) &&
	       !(fsm->flags & (TCPSTATE_F_MIDSTREAM | TCPSTATE_F_SIMOPEN));
}

static unsigned int check_syn(struct tcpstate_fsm *fsm,
			      const struct tcpstate_seg *seg, unsigned int d,
			      struct tcpstate_result *res)
{
	if (!(fsm->hist & HB(d, H_S)))
		return late_syn(fsm, seg, d) ? FSM_DONE : FSM_OK;
	if (seg->seq != fsm->isn[d])
		return TCPSTATE_INV_UNEXPECTED;
	fsm->syn_rtx = sat8_inc(fsm->syn_rtx);
	note_rtx(res, 1);
	/* the server never answered the SYN before: it dropped it */
	if (fsm->pending && syn_unanswered(fsm, d))
		res->events |= TCPSTATE_EV_OVERFLOW;
	move_back(fsm, d, TCPSTATE_AGAIN_SYN, res);
	return FSM_DONE;
}

/*
 * The server's SYN-ACK again, after the client ACKed it: its request
 * socket dropped that ACK. When the socket is this host's, only if it says
 * so (tcp_check_req()'s listen_overflow sets inet_rsk(req)->acked), so a
 * lost ACK or a TCP_DEFER_ACCEPT listener is no overflow.
 */
static bool synack_refused(const struct tcpstate_fsm *fsm,
			   const struct tcpstate_seg *seg, unsigned int d)
{
	return fsm->pending && ack_to_request(fsm, d ^ 1) &&
	       !(seg->sflags & TCPSTATE_SEG_NO_SOCK) &&
	       (!(seg->sflags & TCPSTATE_SEG_REQ) ||
		(seg->sflags & TCPSTATE_SEG_REQ_FULL));
}

static unsigned int check_synack(struct tcpstate_fsm *fsm,
				 const struct tcpstate_seg *seg, unsigned int d,
				 struct tcpstate_result *res)
{
	bool again;

	if ((fsm->hist & HB(d ^ 1, H_S)) && !acks_syn(fsm, d ^ 1, seg->ack))
		return TCPSTATE_INV_BAD_ACK;
	again = (fsm->hist & HB(d, H_H)) && seg->seq == fsm->isn[d];
	if (again && synack_refused(fsm, seg, d))
		res->events |= TCPSTATE_EV_OVERFLOW;
	fsm->pending = 0;
	if (!again)
		return FSM_OK;
	/* a cookie again, for a SYN again: nothing is retransmitted */
	if (seg->sflags & TCPSTATE_SEG_NO_SOCK)
		return FSM_DONE;
	fsm->synack_rtx = sat8_inc(fsm->synack_rtx);
	note_rtx(res, 1);
	if (d == server_dir(fsm) &&
	    move_back(fsm, d, TCPSTATE_AGAIN_SYNACK, res)) {
		fsm->ack_refused = 1;
		res->events |= TCPSTATE_EV_UNDONE;
	}
	return FSM_DONE;
}

/*
 * A receiver in SYN_RECEIVED that the sender has not acked yet is a
 * request socket: tcp_check_req() takes any RST within its window, from
 * its rcv_nxt on, with no challenge ACK (Linux keeps RFC 5961 for full
 * sockets). Its rcv_nxt follows the SYN, or the SYN's data when it took
 * them: the SYN-ACK's ack said which, and the fsm keeps no acks, so the
 * window is measured from the SYN (a Fast Open whose data were refused
 * is reset from there).
 */
static unsigned int rst_request(const struct tcpstate_fsm *fsm,
				const struct tcpstate_seg *seg, unsigned int d)
{
	u32 rcv_nxt = fsm->isn[d] + 1;
	u32 wnd = fsm->win[d ^ 1] ? fsm->win[d ^ 1] : 1;

	if (!seq_before(seg->seq, rcv_nxt) &&
	    seq_before(seg->seq, fsm->end[d] + wnd))
		return FSM_OK;
	return TCPSTATE_INV_RST_OUT_OF_WINDOW;
}

/*
 * RFC 5961 3.2 from the wire: the receiver's rcv_nxt is the sender's
 * snd_nxt once what we saw is delivered. Exact (or the FIN's sequence
 * number, as Linux accepts in CLOSE_WAIT/LAST_ACK/CLOSING): accepted.
 * In the receiver's window: challenge ACK, ignored. Else out of window.
 * In SYN_SENT only a RST acking the SYN is acceptable (RFC 793).
 */
static unsigned int check_rst(const struct tcpstate_fsm *fsm,
			      const struct tcpstate_seg *seg, unsigned int d)
{
	unsigned int p = d ^ 1;
	u32 end = fsm->end[d];
	u32 wnd;

	if (fsm->state[p] == SSS) {
		if ((seg->flags & TCPSTATE_TH_ACK) && acks_syn(fsm, p, seg->ack))
			return FSM_OK;
		return TCPSTATE_INV_BAD_ACK;
	}
	if (!(fsm->hist & HIST_SEQ(d)))
		return FSM_OK;	/* nothing to compare with */
	/*
	 * A peer that never answered holds nothing: a RST at the SYN's own
	 * sequence number ends the sender (Zeek's RSTOS0), as one after it.
	 */
	if (fsm->state[p] == SNO && (fsm->hist & HB(d, H_S)) &&
	    !(fsm->hist & HIST_SEQ(p)) && seg->seq == fsm->isn[d])
		return FSM_OK;
	if (fsm->state[p] == SSR && !(fsm->hist & HB(d, H_A)))
		return rst_request(fsm, seg, d);
	if (seg->seq == end ||
	    ((fsm->hist & HB(d, H_F)) && seg->seq == end - 1))
		return FSM_OK;
	wnd = fsm->win[p];
	if ((fsm->opt[0] & fsm->opt[1]) & TCPSTATE_FSM_O_WSCALE)
		wnd <<= fsm->opt[p] & 0xf;
	if (seq_after(seg->seq, end) && seq_before(seg->seq, end + wnd))
		return TCPSTATE_INV_RST_CHALLENGE;
	return TCPSTATE_INV_RST_OUT_OF_WINDOW;
}

/* Linux's TCP_MAX_WSCALE, and the least window we hold a receiver to. */
#define FSM_WSCALE_MAX	14
#define FSM_WIN_MIN	0x10000U

/*
 * How far the receiver lets the sender go: its last window, scaled, at
 * least 64 KB. A receiver whose SYN we missed may scale by anything:
 * assume the most.
 */
static u32 rcv_window(const struct tcpstate_fsm *fsm, unsigned int rcv)
{
	u64 syns = HB(rcv, H_S) | HB(rcv, H_H);
	u64 peer_syns = HB(rcv ^ 1, H_S) | HB(rcv ^ 1, H_H);
	u32 wnd = fsm->win[rcv];

	if (!(fsm->hist & syns))
		wnd <<= FSM_WSCALE_MAX;
	else if ((fsm->opt[rcv] & TCPSTATE_FSM_O_WSCALE) &&
		 (!(fsm->hist & peer_syns) ||
		  (fsm->opt[rcv ^ 1] & TCPSTATE_FSM_O_WSCALE)))
		wnd <<= fsm->opt[rcv] & 0xf;
	return wnd > FSM_WIN_MIN ? wnd : FSM_WIN_MIN;
}

/*
 * Does ack[dir] hold dir's highest ack, one to measure by? Not on a flow
 * picked up mid-stream until it is trusted: the ack kept may be forged.
 */
static bool ack_known(const struct tcpstate_fsm *fsm, unsigned int dir)
{
	return (fsm->acked & (1U << dir)) && tcpstate_fsm_trusted(fsm);
}

/*
 * tcp_sequence() from the wire: the segment, FIN included, must end
 * within the receiver's window, which starts at its rcv_nxt: the highest
 * ack it sent (the sender's snd_nxt until it acked anything). Far ahead
 * is a forgery: it would make the real next bytes look retransmitted.
 * Ending a window or more behind the sender's snd_nxt, it is not even a
 * retransmission.
 */
static bool in_window(const struct tcpstate_fsm *fsm,
		      const struct tcpstate_seg *seg, unsigned int d)
{
	u32 seg_end = seg->seq + seg->len + !!(seg->flags & TCPSTATE_TH_FIN);
	u32 end = fsm->end[d], left, wnd;

	if (!(fsm->hist & HIST_SEQ(d)) || !(fsm->hist & HIST_SEQ(d ^ 1)))
		return true;	/* no sequence or no window to measure by */
	left = ack_known(fsm, d ^ 1) ? fsm->ack[d ^ 1] : end;
	wnd = rcv_window(fsm, d ^ 1);
	return !seq_after(seg_end, left + wnd) && !seq_before(seg_end, end - wnd);
}

/* Did p answer a SYN with a cookie, holding nothing (still NONE)? */
static bool cookie_sent(const struct tcpstate_fsm *fsm, unsigned int p)
{
	return fsm->state[p] == SNO && (fsm->hist & HB(p, H_H));
}

/*
 * FIN and ACK segments, in the order Linux checks them: the sequence,
 * then the ack. A receiver in SYN_RECEIVED, or holding only a cookie,
 * takes only an ack of its SYN-ACK: a request socket exactly ISN+1
 * (tcp_check_req()), as a cookie is checked, which is acks_syn()'s range
 * while the server sent nothing else; a full socket (simultaneous open,
 * Fast Open having sent data) tcp_ack()'s range, the same test. Any
 * other receiver drops a segment acking what it never sent, or more than
 * a window below the sender's highest ack (tcp_ack(), RFC 5961 5.2),
 * data and FIN included.
 */
static unsigned int check_data(const struct tcpstate_fsm *fsm,
			       const struct tcpstate_seg *seg, unsigned int d)
{
	unsigned int p = d ^ 1;

	/* in order is in the window, as on the fast path */
	if (seg->seq != fsm->end[d] && !in_window(fsm, seg, d))
		return TCPSTATE_INV_OUT_OF_WINDOW;
	if (fsm->state[p] == SSR || cookie_sent(fsm, p))
		return acks_syn(fsm, p, seg->ack) ? FSM_OK :
						    TCPSTATE_INV_BAD_ACK;
	if (seq_after(seg->ack, fsm->end[p]) && (fsm->hist & HIST_SEQ(p)))
		return TCPSTATE_INV_ACK_UNSENT;
	if (seq_before(seg->ack, fsm->ack[d]) && ack_known(fsm, d) &&
	    seq_before(seg->ack, fsm->ack[d] - rcv_window(fsm, d)))
		return TCPSTATE_INV_ACK_OLD;
	return FSM_OK;
}

/*
 * The highest ack each direction sent: its peer's snd_una once delivered.
 * Kept once the peer's sequence space is known, and never beyond what the
 * peer sent (end[peer]: the fast path relies on it; a SYN-ACK in a flow
 * picked up mid-stream is not checked before). Until a mid-stream flow
 * is trusted, the last one: a forged first ack must not stay.
 */
static void note_ack(struct tcpstate_fsm *fsm, const struct tcpstate_seg *seg,
		     unsigned int d)
{
	if (!(seg->flags & TCPSTATE_TH_ACK) || !(fsm->hist & HIST_SEQ(d ^ 1)) ||
	    seq_after(seg->ack, fsm->end[d ^ 1]))
		return;
	if (ack_known(fsm, d) && !seq_after(seg->ack, fsm->ack[d]))
		return;
	fsm->ack[d] = seg->ack;
	fsm->acked |= 1U << d;
}

static bool agreed(const struct tcpstate_fsm *fsm)
{
	return fsm->opt[0] & fsm->opt[1] & TCPSTATE_FSM_O_AGREE;
}

/* TCPSTATE_T_MS: synchronized once both directions agree */
static u8 midstream_state(const struct tcpstate_fsm *fsm, unsigned int dir)
{
	if (fsm->flags & TCPSTATE_F_MIDSTREAM)
		return agreed(fsm) ? SES : fsm->state[dir];
	/* a SYN answered with a bare ACK: as before, ACKs both ways */
	if ((fsm->hist & HIST_ACKB(0)) && (fsm->hist & HIST_ACKB(1)))
		return SES;
	return fsm->state[dir];
}

static u8 table(const struct tcpstate_fsm *fsm, unsigned int view,
		unsigned int kind, unsigned int dir)
{
	u8 s = tcpstate_fsm_trans[view][kind][fsm->state[dir]];

	return s != SMS ? s : midstream_state(fsm, dir);
}

/*
 * d's sequence space starts at its SYN or SYN-ACK: acks of a space it
 * replaces, or beyond its new end, are no longer acks of anything.
 */
static void set_isn(struct tcpstate_fsm *fsm, const struct tcpstate_seg *seg,
		    unsigned int d)
{
	bool moved = seg->seq != fsm->isn[d];

	fsm->isn[d] = seg->seq;
	fsm->end[d] = seg->seq + 1 + seg->len;
	if (moved || seq_after(fsm->ack[d ^ 1], fsm->end[d]))
		fsm->acked &= ~(1U << (d ^ 1));
}

static void apply_syn(struct tcpstate_fsm *fsm,
		      const struct tcpstate_seg *seg, unsigned int d)
{
	set_isn(fsm, seg, d);
	set_opts(fsm, d, seg);
	hist_add(fsm, d, H_S);
}

static void apply_synack(struct tcpstate_fsm *fsm,
			 const struct tcpstate_seg *seg, unsigned int d)
{
	if (!(fsm->hist & HB2(H_H)))
		fsm->t_synack = fsm_offset(fsm, seg->tstamp, 10);
	/* in a simultaneous open the SYN-ACK repeats the SYN's ISN */
	if (!(fsm->hist & HB(d, H_S)) || seg->seq != fsm->isn[d])
		set_isn(fsm, seg, d);
	/* a SYN not seen: what the peer sends next starts at this ack */
	if (!(fsm->hist & HIST_SEQ(d ^ 1)))
		fsm->isn[d ^ 1] = seg->ack;
	set_opts(fsm, d, seg);
	hist_add(fsm, d, H_H);
}

/*
 * A RST without ACK at snd_nxt, from a server that sent nothing but its
 * SYN-ACK, after the client's ACK: the listener refused that ACK
 * (accept queue full with tcp_abort_on_overflow, tcp_check_req()'s
 * embryonic reset). An application's abort carries an ACK.
 */
static bool rst_refuses_ack(const struct tcpstate_fsm *fsm,
			    const struct tcpstate_seg *seg, unsigned int d)
{
	return d == server_dir(fsm) && !(seg->flags & TCPSTATE_TH_ACK) &&
	       (synced(fsm->state[d]) || fsm->state[d] == SSR) &&
	       seg->seq == fsm->isn[d] + 1 &&
	       only_syn_sent(fsm, d) && !(fsm->flags & TCPSTATE_F_SIMOPEN);
}

static void apply_rst(struct tcpstate_fsm *fsm, const struct tcpstate_seg *seg,
		      unsigned int d, struct tcpstate_result *res)
{
	unsigned int p = d ^ 1;

	if (rst_refuses_ack(fsm, seg, d)) {
		/* a server back in SYN_RECEIVED had its handshake undone */
		if (fsm->state[d] != SSR)
			res->events |= TCPSTATE_EV_UNDONE;
		if (fsm->pending)
			res->events |= TCPSTATE_EV_OVERFLOW;
		fsm->pending = 0;
	}

	note_closer(fsm, d);
	if (fsm->close_reason == TCPSTATE_CLOSE_NONE) {
		if (fsm->state[p] == SSS && !(fsm->hist & HB(d, H_H)))
			fsm->close_reason = TCPSTATE_CLOSE_REFUSED;
		else if (d == tcpstate_fsm_orig_dir(fsm))
			fsm->close_reason = TCPSTATE_CLOSE_RST_CLIENT;
		else
			fsm->close_reason = TCPSTATE_CLOSE_RST_SERVER;
	}
	hist_add(fsm, d, H_R);
}

/* Does ack fall in what dir sent: its first seen sequence to its end? */
static bool acks_sent(const struct tcpstate_fsm *fsm, unsigned int dir,
		      u32 ack)
{
	return !seq_before(ack, fsm->isn[dir]) && !seq_after(ack, fsm->end[dir]);
}

/*
 * A mid-stream flow has no ISNs: isn[] holds the first sequence number
 * seen from each direction instead, and until a direction is seen, the
 * last ack sent to it. Direction d agrees once it acks sequence space the
 * other one sent, checked on each segment until both agree. The ack held
 * for an unseen direction is checked against its first segment, so a
 * real pickup agrees as soon as both directions have spoken.
 */
static void midstream_agree(struct tcpstate_fsm *fsm,
			    const struct tcpstate_seg *seg, unsigned int d,
			    struct tcpstate_result *res)
{
	u64 peer_acked = HB(d ^ 1, H_A) | HB(d ^ 1, H_D) | HB(d ^ 1, H_F);
	unsigned int p = d ^ 1;
	u32 seg_end;

	if (!(fsm->hist & HIST_SEQ(d))) {
		seg_end = seg->seq + seg->len + !!(seg->flags & TCPSTATE_TH_FIN);
		if ((fsm->hist & peer_acked) &&
		    !seq_before(fsm->isn[d], seg->seq) &&
		    !seq_after(fsm->isn[d], seg_end))
			fsm->opt[p] |= TCPSTATE_FSM_O_AGREE;
		fsm->isn[d] = seg->seq;
	}
	if (!(fsm->hist & HIST_SEQ(p)))
		fsm->isn[p] = seg->ack;
	else if (acks_sent(fsm, p, seg->ack))
		fsm->opt[d] |= TCPSTATE_FSM_O_AGREE;
	if (agreed(fsm))
		res->events |= TCPSTATE_EV_TRUSTED;
}

/*
 * Keepalive (RFC 1122 4.2.3.6): a segment one byte below snd_nxt, empty or
 * with one garbage byte, sent only when the peer acked all (Linux's
 * timers send one with nothing in flight, at snd_una - 1). The same shape
 * towards a zero window is a window probe. Neither is data nor a
 * retransmission; the last byte sent again while unacked (a tail loss
 * probe, a retransmission timeout) is.
 */
static bool is_probe(const struct tcpstate_fsm *fsm,
		     const struct tcpstate_seg *seg, unsigned int d)
{
	return seg->len <= 1 && seg->seq == fsm->end[d] - 1 &&
	       !(seg->flags & TCPSTATE_TH_FIN) &&
	       (fsm->hist & HIST_SEQ(d)) && !(fsm->hist & HB(d, H_F)) &&
	       (!ack_known(fsm, d ^ 1) || fsm->ack[d ^ 1] == fsm->end[d]);
}

/* FIN and ACK segments; returns true for a keepalive or window probe. */
static bool apply_data(struct tcpstate_fsm *fsm,
		       const struct tcpstate_seg *seg, unsigned int d,
		       unsigned int kind, struct tcpstate_result *res)
{
	u64 now = seg->tstamp;
	u32 seg_end = seg->seq + seg->len;
	bool known = fsm->hist & HIST_SEQ(d);

	if (is_probe(fsm, seg, d)) {
		if (fsm->win[d ^ 1] || !(fsm->hist & HIST_SEQ(d ^ 1))) {
			if (fsm->keepalives != 0xffff)
				fsm->keepalives++;
			res->events |= TCPSTATE_EV_KEEPALIVE;
		}
		hist_add(fsm, d, H_A);
		return true;
	}
	/* data first: a segment that is both is `d` then `t`, as in Zeek */
	if (seg->len)
		hist_add(fsm, d, H_D);
	if (known && seg->len && seq_before(seg->seq, fsm->end[d])) {
		u32 n = rtx_segs(seg, fsm->end[d]);

		fsm->rtx[d] += n;
		note_rtx(res, n);
		hist_add(fsm, d, H_T);
	}
	if (!known ||
	    (!(fsm->hist & HB(d, H_F)) && seq_after(seg_end, fsm->end[d])))
		fsm->end[d] = seg_end;
	if (!(seg->flags & TCPSTATE_TH_FIN)) {
		if (!seg->len)
			hist_add(fsm, d, H_A);
		return false;
	}
	if (fsm->hist & HB(d, H_F)) {
		fsm->fin_rtx = sat8_inc(fsm->fin_rtx);
		if (seg_end + 1 == fsm->end[d])
			move_back(fsm, d, kind == TCPSTATE_K_FIN_ACKS ?
				  TCPSTATE_AGAIN_FIN_ACKS : TCPSTATE_AGAIN_FIN,
				  res);
		/* a FIN sent again with data sent again is one segment */
		if (!res->rtx_segs)
			note_rtx(res, 1);
		return false;
	}
	fsm->end[d]++;		/* the FIN's own sequence number */
	fsm->t_fin[d] = fsm_offset(fsm, now, 20);
	note_closer(fsm, d);
	hist_add(fsm, d, H_F);
	return false;
}

/*
 * A server that refused the third ACK sends something else: it has
 * accepted it since (a client's segment it took, or the ACK again). If
 * it acks the client's FIN, it took that too.
 */
static void ack_accepted(struct tcpstate_fsm *fsm, unsigned int d,
			 unsigned int kind, struct tcpstate_result *res)
{
	bool fin = (fsm->hist & HB(d ^ 1, H_F)) &&
		   (kind == TCPSTATE_K_ACK_ACKS || kind == TCPSTATE_K_FIN_ACKS);

	set_state(fsm, d, fin ? SCW : SES, res);
}

static void after_transition(struct tcpstate_fsm *fsm, u64 now,
			     struct tcpstate_result *res)
{
	u8 a = fsm->state[0], b = fsm->state[1];

	if (!(fsm->flags & TCPSTATE_F_HANDSHAKE) && synced(a) && synced(b) &&
	    (fsm->hist & HIST_SYNS)) {
		fsm->flags |= TCPSTATE_F_HANDSHAKE;
		fsm->t_est = fsm_offset(fsm, now, 10);
		res->events |= TCPSTATE_EV_HANDSHAKE;
	}
	if (done(a) && done(b) && (a != SNO || b != SNO))
		end_flow(fsm, now, TCPSTATE_CLOSE_FIN, res);
}

static void transition(struct tcpstate_fsm *fsm,
		       const struct tcpstate_seg *seg, unsigned int kind,
		       u64 had, struct tcpstate_result *res)
{
	unsigned int d = seg->dir & 1, p = d ^ 1;
	u8 sn = table(fsm, TCPSTATE_VIEW_SENDER, kind, d);
	u8 rn = table(fsm, TCPSTATE_VIEW_RECEIVER, kind, p);

	if (kind == TCPSTATE_K_SYN && sn == SSS && fsm->state[p] == SSS) {
		/* the peer's SYN is outstanding: it is delivered too */
		sn = SSR;
		fsm->flags |= TCPSTATE_F_SIMOPEN;
	}
	/*
	 * A sender in FIN_WAIT that acks the peer's FIN got it: its FIN sent
	 * again had moved it back (the peer's FIN+ACK, which acked its FIN,
	 * had not reached it then; sent again, it did).
	 */
	if (kind == TCPSTATE_K_ACK_ACKS && (sn == SF1 || sn == SF2) &&
	    (fsm->hist & HB(p, H_F)))
		sn = STW;
	/* a SYN cookie: the server holds no request socket */
	if (kind == TCPSTATE_K_SYNACK && fsm->state[d] == SNO &&
	    (seg->sflags & TCPSTATE_SEG_NO_SOCK))
		sn = SNO;
	/* ... until the cookie comes back (cookie_v4_check()) */
	if (cookie_sent(fsm, p) && synced(rn))
		res->events |= TCPSTATE_EV_COOKIE_OK;
	/* a server that refused the third ACK takes nothing until it speaks */
	if (unlikely(fsm->ack_refused) && p == server_dir(fsm) &&
	    kind != TCPSTATE_K_RST)
		rn = fsm->state[p];
	/* the client is the sender of the first SYN */
	if (!(had & HIST_SYNS) && kind == TCPSTATE_K_SYN)
		set_orig(fsm, d);
	else if (!(had & HIST_SYNS) && kind == TCPSTATE_K_SYNACK)
		set_orig(fsm, p);
	set_state(fsm, d, sn, res);
	set_state(fsm, p, rn, res);
	if (res->events & (TCPSTATE_EV_TRANS0 | TCPSTATE_EV_TRANS1))
		after_transition(fsm, seg->tstamp, res);
}

static void first_segment(struct tcpstate_fsm *fsm, unsigned int kind,
			  unsigned int d, u64 now, struct tcpstate_result *res)
{
	fsm->start = now;	/* the record starts with its first segment */
	set_orig(fsm, d);
	if (kind != TCPSTATE_K_SYN)
		fsm->flags |= TCPSTATE_F_MIDSTREAM;
	res->events |= TCPSTATE_EV_FIRST;
}

static unsigned int check(struct tcpstate_fsm *fsm,
			  const struct tcpstate_seg *seg, unsigned int d,
			  unsigned int *kind, struct tcpstate_result *res)
{
	unsigned int r = FSM_OK;

	switch (*kind) {
	case TCPSTATE_K_SYN:
		r = check_syn(fsm, seg, d, res);
		break;
	case TCPSTATE_K_SYNACK:
		r = check_synack(fsm, seg, d, res);
		break;
	case TCPSTATE_K_FIN:
	case TCPSTATE_K_ACK:
		r = check_data(fsm, seg, d);
		*kind += acks_ctl(fsm, d ^ 1, seg);	/* the _ACKS variant */
		res->kind = *kind;
		break;
	case TCPSTATE_K_RST:
		r = check_rst(fsm, seg, d);
		break;
	default:
		return TCPSTATE_INV_BAD_FLAGS;
	}
	if (r != FSM_OK)
		return r;
	if (tcpstate_fsm_trans[TCPSTATE_VIEW_SENDER][*kind][fsm->state[d]] == SIV ||
	    tcpstate_fsm_trans[TCPSTATE_VIEW_RECEIVER][*kind][fsm->state[d ^ 1]] == SIV)
		return TCPSTATE_INV_UNEXPECTED;
	return FSM_OK;
}

static void invalid_seg(struct tcpstate_fsm *fsm,
			const struct tcpstate_seg *seg, unsigned int d,
			unsigned int reason, struct tcpstate_result *res)
{
	bool multi = (seg->flags & TCPSTATE_TH_SYN) &&
		     (seg->flags & (TCPSTATE_TH_FIN | TCPSTATE_TH_RST));

	hist_add(fsm, d, multi ? H_Q : H_I);
	fsm->bytes[d] += seg->len;
	set_invalid(fsm, res, reason);
}

void tcpstate_fsm_slow(struct tcpstate_fsm *fsm,
		       const struct tcpstate_seg *seg,
		       struct tcpstate_result *res)
{
	unsigned int d = seg->dir & 1;
	unsigned int kind = seg_kind(seg->flags);
	u64 had = fsm->hist;
	unsigned int r;

	res_init(fsm, res, kind);
	if ((kind == TCPSTATE_K_SYN && syn_new_incarnation(fsm, seg, d)) ||
	    (kind == TCPSTATE_K_SYNACK &&
	     synack_new_incarnation(fsm, seg, d))) {
		new_incarnation(fsm, kind == TCPSTATE_K_SYN ? d : d ^ 1,
				seg->tstamp, res);
		return;
	}
	/* each SYN-ACK sent without a socket carries a cookie */
	if (kind == TCPSTATE_K_SYNACK && (seg->sflags & TCPSTATE_SEG_NO_SOCK))
		res->events |= TCPSTATE_EV_COOKIE;
	if (!had)
		first_segment(fsm, kind, d, seg->tstamp, res);
	fsm->pkts[d] += seg->pkts ? seg->pkts : 1;
	fsm->t_last = (u32)(seg->tstamp >> 24);

	r = check(fsm, seg, d, &kind, res);
	if (r == FSM_DONE) {
		fsm->bytes[d] += seg->len;
		return;
	}
	if (r != FSM_OK) {
		invalid_seg(fsm, seg, d, r, res);
		return;
	}

	if (kind != TCPSTATE_K_RST)
		note_ack(fsm, seg, d);
	/* what the server may refuse (TCPSTATE_EV_OVERFLOW) */
	if (kind == TCPSTATE_K_SYN ? syn_unanswered(fsm, d) :
	    kind != TCPSTATE_K_RST && (seg->flags & TCPSTATE_TH_ACK) &&
	    ack_to_request(fsm, d))
		fsm->pending = 1;
	switch (kind) {
	case TCPSTATE_K_SYN:
		apply_syn(fsm, seg, d);
		break;
	case TCPSTATE_K_SYNACK:
		apply_synack(fsm, seg, d);
		break;
	case TCPSTATE_K_RST:
		apply_rst(fsm, seg, d, res);
		break;
	default:
		if (unlikely(fsm->flags & TCPSTATE_F_MIDSTREAM) &&
		    !tcpstate_fsm_trusted(fsm))
			midstream_agree(fsm, seg, d, res);
		if (unlikely(fsm->ack_refused) && d == server_dir(fsm))
			ack_accepted(fsm, d, kind, res);
		if (apply_data(fsm, seg, d, kind, res))
			goto transition;	/* probe: no data */
	}
	fsm->bytes[d] += seg->len;
	if (kind <= TCPSTATE_K_SYNACK && seg->len) {
		fsm->flags |= TCPSTATE_F_SYN_DATA;
		hist_add(fsm, d, H_D);
	}
transition:
	if (kind != TCPSTATE_K_RST) {
		fsm->win[d] = seg->win;
		if (!seg->win)
			hist_add(fsm, d, H_W);
	}
	transition(fsm, seg, kind, had, res);
}

void tcpstate_fsm_update(struct tcpstate_fsm *fsm,
			 const struct tcpstate_seg *seg,
			 struct tcpstate_result *res)
{
	if (likely(tcpstate_fsm_fast(fsm, seg))) {
		res->old_state[0] = SES;
		res->old_state[1] = SES;
		res->new_state[0] = SES;
		res->new_state[1] = SES;
		res->kind = TCPSTATE_K_ACK_ACKS;
		res->invalid = TCPSTATE_INV_NONE;
		res->events = 0;
		return;
	}
	tcpstate_fsm_slow(fsm, seg, res);
}

/*
 * The SYN a new incarnation's SYN-ACK answers, seen in the old record:
 * the new one starts with it (its options are the old SYN's).
 */
static void restart_syn(struct tcpstate_fsm *fsm, u8 opt,
			const struct tcpstate_seg *synack,
			struct tcpstate_result *res)
{
	struct tcpstate_seg syn = {
		.tstamp = synack->tstamp,
		.seq = synack->ack - 1,
		.win = 1,
		.dir = synack->dir ^ 1,
		.flags = TCPSTATE_TH_SYN,
		.wscale = opt & 0xf,
	};

	if (opt & TCPSTATE_FSM_O_WSCALE)
		syn.opt |= TCPSTATE_OPT_WSCALE;
	if (opt & TCPSTATE_FSM_O_SACK)
		syn.opt |= TCPSTATE_OPT_SACK_PERM;
	if (opt & TCPSTATE_FSM_O_TS)
		syn.opt |= TCPSTATE_OPT_TS;
	tcpstate_fsm_update(fsm, &syn, res);
}

void tcpstate_fsm_restart(struct tcpstate_fsm *fsm,
			  const struct tcpstate_seg *seg,
			  struct tcpstate_result *res)
{
	u8 opt = fsm->opt[(seg->dir & 1) ^ 1];
	struct tcpstate_result first;

	tcpstate_fsm_init(fsm, seg->tstamp);
	fsm->flags = TCPSTATE_F_REUSED;
	if (seg_kind(seg->flags) != TCPSTATE_K_SYNACK) {
		tcpstate_fsm_update(fsm, seg, res);
		return;
	}
	restart_syn(fsm, opt, seg, &first);
	tcpstate_fsm_update(fsm, seg, res);
	res->old_state[0] = first.old_state[0];
	res->old_state[1] = first.old_state[1];
	res->events |= first.events;
	/* a state the SYN moved and the SYN-ACK moved back is no transition */
	if (res->old_state[0] == res->new_state[0])
		res->events &= ~TCPSTATE_EV_TRANS0;
	if (res->old_state[1] == res->new_state[1])
		res->events &= ~TCPSTATE_EV_TRANS1;
}

static u32 phase_timeout(const struct tcpstate_fsm *fsm,
			 const struct tcpstate_timeouts *to)
{
	u8 a = fsm->state[0], b = fsm->state[1];

	if ((fsm->flags & TCPSTATE_F_ENDED) || (done(a) && done(b))) {
		if (a == STW || b == STW)
			return to->time_wait;
		if (a == SCL || b == SCL || (fsm->flags & TCPSTATE_F_ENDED))
			return to->closed;
		return to->syn_sent;	/* NONE both: only invalid segments */
	}
	if (a == SSR || b == SSR)
		return to->syn_recv;
	if (a == SNO || b == SNO || a == SSS || b == SSS)
		return to->syn_sent;
	if (a == SES && b == SES)
		return to->established;
	if ((a == SCW && b == SF2) || (a == SF2 && b == SCW))
		return to->close_wait;
	if (a == SES || b == SES)
		return to->established;
	return to->fin_wait;
}

static u64 last_units(const struct tcpstate_fsm *fsm)
{
	u64 base = fsm->start >> 24;

	return base + (u32)(fsm->t_last - (u32)base);
}

u64 tcpstate_fsm_deadline(const struct tcpstate_fsm *fsm,
			  const struct tcpstate_timeouts *to)
{
	u32 t = phase_timeout(fsm, to);

	/* a pickup not yet confirmed may be forged: no longer than a SYN_RECV */
	if (t > to->syn_recv && !tcpstate_fsm_trusted(fsm))
		t = to->syn_recv;
	/* rounded up: t_last only keeps 16.8 ms units */
	return ((last_units(fsm) + 1) << 24) + (u64)t * 1000000;
}

bool tcpstate_fsm_expire(struct tcpstate_fsm *fsm, u64 now,
			 const struct tcpstate_timeouts *to,
			 struct tcpstate_result *res)
{
	unsigned int i;

	res_init(fsm, res, TCPSTATE_K_INVALID);
	if (now < tcpstate_fsm_deadline(fsm, to))
		return false;
	/* the client's last SYN or ACK went unanswered too */
	if (fsm->pending && !(fsm->flags & TCPSTATE_F_ENDED) &&
	    (syn_unanswered(fsm, tcpstate_fsm_orig_dir(fsm)) ||
	     (fsm->state[server_dir(fsm)] == SSR &&
	      ack_to_request(fsm, tcpstate_fsm_orig_dir(fsm)))))
		res->events |= TCPSTATE_EV_OVERFLOW;
	/* endpoints that a real stack gives up on; the others are unknown */
	for (i = 0; i < 2; i++) {
		switch (fsm->state[i]) {
		case SSS:
		case SSR:
		case SF1:
		case SF2:
		case SCG:
		case SLA:
		case STW:
			set_state(fsm, i, SCL, res);
			break;
		}
	}
	end_flow(fsm, now, TCPSTATE_CLOSE_TIMEOUT, res);
	res->events |= TCPSTATE_EV_EXPIRED;
	return true;
}

/*
 * Does the server's state rest on what the wire cannot show: SYN_RECEIVED
 * (the kernel may drop the request silently), or ESTABLISHED (or
 * CLOSE_WAIT) having sent nothing since its SYN-ACK, as the third ACK
 * alone makes it? tcpstate_fsm_socket() says what its socket shows.
 */
bool tcpstate_fsm_unproven(const struct tcpstate_fsm *fsm)
{
	unsigned int s = server_dir(fsm);

	if (!(fsm->hist & HB(s, H_H)) ||
	    (fsm->flags & (TCPSTATE_F_SIMOPEN | TCPSTATE_F_ENDED)))
		return false;
	return fsm->state[s] == SSR ||
	       ((fsm->state[s] == SES || fsm->state[s] == SCW) &&
		only_syn_sent(fsm, s));
}

/*
 * What the server's own socket shows (the caller looked, for an unproven
 * server): `state` SYN_RECEIVED is a request socket that has not taken
 * the third ACK (TCP_DEFER_ACCEPT, the accept queue full), ESTABLISHED or
 * CLOSE_WAIT a socket that took it, CLOSED none at a local address: the
 * kernel dropped the request (its SYN-ACKs ran out, or fewer under a
 * flood) without a word on the wire. NONE (not this host's address)
 * changes nothing; nor does anything within 33 ms of the last segment,
 * which may be on its way to the socket. SYN_RECEIVED with
 * TCPSTATE_SOCK_REFUSED is a request socket that dropped an ACK because
 * the accept queue was full: the client's last ACK was one.
 */
void tcpstate_fsm_socket(struct tcpstate_fsm *fsm, u8 state, u64 now,
			 struct tcpstate_result *res)
{
	unsigned int s = server_dir(fsm);
	bool refused = state & TCPSTATE_SOCK_REFUSED;
	u8 was = fsm->state[s];

	res_init(fsm, res, TCPSTATE_K_INVALID);
	state &= ~TCPSTATE_SOCK_REFUSED;
	if ((now >> 24) < last_units(fsm) + 2)
		return;
	/* the client's last ACK: the request socket refused it */
	if (refused && state == SSR && fsm->pending && ack_to_request(fsm, s ^ 1)) {
		fsm->pending = 0;
		res->events |= TCPSTATE_EV_OVERFLOW;
	}
	if (state == was || state >= __TCPSTATE_S_MAX)
		return;
	if (state == SCL) {
		set_state(fsm, s, SCL, res);
		if (done(fsm->state[s ^ 1]))
			end_flow(fsm, now, TCPSTATE_CLOSE_TIMEOUT, res);
		return;
	}
	if (was == SSR) {
		if (fsm->ack_refused && (state == SES || state == SCW))
			set_state(fsm, s, state, res);
		return;
	}
	if (state == SSR && move_back(fsm, s, TCPSTATE_AGAIN_SYNACK, res)) {
		fsm->ack_refused = 1;
		res->events |= TCPSTATE_EV_UNDONE;
	}
}

void tcpstate_fsm_close(struct tcpstate_fsm *fsm, u64 now,
			enum tcpstate_close_reason reason,
			struct tcpstate_result *res)
{
	res_init(fsm, res, TCPSTATE_K_INVALID);
	end_flow(fsm, now, reason, res);
}

/* Zeek's per-endpoint states, derived from what each side sent. */
enum {
	Z_INACTIVE, Z_SYN_SENT, Z_SYN_ACK_SENT, Z_PARTIAL, Z_ESTABLISHED,
	Z_CLOSED, Z_RESET,
};

static unsigned int zeek_state(u64 h, unsigned int me, bool orig)
{
	unsigned int peer = me ^ 1;
	bool syn = h & (HB(me, H_S) | HB(me, H_H));
	bool peer_syn = h & (HB(peer, H_S) | HB(peer, H_H));

	if ((h & HB(me, H_F)) && (h & HB(peer, H_F)))
		return Z_CLOSED;	/* FINs both ways: RSTs after do not count */
	if (h & HB(me, H_R))
		return Z_RESET;
	if (h & HB(me, H_F))
		return Z_CLOSED;
	if (syn && (!orig || peer_syn))
		return Z_ESTABLISHED;
	if (orig && !syn && (h & HB(peer, H_H)) && (h & HIST_ACKB(me)))
		return Z_ESTABLISHED;	/* we missed the SYN */
	if (h & HB(me, H_S))
		return Z_SYN_SENT;
	if (h & HB(me, H_H))
		return Z_SYN_ACK_SENT;
	/* invalid segments (i, q) do not make an endpoint active */
	if (h & (((1ULL << H_I) - 1) << (me * H_NUM)))
		return Z_PARTIAL;
	return Z_INACTIVE;
}

/* Zeek's RSTOS0 pattern: ^S[^HAFGIQ]*R */
static bool rstos0_history(const struct tcpstate_fsm *fsm)
{
	char buf[TCPSTATE_HISTORY_MAX];
	size_t i, n = tcpstate_fsm_history(fsm, buf, sizeof(buf));

	if (!n || buf[0] != 'S')
		return false;
	for (i = 1; i < n; i++) {
		switch (buf[i]) {
		case 'R':
			return true;
		case 'H':
		case 'A':
		case 'F':
		case 'G':
		case 'I':
		case 'Q':
			return false;
		}
	}
	return false;
}

static bool zeek_inactive(unsigned int z)
{
	return z == Z_INACTIVE || z == Z_PARTIAL;
}

enum tcpstate_conn_state tcpstate_fsm_conn_state(const struct tcpstate_fsm *fsm)
{
	unsigned int o = tcpstate_fsm_orig_dir(fsm);
	unsigned int os = zeek_state(fsm->hist, o, true);
	unsigned int rs = zeek_state(fsm->hist, o ^ 1, false);

	if (rs == Z_RESET) {
		if (os == Z_SYN_SENT || os == Z_SYN_ACK_SENT ||
		    (os == Z_RESET && !fsm->bytes[0] && !fsm->bytes[1]))
			return TCPSTATE_CS_REJ;
		return zeek_inactive(os) ? TCPSTATE_CS_RSTRH : TCPSTATE_CS_RSTR;
	}
	if (os == Z_RESET) {
		if (!zeek_inactive(rs))
			return TCPSTATE_CS_RSTO;
		return rstos0_history(fsm) ? TCPSTATE_CS_RSTOS0 : TCPSTATE_CS_OTH;
	}
	if (os == Z_CLOSED && rs == Z_CLOSED)
		return TCPSTATE_CS_SF;
	if (os == Z_CLOSED)
		return zeek_inactive(rs) ? TCPSTATE_CS_SH : TCPSTATE_CS_S2;
	if (rs == Z_CLOSED)
		return zeek_inactive(os) ? TCPSTATE_CS_SHR : TCPSTATE_CS_S3;
	if (os == Z_SYN_SENT && rs == Z_INACTIVE)
		return TCPSTATE_CS_S0;
	if (os == Z_ESTABLISHED && rs == Z_ESTABLISHED)
		return TCPSTATE_CS_S1;
	return TCPSTATE_CS_OTH;
}

static char hist_char(const struct tcpstate_fsm *fsm, unsigned int code)
{
	unsigned int dir = code >= H_NUM;
	char c = tcpstate_hist_letters[code - dir * H_NUM];

	return dir == tcpstate_fsm_orig_dir(fsm) ? c - 'a' + 'A' : c;
}

/*
 * Zeek-style history, originator in upper case, each letter once a side in
 * order of first occurrence. Always NUL-terminates (if size > 0); returns
 * the length written.
 */
size_t tcpstate_fsm_history(const struct tcpstate_fsm *fsm, char *buf,
			    size_t size)
{
	unsigned int n = (fsm->hist >> HIST_CNT_SHIFT) & 0xf;
	u32 rest = fsm->hist & HIST_SEEN;
	unsigned int i, code;
	size_t len = 0;

	if (!size)
		return 0;
	if (n > HIST_ORD_MAX)
		n = HIST_ORD_MAX;
	for (i = 0; i < n && len + 1 < size; i++) {
		code = ((fsm->hist >> (HIST_ORD_SHIFT + 5 * i)) & 0x1f) - 1;
		if (code >= 2 * H_NUM)
			continue;
		rest &= ~(1U << code);
		buf[len++] = hist_char(fsm, code);
	}
	for (code = 0; code < 2 * H_NUM && len + 1 < size; code++)
		if (rest & (1U << code))
			buf[len++] = hist_char(fsm, code);
	buf[len] = '\0';
	return len;
}

u64 tcpstate_fsm_time(const struct tcpstate_fsm *fsm, enum tcpstate_ts which)
{
	unsigned int o = tcpstate_fsm_orig_dir(fsm);

	switch (which) {
	case TCPSTATE_TS_START:
		return fsm->start;
	case TCPSTATE_TS_SYN:
		return fsm->flags & TCPSTATE_F_MIDSTREAM ? 0 : fsm->start;
	case TCPSTATE_TS_SYNACK:
		if (!(fsm->hist & HB2(H_H)))
			return 0;
		return fsm->start + ((u64)fsm->t_synack << 10);
	case TCPSTATE_TS_ESTABLISHED:
		if (!(fsm->flags & TCPSTATE_F_HANDSHAKE))
			return 0;
		return fsm->start + ((u64)fsm->t_est << 10);
	case TCPSTATE_TS_FIN_CLIENT:
	case TCPSTATE_TS_FIN_SERVER:
		if (which == TCPSTATE_TS_FIN_SERVER)
			o ^= 1;
		if (!(fsm->hist & HB(o, H_F)))
			return 0;
		return fsm->start + ((u64)fsm->t_fin[o] << 20);
	case TCPSTATE_TS_CLOSE:
		if (!(fsm->flags & TCPSTATE_F_ENDED))
			return 0;
		return fsm->start + ((u64)fsm->t_close << 20);
	case TCPSTATE_TS_LAST:
		return last_units(fsm) << 24;
	default:
		return 0;
	}
}

/*
 * The handshake's two round trips as seen here, in ns: SYN to SYN-ACK
 * (rtt[0]) and SYN-ACK to the ACK that completed the handshake (rtt[1]).
 * Returns the mask of those known (bit i for rtt[i]).
 */
unsigned int tcpstate_fsm_rtt(const struct tcpstate_fsm *fsm, u64 rtt[2])
{
	u64 syn = tcpstate_fsm_time(fsm, TCPSTATE_TS_SYN);
	u64 synack = tcpstate_fsm_time(fsm, TCPSTATE_TS_SYNACK);
	u64 est = tcpstate_fsm_time(fsm, TCPSTATE_TS_ESTABLISHED);
	unsigned int known = 0;

	if (!(fsm->hist & HB2(H_H)))
		return 0;
	if (!(fsm->flags & TCPSTATE_F_MIDSTREAM) && synack >= syn) {
		rtt[0] = synack - syn;
		known |= 1;
	}
	if ((fsm->flags & TCPSTATE_F_HANDSHAKE) && est >= synack) {
		rtt[1] = est - synack;
		known |= 2;
	}
	return known;
}

enum tcpstate_side tcpstate_fsm_closer(const struct tcpstate_fsm *fsm)
{
	unsigned int dir = fsm->flags & TCPSTATE_FSM_F_CLOSER1 ? 1 : 0;

	switch (fsm->close_reason) {
	case TCPSTATE_CLOSE_REFUSED:
	case TCPSTATE_CLOSE_RST_CLIENT:
	case TCPSTATE_CLOSE_RST_SERVER:
		break;
	default:
		if (!(fsm->hist & HB2(H_F)))
			return TCPSTATE_SIDE_NONE;
	}
	return dir == tcpstate_fsm_orig_dir(fsm) ? TCPSTATE_SIDE_CLIENT :
						   TCPSTATE_SIDE_SERVER;
}

u32 tcpstate_fsm_flags(const struct tcpstate_fsm *fsm)
{
	u8 both = fsm->opt[0] & fsm->opt[1];
	u32 f = fsm->flags & 0x3f;

	if (both & TCPSTATE_FSM_O_WSCALE)
		f |= TCPSTATE_F_WSCALE;
	if (both & TCPSTATE_FSM_O_SACK)
		f |= TCPSTATE_F_SACK;
	if (both & TCPSTATE_FSM_O_TS)
		f |= TCPSTATE_F_TIMESTAMPS;
	return f;
}

static const char * const tcpstate_state_names[__TCPSTATE_S_MAX] = {
	[TCPSTATE_S_NONE]		= "NONE",
	[TCPSTATE_S_CLOSED]		= "CLOSED",
	[TCPSTATE_S_LISTEN]		= "LISTEN",
	[TCPSTATE_S_SYN_SENT]		= "SYN_SENT",
	[TCPSTATE_S_SYN_RECEIVED]	= "SYN_RECEIVED",
	[TCPSTATE_S_ESTABLISHED]	= "ESTABLISHED",
	[TCPSTATE_S_FIN_WAIT_1]		= "FIN_WAIT_1",
	[TCPSTATE_S_FIN_WAIT_2]		= "FIN_WAIT_2",
	[TCPSTATE_S_CLOSE_WAIT]		= "CLOSE_WAIT",
	[TCPSTATE_S_CLOSING]		= "CLOSING",
	[TCPSTATE_S_LAST_ACK]		= "LAST_ACK",
	[TCPSTATE_S_TIME_WAIT]		= "TIME_WAIT",
};

static const char * const tcpstate_conn_state_names[__TCPSTATE_CS_MAX] = {
	[TCPSTATE_CS_S0]	= "S0",
	[TCPSTATE_CS_S1]	= "S1",
	[TCPSTATE_CS_SF]	= "SF",
	[TCPSTATE_CS_REJ]	= "REJ",
	[TCPSTATE_CS_S2]	= "S2",
	[TCPSTATE_CS_S3]	= "S3",
	[TCPSTATE_CS_RSTO]	= "RSTO",
	[TCPSTATE_CS_RSTR]	= "RSTR",
	[TCPSTATE_CS_RSTOS0]	= "RSTOS0",
	[TCPSTATE_CS_RSTRH]	= "RSTRH",
	[TCPSTATE_CS_SH]	= "SH",
	[TCPSTATE_CS_SHR]	= "SHR",
	[TCPSTATE_CS_OTH]	= "OTH",
};

static const char * const tcpstate_close_names[__TCPSTATE_CLOSE_MAX] = {
	[TCPSTATE_CLOSE_NONE]		= "none",
	[TCPSTATE_CLOSE_FIN]		= "fin",
	[TCPSTATE_CLOSE_REFUSED]	= "refused",
	[TCPSTATE_CLOSE_RST_CLIENT]	= "rst_client",
	[TCPSTATE_CLOSE_RST_SERVER]	= "rst_server",
	[TCPSTATE_CLOSE_TIMEOUT]	= "timeout",
	[TCPSTATE_CLOSE_EVICTED]	= "evicted",
	[TCPSTATE_CLOSE_REUSED]		= "reused",
	[TCPSTATE_CLOSE_FLUSHED]	= "flushed",
};

static const char * const tcpstate_invalid_names[TCPSTATE_INV_MAX] = {
	[TCPSTATE_INV_NONE]		= "none",
	[TCPSTATE_INV_BAD_FLAGS]	= "bad_flags",
	[TCPSTATE_INV_RST_OUT_OF_WINDOW] = "rst_out_of_window",
	[TCPSTATE_INV_RST_CHALLENGE]	= "rst_challenge",
	[TCPSTATE_INV_BAD_ACK]		= "bad_ack",
	[TCPSTATE_INV_UNEXPECTED]	= "unexpected",
	[TCPSTATE_INV_ACK_UNSENT]	= "ack_unsent",
	[TCPSTATE_INV_ACK_OLD]		= "ack_old",
	[TCPSTATE_INV_OUT_OF_WINDOW]	= "out_of_window",
};

static const char * const tcpstate_kind_names[TCPSTATE_K_MAX + 1] = {
	[TCPSTATE_K_SYN]	= "syn",
	[TCPSTATE_K_SYNACK]	= "synack",
	[TCPSTATE_K_FIN]	= "fin",
	[TCPSTATE_K_FIN_ACKS]	= "fin_acks",
	[TCPSTATE_K_ACK]	= "ack",
	[TCPSTATE_K_ACK_ACKS]	= "ack_acks",
	[TCPSTATE_K_RST]	= "rst",
	[TCPSTATE_K_INVALID]	= "invalid",
};

const char *tcpstate_state_name(unsigned int state)
{
	return state < __TCPSTATE_S_MAX ? tcpstate_state_names[state] : "?";
}

const char *tcpstate_conn_state_name(unsigned int cs)
{
	return cs < __TCPSTATE_CS_MAX ? tcpstate_conn_state_names[cs] : "?";
}

const char *tcpstate_close_reason_name(unsigned int reason)
{
	return reason < __TCPSTATE_CLOSE_MAX ? tcpstate_close_names[reason] : "?";
}

const char *tcpstate_invalid_name(unsigned int reason)
{
	return reason < TCPSTATE_INV_MAX ? tcpstate_invalid_names[reason] : "?";
}

const char *tcpstate_kind_name(unsigned int kind)
{
	return kind <= TCPSTATE_K_MAX ? tcpstate_kind_names[kind] : "?";
}
