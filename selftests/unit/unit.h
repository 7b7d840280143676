/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Table-driven scenarios for module/fsm.c. A scenario is a list of steps
 * between a client C and a server S; each step gives the segment and the
 * state of both endpoints after it. Sequence numbers are relative to the
 * sender's ISN, acknowledgment numbers to the receiver's, so every scenario
 * runs with ISNs far from 2^32 and again just below it.
 */
#ifndef TCPSTATE_UNIT_H
#define TCPSTATE_UNIT_H

#include "../../module/fsm.h"

enum { C = 0, S = 1 };		/* endpoints */

enum { OP_SEG, OP_EXPIRE, OP_CLOSE, OP_SOCK };

/* step.ev/noev: transition of the client / server endpoint */
#define EV_TC	(1U << 16)
#define EV_TS	(1U << 17)

/* step.req: a SYN-ACK by this host's request socket, which refused an ACK */
#define REQ		1
#define REQ_FULL	2
/* SOCK(): a request socket that refused an ACK */
#define RF		TCPSTATE_SOCK_REFUSED

/* short state names for the tables */
enum {
	NO = TCPSTATE_S_NONE,
	CL = TCPSTATE_S_CLOSED,
	SS = TCPSTATE_S_SYN_SENT,
	SR = TCPSTATE_S_SYN_RECEIVED,
	ES = TCPSTATE_S_ESTABLISHED,
	F1 = TCPSTATE_S_FIN_WAIT_1,
	F2 = TCPSTATE_S_FIN_WAIT_2,
	CW = TCPSTATE_S_CLOSE_WAIT,
	CG = TCPSTATE_S_CLOSING,
	LA = TCPSTATE_S_LAST_ACK,
	TW = TCPSTATE_S_TIME_WAIT,
};

/* flag sets */
#define F_S	TCPSTATE_TH_SYN
#define F_SA	(TCPSTATE_TH_SYN | TCPSTATE_TH_ACK)
#define F_A	TCPSTATE_TH_ACK
#define F_PA	(TCPSTATE_TH_PSH | TCPSTATE_TH_ACK)
#define F_FA	(TCPSTATE_TH_FIN | TCPSTATE_TH_ACK)
#define F_R	TCPSTATE_TH_RST
#define F_RA	(TCPSTATE_TH_RST | TCPSTATE_TH_ACK)

struct step {
	unsigned char op;
	unsigned char who;	/* sender: C or S */
	unsigned char flags;
	unsigned char cst, sst;	/* client and server state after the step */
	unsigned char ocs, oss;	/* old record's states on a new incarnation */
	unsigned char inv;	/* expected invalid reason */
	unsigned char zwin;	/* advertise a zero window */
	unsigned char opt, wscale;
	unsigned char nosock;	/* sent with no socket: a SYN cookie */
	unsigned char req;	/* by a request socket: REQ, or REQ_FULL */
	unsigned char expired;	/* OP_EXPIRE: must (1) or must not (0) */
	unsigned short pkts;
	unsigned int seq, ack;	/* relative */
	unsigned int len;
	unsigned int win;	/* 0: 65535 */
	unsigned long long dt_us;	/* time since the previous step, 0: 1 ms */
	unsigned int ev, noev;	/* events required, events forbidden */
	unsigned int reason;	/* OP_CLOSE */
};

struct scenario {
	const char *name;
	const struct step *steps;
	unsigned int nsteps;
	/* final checks: "cs=SF hist=ShADadFf reason=fin syn_rtx=0 ..." */
	const char *expect;
};

#define SEGX(w, fl, s, a, l, c, sv, ...) \
	{ .op = OP_SEG, .who = (w), .flags = (fl), .seq = (s), .ack = (a), \
	  .len = (l), .cst = (c), .sst = (sv), __VA_ARGS__ }
#define SEG(w, fl, s, a, l, c, sv) SEGX(w, fl, s, a, l, c, sv, .pkts = 0)
#define EXPIRE(secs, c, sv, e, ...) \
	{ .op = OP_EXPIRE, .dt_us = (unsigned long long)(secs) * 1000000, \
	  .cst = (c), .sst = (sv), .expired = (e), __VA_ARGS__ }
#define CLOSE(r, c, sv) { .op = OP_CLOSE, .reason = (r), .cst = (c), .sst = (sv) }
/* the server's socket is seen in state `st` (tcpstate_fsm_socket()) */
#define SOCK(st, c, sv, ...) \
	{ .op = OP_SOCK, .reason = (st), .cst = (c), .sst = (sv), __VA_ARGS__ }

#define STEPS(...) ((const struct step[]){ __VA_ARGS__ })
#define SCEN(n, exp, ...) \
	{ .name = (n), .steps = STEPS(__VA_ARGS__), \
	  .nsteps = sizeof(STEPS(__VA_ARGS__)) / sizeof(struct step), \
	  .expect = (exp) }

extern const struct scenario unit_scenarios[];
extern const unsigned int unit_nscenarios;

/* scenarios built by code (RST in every state) */
unsigned int unit_gen_scenarios(struct scenario *out, unsigned int max);

/* fuzz input records, shared with the seed writer */
#define FUZZ_REC	16
void unit_seed_record(unsigned char rec[FUZZ_REC], const struct step *st,
		      unsigned int dir);

#endif
