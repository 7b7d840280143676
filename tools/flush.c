// SPDX-License-Identifier: GPL-2.0
/*
 * tcpstate flush [-j]: end and forget every flow of this namespace.
 */
#include <getopt.h>
#include <inttypes.h>
#include <string.h>

#include "flow.h"
#include "nl.h"
#include "tcpstate.h"

static int flush_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[TCPSTATE_A_FLUSH_MAX + 1] = { NULL };

	nl_parse(nlh, tb, TCPSTATE_A_FLUSH_MAX);
	*(uint64_t *)data = nl_u64(tb[TCPSTATE_A_FLUSH_FLOWS]);
	return MNL_CB_OK;
}

int cmd_flush(int argc, char *argv[])
{
	bool json = false, pretty = false;
	uint64_t flows = 0;
	struct ts_out *o;
	struct nl nl;
	int c, err;

	while ((c = getopt(argc, argv, "jph")) != -1) {
		if (out_option(c, &json, &pretty))
			continue;
		fprintf(c == 'h' ? stdout : stderr,
			"Usage: %s flush [-j] [-p]\n", prog);
		return c == 'h' ? EXIT_OK : EXIT_USAGE;
	}
	if (optind != argc) {
		fprintf(stderr, "Usage: %s flush [-j] [-p]\n", prog);
		return EXIT_USAGE;
	}
	if (nl_open(&nl))
		return EXIT_ERR;
	err = nl_talk(&nl, nl_request(&nl, TCPSTATE_CMD_FLUSH, 0), flush_cb,
		      &flows);
	if (err) {
		nl_perror(&nl, "flush", err);
		nl_close(&nl);
		return EXIT_ERR;
	}
	nl_close(&nl);
	o = out_new(stdout, json, pretty);
	if (!o)
		return EXIT_ERR;
	if (out_is_json(o)) {
		out_obj_begin(o, NULL);
		out_u64(o, OUT_JSON, "flushed", NULL, flows);
		out_obj_end(o);
	} else {
		printf("flushed %" PRIu64 " flows\n", flows);
	}
	return out_free(o) ? EXIT_ERR : EXIT_OK;
}
