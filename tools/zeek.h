/* SPDX-License-Identifier: GPL-2.0 */
/* Flows as Zeek's conn.log (zeek.c). */
#ifndef TCPSTATE_ZEEK_H
#define TCPSTATE_ZEEK_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

struct ts_flow;

/* The header, #open stamped `now`; #fields then #types. */
void ts_zeek_header(FILE *f, time_t now);
/*
 * One conn.log line: `start_ns` the flow's first segment in ns since the
 * epoch; local_orig and local_resp 1 (T), 0 (F) or -1 (unset).
 */
void ts_zeek_flow(FILE *f, const struct ts_flow *fl, uint64_t start_ns,
		  int local_orig, int local_resp);
void ts_zeek_close(FILE *f, time_t now);

#endif
