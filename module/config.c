// SPDX-License-Identifier: GPL-2.0
/*
 * config.c: the module's parameters. The host's own (the GC's period,
 * the bounds shared by the namespaces other than the initial one), and
 * the settings of a namespace (settings.h): the parameters that give new
 * namespaces their values, and the bounds every value is held to, at load
 * time and over netlink alike.
 */
#include <linux/kernel.h>
#include <linux/moduleparam.h>

#include "core.h"

unsigned int tcpstate_gc_interval_ms = 1000;
module_param_named(gc_interval_ms, tcpstate_gc_interval_ms, uint, 0444);
MODULE_PARM_DESC(gc_interval_ms, "Expiry scan period (ms, 10 to 60000, default 1000)");

struct tcpstate_shared tcpstate_shared = {
	.flows = ATOMIC_INIT(0),
	.listeners = ATOMIC_INIT(0),
	.dests = ATOMIC_INIT(0),
};

static unsigned int max_flows_shared = 1048576;
module_param(max_flows_shared, uint, 0444);
MODULE_PARM_DESC(max_flows_shared,
		 "Flows tracked in all namespaces but the initial one together (default 1048576)");

static unsigned int max_listeners_shared = 65536;
module_param(max_listeners_shared, uint, 0444);
/* ... and as many destinations */
MODULE_PARM_DESC(max_listeners_shared,
		 "Listeners kept in all namespaces but the initial one together (default 65536)");

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

/* A parameter within [min, max]. */
static int tcpstate_param_check(const char *name, u32 v, u32 min, u32 max)
{
	if (v >= min && v <= max)
		return 0;
	pr_err("%s=%u is out of range: %u to %u\n", name, v, min, max);
	return -EINVAL;
}

/* The module parameters, each within its bounds. */
int tcpstate_config_init(void)
{
	const struct tcpstate_setting *s;
	unsigned int i;

	for (i = 0; i < TCPSTATE_SETTINGS_NR; i++) {
		s = &tcpstate_settings[i];
		if (tcpstate_param_check(s->name,
					 *tcpstate_setting(&tcpstate_config_default,
							   s),
					 s->min, s->max))
			return -EINVAL;
	}
	tcpstate_shared.max_flows = max_flows_shared;
	tcpstate_shared.max_listeners = max_listeners_shared;
	if (tcpstate_param_check("max_flows_shared", max_flows_shared, 1,
				 INT_MAX) ||
	    tcpstate_param_check("max_listeners_shared", max_listeners_shared,
				 1, INT_MAX) ||
	    tcpstate_param_check("gc_interval_ms", tcpstate_gc_interval_ms,
				 TCPSTATE_GC_INTERVAL_MIN_MS,
				 TCPSTATE_GC_INTERVAL_MAX_MS))
		return -EINVAL;
	return 0;
}
