// SPDX-License-Identifier: GPL-2.0
/*
 * The tcpstate family over libmnl: resolving it (and saying plainly when
 * the module is not loaded), requests, dumps, extended ACK messages, and
 * the events group.
 */
#include <errno.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nl.h"
#include "tcpstate.h"

/* Large enough for any dump message the kernel sends. */
#define NL_BUF_SIZE	(64 * 1024)

struct nl_family {
	struct nl *nl;
	bool found;
};

static int nl_group_cb(const struct nlattr *grp, struct nl *nl)
{
	const struct nlattr *tb[CTRL_ATTR_MCAST_GRP_MAX + 1] = { NULL };

	if (nl_parse_nested(grp, tb, CTRL_ATTR_MCAST_GRP_MAX) < 0)
		return MNL_CB_ERROR;
	if (tb[CTRL_ATTR_MCAST_GRP_NAME] && tb[CTRL_ATTR_MCAST_GRP_ID] &&
	    !strcmp(mnl_attr_get_str(tb[CTRL_ATTR_MCAST_GRP_NAME]),
		    TCPSTATE_MCGRP_EVENTS))
		nl->events_group = mnl_attr_get_u32(tb[CTRL_ATTR_MCAST_GRP_ID]);
	return MNL_CB_OK;
}

static int nl_family_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[CTRL_ATTR_MAX + 1] = { NULL };
	struct nl_family *f = data;
	const struct nlattr *grp;

	if (nl_parse(nlh, tb, CTRL_ATTR_MAX) < 0 || !tb[CTRL_ATTR_FAMILY_ID])
		return MNL_CB_ERROR;
	f->nl->family = mnl_attr_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
	f->found = true;
	if (tb[CTRL_ATTR_MCAST_GROUPS])
		mnl_attr_for_each_nested(grp, tb[CTRL_ATTR_MCAST_GROUPS])
			if (nl_group_cb(grp, f->nl) != MNL_CB_OK)
				return MNL_CB_ERROR;
	return MNL_CB_OK;
}

int nl_open(struct nl *nl)
{
	struct nl_family f = { .nl = nl };
	struct genlmsghdr *g;
	struct nlmsghdr *nlh;
	int one = 1, err;

	memset(nl, 0, sizeof(*nl));
	nl->buf = malloc(NL_BUF_SIZE);
	nl->sk = mnl_socket_open(NETLINK_GENERIC);
	if (!nl->buf || !nl->sk) {
		fprintf(stderr, "%s: netlink socket: %s\n", prog,
			strerror(errno));
		goto err;
	}
	/* extended ACKs: the kernel's own words for what it refused */
	mnl_socket_setsockopt(nl->sk, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sk, NETLINK_CAP_ACK, &one, sizeof(one));
	if (mnl_socket_bind(nl->sk, 0, MNL_SOCKET_AUTOPID) < 0) {
		fprintf(stderr, "%s: netlink bind: %s\n", prog, strerror(errno));
		goto err;
	}
	nl->portid = mnl_socket_get_portid(nl->sk);
	nl->seq = time(NULL);

	nlh = mnl_nlmsg_put_header(nl->buf);
	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = CTRL_CMD_GETFAMILY;
	g->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, TCPSTATE_FAMILY_NAME);
	err = nl_talk(nl, nlh, nl_family_cb, &f);
	if (err == -ENOENT || (!err && !f.found)) {
		fprintf(stderr, "%s: tcpstate module is not loaded: run "
			"'insmod module/tcpstate.ko' (or 'modprobe tcpstate')\n",
			prog);
		goto err;
	}
	if (err) {
		nl_perror(nl, "resolving the tcpstate netlink family", err);
		goto err;
	}
	return 0;

err:
	nl_close(nl);
	return 1;
}

void nl_close(struct nl *nl)
{
	if (nl->sk)
		mnl_socket_close(nl->sk);
	free(nl->buf);
	nl->sk = NULL;
	nl->buf = NULL;
}

int nl_session(const char *what, int (*talk)(struct nl *nl, void *arg),
	       void *arg)
{
	struct nl nl;
	int err;

	if (nl_open(&nl))
		return 1;
	err = talk(&nl, arg);
	if (err)
		nl_perror(&nl, what, err);
	nl_close(&nl);
	return err ? 1 : 0;
}

struct nlmsghdr *nl_request(struct nl *nl, uint8_t cmd, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(nl->buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = nl->family;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = TCPSTATE_FAMILY_VERSION;
	return nlh;
}

static int nl_extack_cb(const struct nlattr *a, void *data)
{
	struct nl *nl = data;

	if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0)
		snprintf(nl->extack, sizeof(nl->extack), "%s",
			 mnl_attr_get_str(a));
	return MNL_CB_OK;
}

struct nl_call {
	struct nl *nl;
	mnl_cb_t cb;
	void *data;
};

static int nl_error_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	struct nl *nl = ((struct nl_call *)data)->nl;
	size_t off;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e))) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		off = nlh->nlmsg_flags & NLM_F_CAPPED ? sizeof(*e) :
		      sizeof(e->error) + MNL_ALIGN(e->msg.nlmsg_len);
		mnl_attr_parse(nlh, off, nl_extack_cb, nl);
	}
	if (!e->error)
		return MNL_CB_STOP;
	errno = -e->error;
	return MNL_CB_ERROR;
}

/* The end of a dump; it carries an error if the dump failed midway. */
static int nl_done_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nl *nl = ((struct nl_call *)data)->nl;
	const int *err = mnl_nlmsg_get_payload(nlh);

	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(*err) && *err < 0) {
		if (nlh->nlmsg_flags & NLM_F_ACK_TLVS)
			mnl_attr_parse(nlh, sizeof(*err), nl_extack_cb, nl);
		errno = -*err;
		return MNL_CB_ERROR;
	}
	return MNL_CB_STOP;
}

static int nl_data_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nl_call *c = data;

	return c->cb ? c->cb(nlh, c->data) : MNL_CB_OK;
}

/*
 * A dump the kernel flagged as interrupted (the table changed under it,
 * so some flows may come twice): note it in nl->intr, for the caller to
 * decide whether to dump again, and take the messages all the same, which
 * libmnl would refuse from the first flagged one on.
 */
static void nl_take_intr(struct nl *nl, ssize_t n)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)nl->buf;
	int len = n;

	for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		if (nlh->nlmsg_flags & NLM_F_DUMP_INTR) {
			nl->intr = true;
			nlh->nlmsg_flags &= ~NLM_F_DUMP_INTR;
		}
	}
}

int nl_talk(struct nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	static mnl_cb_t ctl[NLMSG_MIN_TYPE];
	struct nl_call call = { nl, cb, data };
	uint32_t seq = ++nl->seq;
	ssize_t n;
	int ret;

	ctl[NLMSG_ERROR] = nl_error_cb;
	ctl[NLMSG_DONE] = nl_done_cb;
	nl->extack[0] = '\0';
	nl->intr = false;
	nlh->nlmsg_seq = seq;
	if (mnl_socket_sendto(nl->sk, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(nl->sk, nl->buf, NL_BUF_SIZE);
		if (n < 0)
			return -errno;
		nl_take_intr(nl, n);
		ret = mnl_cb_run2(nl->buf, n, seq, nl->portid, nl_data_cb,
				  &call, ctl, NLMSG_MIN_TYPE);
		if (ret == MNL_CB_ERROR)
			return errno ? -errno : -EIO;
	} while (ret > MNL_CB_STOP);
	return 0;
}

/* The kernel's own word first: it says why, where there is more to say. */
void nl_perror(const struct nl *nl, const char *what, int err)
{
	if ((err == -EPERM || err == -EACCES) && nl->extack[0])
		fprintf(stderr, "%s: %s: permission denied: %s\n", prog, what,
			nl->extack);
	else if (err == -EPERM || err == -EACCES)
		fprintf(stderr, "%s: %s: permission denied: this needs "
			"CAP_NET_ADMIN in the network namespace's user "
			"namespace (run it as root)\n", prog, what);
	else if (nl->extack[0])
		fprintf(stderr, "%s: %s: %s (%s)\n", prog, what, nl->extack,
			strerror(-err));
	else
		fprintf(stderr, "%s: %s: %s\n", prog, what, strerror(-err));
}

int nl_subscribe(struct nl *nl)
{
	int grp = nl->events_group;

	if (!grp)
		return -ENOENT;
	if (mnl_socket_setsockopt(nl->sk, NETLINK_ADD_MEMBERSHIP, &grp,
				  sizeof(grp)) < 0)
		return -errno;
	return 0;
}

int nl_listen(struct nl *nl, mnl_cb_t cb, void *data)
{
	ssize_t n;
	int ret;

	for (;;) {
		n = mnl_socket_recvfrom(nl->sk, nl->buf, NL_BUF_SIZE);
		if (n < 0) {
			if (errno == ENOBUFS) {
				fprintf(stderr, "%s: events lost: the socket "
					"buffer overflowed\n", prog);
				continue;
			}
			return -errno;
		}
		ret = mnl_cb_run(nl->buf, n, 0, 0, cb, data);
		if (ret < MNL_CB_STOP)
			return -errno;
		if (ret == MNL_CB_STOP)
			return 0;
	}
}

struct nl_tb {
	const struct nlattr **tb;
	int max;
};

static int nl_attr_cb(const struct nlattr *a, void *data)
{
	struct nl_tb *t = data;
	int type = mnl_attr_get_type(a);

	/* repeated attributes keep the first; callers walk the rest */
	if (type <= t->max && !t->tb[type])
		t->tb[type] = a;
	return MNL_CB_OK;
}

int nl_parse(const struct nlmsghdr *nlh, const struct nlattr **tb, int max)
{
	struct nl_tb t = { tb, max };

	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), nl_attr_cb, &t);
}

int nl_parse_nested(const struct nlattr *nest, const struct nlattr **tb,
		    int max)
{
	struct nl_tb t = { tb, max };

	return mnl_attr_parse_nested(nest, nl_attr_cb, &t);
}

uint64_t nl_u64(const struct nlattr *a)
{
	if (!a)
		return 0;
	switch (mnl_attr_get_payload_len(a)) {
	case 1:
		return mnl_attr_get_u8(a);
	case 2:
		return mnl_attr_get_u16(a);
	case 4:
		return mnl_attr_get_u32(a);
	default:
		return mnl_attr_get_u64(a);
	}
}
