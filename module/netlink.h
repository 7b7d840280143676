/* SPDX-License-Identifier: GPL-2.0 */
/*
 * netlink.h: the generic netlink family "tcpstate" (spec/tcpstate.yaml).
 */
#ifndef _TCPSTATE_NETLINK_H
#define _TCPSTATE_NETLINK_H

int tcpstate_nl_init(void);
void tcpstate_nl_uninit(void);

#endif /* _TCPSTATE_NETLINK_H */
