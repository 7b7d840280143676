/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TCPSTATE_OUT_H
#define TCPSTATE_OUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/*
 * out.c: a small writer whose calls produce either an aligned text table
 * or JSON, in the manner of iproute2's json_print. A value goes to the
 * views its `where` names; text cells are columns headed by `col`.
 */
enum {
	OUT_TEXT = 1,
	OUT_JSON = 2,
	OUT_ANY = OUT_TEXT | OUT_JSON,
};

struct ts_out;

struct ts_out *out_new(FILE *f, bool json, bool pretty);
bool out_option(int c, bool *json, bool *pretty);
int out_free(struct ts_out *o);
bool out_is_json(const struct ts_out *o);
void out_list_begin(struct ts_out *o);
void out_list_end(struct ts_out *o);
void out_obj_begin(struct ts_out *o, const char *key);
void out_obj_end(struct ts_out *o);
void out_array_begin(struct ts_out *o, int where, const char *key,
		     const char *col);
void out_array_end(struct ts_out *o, int where, const char *col);
void out_str(struct ts_out *o, int where, const char *key, const char *col,
	     const char *val);
void out_u64(struct ts_out *o, int where, const char *key, const char *col,
	     uint64_t val);
void out_bool(struct ts_out *o, int where, const char *key, const char *col,
	      bool val);
void out_null(struct ts_out *o, int where, const char *key, const char *col);
void out_drop_rows(struct ts_out *o);

#endif
