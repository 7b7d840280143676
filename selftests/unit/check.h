/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TCPSTATE_UNIT_CHECK_H
#define TCPSTATE_UNIT_CHECK_H

#include "../../module/fsm.h"

void unit_build_allowed(void);
int unit_allowed(unsigned int from, unsigned int to);
const char *unit_check(const struct tcpstate_fsm *fsm,
		       const struct tcpstate_fsm *before,
		       const struct tcpstate_result *res);

#endif
