/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TCPSTATE_CGROUP_H
#define TCPSTATE_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The ids of a cgroup and every cgroup below it. */
struct ts_cgroup_set {
	uint64_t *ids;
	size_t n;
};

/* The path of a cgroup v2 id from the hierarchy's root ("/a/b"), or NULL. */
const char *ts_cgroup_path(uint64_t id);
/*
 * The cgroup PATH (from the hierarchy's root, or under its mount) and
 * those below it: 0, or an exit status after a message.
 */
int ts_cgroup_subtree(const char *path, struct ts_cgroup_set *set);
bool ts_cgroup_in(const struct ts_cgroup_set *set, uint64_t id);

#endif
