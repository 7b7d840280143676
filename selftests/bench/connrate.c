// SPDX-License-Identifier: GPL-2.0
/*
 * connrate: short TCP connections, as fast as one client can make them.
 *
 *   connrate server [-6] PORT
 *       epoll loop: accept, read a REQ_LEN request, answer RESP_LEN bytes
 *       and close first (the server holds TIME_WAIT, as an HTTP/1.0 server
 *       does). A connection that sends nothing stays open.
 *   connrate client [-n COUNT] [-s SECONDS] [-t TIMEOUT_MS] ADDR PORT
 *       one connection after another: connect, request, read the answer to
 *       EOF, close. Stops after COUNT connections or SECONDS, prints
 *       "connections N failed F in T s (R/s)". A connection that does not
 *       complete within TIMEOUT_MS (default 3000) counts as failed.
 *   connrate hold -n COUNT ADDR PORT
 *       open COUNT connections that stay ESTABLISHED and idle, print
 *       "held N", then sleep until killed.
 *
 * Python is far too slow under TCG to put the kernel under load; this is
 * a few system calls per connection.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define REQ_LEN		64
#define RESP_LEN	128
#define MAX_EVENTS	64

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr,
		"usage: connrate server [-6] PORT\n"
		"       connrate client [-n COUNT] [-s SECONDS] [-t TIMEOUT_MS] ADDR PORT\n"
		"       connrate hold -n COUNT ADDR PORT\n");
	exit(2);
}

static void __attribute__((noreturn)) die(const char *what)
{
	perror(what);
	exit(1);
}

/* ADDR PORT -> a sockaddr; returns its length. */
static socklen_t parse_addr(const char *addr, const char *port,
			    struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(atoi(port));
		return sizeof(*s4);
	}
	if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(atoi(port));
		return sizeof(*s6);
	}
	fprintf(stderr, "connrate: bad address '%s'\n", addr);
	exit(2);
}

static void server_conn(int ep, int fd, char *buf)
{
	ssize_t n = read(fd, buf, REQ_LEN);

	if (n < 0 && errno == EAGAIN)
		return;
	/* A request is small enough to arrive in one segment. */
	if (n > 0 && write(fd, buf, RESP_LEN) < 0)
		perror("write");
	epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
	close(fd);
}

static void __attribute__((noreturn)) server(int argc, char **argv)
{
	struct epoll_event ev, evs[MAX_EVENTS];
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in a4 = { .sin_family = AF_INET };
	char buf[RESP_LEN] = { 0 };
	int v6 = 0, one = 1, ls, ep, c, i, n, fd;

	while ((c = getopt(argc, argv, "6")) != -1) {
		if (c != '6')
			usage();
		v6 = 1;
	}
	if (optind + 1 != argc)
		usage();
	ls = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (ls < 0)
		die("socket");
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	a4.sin_port = a6.sin6_port = htons(atoi(argv[optind]));
	if ((v6 ? bind(ls, (struct sockaddr *)&a6, sizeof(a6)) :
		  bind(ls, (struct sockaddr *)&a4, sizeof(a4))) < 0)
		die("bind");
	if (listen(ls, 4096) < 0)
		die("listen");
	ep = epoll_create1(0);
	if (ep < 0)
		die("epoll_create1");
	ev.events = EPOLLIN;
	ev.data.fd = ls;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev) < 0)
		die("epoll_ctl");
	for (;;) {
		n = epoll_wait(ep, evs, MAX_EVENTS, -1);
		if (n < 0 && errno != EINTR)
			die("epoll_wait");
		for (i = 0; i < n; i++) {
			if (evs[i].data.fd != ls) {
				server_conn(ep, evs[i].data.fd, buf);
				continue;
			}
			while ((fd = accept4(ls, NULL, NULL,
					     SOCK_NONBLOCK)) >= 0) {
				ev.events = EPOLLIN;
				ev.data.fd = fd;
				if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
					die("epoll_ctl");
			}
		}
	}
}

static int client_connect(const struct sockaddr_storage *ss, socklen_t len,
			  int timeout_ms)
{
	struct timeval tv = {
		.tv_sec = timeout_ms / 1000,
		.tv_usec = timeout_ms % 1000 * 1000,
	};
	int fd = socket(ss->ss_family, SOCK_STREAM, 0);

	if (fd < 0)
		die("socket");
	/* SO_SNDTIMEO bounds connect() too. */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (const struct sockaddr *)ss, len) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* One connection: request, the whole answer, EOF. 0 if all went well. */
static int client_one(const struct sockaddr_storage *ss, socklen_t len,
		      int timeout_ms)
{
	char buf[RESP_LEN * 2] = { 0 };
	int fd, got = 0;
	ssize_t n;

	fd = client_connect(ss, len, timeout_ms);
	if (fd < 0)
		return -1;
	if (write(fd, buf, REQ_LEN) != REQ_LEN)
		goto fail;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		got += n;
	if (n < 0 || got != RESP_LEN)
		goto fail;
	close(fd);
	return 0;
fail:
	close(fd);
	return -1;
}

static int client(int argc, char **argv)
{
	long count = 0, done = 0, failed = 0;
	double seconds = 0, start, t;
	int timeout_ms = 3000, c;
	struct sockaddr_storage ss;
	socklen_t len;

	while ((c = getopt(argc, argv, "n:s:t:")) != -1) {
		switch (c) {
		case 'n': count = atol(optarg); break;
		case 's': seconds = atof(optarg); break;
		case 't': timeout_ms = atoi(optarg); break;
		default: usage();
		}
	}
	if (optind + 2 != argc || (!count && !seconds))
		usage();
	len = parse_addr(argv[optind], argv[optind + 1], &ss);
	start = now();
	for (;;) {
		if (client_one(&ss, len, timeout_ms) == 0)
			done++;
		else
			failed++;
		t = now() - start;
		if ((count && done + failed >= count) ||
		    (seconds && t >= seconds))
			break;
	}
	printf("connections %ld failed %ld in %.3f s (%.0f/s)\n", done,
	       failed, t, done / t);
	return 0;
}

static void __attribute__((noreturn)) hold(int argc, char **argv)
{
	struct sockaddr_storage ss;
	long count = 0, i;
	socklen_t len;
	int c;

	while ((c = getopt(argc, argv, "n:")) != -1) {
		if (c != 'n')
			usage();
		count = atol(optarg);
	}
	if (optind + 2 != argc || count <= 0)
		usage();
	len = parse_addr(argv[optind], argv[optind + 1], &ss);
	for (i = 0; i < count; i++)
		if (client_connect(&ss, len, 10000) < 0)
			die("connect");
	printf("held %ld\n", count);
	fflush(stdout);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "server"))
		server(argc - 1, argv + 1);
	if (!strcmp(argv[1], "hold"))
		hold(argc - 1, argv + 1);
	if (!strcmp(argv[1], "client"))
		return client(argc - 1, argv + 1);
	usage();
}
