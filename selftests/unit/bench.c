// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark of the fsm alone on a fixed synthetic trace.
 *
 * bench            segments per second over a trace of short connections
 *                  (handshake, 16 data/ACK pairs, teardown), best of 5 runs
 * bench --mixed N  run the mixed trace for about N segments (for callgrind)
 * bench --est N    N in-order data and ACK segments on one ESTABLISHED
 *                  flow: the established data path (for callgrind)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../module/fsm.h"

#define FLOWS		1024
#define PAIRS		16
#define SEGS_PER_FLOW	(3 + 2 * PAIRS + 4)

static struct tcpstate_seg trace[FLOWS * SEGS_PER_FLOW];
static unsigned short trace_flow[FLOWS * SEGS_PER_FLOW];
static struct tcpstate_fsm fsms[FLOWS];
static unsigned int ntrace;

static void add(unsigned int flow, u64 t, unsigned int dir, u8 flags, u32 seq,
		u32 ack, u32 len)
{
	struct tcpstate_seg *s = &trace[ntrace];

	memset(s, 0, sizeof(*s));
	s->tstamp = t;
	s->dir = dir;
	s->flags = flags;
	s->seq = seq;
	s->ack = ack;
	s->len = len;
	s->win = 502;
	trace_flow[ntrace++] = flow;
}

/* flows interleaved 8 at a time, as on a busy host */
static void build_trace(void)
{
	unsigned int f, g, k, i;
	u64 t = 1000000000ULL;

	for (g = 0; g < FLOWS; g += 8) {
		for (k = 0; k < SEGS_PER_FLOW; k++) {
			for (f = g; f < g + 8; f++) {
				u32 c = 0xfffff000U + f * 7919, s = f * 104729;
				u32 cd = c + 1, sd = s + 1;

				t += 1000;
				if (k == 0)
					add(f, t, 0, 0x02, c, 0, 0);
				else if (k == 1)
					add(f, t, 1, 0x12, s, c + 1, 0);
				else if (k == 2)
					add(f, t, 0, 0x10, cd, sd, 0);
				else if (k < 3 + 2 * PAIRS) {
					i = (k - 3) / 2;
					if ((k - 3) & 1)
						add(f, t, 1, 0x10, sd,
						    cd + (i + 1) * 1448, 0);
					else
						add(f, t, 0, 0x18,
						    cd + i * 1448, sd, 1448);
				} else {
					u32 ce = cd + PAIRS * 1448;

					i = k - 3 - 2 * PAIRS;
					if (i == 0)
						add(f, t, 0, 0x11, ce, sd, 0);
					else if (i == 1)
						add(f, t, 1, 0x10, sd, ce + 1, 0);
					else if (i == 2)
						add(f, t, 1, 0x11, sd, ce + 1, 0);
					else
						add(f, t, 0, 0x10, ce + 1, sd + 1, 0);
				}
			}
		}
	}
}

static u64 run_mixed(unsigned int rounds)
{
	struct tcpstate_result res;
	u64 sum = 0;
	unsigned int r, i;

	for (r = 0; r < rounds; r++) {
		for (i = 0; i < FLOWS; i++)
			tcpstate_fsm_init(&fsms[i], 0);
		for (i = 0; i < ntrace; i++) {
			tcpstate_fsm_update(&fsms[trace_flow[i]], &trace[i], &res);
			sum += res.events;
		}
	}
	return sum;
}

static void check_trace(void)
{
	unsigned int i;

	run_mixed(1);
	for (i = 0; i < FLOWS; i++)
		if (fsms[i].state[0] != TCPSTATE_S_TIME_WAIT ||
		    fsms[i].state[1] != TCPSTATE_S_CLOSED) {
			fprintf(stderr, "bench trace: flow %u ends %s/%s\n", i,
				tcpstate_state_name(fsms[i].state[0]),
				tcpstate_state_name(fsms[i].state[1]));
			exit(1);
		}
}

static u64 run_established(unsigned long n)
{
	static const u8 syn[3] = { 0x02, 0x12, 0x10 };
	struct tcpstate_fsm fsm;
	struct tcpstate_result res;
	struct tcpstate_seg seg = { .win = 502 };
	u32 c = 0xffff0000U, s = 12345;
	unsigned long i;
	u64 sum = 0;

	tcpstate_fsm_init(&fsm, 0);
	for (i = 0; i < 3; i++) {
		seg.dir = i & 1;
		seg.flags = syn[i];
		seg.seq = i == 0 ? c : i == 1 ? s : c + 1;
		seg.ack = i == 0 ? 0 : i == 1 ? c + 1 : s + 1;
		tcpstate_fsm_update(&fsm, &seg, &res);
	}
	c++;
	s++;
	for (i = 0; i < n; i++) {
		seg.tstamp += 10000;
		if (i & 1) {
			seg.dir = 1;
			seg.flags = 0x10;
			seg.seq = s;
			seg.ack = c;
			seg.len = 0;
		} else {
			seg.dir = 0;
			seg.flags = 0x18;
			seg.seq = c;
			seg.ack = s;
			seg.len = 1448;
			c += 1448;
		}
		tcpstate_fsm_update(&fsm, &seg, &res);
		sum += res.events;
	}
	if (fsm.state[0] != TCPSTATE_S_ESTABLISHED ||
	    fsm.state[1] != TCPSTATE_S_ESTABLISHED) {
		fprintf(stderr, "bench: established flow left ESTABLISHED\n");
		exit(1);
	}
	return sum;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	unsigned int rounds = 100, r;
	double best = 0, t0, t;

	/* --est and --mixed print the number of updates they made */
	if (argc == 3 && !strcmp(argv[1], "--est")) {
		unsigned long n = strtoul(argv[2], NULL, 0);

		run_established(n);
		printf("%lu\n", n + 3);
		return 0;
	}
	build_trace();
	if (argc == 3 && !strcmp(argv[1], "--mixed")) {
		rounds = strtoul(argv[2], NULL, 0) / ntrace + 1;
		run_mixed(rounds);
		printf("%u\n", rounds * ntrace);
		return 0;
	}
	check_trace();
	for (r = 0; r < 5; r++) {
		t0 = now_s();
		run_mixed(rounds);
		t = now_s() - t0;
		if (!best || t < best)
			best = t;
	}
	printf("trace: %u flows x %u segments (handshake, %u data/ACK pairs, teardown), %u rounds\n",
	       FLOWS, SEGS_PER_FLOW, PAIRS, rounds);
	printf("fsm throughput: %.1f million segments/s (%.1f ns/segment, best of 5)\n",
	       (double)ntrace * rounds / best / 1e6, best * 1e9 / ((double)ntrace * rounds));
	return 0;
}
