/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TCPSTATE_TOOL_H
#define TCPSTATE_TOOL_H

#define PROC_DIR "/proc/net/tcpstate"

/* Exit status: 0 success, 1 error, 2 usage. */
enum { EXIT_OK = 0, EXIT_ERR = 1, EXIT_USAGE = 2 };

extern const char *prog;

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

struct ts_flow;
struct nlattr;
/* flows.c: a flow from its netlink attributes; a state name, or -1. */
void ts_flow_from_attrs(struct ts_flow *f, const struct nlattr **tb);
int ts_parse_state(const char *s);

#endif
