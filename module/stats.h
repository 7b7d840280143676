/* SPDX-License-Identifier: GPL-2.0 */
/* Generated from spec/tcpstate.yaml by scripts/stats-gen.py: make uapi */
/*
 * stats.h: the counters of a namespace, listed once (every u64 attribute
 * of the spec's stats set, in its order: procfs and the CLI show them so).
 * Each is TCPSTATE_STAT(ID, name, help): ID names the module's
 * TCPSTATE_STAT_ID and the netlink attribute TCPSTATE_A_STATS_ID; name is
 * the counter's name in procfs, in the CLI and in Prometheus
 * (tcpstate_<name>_total); help is the attribute's doc, Prometheus's HELP
 * text. Whoever includes it defines TCPSTATE_STAT() first, to take from
 * each line what it needs; it is included once for each use (no guard),
 * by the tools too (only the preprocessor).
 */
TCPSTATE_STAT(SEGMENTS, "segments",
	      "TCP segments seen, once each (a GSO/GRO skb counts as its segments)")
TCPSTATE_STAT(SEGMENTS_IN, "segments_in",
	      "TCP segments arriving (local or forwarded)")
TCPSTATE_STAT(SEGMENTS_OUT, "segments_out",
	      "TCP segments sent by this host")
TCPSTATE_STAT(SEGMENTS_IPV4, "segments_ipv4",
	      "TCP segments over IPv4")
TCPSTATE_STAT(SEGMENTS_IPV6, "segments_ipv6",
	      "TCP segments over IPv6")
TCPSTATE_STAT(SKBS, "skbs",
	      "skbs carrying TCP segments")
TCPSTATE_STAT(GSO_SKBS, "gso_skbs",
	      "GSO/GRO skbs carrying TCP segments")
TCPSTATE_STAT(RSTS_IN, "rsts_in",
	      "Segments with RST arriving")
TCPSTATE_STAT(RSTS_OUT, "rsts_out",
	      "Segments with RST sent by this host")
TCPSTATE_STAT(FRAGMENTS, "fragments",
	      "IP fragments of TCP, first or not, counted and not tracked")
TCPSTATE_STAT(MALFORMED, "malformed",
	      "Truncated or invalid TCP headers")
TCPSTATE_STAT(NO_FLOW, "no_flow",
	      "RST or odd segments matching no flow")
TCPSTATE_STAT(INVALID, "invalid",
	      "Segments the state machine refused")
TCPSTATE_STAT(RST_OUT_OF_WINDOW, "rst_out_of_window",
	      "RSTs outside the window (RFC 5961)")
TCPSTATE_STAT(RETRANSMISSIONS, "retransmissions",
	      "SYN, SYN-ACK, data or FIN sent again")
TCPSTATE_STAT(KEEPALIVES, "keepalives",
	      "Keepalive probes seen")
TCPSTATE_STAT(HANDSHAKES, "handshakes",
	      "Three-way handshakes completed")
TCPSTATE_STAT(FLOWS_CREATED, "flows_created",
	      "Flows created")
TCPSTATE_STAT(FLOWS_MIDSTREAM, "flows_midstream",
	      "Flows picked up without a SYN")
TCPSTATE_STAT(FLOWS_ENDED, "flows_ended",
	      "Connections over (FIN, RST, timeout, ...)")
TCPSTATE_STAT(FLOWS_REUSED, "flows_reused",
	      "New incarnations of a 4-tuple")
TCPSTATE_STAT(TIME_WAIT_REUSED, "time_wait_reused",
	      "New incarnations that replaced a TIME_WAIT")
TCPSTATE_STAT(FLOWS_EXPIRED, "flows_expired",
	      "Flows freed by timeout")
TCPSTATE_STAT(FLOWS_EVICTED, "flows_evicted",
	      "Flows freed to make room")
TCPSTATE_STAT(FLOWS_FLUSHED, "flows_flushed",
	      "Flows flushed by the administrator")
TCPSTATE_STAT(FLOWS_NOT_TRACKED, "flows_not_tracked",
	      "Flows not tracked, for want of room or memory")
TCPSTATE_STAT(TABLE_FULL, "table_full",
	      "Times max_flows was reached with nothing to evict")
TCPSTATE_STAT(ALLOC_FAILED, "alloc_failed",
	      "Allocations of a flow or a destination that failed")
TCPSTATE_STAT(LISTENER_OVERFLOW, "listener_overflow",
	      "Listeners aggregated on the overflow entry, the listener table full")
TCPSTATE_STAT(EVENTS_DROPPED, "events_dropped",
	      "Event messages that could not be built or delivered")
TCPSTATE_STAT(BAD_OPTIONS, "bad_options",
	      "SYNs and SYN-ACKs whose TCP options have a bad length")
TCPSTATE_STAT(BAD_CHECKSUM, "bad_checksum",
	      "Segments arriving with a bad TCP checksum, not tracked")
TCPSTATE_STAT(STUCK_SYN_RECV, "stuck_syn_recv",
	      "Servers found stuck in SYN_RECEIVED (stuck_syn_recv_ms)")
TCPSTATE_STAT(STUCK_CLOSE_WAIT, "stuck_close_wait",
	      "Endpoints found stuck in CLOSE_WAIT (stuck_close_wait_ms)")
TCPSTATE_STAT(STUCK_FIN_WAIT_2, "stuck_fin_wait_2",
	      "Endpoints found stuck in FIN_WAIT_2 (stuck_fin_wait_2_ms)")
TCPSTATE_STAT(STUCK_LAST_ACK, "stuck_last_ack",
	      "Endpoints found stuck in LAST_ACK (stuck_last_ack_ms)")
TCPSTATE_STAT(PORT_PRESSURE, "port_pressure",
	      "Times a destination's port-pressure warning rose")
TCPSTATE_STAT(DESTINATION_OVERFLOW, "destination_overflow",
	      "Flows counted on the overflow destination, the table full")
