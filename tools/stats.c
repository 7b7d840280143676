// SPDX-License-Identifier: GPL-2.0
/*
 * tcpstate stats [-j]: the module's counters for this namespace.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tcpstate.h"

int cmd_stats(int argc, char *argv[])
{
	char name[64];
	unsigned long long value;
	int json = 0, first = 1;
	FILE *f;

	if (argc == 2 && !strcmp(argv[1], "-j")) {
		json = 1;
	} else if (argc != 1) {
		fprintf(stderr, "Usage: %s stats [-j]\n", prog);
		return EXIT_USAGE;
	}
	if (module_missing())
		return EXIT_ERR;

	f = fopen(PROC_DIR "/stats", "r");
	if (!f) {
		fprintf(stderr, "%s: %s/stats: %s\n", prog, PROC_DIR,
			strerror(errno));
		return EXIT_ERR;
	}
	if (json)
		putchar('{');
	while (fscanf(f, "%63s %llu", name, &value) == 2) {
		if (json)
			printf("%s\"%s\":%llu", first ? "" : ",", name, value);
		else
			printf("%-24s %llu\n", name, value);
		first = 0;
	}
	if (json)
		puts("}");
	fclose(f);
	return EXIT_OK;
}
