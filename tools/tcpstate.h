/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TCPSTATE_TOOL_H
#define TCPSTATE_TOOL_H

#include <stdbool.h>

#define PROC_DIR "/proc/net/tcpstate"

/* Exit status: 0 success, 1 error, 2 usage. */
enum { EXIT_OK = 0, EXIT_ERR = 1, EXIT_USAGE = 2 };

extern const char *prog;

/*
 * The options of a command that takes -j, -p and -h (or --json, --pretty,
 * --help) and no argument: -1 to go on, else the exit status, once the
 * usage (a format of one %s, the program) went to stdout for -h, to
 * stderr for anything else.
 */
int ts_out_options(int argc, char *argv[], const char *usage, bool *json,
		   bool *pretty);

int cmd_stats(int argc, char *argv[]);
int cmd_flows(int argc, char *argv[]);
int cmd_listeners(int argc, char *argv[]);
int cmd_destinations(int argc, char *argv[]);
int cmd_health(int argc, char *argv[]);
int cmd_exporter(int argc, char *argv[]);
int cmd_monitor(int argc, char *argv[]);
int cmd_config(int argc, char *argv[]);
int cmd_flush(int argc, char *argv[]);
int cmd_replay(int argc, char *argv[]);

#endif
