// SPDX-License-Identifier: GPL-2.0
/*
 * tcpstate config [get] [-j] [-p] | config set KEY VALUE [KEY VALUE]...
 * | config keys [-j] [-p]: the settings of this namespace, and what each
 * one is. Keys are those of the module parameters that give new
 * namespaces their defaults (module/settings.h).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "out.h"
#include "nl.h"
#include "tcpstate.h"

#define USAGE "Usage: %s config [get] [-j] [-p]\n" \
	"       %s config set KEY VALUE [KEY VALUE]...\n" \
	"       %s config keys [-j] [-p]\n"

static const struct {
	int attr;
	const char *key;
	const char *help;
	unsigned long long def, min, max;
} keys[] = {
#define TCPSTATE_SETTING(field, d, name, a, lo, hi, limit, h) \
	{ TCPSTATE_A_CONFIG_##a, #name, h, d, lo, hi },
#include "../module/settings.h"
#undef TCPSTATE_SETTING
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

struct config {
	uint64_t v[NKEYS];
	bool have[NKEYS];
};

/* A key, with - or _ and with or without the _ms of a timeout. */
static int find_key(const char *s)
{
	char buf[64];
	size_t i, n;

	for (i = 0; s[i] && i + 1 < sizeof(buf); i++)
		buf[i] = s[i] == '-' ? '_' : s[i];
	buf[i] = '\0';
	for (i = 0; i < NKEYS; i++) {
		n = strlen(buf);
		if (!strcmp(buf, keys[i].key) ||
		    (!strncmp(buf, keys[i].key, n) &&
		     !strcmp(keys[i].key + n, "_ms")))
			return i;
	}
	return -1;
}

static int config_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[TCPSTATE_A_CONFIG_MAX + 1] = { NULL };
	struct config *cfg = data;
	size_t i;

	nl_parse(nlh, tb, TCPSTATE_A_CONFIG_MAX);
	for (i = 0; i < NKEYS; i++) {
		cfg->have[i] = tb[keys[i].attr];
		cfg->v[i] = nl_u64(tb[keys[i].attr]);
	}
	return MNL_CB_OK;
}

static int print_config(const struct config *cfg, bool json, bool pretty)
{
	struct ts_out *o = out_new(stdout, json, pretty);
	size_t i;

	if (!o)
		return -1;
	out_obj_begin(o, NULL);
	for (i = 0; i < NKEYS; i++) {
		if (!cfg->have[i])
			continue;
		if (out_is_json(o))
			out_u64(o, OUT_JSON, keys[i].key, NULL, cfg->v[i]);
		else
			printf("%-24s %" PRIu64 "\n", keys[i].key, cfg->v[i]);
	}
	if (out_is_json(o))
		out_obj_end(o);
	return out_free(o);
}

/* config keys: every key, its range, default and meaning. */
static int list_keys(bool json, bool pretty)
{
	struct ts_out *o = out_new(stdout, json, pretty);
	size_t i;

	if (!o)
		return EXIT_ERR;
	out_list_begin(o);
	for (i = 0; i < NKEYS; i++) {
		out_obj_begin(o, NULL);
		out_str(o, OUT_ANY, "key", "KEY", keys[i].key);
		out_u64(o, OUT_ANY, "min", "MIN", keys[i].min);
		out_u64(o, OUT_ANY, "max", "MAX", keys[i].max);
		out_u64(o, OUT_ANY, "default", "DEFAULT", keys[i].def);
		out_str(o, OUT_ANY, "help", "MEANING", keys[i].help);
		out_obj_end(o);
	}
	out_list_end(o);
	return out_free(o) ? EXIT_ERR : EXIT_OK;
}

static void print_keys(void)
{
	size_t i;

	fprintf(stderr, "keys:");
	for (i = 0; i < NKEYS; i++)
		fprintf(stderr, " %s", keys[i].key);
	fputc('\n', stderr);
}

/*
 * Put KEY VALUE pairs in the request (only check them when nlh is NULL):
 * 0 or EXIT_USAGE.
 */
static int put_settings(struct nlmsghdr *nlh, int argc, char *argv[])
{
	unsigned long long v;
	char *end;
	int i, k;

	if (argc == 0 || argc % 2) {
		fprintf(stderr, USAGE, prog, prog, prog);
		print_keys();
		return EXIT_USAGE;
	}
	for (i = 0; i < argc; i += 2) {
		k = find_key(argv[i]);
		if (k < 0) {
			fprintf(stderr, "%s: unknown config key '%s'\n", prog,
				argv[i]);
			print_keys();
			return EXIT_USAGE;
		}
		errno = 0;
		v = strtoull(argv[i + 1], &end, 10);
		if (!*argv[i + 1] || *end || errno || v > UINT32_MAX ||
		    argv[i + 1][0] == '-') {
			fprintf(stderr, "%s: %s: '%s' is not a number from 0 "
				"to 4294967295\n", prog, keys[k].key,
				argv[i + 1]);
			return EXIT_USAGE;
		}
		if (nlh)
			mnl_attr_put_u32(nlh, keys[k].attr, v);
	}
	return 0;
}

int cmd_config(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool json = false, pretty = false, set = false;
	struct config cfg;
	struct nlmsghdr *nlh;
	struct nl nl;
	int c, err;

	memset(&cfg, 0, sizeof(cfg));
	/* options anywhere: no value of config set starts with '-' */
	while ((c = getopt_long(argc, argv, "jph", opts, NULL)) != -1) {
		if (out_option(c, &json, &pretty))
			continue;
		fprintf(c == 'h' ? stdout : stderr, USAGE, prog, prog, prog);
		return c == 'h' ? EXIT_OK : EXIT_USAGE;
	}
	argc -= optind;
	argv += optind;
	if (argc == 1 && !strcmp(argv[0], "keys"))
		return list_keys(json, pretty);
	if (argc && !strcmp(argv[0], "set")) {
		set = true;
	} else if (argc && strcmp(argv[0], "get")) {
		fprintf(stderr, "%s: config: unknown action '%s'\n" USAGE,
			prog, argv[0], prog, prog, prog);
		return EXIT_USAGE;
	} else if (argc > 1) {
		fprintf(stderr, USAGE, prog, prog, prog);
		return EXIT_USAGE;
	}
	if (set) {
		err = put_settings(NULL, argc - 1, argv + 1);
		if (err)
			return err;
	}
	if (nl_open(&nl))
		return EXIT_ERR;
	nlh = nl_request(&nl, set ? TCPSTATE_CMD_CONFIG_SET :
			 TCPSTATE_CMD_CONFIG_GET, 0);
	if (set)
		put_settings(nlh, argc - 1, argv + 1);
	err = nl_talk(&nl, nlh, config_cb, &cfg);
	if (err) {
		nl_perror(&nl, set ? "config set" : "config", err);
		nl_close(&nl);
		return EXIT_ERR;
	}
	nl_close(&nl);
	return print_config(&cfg, json, pretty) ? EXIT_ERR : EXIT_OK;
}
