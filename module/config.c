// SPDX-License-Identifier: GPL-2.0
/*
 * config.c: the settings of a namespace (settings.h), the module
 * parameters that give new namespaces their values, and the bounds every
 * value is held to, at load time and over netlink alike.
 */
#include <linux/kernel.h>
#include <linux/moduleparam.h>

#include "core.h"

/* New namespaces' settings; each is also its module parameter. */
struct tcpstate_config tcpstate_config_default __read_mostly = {
#define TCPSTATE_SETTING(field, def, ...)	.field = def,
#include "settings.h"
#undef TCPSTATE_SETTING
};

#define TCPSTATE_SETTING(field, def, name, attr, min, max, limit, help)	\
	module_param_named(name, tcpstate_config_default.field, uint, 0444); \
	MODULE_PARM_DESC(name, help " (" #min " to " #max ", default " #def ")");
#include "settings.h"
#undef TCPSTATE_SETTING

const struct tcpstate_setting tcpstate_settings[] = {
#define TCPSTATE_SETTING(field, def, n, a, lo, hi, lim, help) {		\
	.name = #n,							\
	.range = #n " is out of range: " #lo " to " #hi,		\
	.attr = TCPSTATE_A_CONFIG_##a,					\
	.offset = offsetof(struct tcpstate_config, field),		\
	.min = lo,							\
	.max = hi,							\
	.limit = lim,							\
},
#include "settings.h"
#undef TCPSTATE_SETTING
};

static_assert(ARRAY_SIZE(tcpstate_settings) == TCPSTATE_SETTINGS_NR);

/* The module parameters, each within its bounds. */
int tcpstate_config_init(void)
{
	const struct tcpstate_setting *s;
	unsigned int i;
	u32 v;

	for (i = 0; i < TCPSTATE_SETTINGS_NR; i++) {
		s = &tcpstate_settings[i];
		v = *tcpstate_setting(&tcpstate_config_default, s);
		if (v < s->min || v > s->max) {
			pr_err("%s=%u is out of range: %u to %u\n", s->name, v,
			       s->min, s->max);
			return -EINVAL;
		}
	}
	return 0;
}
