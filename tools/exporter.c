// SPDX-License-Identifier: GPL-2.0
/*
 * tcpstate exporter (--listen ADDR:PORT | --textfile FILE [--interval S])
 *                   [--netns NAME]... [--destinations]
 *
 * What `stats --prometheus` prints, for Prometheus to scrape over HTTP
 * (libmicrohttpd serves GET and HEAD of /metrics) or for node_exporter's
 * textfile collector (written to a temporary file, then renamed over
 * FILE). Without --netns, the namespace it runs in; with --netns, each
 * namespace named (in /var/run/netns, or a path such as
 * /proc/PID/ns/net), every series labelled netns="NAME", and
 * tcpstate_exporter_scrape_success per namespace.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "nl.h"
#include "prom.h"
#include "tcpstate.h"

#define USAGE "Usage: %s exporter (--listen ADDR:PORT | --textfile FILE " \
	"[--interval SECONDS]) [--netns NAME]... [--destinations]\n"
#define MAX_TARGETS 64
#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct target {
	const char *name;	/* NULL: the exporter's own namespace */
	int nsfd;		/* -1: the exporter's own namespace */
	struct nl nl;
	bool open;
};

struct exporter {
	struct target t[MAX_TARGETS];
	size_t n;
	int self;		/* the exporter's own namespace */
	bool dests;
	bool labelled;		/* --netns given: label each series */
};

static volatile sig_atomic_t exporter_stop;

static void exporter_signal(int sig)
{
	(void)sig;
	exporter_stop = 1;
}

/* Open the target's netlink socket, in its namespace: 0 or -1. */
static int target_open(struct exporter *e, struct target *t)
{
	int err;

	if (t->open)
		return 0;
	if (t->nsfd >= 0 && setns(t->nsfd, CLONE_NEWNET)) {
		fprintf(stderr, "%s: exporter: entering %s: %s\n", prog,
			t->name, strerror(errno));
		return -1;
	}
	err = nl_open(&t->nl);
	if (t->nsfd >= 0 && setns(e->self, CLONE_NEWNET)) {
		fprintf(stderr, "%s: exporter: back to its namespace: %s\n",
			prog, strerror(errno));
		exit(EXIT_ERR);
	}
	if (err)
		return -1;
	t->open = true;
	return 0;
}

static void target_close(struct target *t)
{
	if (t->open)
		nl_close(&t->nl);
	t->open = false;
}

/* A growable string. */
struct buf {
	char *s;
	size_t len, size;
};

static int buf_add(struct buf *b, const char *s, size_t n)
{
	char *p;

	if (b->len + n + 1 > b->size) {
		b->size = (b->len + n + 1) * 2;
		p = realloc(b->s, b->size);
		if (!p)
			return -1;
		b->s = p;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
	return 0;
}

static int buf_str(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

/* One metric family of the merged output: its # lines, then samples. */
struct family {
	char *name;
	struct buf head;
	struct buf samples;
	bool typed;
};

struct merge {
	struct family *f;
	size_t n;
};

static struct family *merge_family(struct merge *m, const char *name,
				   size_t len)
{
	struct family *f;
	size_t i;

	for (i = 0; i < m->n; i++)
		if (strlen(m->f[i].name) == len &&
		    !strncmp(m->f[i].name, name, len))
			return &m->f[i];
	f = realloc(m->f, (m->n + 1) * sizeof(*f));
	if (!f)
		return NULL;
	m->f = f;
	f += m->n;
	memset(f, 0, sizeof(*f));
	f->name = strndup(name, len);
	if (!f->name)
		return NULL;
	m->n++;
	return f;
}

/* `s` as a label value: backslash, quote and newline escaped. */
static int buf_label(struct buf *b, const char *s)
{
	for (; *s; s++) {
		if ((*s == '\\' || *s == '"') && buf_add(b, "\\", 1))
			return -1;
		if (*s == '\n') {
			if (buf_str(b, "\\n"))
				return -1;
		} else if (buf_add(b, s, 1)) {
			return -1;
		}
	}
	return 0;
}

/* A sample line of `label`'s namespace, with netns="label" added. */
static int merge_sample(struct family *f, const char *line, const char *label)
{
	size_t name = strcspn(line, "{ ");
	const char *rest = line + name;

	if (buf_add(&f->samples, line, name) ||
	    buf_str(&f->samples, "{netns=\"") ||
	    buf_label(&f->samples, label) || buf_str(&f->samples, "\""))
		return -1;
	if (*rest == '{') {
		rest++;
		if (*rest != '}' && buf_str(&f->samples, ","))
			return -1;
	} else if (buf_str(&f->samples, "}")) {
		return -1;
	}
	return buf_str(&f->samples, rest) || buf_str(&f->samples, "\n");
}

/*
 * Add one namespace's exposition to the merge: each family keeps its HELP
 * and TYPE once, and the samples of every namespace together.
 */
static int merge_add(struct merge *m, char *text, const char *label)
{
	struct family *f = NULL;
	char *line, *save = NULL;
	const char *name;

	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "# HELP ", 7) ||
		    !strncmp(line, "# TYPE ", 7)) {
			name = line + 7;
			f = merge_family(m, name, strcspn(name, " "));
			if (!f)
				return -1;
			if (line[2] == 'T' && f->typed)
				continue;
			if (line[2] == 'H' && f->head.len)
				continue;
			f->typed |= line[2] == 'T';
			if (buf_str(&f->head, line) || buf_str(&f->head, "\n"))
				return -1;
		} else if (f && *line != '#') {
			if (merge_sample(f, line, label))
				return -1;
		}
	}
	return 0;
}

static int merge_out(struct merge *m, struct buf *out)
{
	int err = 0;
	size_t i;

	for (i = 0; i < m->n; i++) {
		if (!err && (buf_add(out, m->f[i].head.s ?: "", m->f[i].head.len) ||
			     buf_add(out, m->f[i].samples.s ?: "",
				     m->f[i].samples.len)))
			err = -1;
		free(m->f[i].name);
		free(m->f[i].head.s);
		free(m->f[i].samples.s);
	}
	free(m->f);
	return err;
}

/* One target's exposition, malloc'd in *text: 0 or -1 (said why). */
static int target_scrape(struct exporter *e, struct target *t, char **text)
{
	size_t len;
	FILE *f;
	int err;

	*text = NULL;
	if (target_open(e, t))
		return -1;
	f = open_memstream(text, &len);
	if (!f)
		return -1;
	err = ts_prom_namespace(&t->nl, f, e->dests);
	if (fclose(f))
		err = -1;
	if (err) {
		/* the module may have been reloaded: a new socket next time */
		target_close(t);
		free(*text);
		*text = NULL;
		return -1;
	}
	return 0;
}

/* Every target's metrics in *out: 0, or -1 if none could be read. */
static int exporter_scrape(struct exporter *e, struct buf *out)
{
	struct merge m = { NULL, 0 };
	struct buf ok = { NULL, 0, 0 };
	size_t i, good = 0;
	char *text;
	int err = 0;

	memset(out, 0, sizeof(*out));
	if (!e->labelled) {
		if (target_scrape(e, &e->t[0], &text))
			return -1;
		err = buf_str(out, text);
		free(text);
		return err;
	}
	if (buf_str(&ok, "# HELP tcpstate_exporter_scrape_success 1 if the "
		    "namespace's figures were read.\n"
		    "# TYPE tcpstate_exporter_scrape_success gauge\n"))
		err = -1;
	for (i = 0; i < e->n && !err; i++) {
		if (!target_scrape(e, &e->t[i], &text)) {
			good++;
			err = merge_add(&m, text, e->t[i].name);
			free(text);
		}
		if (!err && (buf_str(&ok, "tcpstate_exporter_scrape_success{netns=\"") ||
			     buf_label(&ok, e->t[i].name) ||
			     buf_str(&ok, e->t[i].open ? "\"} 1\n" : "\"} 0\n")))
			err = -1;
	}
	if (merge_out(&m, out) || buf_add(out, ok.s ?: "", ok.len))
		err = -1;
	free(ok.s);
	return err || !good ? -1 : 0;
}

static enum MHD_Result http_reply(struct MHD_Connection *c, unsigned int code,
				  char *body, size_t len, bool metrics)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				metrics ? CONTENT_TYPE : "text/plain; charset=utf-8");
	if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result http_text(struct MHD_Connection *c, unsigned int code,
				 const char *msg)
{
	char *body = strdup(msg);

	if (!body)
		return MHD_NO;
	return http_reply(c, code, body, strlen(body), false);
}

static enum MHD_Result http_handler(void *cls, struct MHD_Connection *c,
				    const char *url, const char *method,
				    const char *version, const char *upload,
				    size_t *upload_size, void **state)
{
	static int seen;
	struct exporter *e = cls;
	struct buf out;

	(void)version;
	(void)upload;
	if (!*state) {		/* the headers: wait for the whole request */
		*state = &seen;
		return MHD_YES;
	}
	if (*upload_size) {	/* a body: read and ignored */
		*upload_size = 0;
		return MHD_YES;
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD))
		return http_text(c, MHD_HTTP_METHOD_NOT_ALLOWED,
				 "Only GET and HEAD.\n");
	if (!strcmp(url, "/"))
		return http_text(c, MHD_HTTP_OK,
				 "tcpstate exporter: metrics at /metrics\n");
	if (strcmp(url, "/metrics"))
		return http_text(c, MHD_HTTP_NOT_FOUND, "Not found.\n");
	if (exporter_scrape(e, &out)) {
		free(out.s);
		return http_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
				 "tcpstate: the module's figures could not be "
				 "read (see the exporter's log).\n");
	}
	return http_reply(c, MHD_HTTP_OK, out.s ?: strdup(""), out.len, true);
}

/* "ADDR:PORT", "[V6ADDR]:PORT" or ":PORT" (every address, v4 and v6). */
static int parse_listen(const char *s, struct sockaddr_storage *ss,
			bool *any)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	const char *colon = strrchr(s, ':');
	char host[INET6_ADDRSTRLEN + 2], *end;
	unsigned long port;
	size_t len;

	if (!colon)
		return -1;
	port = strtoul(colon + 1, &end, 10);
	if (!colon[1] || *end || port < 1 || port > 65535)
		return -1;
	len = colon - s;
	if (len >= sizeof(host))
		return -1;
	memcpy(host, s, len);
	host[len] = '\0';
	memset(ss, 0, sizeof(*ss));
	*any = !len;
	if (!len) {
		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_any;
		s6->sin6_port = htons(port);
	} else if (host[0] == '[' && host[len - 1] == ']') {
		host[len - 1] = '\0';
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1)
			return -1;
	} else {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
			return -1;
	}
	return 0;
}

static int exporter_serve(struct exporter *e, const char *listen,
			  struct sockaddr_storage *ss, bool any)
{
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	struct MHD_Daemon *d;
	sigset_t set, old;
	int sig;

	if (ss->ss_family == AF_INET6)
		flags |= any ? MHD_USE_DUAL_STACK : MHD_USE_IPv6;
	/* the server's thread inherits the mask: signals come to us */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	d = MHD_start_daemon(flags, 0, NULL, NULL, http_handler, e,
			     MHD_OPTION_SOCK_ADDR, ss,
			     MHD_OPTION_CONNECTION_LIMIT, 32U,
			     MHD_OPTION_PER_IP_CONNECTION_LIMIT, 8U,
			     MHD_OPTION_CONNECTION_TIMEOUT, 10U,
			     MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)16384,
			     MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "%s: exporter: cannot serve on %s: %s\n", prog,
			listen, strerror(errno ?: EADDRINUSE));
		return EXIT_ERR;
	}
	fprintf(stderr, "%s: exporter: serving /metrics on %s\n", prog,
		listen);
	sigwait(&set, &sig);
	MHD_stop_daemon(d);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return EXIT_OK;
}

/* Write the metrics to a temporary file beside `path`, then rename it. */
static int exporter_write(struct exporter *e, const char *path)
{
	struct buf out;
	char *tmp;
	int fd, err = -1;

	if (exporter_scrape(e, &out))
		goto out;
	if (asprintf(&tmp, "%s.tmp.%d", path, (int)getpid()) < 0)
		goto out;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "%s: exporter: %s: %s\n", prog, tmp,
			strerror(errno));
		free(tmp);
		goto out;
	}
	if (write(fd, out.s ?: "", out.len) != (ssize_t)out.len ||
	    fsync(fd) || close(fd) || rename(tmp, path)) {
		fprintf(stderr, "%s: exporter: writing %s: %s\n", prog, path,
			strerror(errno));
		unlink(tmp);
	} else {
		err = 0;
	}
	free(tmp);
out:
	free(out.s);
	return err;
}

static int exporter_textfile(struct exporter *e, const char *path,
			     unsigned int interval)
{
	struct sigaction sa;
	int err;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = exporter_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	do {
		err = exporter_write(e, path);
		if (!interval)
			return err ? EXIT_ERR : EXIT_OK;
		if (err)
			fprintf(stderr, "%s: exporter: %s not updated\n", prog,
				path);
		sleep(interval);	/* a signal ends it early */
	} while (!exporter_stop);
	return EXIT_OK;
}

static int add_netns(struct exporter *e, const char *name)
{
	char path[4096];
	struct target *t;
	size_t i;

	for (i = 0; i < e->n; i++) {
		if (!strcmp(e->t[i].name, name)) {
			/* its series would be there twice */
			fprintf(stderr, "%s: exporter: --netns %s given twice\n",
				prog, name);
			return EXIT_USAGE;
		}
	}
	if (e->n == MAX_TARGETS) {
		fprintf(stderr, "%s: exporter: at most %d namespaces\n", prog,
			MAX_TARGETS);
		return EXIT_USAGE;
	}
	if (!*name || (name[0] != '/' && strchr(name, '/'))) {
		fprintf(stderr, "%s: exporter: --netns '%s' is neither a name "
			"in /var/run/netns nor a path\n", prog, name);
		return EXIT_USAGE;
	}
	snprintf(path, sizeof(path), name[0] == '/' ? "%s" :
		 "/var/run/netns/%s", name);
	t = &e->t[e->n];
	t->name = name;
	t->nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (t->nsfd < 0) {
		fprintf(stderr, "%s: exporter: namespace %s: %s\n", prog, path,
			strerror(errno));
		return EXIT_ERR;
	}
	e->n++;
	e->labelled = true;
	return EXIT_OK;
}

static int exporter_usage(FILE *f, int code)
{
	fprintf(f, USAGE, prog);
	return code;
}

int cmd_exporter(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "textfile", required_argument, NULL, 't' },
		{ "interval", required_argument, NULL, 'i' },
		{ "netns", required_argument, NULL, 'n' },
		{ "destinations", no_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *listen = NULL, *textfile = NULL;
	struct exporter e = { .self = -1 };
	struct sockaddr_storage ss;
	bool any = false;
	unsigned long interval = 0;
	int c, ret = EXIT_ERR;
	char *end;
	size_t i;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			listen = optarg;
			break;
		case 't':
			textfile = optarg;
			break;
		case 'i':
			interval = strtoul(optarg, &end, 10);
			if (!*optarg || *end || interval > 86400) {
				fprintf(stderr, "%s: exporter: --interval '%s' "
					"is not 0 to 86400 seconds\n", prog,
					optarg);
				ret = EXIT_USAGE;
				goto out;
			}
			break;
		case 'n':
			ret = add_netns(&e, optarg);
			if (ret != EXIT_OK)
				goto out;
			break;
		case 'D':
			e.dests = true;
			break;
		case 'h':
			return exporter_usage(stdout, EXIT_OK);
		default:
			ret = exporter_usage(stderr, EXIT_USAGE);
			goto out;
		}
	}
	if (optind != argc || !listen == !textfile ||
	    (listen && interval)) {
		fprintf(stderr, "%s: exporter: one of --listen or --textfile "
			"(--interval goes with --textfile)\n", prog);
		ret = exporter_usage(stderr, EXIT_USAGE);
		goto out;
	}
	if (listen && parse_listen(listen, &ss, &any)) {
		fprintf(stderr, "%s: exporter: --listen '%s' is not ADDR:PORT, "
			"[ADDR]:PORT or :PORT\n", prog, listen);
		ret = EXIT_USAGE;
		goto out;
	}
	if (!e.n) {
		e.t[0].nsfd = -1;
		e.n = 1;
	}
	e.self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (e.self < 0) {
		fprintf(stderr, "%s: exporter: /proc/self/ns/net: %s\n", prog,
			strerror(errno));
		goto out;
	}
	/* a namespace or the module missing now is an error, not later */
	for (i = 0; i < e.n; i++)
		if (target_open(&e, &e.t[i]))
			goto out;
	ret = listen ? exporter_serve(&e, listen, &ss, any) :
		       exporter_textfile(&e, textfile, interval);
out:
	for (i = 0; i < e.n; i++) {
		target_close(&e.t[i]);
		if (e.t[i].nsfd >= 0)
			close(e.t[i].nsfd);
	}
	if (e.self >= 0)
		close(e.self);
	return ret;
}
