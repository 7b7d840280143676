// SPDX-License-Identifier: GPL-2.0
/*
 * tcpstate: ask the tcpstate module what the TCP connections are doing.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "out.h"
#include "tcpstate.h"

const char *prog = "tcpstate";

int ts_out_options(int argc, char *argv[], const char *usage, bool *json,
		   bool *pretty)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "jph", opts, NULL)) != -1) {
		if (out_option(c, json, pretty))
			continue;
		fprintf(c == 'h' ? stdout : stderr, usage, prog);
		return c == 'h' ? EXIT_OK : EXIT_USAGE;
	}
	if (optind != argc) {
		fprintf(stderr, usage, prog);
		return EXIT_USAGE;
	}
	return -1;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char *argv[]);
	const char *help;
} commands[] = {
	{ "stats", cmd_stats, "segment and flow counters of this namespace" },
	{ "flows", cmd_flows, "the flows of this namespace (filters as in ss)" },
	{ "show", cmd_flows, "the same as flows" },
	{ "listeners", cmd_listeners, "half-open queues and handshakes per listener" },
	{ "destinations", cmd_destinations, "remote destinations by ephemeral ports held" },
	{ "health", cmd_health, "what is wrong now: floods, full queues, stuck, ports" },
	{ "monitor", cmd_monitor, "state transitions and ended flows, live" },
	{ "config", cmd_config, "show or change this namespace's settings" },
	{ "flush", cmd_flush, "end and forget every flow of this namespace" },
	{ "replay", cmd_replay, "run the state machine over a pcap capture" },
	{ "exporter", cmd_exporter, "serve the Prometheus metrics over HTTP, or to a file" },
};

static int usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: %s COMMAND [ARGS...]\n\nCommands:\n", prog);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
	return f == stdout ? EXIT_OK : EXIT_USAGE;
}

int main(int argc, char *argv[])
{
	size_t i;

	if (argc < 2)
		return usage(stderr);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help"))
		return usage(stdout);

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);

	fprintf(stderr, "%s: unknown command '%s'\n", prog, argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
