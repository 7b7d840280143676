/* SPDX-License-Identifier: GPL-2.0 */
/*
 * settings.h: the settings of a namespace, listed once, in the order the
 * CLI shows them. Each is
 *   TCPSTATE_SETTING(field, def, name, ATTR, min, max, limit, help)
 * field is its member of struct tcpstate_config; def its default; name
 * its key for the module parameter (the default of new namespaces), the
 * CLI and JSON; ATTR names the netlink attribute TCPSTATE_A_CONFIG_ATTR;
 * def, min and max are plain numbers, shown as written in messages; limit
 * is 1 for a bound on memory, which only the host's administrator may
 * raise; help describes it.
 *
 * A timeout of the state machine is TCPSTATE_TIMEOUT(field, def, name,
 * ATTR, help), field its member of struct tcpstate_timeouts. Unless the
 * includer defines TCPSTATE_TIMEOUT() itself, it is a setting of 1 ms to
 * 30 days.
 *
 * Whoever includes it defines TCPSTATE_SETTING() first, to take from each
 * line what it needs, and undefines it after; it is included once for
 * each use (no guard), by fsm.c and the tools too (only the preprocessor).
 */
#ifndef TCPSTATE_TIMEOUT
#define TCPSTATE_TIMEOUT(field, def, name, attr, help)			\
	TCPSTATE_SETTING(to.field, def, name, attr, 1, 2592000000, 0,	\
			 help " (ms)")
#endif

TCPSTATE_TIMEOUT(syn_sent, 120000, timeout_syn_sent_ms, TIMEOUT_SYN_SENT,
		 "SYN or one-way traffic not answered")
TCPSTATE_TIMEOUT(syn_recv, 60000, timeout_syn_recv_ms, TIMEOUT_SYN_RECV,
		 "SYN-ACK sent, handshake not completed")
TCPSTATE_TIMEOUT(established, 432000000, timeout_established_ms,
		 TIMEOUT_ESTABLISHED, "Idle established flow")
TCPSTATE_TIMEOUT(fin_wait, 120000, timeout_fin_wait_ms, TIMEOUT_FIN_WAIT,
		 "FIN_WAIT_1/2, CLOSING, LAST_ACK idle")
TCPSTATE_TIMEOUT(close_wait, 60000, timeout_close_wait_ms, TIMEOUT_CLOSE_WAIT,
		 "Half-closed flow idle")
TCPSTATE_TIMEOUT(time_wait, 60000, timeout_time_wait_ms, TIMEOUT_TIME_WAIT,
		 "TIME_WAIT, 2*MSL")
TCPSTATE_TIMEOUT(closed, 10000, timeout_closed_ms, TIMEOUT_CLOSED,
		 "Linger of an ended flow")
TCPSTATE_SETTING(max_flows, 262144, max_flows, MAX_FLOWS, 1, 16777216, 1,
		 "Flows tracked per namespace")
TCPSTATE_SETTING(max_listeners, 4096, max_listeners, MAX_LISTENERS, 1,
		 1048576, 1, "Listeners kept per namespace")
TCPSTATE_SETTING(flood_syn_rate, 1000, flood_syn_rate, FLOOD_SYN_RATE, 0,
		 16777216, 0,
		 "SYNs per second to one listener that raise its flood flag (0: off)")
TCPSTATE_SETTING(flood_half_open, 512, flood_half_open, FLOOD_HALF_OPEN, 0,
		 16777216, 0,
		 "Half-open handshakes at one listener that raise its flood flag (0: off)")
TCPSTATE_SETTING(stuck_ms[TCPSTATE_STUCK_SYN_RECV], 30000, stuck_syn_recv_ms,
		 STUCK_SYN_RECV, 0, 2592000000, 0,
		 "A server in SYN_RECEIVED this long is stuck (ms, 0: off)")
TCPSTATE_SETTING(stuck_ms[TCPSTATE_STUCK_CLOSE_WAIT], 30000,
		 stuck_close_wait_ms, STUCK_CLOSE_WAIT, 0, 2592000000, 0,
		 "An endpoint in CLOSE_WAIT this long is stuck (ms, 0: off)")
TCPSTATE_SETTING(stuck_ms[TCPSTATE_STUCK_FIN_WAIT_2], 60000,
		 stuck_fin_wait_2_ms, STUCK_FIN_WAIT_2, 0, 2592000000, 0,
		 "In FIN_WAIT_2 this long after its FIN: stuck (ms, 0: off)")
TCPSTATE_SETTING(stuck_ms[TCPSTATE_STUCK_LAST_ACK], 30000, stuck_last_ack_ms,
		 STUCK_LAST_ACK, 0, 2592000000, 0,
		 "In LAST_ACK this long after its FIN: stuck (ms, 0: off)")
TCPSTATE_SETTING(max_destinations, 4096, max_destinations, MAX_DESTINATIONS,
		 1, 1048576, 1, "Remote destinations kept per namespace")
TCPSTATE_SETTING(port_pressure_pct, 50, port_pressure_pct, PORT_PRESSURE_PCT,
		 0, 100, 0,
		 "Ephemeral ports one destination may hold, in %, before its warning (0: off)")

#undef TCPSTATE_TIMEOUT
