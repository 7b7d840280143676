/* SPDX-License-Identifier: GPL-2.0 */
/* The listener and destination tables in the Prometheus text format. */
#ifndef TCPSTATE_PROM_H
#define TCPSTATE_PROM_H

#include <stdbool.h>
#include <stdio.h>

#include "dump.h"

void ts_prom_listeners(FILE *f, const struct ts_listeners *ls);
void ts_prom_dests(FILE *f, const struct ts_dests *ds);

struct nl;

/*
 * stats.c: everything `stats --prometheus` prints for the namespace of
 * `nl` (the destination table too if `dests`); 0 or -errno, reported.
 */
int ts_prom_namespace(struct nl *nl, FILE *f, bool dests);

#endif
