// SPDX-License-Identifier: GPL-2.0
/*
 * One printing path, two renderings. The same calls either write JSON
 * (compact, or pretty with -p) or collect the cells of an aligned text
 * table that is written when the list ends, once every width is known.
 * A call names the views it is for: OUT_JSON values are keyed, OUT_TEXT
 * values are cells of the column `col`; a value may be both, or either
 * (an address:port cell beside separate address and port keys).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "out.h"

#define OUT_DEPTH	16

struct ts_col {
	char *name;
	bool right;		/* numbers are right-aligned */
	size_t width;
};

struct ts_out {
	FILE *f;
	bool json;
	bool pretty;
	bool nomem;
	int depth;
	bool first[OUT_DEPTH];	/* nothing written yet at this depth */

	/* text table: columns from the first row, then rows of cells */
	struct ts_col *cols;
	size_t ncols;
	char **cells;
	size_t ncells, cells_size;
	size_t rows;
	size_t col;		/* next cell of the current row */

	/* a text cell being built from the elements of an array */
	bool in_array;
	char *acc;
	size_t acc_len;
};

static void *grow(struct ts_out *o, void *p, size_t *size, size_t elem)
{
	size_t n = *size ? *size * 2 : 16;
	void *q = realloc(p, n * elem);

	if (!q) {
		o->nomem = true;
		return NULL;
	}
	*size = n;
	return q;
}

/* ---- JSON ---- */

/* Length of a valid UTF-8 sequence (RFC 3629) at p, else 0. */
static size_t utf8_len(const unsigned char *p)
{
	size_t n, i;
	uint32_t c;

	if (p[0] < 0xc2 || p[0] > 0xf4)
		return 0;
	n = p[0] >= 0xf0 ? 4 : p[0] >= 0xe0 ? 3 : 2;
	c = p[0] & (0x3f >> (n - 1));
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)	/* stops at the NUL too */
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000) ||
	    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	return n;
}

static void json_string(FILE *f, const char *s)
{
	const unsigned char *p;
	size_t n;

	putc('"', f);
	for (p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			n = *p >= 0x80 ? utf8_len(p) : 0;
			if (n) {
				fwrite(p, 1, n, f);
				p += n - 1;
			} else if (*p < 0x20 || *p >= 0x7f) {
				/* not UTF-8: as Latin-1, still valid JSON */
				fprintf(f, "\\u%04x", *p);
			} else {
				putc(*p, f);
			}
		}
	}
	putc('"', f);
}

static void json_indent(struct ts_out *o)
{
	int i;

	putc('\n', o->f);
	for (i = 0; i < o->depth; i++)
		fputs("  ", o->f);
}

/* Separator, indentation and key before a value. */
static void json_key(struct ts_out *o, const char *key)
{
	if (!o->first[o->depth])
		putc(',', o->f);
	o->first[o->depth] = false;
	if (o->pretty && o->depth)
		json_indent(o);
	if (key) {
		json_string(o->f, key);
		fputs(o->pretty ? ": " : ":", o->f);
	}
}

static void json_open(struct ts_out *o, const char *key, char c)
{
	json_key(o, key);
	putc(c, o->f);
	if (o->depth < OUT_DEPTH - 1)
		o->depth++;
	o->first[o->depth] = true;
}

static void json_close(struct ts_out *o, char c)
{
	bool empty = o->first[o->depth];

	if (o->depth)
		o->depth--;
	if (o->pretty && !empty)
		json_indent(o);
	putc(c, o->f);
	if (!o->depth)
		putc('\n', o->f);
}

/* ---- text ---- */

static bool text_wants(const struct ts_out *o, int where, const char *col)
{
	return !o->json && (where & OUT_TEXT) && (col || o->in_array);
}

static void text_append(struct ts_out *o, const char *s)
{
	size_t n = strlen(s), sep = o->acc_len ? 1 : 0;
	char *p = realloc(o->acc, o->acc_len + sep + n + 1);

	if (!p) {
		o->nomem = true;
		return;
	}
	if (sep)
		p[o->acc_len] = ',';
	memcpy(p + o->acc_len + sep, s, n + 1);
	o->acc = p;
	o->acc_len += sep + n;
}

static bool text_column(struct ts_out *o, const char *col, bool right)
{
	struct ts_col *c;

	if (o->rows)
		return o->col < o->ncols;	/* rows have the first's columns */
	c = realloc(o->cols, (o->ncols + 1) * sizeof(*c));
	if (!c) {
		o->nomem = true;
		return false;
	}
	o->cols = c;
	c += o->ncols;
	c->name = strdup(col);
	c->right = right;
	c->width = c->name ? strlen(c->name) : 0;
	if (!c->name)
		o->nomem = true;
	o->ncols++;
	return true;
}

static void text_cell(struct ts_out *o, const char *col, const char *s,
		      bool right)
{
	char *cell;

	if (o->in_array) {
		text_append(o, s);
		return;
	}
	if (!text_column(o, col, right))
		return;
	if (o->ncells == o->cells_size) {
		char **p = grow(o, o->cells, &o->cells_size, sizeof(*p));

		if (!p)
			return;
		o->cells = p;
	}
	cell = strdup(*s ? s : "-");	/* no empty cells: columns stay columns */
	if (!cell) {
		o->nomem = true;
		return;
	}
	if (strlen(cell) > o->cols[o->col].width)
		o->cols[o->col].width = strlen(cell);
	o->cells[o->ncells++] = cell;
	o->col++;
}

static void text_row(struct ts_out *o, char * const *cells)
{
	const struct ts_col *c;
	size_t i;
	int w;

	for (i = 0; i < o->ncols; i++) {
		c = &o->cols[i];
		w = (int)c->width;
		if (i + 1 == o->ncols && !c->right)
			w = 0;		/* no trailing blanks */
		fprintf(o->f, "%s%*s", i ? "  " : "", c->right ? w : -w,
			cells[i]);
	}
	putc('\n', o->f);
}

static void text_flush(struct ts_out *o)
{
	char **names;
	size_t i;

	if (!o->ncols)
		return;
	names = calloc(o->ncols, sizeof(*names));
	if (!names) {
		o->nomem = true;
		return;
	}
	for (i = 0; i < o->ncols; i++)
		names[i] = o->cols[i].name;
	text_row(o, names);
	free(names);
	for (i = 0; i + o->ncols <= o->ncells; i += o->ncols)
		text_row(o, o->cells + i);
}

static void text_clear(struct ts_out *o)
{
	size_t i;

	for (i = 0; i < o->ncells; i++)
		free(o->cells[i]);
	o->ncells = 0;
	o->rows = 0;
	o->col = 0;
}

/* ---- the writer ---- */

/* -j (JSON) and -p (pretty JSON), which every listing takes: was c one? */
bool out_option(int c, bool *json, bool *pretty)
{
	if (c == 'j')
		*json = true;
	else if (c == 'p')
		*pretty = true;
	else
		return false;
	return true;
}

struct ts_out *out_new(FILE *f, bool json, bool pretty)
{
	struct ts_out *o = calloc(1, sizeof(*o));

	if (!o)
		return NULL;
	o->f = f;
	o->json = json || pretty;
	o->pretty = pretty;
	o->first[0] = true;
	return o;
}

/* Frees the writer; -1 if any output was lost (no memory, write error). */
int out_free(struct ts_out *o)
{
	size_t i;
	int ret;

	ret = o->nomem || fflush(o->f) || ferror(o->f) ? -1 : 0;
	text_clear(o);
	for (i = 0; i < o->ncols; i++)
		free(o->cols[i].name);
	free(o->cols);
	free(o->cells);
	free(o->acc);
	free(o);
	return ret;
}

bool out_is_json(const struct ts_out *o)
{
	return o->json;
}

void out_list_begin(struct ts_out *o)
{
	if (o->json)
		json_open(o, NULL, '[');
}

void out_list_end(struct ts_out *o)
{
	if (o->json)
		json_close(o, ']');
	else
		text_flush(o);
}

/* A JSON object; in text, a row of the table. */
void out_obj_begin(struct ts_out *o, const char *key)
{
	if (o->json)
		json_open(o, key, '{');
	else
		o->col = 0;
}

void out_obj_end(struct ts_out *o)
{
	if (o->json) {
		json_close(o, '}');
		return;
	}
	/* a short row (a bug in the caller) is padded, never misaligned */
	while (o->rows && o->col < o->ncols && !o->nomem)
		text_cell(o, NULL, "-", false);
	o->rows++;
}

/* Leave the columns, forget the rows: a header for an empty table. */
void out_drop_rows(struct ts_out *o)
{
	if (!o->json)
		text_clear(o);
}

/* A JSON array; in text, its elements joined by commas in one cell. */
void out_array_begin(struct ts_out *o, int where, const char *key,
		     const char *col)
{
	if (o->json && (where & OUT_JSON)) {
		json_open(o, key, '[');
	} else if (text_wants(o, where, col)) {
		o->acc_len = 0;
		if (o->acc)
			o->acc[0] = '\0';
		o->in_array = true;
	}
}

void out_array_end(struct ts_out *o, int where, const char *col)
{
	if (o->json && (where & OUT_JSON)) {
		json_close(o, ']');
	} else if (!o->json && o->in_array) {
		o->in_array = false;
		text_cell(o, col, o->acc_len ? o->acc : "", false);
	}
}

void out_str(struct ts_out *o, int where, const char *key, const char *col,
	     const char *val)
{
	if (o->json && (where & OUT_JSON)) {
		json_key(o, key);
		json_string(o->f, val);
	} else if (text_wants(o, where, col)) {
		text_cell(o, col, val, false);
	}
}

void out_u64(struct ts_out *o, int where, const char *key, const char *col,
	     uint64_t val)
{
	char buf[24];

	if (o->json && (where & OUT_JSON)) {
		json_key(o, key);
		fprintf(o->f, "%" PRIu64, val);
	} else if (text_wants(o, where, col)) {
		snprintf(buf, sizeof(buf), "%" PRIu64, val);
		text_cell(o, col, buf, true);
	}
}

void out_bool(struct ts_out *o, int where, const char *key, const char *col,
	      bool val)
{
	if (o->json && (where & OUT_JSON)) {
		json_key(o, key);
		fputs(val ? "true" : "false", o->f);
	} else if (text_wants(o, where, col)) {
		text_cell(o, col, val ? "yes" : "no", false);
	}
}

void out_null(struct ts_out *o, int where, const char *key, const char *col)
{
	if (o->json && (where & OUT_JSON)) {
		json_key(o, key);
		fputs("null", o->f);
	} else if (text_wants(o, where, col)) {
		text_cell(o, col, "-", true);
	}
}
