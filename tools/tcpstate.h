/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TCPSTATE_TOOL_H
#define TCPSTATE_TOOL_H

#define PROC_DIR "/proc/net/tcpstate"

/* Exit status: 0 success, 1 error, 2 usage. */
enum { EXIT_OK = 0, EXIT_ERR = 1, EXIT_USAGE = 2 };

extern const char *prog;

int cmd_stats(int argc, char *argv[]);
int module_missing(void);

#endif
