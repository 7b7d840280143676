// SPDX-License-Identifier: GPL-2.0
/*
 * tcpstate: ask the tcpstate module what the TCP connections are doing.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tcpstate.h"

const char *prog = "tcpstate";

static const struct {
	const char *name;
	int (*fn)(int argc, char *argv[]);
	const char *help;
} commands[] = {
	{ "stats", cmd_stats, "segment and flow counters of this namespace" },
};

static int usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: %s COMMAND [ARGS...]\n\nCommands:\n", prog);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
	return f == stdout ? EXIT_OK : EXIT_USAGE;
}

/* Say plainly when the module is not there, rather than ENOENT. */
int module_missing(void)
{
	if (access(PROC_DIR, F_OK) == 0)
		return 0;
	fprintf(stderr, "%s: tcpstate module is not loaded: run "
		"'insmod module/tcpstate.ko' (or 'modprobe tcpstate')\n", prog);
	return 1;
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
