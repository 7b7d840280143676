// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup.c: cgroup v2 ids, as the module reports them, to and from paths.
 *
 * A cgroup's id is its kernfs node id, which name_to_handle_at() returns
 * as the handle of its directory (as systemd and bpftool find it). The
 * hierarchy is walked once, when an id or a path is first asked for.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "cgroup.h"
#include "tcpstate.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

struct cg {
	uint64_t id;
	char *path;		/* from the hierarchy's root: "/a/b", "/" */
};

static struct {
	struct cg *v;
	size_t n, size;
	bool walked;
	const char *root;	/* where the hierarchy is mounted, or NULL */
	size_t root_len;
} cgs;

/*
 * The cgroup v2 mount: /sys/fs/cgroup, or /sys/fs/cgroup/unified; as the
 * host's first process sees them where this one's /sys hides them (`ip
 * netns exec` mounts a sysfs of the namespace's own over /sys).
 */
static const char *cg_root(void)
{
	static const char * const roots[] = {
		"/sys/fs/cgroup", "/sys/fs/cgroup/unified",
		"/proc/1/root/sys/fs/cgroup",
		"/proc/1/root/sys/fs/cgroup/unified",
	};
	struct statfs sf;
	size_t i;

	for (i = 0; i < sizeof(roots) / sizeof(roots[0]); i++)
		if (!statfs(roots[i], &sf) && sf.f_type == CGROUP2_SUPER_MAGIC)
			return roots[i];
	return NULL;
}

/* The id of the cgroup whose directory is `dir`: 0 if none. */
static uint64_t cg_id_of(const char *dir)
{
	union {
		struct file_handle fh;
		char buf[sizeof(struct file_handle) + 64];
	} h;
	uint64_t id;
	int mnt;

	h.fh.handle_bytes = sizeof(h.buf) - sizeof(struct file_handle);
	if (name_to_handle_at(AT_FDCWD, dir, &h.fh, &mnt, 0) ||
	    h.fh.handle_bytes < sizeof(id))
		return 0;
	memcpy(&id, h.fh.f_handle, sizeof(id));
	return id;
}

static int cg_add(const char *fpath, const struct stat *sb, int type,
		  struct FTW *ftw)
{
	const char *rel = fpath + cgs.root_len;
	struct cg *v;

	(void)sb;
	(void)ftw;
	if (type != FTW_D)
		return 0;
	if (cgs.n == cgs.size) {
		cgs.size = cgs.size ? cgs.size * 2 : 64;
		v = realloc(cgs.v, cgs.size * sizeof(*v));
		if (!v)
			return -1;
		cgs.v = v;
	}
	cgs.v[cgs.n].id = cg_id_of(fpath);
	cgs.v[cgs.n].path = strdup(*rel ? rel : "/");
	if (!cgs.v[cgs.n].path)
		return -1;
	cgs.n++;
	return 0;
}

static void cg_walk(void)
{
	if (cgs.walked)
		return;
	cgs.walked = true;
	cgs.root = cg_root();
	if (!cgs.root)
		return;
	cgs.root_len = strlen(cgs.root);
	if (nftw(cgs.root, cg_add, 32, FTW_PHYS | FTW_MOUNT))
		fprintf(stderr, "%s: reading %s: %s; some cgroups show as "
			"ids\n", prog, cgs.root, strerror(errno ?: ENOMEM));
}

const char *ts_cgroup_path(uint64_t id)
{
	size_t i;

	cg_walk();
	for (i = 0; i < cgs.n; i++)
		if (cgs.v[i].id == id)
			return cgs.v[i].path;
	return NULL;
}

/* Is `path` `prefix` or below it ("/a" holds "/a" and "/a/b", not "/ab")? */
static bool cg_below(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	if (n == 1)		/* the root holds everything */
		return true;
	return !strncmp(path, prefix, n) && (!path[n] || path[n] == '/');
}

/* `path` without the leading directory `dir`, if it has it. */
static const char *cg_strip(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (!strncmp(path, dir, n) && (path[n] == '/' || !path[n]))
		return path + n;
	return path;
}

int ts_cgroup_subtree(const char *arg, struct ts_cgroup_set *set)
{
	char want[PATH_MAX];
	size_t i, n;
	uint64_t *v;

	cg_walk();
	if (!cgs.root) {
		fprintf(stderr, "%s: cgroup: no cgroup v2 hierarchy is "
			"mounted (/sys/fs/cgroup)\n", prog);
		return EXIT_ERR;
	}
	/* a path under the mount, or one from the hierarchy's root */
	arg = cg_strip(cg_strip(arg, cgs.root), "/sys/fs/cgroup");
	n = snprintf(want, sizeof(want), "%s%s", *arg == '/' ? "" : "/", arg);
	while (n > 1 && want[n - 1] == '/')
		want[--n] = '\0';
	set->n = 0;
	for (i = 0; i < cgs.n; i++) {
		if (!cg_below(cgs.v[i].path, want))
			continue;
		v = realloc(set->ids, (set->n + 1) * sizeof(*v));
		if (!v) {
			fprintf(stderr, "%s: %s\n", prog, strerror(ENOMEM));
			return EXIT_ERR;
		}
		set->ids = v;
		set->ids[set->n++] = cgs.v[i].id;
	}
	if (!set->n) {
		fprintf(stderr, "%s: cgroup: '%s' is not a cgroup under %s\n",
			prog, want, cgs.root);
		return EXIT_USAGE;
	}
	return 0;
}

bool ts_cgroup_in(const struct ts_cgroup_set *set, uint64_t id)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if (set->ids[i] == id)
			return true;
	return false;
}
