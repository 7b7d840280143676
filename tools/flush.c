// SPDX-License-Identifier: GPL-2.0
/*
 * tcpstate flush [-j]: end and forget every flow of this namespace.
 */
#include <inttypes.h>
#include <string.h>

#include "out.h"
#include "nl.h"
#include "tcpstate.h"

static int flush_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[TCPSTATE_A_FLUSH_MAX + 1] = { NULL };

	nl_parse(nlh, tb, TCPSTATE_A_FLUSH_MAX);
	*(uint64_t *)data = nl_u64(tb[TCPSTATE_A_FLUSH_FLOWS]);
	return MNL_CB_OK;
}

static int flush_talk(struct nl *nl, void *flows)
{
	return nl_talk(nl, nl_request(nl, TCPSTATE_CMD_FLUSH, 0), flush_cb,
		       flows);
}

int cmd_flush(int argc, char *argv[])
{
	bool json = false, pretty = false;
	uint64_t flows = 0;
	struct ts_out *o;
	int rc;

	rc = ts_out_options(argc, argv, "Usage: %s flush [-j] [-p]\n", &json,
			    &pretty);
	if (rc >= 0)
		return rc;
	if (nl_session("flush", flush_talk, &flows))
		return EXIT_ERR;
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
