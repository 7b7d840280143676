// SPDX-License-Identifier: GPL-2.0
/*
 * Runs every scenario twice, with ISNs far from 2^32 and just below it,
 * checking both endpoints' states after every step, the invariants of
 * check.c, and the scenario's final expectations. KTAP output; the last
 * line is "N passed, N failed".
 *
 * runner [--seeds DIR]: also write each scenario as a fuzzer seed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>

#include "unit.h"
#include "check.h"

static_assert(sizeof(struct tcpstate_fsm) <= TCPSTATE_FSM_SIZE_MAX,
	      "tcpstate_fsm over its budget");

struct variant {
	const char *suffix;
	u32 isn[2];		/* by endpoint */
	u64 t0;
};

static const struct variant variants[] = {
	{ "", { 1000, 7000000 }, 1000000000ULL },
	/* both sequence spaces wrap during the scenario */
	{ "@wrap", { 0xffffff38, 0xffffffff }, 0x7fff000000000000ULL },
};

struct run {
	const struct scenario *sc;
	const struct variant *v;
	struct tcpstate_fsm fsm;
	unsigned int dirc;	/* wire direction of the client endpoint */
	unsigned int newinc;
	unsigned int old_reason;
	char err[512];
};

static int fail(struct run *r, unsigned int step, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (step)
		n = snprintf(r->err, sizeof(r->err), "step %u: ", step);
	va_start(ap, fmt);
	vsnprintf(r->err + n, sizeof(r->err) - n, fmt, ap);
	va_end(ap);
	return -1;
}

static unsigned int dir_of(const struct run *r, unsigned int who)
{
	return who == C ? r->dirc : r->dirc ^ 1;
}

/* translate EV_TC/EV_TS into wire-direction transition bits */
static unsigned int events(const struct run *r, unsigned int ev)
{
	unsigned int e = ev & 0xffff;

	if (ev & EV_TC)
		e |= TCPSTATE_EV_TRANS0 << dir_of(r, C);
	if (ev & EV_TS)
		e |= TCPSTATE_EV_TRANS0 << dir_of(r, S);
	return e;
}

static void make_seg(const struct run *r, const struct step *st, u64 now,
		     struct tcpstate_seg *seg)
{
	memset(seg, 0, sizeof(*seg));
	seg->tstamp = now;
	seg->dir = dir_of(r, st->who);
	seg->flags = st->flags;
	seg->seq = r->v->isn[st->who] + st->seq;
	seg->ack = r->v->isn[st->who ^ 1] + st->ack;
	seg->len = st->len;
	seg->win = st->zwin ? 0 : st->win ? st->win : 65535;
	seg->pkts = st->pkts;
	seg->opt = st->opt;
	seg->wscale = st->wscale;
	seg->sflags = (st->nosock ? TCPSTATE_SEG_NO_SOCK : 0) |
		      (st->req ? TCPSTATE_SEG_REQ : 0) |
		      (st->req == REQ_FULL ? TCPSTATE_SEG_REQ_FULL : 0);
}

static int check_states(struct run *r, unsigned int i, u8 cst, u8 sst,
			const char *what)
{
	u8 c = r->fsm.state[dir_of(r, C)], s = r->fsm.state[dir_of(r, S)];

	if (c == cst && s == sst)
		return 0;
	return fail(r, i, "%sclient %s server %s, expected client %s server %s",
		    what, tcpstate_state_name(c), tcpstate_state_name(s),
		    tcpstate_state_name(cst), tcpstate_state_name(sst));
}

static int do_seg(struct run *r, unsigned int i, const struct step *st,
		  u64 now, struct tcpstate_result *res)
{
	struct tcpstate_result res2;
	struct tcpstate_seg seg;
	struct tcpstate_fsm before;
	const char *err;

	make_seg(r, st, now, &seg);
	before = r->fsm;
	tcpstate_fsm_update(&r->fsm, &seg, res);
	err = unit_check(&r->fsm, &before, res);
	if (err)
		return fail(r, i, "%s", err);
	if (!(res->events & TCPSTATE_EV_NEW_INC))
		return 0;
	/* the caller's part: report the old record, start a new one */
	if (check_states(r, i, st->ocs, st->oss, "old record: "))
		return -1;
	r->newinc++;
	r->old_reason = r->fsm.close_reason;
	tcpstate_fsm_restart(&r->fsm, &seg, &res2);
	memset(&before, 0, sizeof(before));
	err = unit_check(&r->fsm, &before, &res2);
	if (err)
		return fail(r, i, "after restart: %s", err);
	res2.events |= res->events;
	*res = res2;
	return 0;
}

static int run_step(struct run *r, unsigned int i, u64 now)
{
	const struct step *st = &r->sc->steps[i - 1];
	struct tcpstate_fsm before = r->fsm;
	struct tcpstate_result res;
	unsigned int ev, noev;
	const char *err;
	bool e;

	switch (st->op) {
	case OP_SEG:
		if (do_seg(r, i, st, now, &res))
			return -1;
		break;
	case OP_EXPIRE:
		e = tcpstate_fsm_expire(&r->fsm, now, &tcpstate_timeouts_default,
					&res);
		if (e != !!st->expired)
			return fail(r, i, "expire returned %d", e);
		if (!!(res.events & TCPSTATE_EV_EXPIRED) != e)
			return fail(r, i, "EXPIRED event does not match");
		err = unit_check(&r->fsm, &before, &res);
		if (err)
			return fail(r, i, "%s", err);
		break;
	case OP_SOCK:
		tcpstate_fsm_socket(&r->fsm, st->reason, now, &res);
		err = unit_check(&r->fsm, &before, &res);
		if (err)
			return fail(r, i, "%s", err);
		break;
	default:
		tcpstate_fsm_close(&r->fsm, now, st->reason, &res);
		err = unit_check(&r->fsm, &before, &res);
		if (err)
			return fail(r, i, "%s", err);
	}
	if (check_states(r, i, st->cst, st->sst, ""))
		return -1;
	if (res.invalid != st->inv)
		return fail(r, i, "invalid %s, expected %s",
			    tcpstate_invalid_name(res.invalid),
			    tcpstate_invalid_name(st->inv));
	ev = events(r, st->ev);
	noev = events(r, st->noev);
	if (!(st->ev & TCPSTATE_EV_NEW_INC))
		noev |= TCPSTATE_EV_NEW_INC;
	if ((res.events & ev) != ev)
		return fail(r, i, "events 0x%x lack 0x%x", res.events, ev);
	if (res.events & noev)
		return fail(r, i, "events 0x%x include 0x%x", res.events,
			    res.events & noev);
	return 0;
}

static const char *const flag_names[] = {
	"midstream", "syn_data", "reused", "simopen", "handshake", "ended",
	"", "", "wscale", "sack", "ts",
};

static u32 parse_flags(const char *v)
{
	char buf[128], *tok, *save = NULL;
	u32 f = 0;
	unsigned int i;

	snprintf(buf, sizeof(buf), "%s", v);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		for (i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++)
			if (*flag_names[i] && !strcmp(tok, flag_names[i]))
				f |= 1U << i;
	return f;
}

/* Round trip i of tcpstate_fsm_rtt() in us, or -1 if it is not known. */
static long long rtt_us(const struct tcpstate_fsm *fsm, unsigned int i)
{
	u64 rtt[2];

	if (!(tcpstate_fsm_rtt(fsm, rtt) & (1U << i)))
		return -1;
	return (long long)(rtt[i] / 1000);
}

static int num_key(struct run *r, const char *k, long long *got)
{
	const struct tcpstate_fsm *f = &r->fsm;
	unsigned int c = dir_of(r, C), s = dir_of(r, S);

	if (!strcmp(k, "syn_rtx"))
		*got = f->syn_rtx;
	else if (!strcmp(k, "synack_rtx"))
		*got = f->synack_rtx;
	else if (!strcmp(k, "fin_rtx"))
		*got = f->fin_rtx;
	else if (!strcmp(k, "ka"))
		*got = f->keepalives;
	else if (!strcmp(k, "inv"))
		*got = f->invalid;
	else if (!strcmp(k, "rtx_c"))
		*got = f->rtx[c];
	else if (!strcmp(k, "rtx_s"))
		*got = f->rtx[s];
	else if (!strcmp(k, "pkts_c"))
		*got = f->pkts[c];
	else if (!strcmp(k, "pkts_s"))
		*got = f->pkts[s];
	else if (!strcmp(k, "bytes_c"))
		*got = f->bytes[c];
	else if (!strcmp(k, "bytes_s"))
		*got = f->bytes[s];
	else if (!strcmp(k, "newinc"))
		*got = r->newinc;
	else if (!strcmp(k, "trusted"))
		*got = tcpstate_fsm_trusted(f);
	else if (!strcmp(k, "timeout_s"))	/* whole seconds, defaults */
		*got = (tcpstate_fsm_deadline(f, &tcpstate_timeouts_default) -
			tcpstate_fsm_time(f, TCPSTATE_TS_LAST)) / 1000000000;
	else
		return -1;
	return 0;
}

static int check_key(struct run *r, const char *k, const char *v)
{
	const struct tcpstate_fsm *f = &r->fsm;
	char hist[TCPSTATE_HISTORY_MAX];
	const char *got = NULL;
	long long n;

	if (!strcmp(k, "cs"))
		got = tcpstate_conn_state_name(tcpstate_fsm_conn_state(f));
	else if (!strcmp(k, "hist"))
		got = (tcpstate_fsm_history(f, hist, sizeof(hist)), hist);
	else if (!strcmp(k, "reason"))
		got = tcpstate_close_reason_name(f->close_reason);
	else if (!strcmp(k, "old_reason"))
		got = tcpstate_close_reason_name(r->old_reason);
	else if (!strcmp(k, "closer"))
		got = (const char *[]){ "none", "client", "server" }
			[tcpstate_fsm_closer(f)];
	else if (!strcmp(k, "orig"))
		got = tcpstate_fsm_orig_dir(f) == dir_of(r, C) ? "C" : "S";
	if (got) {
		if (strcmp(got, v))
			return fail(r, 0, "%s is %s, expected %s", k, got, v);
		return 0;
	}
	if (!strcmp(k, "flags") || !strcmp(k, "flags+")) {
		u32 want = parse_flags(v), have = tcpstate_fsm_flags(f);

		if (k[5] ? (have & want) != want : have != want)
			return fail(r, 0, "flags 0x%x, expected %s0x%x", have,
				    k[5] ? "at least " : "", want);
		return 0;
	}
	if (!strcmp(k, "rtt_syn_us") || !strcmp(k, "rtt_ack_us")) {
		n = rtt_us(f, k[4] == 's' ? 0 : 1);
		if (llabs(n - atoll(v)) > 2)
			return fail(r, 0, "%s is %lld, expected %s", k, n, v);
		return 0;
	}
	if (num_key(r, k, &n))
		return fail(r, 0, "unknown key %s", k);
	if (n != atoll(v))
		return fail(r, 0, "%s is %lld, expected %s", k, n, v);
	return 0;
}

static int check_final(struct run *r)
{
	char buf[512], *tok, *save = NULL, *eq;

	snprintf(buf, sizeof(buf), "%s", r->sc->expect);
	for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		eq = strchr(tok, '=');
		if (!eq)
			return fail(r, 0, "bad expectation %s", tok);
		*eq = '\0';
		if (check_key(r, tok, eq + 1))
			return -1;
	}
	return 0;
}

static int run_scenario(struct run *r)
{
	const struct scenario *sc = r->sc;
	u64 now = r->v->t0;
	unsigned int i;

	/* every scenario pins the Zeek summary and history */
	if (strncmp(sc->expect, "cs=", 3) || !strstr(sc->expect, " hist="))
		return fail(r, 0, "expectations must start with cs= and have hist=");

	r->dirc = sc->steps[0].who == C ? 0 : 1;
	tcpstate_fsm_init(&r->fsm, now);
	for (i = 0; i < sc->nsteps; i++) {
		const struct step *st = &sc->steps[i];

		now += st->dt_us ? st->dt_us * 1000 : 1000000;
		if (run_step(r, i + 1, now))
			return -1;
	}
	return check_final(r);
}

/* --- fuzzer seeds --- */

void unit_seed_record(unsigned char rec[FUZZ_REC], const struct step *st,
		      unsigned int dir)
{
	u64 dt = (st->dt_us ? st->dt_us : 1000) * 1000;
	unsigned int t = 0;

	while (t < 15 && (dt >> (t * 3 + 6)) > 0xffff)
		t++;
	memset(rec, 0, FUZZ_REC);
	rec[0] = dir | (st->op == OP_SEG ? 0 : st->op == OP_EXPIRE ? 5 :
			st->op == OP_SOCK ? 4 : 6) << 1 |
		 t << 4;
	rec[1] = st->flags;
	rec[2] = (dt >> (t * 3 + 6)) & 0xff;
	rec[3] = (dt >> (t * 3 + 6)) >> 8;
	rec[4] = 0x11;		/* seq and ack relative to the bases */
	rec[5] = (st->opt & 0xf) | (st->wscale & 0xf) << 4;
	rec[6] = st->seq & 0xff;
	rec[7] = (st->seq >> 8) & 0xff;
	rec[8] = st->ack & 0xff;
	rec[9] = (st->ack >> 8) & 0xff;
	rec[10] = st->len & 0xff;
	rec[11] = (st->len >> 8) & 0xff;
	rec[12] = st->zwin ? 0 : 0xff;
	rec[13] = st->zwin ? 0 : 0xff;
	rec[14] = st->pkts;
	rec[15] = st->reason | (st->nosock ? 0x80 : 0) | st->req << 5;
}

static void write_seed(const char *dir, const struct scenario *sc)
{
	unsigned char rec[FUZZ_REC];
	char path[512];
	unsigned int i, dirc = sc->steps[0].who == C ? 0 : 1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, sc->name);
	f = fopen(path, "wb");
	if (!f) {
		perror(path);
		exit(2);
	}
	for (i = 0; i < sc->nsteps; i++) {
		const struct step *st = &sc->steps[i];

		unit_seed_record(rec, st, st->who == C ? dirc : dirc ^ 1);
		fwrite(rec, 1, sizeof(rec), f);
	}
	fclose(f);
}

/* --- tests that are not scenarios --- */

static int test_names(char *err, size_t size)
{
	static const char *const want[__TCPSTATE_S_MAX] = {
		"NONE", "CLOSED", "LISTEN", "SYN_SENT", "SYN_RECEIVED",
		"ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT",
		"CLOSING", "LAST_ACK", "TIME_WAIT",
	};
	static const char *const cs[__TCPSTATE_CS_MAX] = {
		"S0", "S1", "SF", "REJ", "S2", "S3", "RSTO", "RSTR", "RSTOS0",
		"RSTRH", "SH", "SHR", "OTH",
	};
	unsigned int i;

	for (i = 0; i < __TCPSTATE_S_MAX; i++)
		if (strcmp(tcpstate_state_name(i), want[i]))
			return snprintf(err, size, "state %u is %s", i,
					tcpstate_state_name(i));
	for (i = 0; i < __TCPSTATE_CS_MAX; i++)
		if (strcmp(tcpstate_conn_state_name(i), cs[i]))
			return snprintf(err, size, "conn_state %u", i);
	for (i = 0; i < __TCPSTATE_CLOSE_MAX; i++)
		if (!tcpstate_close_reason_name(i) ||
		    !strcmp(tcpstate_close_reason_name(i), "?"))
			return snprintf(err, size, "close reason %u", i);
	for (i = 0; i < TCPSTATE_INV_MAX; i++)
		if (!strcmp(tcpstate_invalid_name(i), "?"))
			return snprintf(err, size, "invalid reason %u", i);
	if (strcmp(tcpstate_state_name(__TCPSTATE_S_MAX), "?") ||
	    strcmp(tcpstate_conn_state_name(99), "?") ||
	    strcmp(tcpstate_close_reason_name(99), "?") ||
	    strcmp(tcpstate_invalid_name(99), "?") ||
	    strcmp(tcpstate_kind_name(99), "?"))
		return snprintf(err, size, "out-of-range name not \"?\"");
	return 0;
}

/* The one option parser the module and replay share, Linux's rules. */
static int test_options(char *err, size_t size)
{
	static const struct {
		const char *what;
		unsigned char len, bytes[40];
		bool ok;
		u8 opt, wscale;
	} c[] = {
		{ "mss, sack, ts, nop, wscale", 20,
		  { 2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7 },
		  true, TCPSTATE_OPT_MSS | TCPSTATE_OPT_SACK_PERM | TCPSTATE_OPT_TS |
		  TCPSTATE_OPT_WSCALE, 7 },
		{ "eol ends the list", 8, { 2, 4, 1, 0, 0, 3, 3, 7 }, true,
		  TCPSTATE_OPT_MSS, 0 },
		{ "known option, other length: skipped", 9,
		  { 2, 3, 5, 3, 4, 9, 9, 4, 2 }, true, TCPSTATE_OPT_SACK_PERM, 0 },
		{ "length 0 ends parsing", 7, { 4, 2, 2, 0, 5, 0xb4, 0 }, false,
		  TCPSTATE_OPT_SACK_PERM, 0 },
		{ "length 1", 4, { 1, 1, 3, 1 }, false, 0, 0 },
		{ "runs past the header", 4, { 8, 10, 0, 0 }, false, 0, 0 },
		{ "no room for a length", 4, { 1, 1, 1, 3 }, false, 0, 0 },
		{ "40 bytes of nops then nothing", 40, { 1, 1, 1, 1, 1, 1, 1, 1,
		  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
		  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 }, true, 0, 0 },
	};
	struct tcpstate_seg seg;
	unsigned int i;
	bool ok;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		memset(&seg, 0, sizeof(seg));
		ok = tcpstate_parse_options(c[i].bytes, c[i].len, &seg);
		if (ok != c[i].ok || seg.opt != c[i].opt ||
		    ((seg.opt & TCPSTATE_OPT_WSCALE) &&
		     seg.wscale != c[i].wscale)) {
			snprintf(err, size, "%s: ok %d opt %#x wscale %u",
				 c[i].what, ok, seg.opt, seg.wscale);
			return -1;
		}
	}
	return 0;
}

static int test_sizeof(char *err, size_t size)
{
	if (sizeof(struct tcpstate_fsm) > TCPSTATE_FSM_SIZE_MAX)
		return snprintf(err, size, "sizeof %zu",
				sizeof(struct tcpstate_fsm));
	return 0;
}

static int test_history_overflow(char *err, size_t size)
{
	struct tcpstate_fsm fsm, before;
	struct tcpstate_result res;
	struct tcpstate_seg seg = { .tstamp = 1, .win = 0 };
	static const u8 fl[] = { 0x02, 0x12, 0x10, 0x11, 0x04, 0x00, 0x03 };
	const char *e;
	unsigned int i, d;

	/* every letter both ways: 20 letters, more than the ordered 8 */
	tcpstate_fsm_init(&fsm, 0);
	for (d = 0; d < 2; d++)
		for (i = 0; i < sizeof(fl); i++) {
			seg.dir = d;
			seg.flags = fl[i];
			seg.len = i & 1 ? 10 : 0;
			seg.seq = 0;
			before = fsm;
			tcpstate_fsm_update(&fsm, &seg, &res);
			e = unit_check(&fsm, &before, &res);
			if (e)
				return snprintf(err, size, "%s", e);
		}
	return 0;
}

int main(int argc, char **argv)
{
	static struct scenario gen[64];
	static struct run r;
	static const struct {
		const char *name;
		int (*fn)(char *err, size_t size);
	} extra[] = {
		{ "sizeof_fsm_within_104_bytes", test_sizeof },
		{ "name_tables", test_names },
		{ "option_parser", test_options },
		{ "history_never_overflows", test_history_overflow },
	};
	unsigned int ngen = unit_gen_scenarios(gen, 64);
	unsigned int nsc = unit_nscenarios + ngen;
	unsigned int nv = sizeof(variants) / sizeof(variants[0]);
	unsigned int nx = sizeof(extra) / sizeof(extra[0]);
	unsigned int i, v, n = 0, passed = 0, failed = 0;
	const char *seeds = NULL;

	if (argc == 3 && !strcmp(argv[1], "--seeds"))
		seeds = argv[2];
	unit_build_allowed();

	printf("TAP version 13\n1..%u\n", nsc * nv + nx);
	printf("# %u scenarios (%u from tables, %u generated), %u variants; sizeof(struct tcpstate_fsm) = %zu\n",
	       nsc, unit_nscenarios, ngen, nv, sizeof(struct tcpstate_fsm));
	for (i = 0; i < nsc; i++) {
		const struct scenario *sc = i < unit_nscenarios ?
			&unit_scenarios[i] : &gen[i - unit_nscenarios];

		if (seeds)
			write_seed(seeds, sc);
		for (v = 0; v < nv; v++) {
			memset(&r, 0, sizeof(r));
			r.sc = sc;
			r.v = &variants[v];
			if (run_scenario(&r)) {
				printf("not ok %u %s%s\n# %s\n", ++n, sc->name,
				       variants[v].suffix, r.err);
				failed++;
			} else {
				printf("ok %u %s%s\n", ++n, sc->name,
				       variants[v].suffix);
				passed++;
			}
		}
	}
	for (i = 0; i < nx; i++) {
		char err[256];

		if (extra[i].fn(err, sizeof(err))) {
			printf("not ok %u %s\n# %s\n", ++n, extra[i].name, err);
			failed++;
		} else {
			printf("ok %u %s\n", ++n, extra[i].name);
			passed++;
		}
	}
	printf("# Totals: pass:%u fail:%u xfail:0 xpass:0 skip:0 error:0\n",
	       passed, failed);
	printf("%u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
