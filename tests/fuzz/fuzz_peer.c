/* fuzz_peer.c - the "server" process that fuzz_router has mcpmon spawn.
 *
 * mcpmon must run a real process (it spawns, signals and reaps it), but
 * the fuzzer wants to play the server itself. This program is the bridge:
 * it connects to the abstract-namespace Unix socket named by argv[1] (the
 * fuzzer listens there), says "<pid>\n" so the fuzzer knows which process
 * generation the connection belongs to, then copies bytes both ways:
 * stdin (what mcpmon writes to the server) to the socket, the socket
 * (what the fuzzer answers) to stdout. It exits 0 on stdin EOF (mcpmon
 * stopping it) and 3 on socket EOF (the fuzzer making the server "crash").
 * Out of band, SIGUSR1 closes its stdout while it keeps running (mcpmon
 * must notice and stop it) and SIGUSR2 writes a 20 KB line to stderr
 * (over mcpmon's stderr line cap).
 *
 * Plain C, no sanitizer, no libuv: it is not under test, only in the way.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static volatile sig_atomic_t peer_out_closed;
static char peer_long_line[20001];

static void peer_on_usr1(int sig) {
  (void)sig;
  close(STDOUT_FILENO);
  peer_out_closed = 1;
}

static void peer_on_usr2(int sig) {
  (void)sig;
  ssize_t n = write(STDERR_FILENO, peer_long_line, sizeof(peer_long_line));
  (void)n;
}

/* Write all of buf, or exit: a peer that cannot pass bytes on is done. */
static void peer_write_all(int fd, const char* buf, size_t len, int code) {
  while (len > 0) {
    ssize_t n = write(fd, buf, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      exit(code);
    buf += n;
    len -= (size_t)n;
  }
}

/* Copy what is readable on from to to. Returns 0 on EOF or error. */
static int peer_pump(int from, int to, int code) {
  char buf[65536];
  ssize_t n;
  do {
    n = read(from, buf, sizeof(buf));
  } while (n < 0 && errno == EINTR);
  if (n <= 0)
    return 0;
  if (to == STDOUT_FILENO && peer_out_closed)
    return 1; /* stdout is gone: the server "hangs" */
  peer_write_all(to, buf, (size_t)n, code);
  return 1;
}

int main(int argc, char** argv) {
  if (argc < 2 ||
      strlen(argv[1]) + 1 >= sizeof(((struct sockaddr_un*)0)->sun_path)) {
    fprintf(stderr, "usage: fuzz_peer ABSTRACT-SOCKET-NAME\n");
    return 2;
  }
  /* Before the hello: the fuzzer signals only a peer it has heard from. */
  memset(peer_long_line, 'e', sizeof(peer_long_line) - 1);
  peer_long_line[sizeof(peer_long_line) - 1] = '\n';
  struct sigaction sa_usr;
  memset(&sa_usr, 0, sizeof(sa_usr));
  sa_usr.sa_handler = peer_on_usr1;
  sigaction(SIGUSR1, &sa_usr, NULL);
  sa_usr.sa_handler = peer_on_usr2;
  sigaction(SIGUSR2, &sa_usr, NULL);

  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0)
    return 2;
  struct sockaddr_un sa;
  memset(&sa, 0, sizeof(sa));
  sa.sun_family = AF_UNIX;
  size_t nlen = strlen(argv[1]);
  memcpy(sa.sun_path + 1, argv[1], nlen); /* sun_path[0] == 0: abstract */
  socklen_t salen =
      (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + nlen);
  if (connect(s, (struct sockaddr*)&sa, salen) != 0)
    return 2;

  char hello[32];
  int hn = snprintf(hello, sizeof(hello), "%ld\n", (long)getpid());
  peer_write_all(s, hello, (size_t)hn, 3);
  /* One line on stderr, so mcpmon's stderr capture (and the tail in its
   * crash errors) has something to work on. */
  fprintf(stderr, "fuzz_peer %ld up\n", (long)getpid());

  struct pollfd fds[2] = {{.fd = STDIN_FILENO, .events = POLLIN},
                          {.fd = s, .events = POLLIN}};
  for (;;) {
    int rc = poll(fds, 2, -1);
    if (rc < 0 && errno == EINTR)
      continue;
    if (rc < 0)
      return 2;
    if (fds[0].revents != 0 && !peer_pump(STDIN_FILENO, s, 0))
      return 0;
    if (fds[1].revents != 0 && !peer_pump(s, STDOUT_FILENO, 3))
      return 3;
  }
}
