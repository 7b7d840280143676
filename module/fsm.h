/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcpstate state machine: the RFC 793 state of both endpoints of a TCP flow,
 * derived from the segments seen on the wire.
 *
 * Plain C with no kernel dependencies: the same file is built into the
 * module, the user-space unit tests, the fuzzer and `tcpstate replay`.
 * No allocation, no locking (the caller serialises updates of one flow),
 * no floating point, no 64-bit division.
 */
#ifndef _TCPSTATE_FSM_H
#define _TCPSTATE_FSM_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/stddef.h>
#include <linux/compiler.h>
#include <linux/build_bug.h>
#else
#include <assert.h>
#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
typedef __UINT8_TYPE__ u8;
typedef __UINT16_TYPE__ u16;
typedef __UINT32_TYPE__ u32;
typedef __UINT64_TYPE__ u64;
typedef __INT32_TYPE__ s32;
#ifndef likely
#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)
#endif
#endif

#include "../include/uapi/tcpstate.h"

/* Why a segment was counted as invalid (it changed no state). */
enum tcpstate_invalid {
	TCPSTATE_INV_NONE,
	TCPSTATE_INV_BAD_FLAGS,		/* SYN+FIN, SYN+RST, no flags, ... */
	TCPSTATE_INV_RST_OUT_OF_WINDOW,	/* RFC 5961: RST outside the window */
	TCPSTATE_INV_RST_CHALLENGE,	/* RFC 5961: in window, not exact */
	TCPSTATE_INV_BAD_ACK,		/* SYN-ACK/RST/3rd ACK not acking SYN */
	TCPSTATE_INV_UNEXPECTED,	/* not acceptable in the current state */
	TCPSTATE_INV_ACK_UNSENT,	/* acks data the peer never sent */
	TCPSTATE_INV_OUT_OF_WINDOW,	/* data or FIN outside the window */
	TCPSTATE_INV_ACK_OLD,		/* acks a window below the highest ack */

	TCPSTATE_INV_MAX,
};

/* TCP header flag bits, as in the flags byte of the header. */
#define TCPSTATE_TH_FIN		0x01
#define TCPSTATE_TH_SYN		0x02
#define TCPSTATE_TH_RST		0x04
#define TCPSTATE_TH_PSH		0x08
#define TCPSTATE_TH_ACK		0x10
#define TCPSTATE_TH_URG		0x20
#define TCPSTATE_TH_ECE		0x40
#define TCPSTATE_TH_CWR		0x80

/* Options present in a SYN or SYN-ACK (tcpstate_seg.opt). */
#define TCPSTATE_OPT_MSS	0x01
#define TCPSTATE_OPT_WSCALE	0x02
#define TCPSTATE_OPT_SACK_PERM	0x04
#define TCPSTATE_OPT_TS		0x08

/*
 * One segment as seen on the wire. A GRO/GSO skb is one descriptor for
 * pkts packets: seq is the first sequence number, len the total payload.
 */
struct tcpstate_seg {
	u64 tstamp;	/* monotonic time, ns */
	u32 seq;
	u32 ack;
	u32 len;	/* payload bytes */
	u16 win;	/* raw window field, unscaled */
	u16 pkts;	/* packets this descriptor stands for; 0 means 1 */
	u8 dir;		/* 0: sent by the originator (first sender seen) */
	u8 flags;	/* TCPSTATE_TH_* */
	u8 opt;		/* TCPSTATE_OPT_* present in this segment */
	u8 wscale;	/* window scale option, if TCPSTATE_OPT_WSCALE */
	u8 sflags;	/* TCPSTATE_SEG_* */
};

/* How the segment was sent (tcpstate_seg.sflags), where the hook knows. */
#define TCPSTATE_SEG_NO_SOCK	0x01	/* by this host, no socket: a SYN cookie */
#define TCPSTATE_SEG_REQ	0x02	/* by this host's request socket */
#define TCPSTATE_SEG_REQ_FULL	0x04	/* ... that refused an ACK: queue full */

/*
 * Segment kinds, the second index of the transition table. The _ACKS
 * variants acknowledge everything the receiver has sent that takes a
 * sequence number of its own: its SYN, or its FIN once it sent one.
 * Flag combinations that fit no kind are invalid and never reach the table.
 */
enum tcpstate_kind {
	TCPSTATE_K_SYN,		/* SYN */
	TCPSTATE_K_SYNACK,	/* SYN+ACK */
	TCPSTATE_K_FIN,		/* FIN+ACK, receiver's SYN/FIN not acked */
	TCPSTATE_K_FIN_ACKS,	/* FIN+ACK acking receiver's SYN/FIN */
	TCPSTATE_K_ACK,		/* ACK, receiver's SYN/FIN not acked */
	TCPSTATE_K_ACK_ACKS,	/* ACK acking receiver's SYN/FIN */
	TCPSTATE_K_RST,		/* RST or RST+ACK, accepted */
	TCPSTATE_K_MAX,
	TCPSTATE_K_INVALID = TCPSTATE_K_MAX,
};

/* First index of the transition table: whose new state it gives. */
enum tcpstate_view {
	TCPSTATE_VIEW_SENDER,
	TCPSTATE_VIEW_RECEIVER,
	TCPSTATE_VIEW_MAX,
};

/* Table entries that are not states. */
#define TCPSTATE_T_MS	0xfe	/* midstream: ESTABLISHED once both ways agree */
#define TCPSTATE_T_IV	0xff	/* impossible here: invalid, nothing changes */

extern const u8
tcpstate_fsm_trans[TCPSTATE_VIEW_MAX][TCPSTATE_K_MAX][__TCPSTATE_S_MAX];

/* What a sender sends again: the rows of tcpstate_fsm_back. */
enum tcpstate_again {
	TCPSTATE_AGAIN_SYN,
	TCPSTATE_AGAIN_SYNACK,
	TCPSTATE_AGAIN_FIN,		/* not acking the peer's FIN */
	TCPSTATE_AGAIN_FIN_ACKS,	/* acking the peer's SYN or FIN */
	TCPSTATE_AGAIN_MAX,
};

extern const u8 tcpstate_fsm_back[TCPSTATE_AGAIN_MAX][__TCPSTATE_S_MAX];

/* Event bits in tcpstate_result.events. */
#define TCPSTATE_EV_TRANS0	0x0001	/* dir 0 endpoint changed state */
#define TCPSTATE_EV_TRANS1	0x0002	/* dir 1 endpoint changed state */
#define TCPSTATE_EV_HANDSHAKE	0x0004	/* handshake completed */
#define TCPSTATE_EV_FLOW_END	0x0008	/* connection over: report it */
#define TCPSTATE_EV_NEW_INC	0x0010	/* SYN starts a new incarnation */
#define TCPSTATE_EV_TW_REUSE	0x0020	/* ... replacing a TIME_WAIT */
#define TCPSTATE_EV_RETRANS	0x0040	/* SYN, SYN-ACK, data or FIN again */
#define TCPSTATE_EV_KEEPALIVE	0x0080	/* keepalive probe */
#define TCPSTATE_EV_INVALID	0x0100	/* see tcpstate_result.invalid */
#define TCPSTATE_EV_EXPIRED	0x0200	/* timed out: report and free */
#define TCPSTATE_EV_FIRST	0x0400	/* first segment of the record */
#define TCPSTATE_EV_TRUSTED	0x0800	/* mid-stream flow now trusted */
#define TCPSTATE_EV_UNDONE	0x1000	/* the server had not accepted the ACK */
#define TCPSTATE_EV_COOKIE	0x2000	/* a SYN-ACK sent with a SYN cookie */
#define TCPSTATE_EV_COOKIE_OK	0x4000	/* a third ACK carried a cookie back */
#define TCPSTATE_EV_OVERFLOW	0x8000	/* the server's accept queue was full */

struct tcpstate_result {
	u8 old_state[2];	/* by direction */
	u8 new_state[2];
	u8 kind;		/* enum tcpstate_kind */
	u8 invalid;		/* enum tcpstate_invalid */
	u16 events;		/* TCPSTATE_EV_* */
	u16 rtx_segs;		/* with EV_RETRANS: segments sent again */
};

/* Timeouts in ms; each counts from the last segment of the flow. */
struct tcpstate_timeouts {
	u32 syn_sent;		/* one side has not answered (S0, one-way) */
	u32 syn_recv;		/* SYN-ACK sent, handshake not complete */
	u32 established;	/* idle established flow */
	u32 fin_wait;		/* FIN_WAIT_1/2, CLOSING, LAST_ACK */
	u32 close_wait;		/* half-closed, closer in FIN_WAIT_2 */
	u32 time_wait;		/* 2*MSL */
	u32 closed;		/* linger after a RST or the last ACK */
};

extern const struct tcpstate_timeouts tcpstate_timeouts_default;

/*
 * Per-flow state, 112 bytes. Times: start is absolute (ns); t_synack and
 * t_est count 1.024 us units (ns >> 10) from start, t_fin and t_close
 * 1.049 ms units (ns >> 20) from start (saturating after 52 days), t_last
 * is absolute in 16.8 ms units (ns >> 24, wrapping every 2.3 years).
 * Read times through tcpstate_fsm_time(). Arrays are indexed by direction.
 */
struct tcpstate_fsm {
	u64 start;		/* first segment, ns */
	u64 hist;		/* history: seen mask and first-seen order */
	u64 bytes[2];		/* payload bytes sent */
	u32 pkts[2];		/* packets sent */
	u32 isn[2];		/* SYN or SYN-ACK; mid-stream: see fsm.c */
	u32 end[2];		/* highest sequence end sent (snd_nxt) */
	u32 ack[2];		/* highest ack sent, once acked[] says so */
	u32 rtx[2];		/* segments with retransmitted payload */
	u32 t_synack;
	u32 t_est;
	u32 t_fin[2];
	u32 t_close;
	u32 t_last;
	u16 win[2];		/* last raw window advertised */
	u16 keepalives;		/* saturating */
	u8 state[2];		/* enum tcpstate_state */
	u8 opt[2];		/* wscale (low 4 bits), TCPSTATE_FSM_O_* */
	u8 flags;		/* TCPSTATE_F_* (low byte) and internal bits */
	u8 close_reason:4;	/* enum tcpstate_close_reason */
	u8 ack_refused:1;	/* server: see fsm.c, tcpstate_fsm_back */
	u8 acked:2;		/* bit d: ack[d] holds an ack */
	u8 pending:1;		/* client: last ACK or SYN not known taken */
	u8 syn_rtx;		/* saturating */
	u8 synack_rtx;		/* saturating */
	u8 fin_rtx;		/* saturating */
	u8 invalid;		/* saturating */
};

static_assert(__TCPSTATE_CLOSE_MAX <= 16, "close_reason is 4 bits");

#define TCPSTATE_FSM_SIZE_MAX	112
static_assert(sizeof(struct tcpstate_fsm) <= TCPSTATE_FSM_SIZE_MAX,
	      "struct tcpstate_fsm over its size budget");

/* Internal bits of tcpstate_fsm.flags (bits 0-5 are TCPSTATE_F_*). */
#define TCPSTATE_FSM_F_ORIG1	0x40	/* originator is direction 1 */
#define TCPSTATE_FSM_F_CLOSER1	0x80	/* direction 1 closed first */

/* Bits of tcpstate_fsm.opt above the window scale. */
#define TCPSTATE_FSM_O_WSCALE	0x10
#define TCPSTATE_FSM_O_SACK	0x20
#define TCPSTATE_FSM_O_TS	0x40
/* mid-stream: this direction acked sequence space the other one sent */
#define TCPSTATE_FSM_O_AGREE	0x80

/* Timestamps for tcpstate_fsm_time(). */
enum tcpstate_ts {
	TCPSTATE_TS_START,	/* first segment */
	TCPSTATE_TS_SYN,	/* first SYN, if it started the record */
	TCPSTATE_TS_SYNACK,	/* first SYN-ACK */
	TCPSTATE_TS_ESTABLISHED, /* handshake completed */
	TCPSTATE_TS_FIN_CLIENT,	/* first FIN from the client */
	TCPSTATE_TS_FIN_SERVER,	/* first FIN from the server */
	TCPSTATE_TS_CLOSE,	/* connection ended */
	TCPSTATE_TS_LAST,	/* last segment */
	TCPSTATE_TS_MAX,
};

/* Longest history string, with its NUL: each letter at most once a side. */
#define TCPSTATE_HISTORY_MAX	21

/* History bits (see fsm.c) of a pure ACK and of data sent by `dir`. */
#define TCPSTATE_HIST_ACK(dir)	(1ULL << ((dir) * 10 + 2))
#define TCPSTATE_HIST_DATA(dir)	(1ULL << ((dir) * 10 + 3))

/*
 * The established data path, inline for the hooks: in-order data or a
 * pure ACK between two ESTABLISHED endpoints, nothing new to record in
 * the history, acking no less than the sender's highest ack and nothing
 * the peer has not sent (one unsigned compare: ack - ack[d] within
 * end[p] - ack[d]). Returns false, having changed nothing, for any other
 * segment: tcpstate_fsm_update() takes those. seg->tstamp may lag the
 * clock by a few ms here: it only sets t_last, kept to 2^24 ns.
 */
static inline bool tcpstate_fsm_fast(struct tcpstate_fsm *fsm,
				     const struct tcpstate_seg *seg)
{
	unsigned int d = seg->dir & 1;
	u32 len = seg->len;

	if (fsm->state[0] != TCPSTATE_S_ESTABLISHED ||
	    fsm->state[1] != TCPSTATE_S_ESTABLISHED ||
	    (seg->flags & (TCPSTATE_TH_FIN | TCPSTATE_TH_SYN |
			   TCPSTATE_TH_RST | TCPSTATE_TH_ACK)) != TCPSTATE_TH_ACK ||
	    seg->seq != fsm->end[d] || !seg->win ||
	    seg->ack - fsm->ack[d] > fsm->end[d ^ 1] - fsm->ack[d] ||
	    !(fsm->hist & (len ? TCPSTATE_HIST_DATA(d) : TCPSTATE_HIST_ACK(d))))
		return false;
	fsm->end[d] = seg->seq + len;
	fsm->ack[d] = seg->ack;
	fsm->pkts[d] += seg->pkts ? seg->pkts : 1;
	fsm->bytes[d] += len;
	fsm->win[d] = seg->win;
	/* The caller's clock may be coarse: never let t_last go back. */
	if ((s32)((u32)(seg->tstamp >> 24) - fsm->t_last) > 0)
		fsm->t_last = (u32)(seg->tstamp >> 24);
	return true;
}

/*
 * Can the flow table hold this flow as a real connection? A flow picked
 * up mid-stream is trusted once each direction has acked sequence space
 * the other one sent (or a handshake completed): one forged segment each
 * way is not enough. Until then it has a short deadline and must stay
 * evictable. TCPSTATE_EV_TRUSTED or _HANDSHAKE says when it changes.
 */
static inline bool tcpstate_fsm_trusted(const struct tcpstate_fsm *fsm)
{
	if ((fsm->flags & (TCPSTATE_F_MIDSTREAM | TCPSTATE_F_HANDSHAKE)) !=
	    TCPSTATE_F_MIDSTREAM)
		return true;
	return fsm->opt[0] & fsm->opt[1] & TCPSTATE_FSM_O_AGREE;
}

bool tcpstate_parse_options(const u8 *opt, unsigned int len,
			    struct tcpstate_seg *seg);
void tcpstate_fsm_init(struct tcpstate_fsm *fsm, u64 now);
void tcpstate_fsm_update(struct tcpstate_fsm *fsm,
			 const struct tcpstate_seg *seg,
			 struct tcpstate_result *res);
/* tcpstate_fsm_update() for a segment tcpstate_fsm_fast() refused. */
void tcpstate_fsm_slow(struct tcpstate_fsm *fsm,
		       const struct tcpstate_seg *seg,
		       struct tcpstate_result *res);
void tcpstate_fsm_restart(struct tcpstate_fsm *fsm,
			  const struct tcpstate_seg *seg,
			  struct tcpstate_result *res);
u64 tcpstate_fsm_deadline(const struct tcpstate_fsm *fsm,
			  const struct tcpstate_timeouts *to);
bool tcpstate_fsm_expire(struct tcpstate_fsm *fsm, u64 now,
			 const struct tcpstate_timeouts *to,
			 struct tcpstate_result *res);
bool tcpstate_fsm_unproven(const struct tcpstate_fsm *fsm);
/* tcpstate_fsm_socket(): a request socket that refused an ACK */
#define TCPSTATE_SOCK_REFUSED	0x80
void tcpstate_fsm_socket(struct tcpstate_fsm *fsm, u8 state, u64 now,
			 struct tcpstate_result *res);
void tcpstate_fsm_close(struct tcpstate_fsm *fsm, u64 now,
			enum tcpstate_close_reason reason,
			struct tcpstate_result *res);

/* The direction of the originator (the client, once a SYN says so). */
static inline unsigned int tcpstate_fsm_orig_dir(const struct tcpstate_fsm *fsm)
{
	return fsm->flags & TCPSTATE_FSM_F_ORIG1 ? 1 : 0;
}

enum tcpstate_conn_state tcpstate_fsm_conn_state(const struct tcpstate_fsm *fsm);
size_t tcpstate_fsm_history(const struct tcpstate_fsm *fsm, char *buf,
			    size_t size);
u64 tcpstate_fsm_time(const struct tcpstate_fsm *fsm, enum tcpstate_ts which);
unsigned int tcpstate_fsm_rtt(const struct tcpstate_fsm *fsm, u64 rtt[2]);
enum tcpstate_side tcpstate_fsm_closer(const struct tcpstate_fsm *fsm);
u32 tcpstate_fsm_flags(const struct tcpstate_fsm *fsm);

const char *tcpstate_state_name(unsigned int state);
const char *tcpstate_conn_state_name(unsigned int cs);
const char *tcpstate_close_reason_name(unsigned int reason);
const char *tcpstate_invalid_name(unsigned int reason);
const char *tcpstate_kind_name(unsigned int kind);

#endif /* _TCPSTATE_FSM_H */
