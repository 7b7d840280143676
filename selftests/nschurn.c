// SPDX-License-Identifier: GPL-2.0
/*
 * nschurn: create and destroy network namespaces that hold live TCP flows.
 *
 *   nschurn [-n CYCLES] [-c CONNECTIONS]
 *
 * Each cycle forks a child that enters a new network namespace, brings lo
 * up, opens CONNECTIONS connections to a listener of its own, exchanges a
 * little data, closes half of them (TIME_WAIT and closing states), reads
 * /proc/net/tcpstate/stats and exits with the rest still open: the
 * namespace dies with flows of every kind in tcpstate's table. Prints
 * "cycles N flows-at-exit F" (F summed over the cycles).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_CONNS 64

static void die(const char *what)
{
	perror(what);
	_exit(1);
}

static void lo_up(void)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0)
		die("nschurn: socket");
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		die("nschurn: SIOCGIFFLAGS");
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		die("nschurn: SIOCSIFFLAGS");
	close(fd);
}

/* The "flows" line of this namespace's /proc/net/tcpstate/stats. */
static long tcpstate_flows(void)
{
	FILE *f = fopen("/proc/net/tcpstate/stats", "r");
	char key[64];
	long v, flows = -1;

	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", key, &v) == 2)
		if (!strcmp(key, "flows"))
			flows = v;
	fclose(f);
	return flows;
}

static int child(int conns, int pipefd)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int l, c[MAX_CONNS], s[MAX_CONNS], i;
	socklen_t len = sizeof(sa);
	char buf[512] = { 0 };
	long flows;

	if (unshare(CLONE_NEWNET) < 0)
		die("nschurn: unshare");
	lo_up();
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(l, MAX_CONNS) < 0 ||
	    getsockname(l, (struct sockaddr *)&sa, &len) < 0)
		die("nschurn: listen");
	for (i = 0; i < conns; i++) {
		c[i] = socket(AF_INET, SOCK_STREAM, 0);
		if (c[i] < 0 || connect(c[i], (struct sockaddr *)&sa, sizeof(sa)) < 0)
			die("nschurn: connect");
		s[i] = accept(l, NULL, NULL);
		if (s[i] < 0)
			die("nschurn: accept");
		if (write(c[i], buf, sizeof(buf)) != sizeof(buf) ||
		    read(s[i], buf, sizeof(buf)) <= 0)
			die("nschurn: data");
	}
	/* half end cleanly (client first: TIME_WAIT), the rest stay open */
	for (i = 0; i < conns / 2; i++) {
		close(c[i]);
		close(s[i]);
	}
	flows = tcpstate_flows();
	if (write(pipefd, &flows, sizeof(flows)) != sizeof(flows))
		die("nschurn: pipe");
	_exit(0);
}

int main(int argc, char *argv[])
{
	int cycles = 200, conns = 8, opt, i, status, p[2];
	long flows, total = 0;
	pid_t pid;

	while ((opt = getopt(argc, argv, "n:c:")) != -1) {
		switch (opt) {
		case 'n': cycles = atoi(optarg); break;
		case 'c': conns = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: nschurn [-n CYCLES] [-c CONNECTIONS]\n");
			return 2;
		}
	}
	if (conns < 1 || conns > MAX_CONNS) {
		fprintf(stderr, "nschurn: 1 to %d connections\n", MAX_CONNS);
		return 2;
	}
	for (i = 0; i < cycles; i++) {
		if (pipe(p) < 0)
			die("nschurn: pipe");
		pid = fork();
		if (pid < 0)
			die("nschurn: fork");
		if (!pid)
			child(conns, p[1]);
		close(p[1]);
		if (read(p[0], &flows, sizeof(flows)) != sizeof(flows))
			flows = -1;
		close(p[0]);
		if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status) || flows < 0) {
			fprintf(stderr, "nschurn: cycle %d failed\n", i);
			return 1;
		}
		total += flows;
	}
	printf("cycles %d flows-at-exit %ld\n", cycles, total);
	return 0;
}
