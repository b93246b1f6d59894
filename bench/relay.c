/* relay.c - the floor for any stdio proxy: copies stdin to a child's stdin
 * and the child's stdout to stdout, byte for byte, parsing nothing.
 *
 *   relay [--copy] [--big-pipes] command [args...]
 *
 * One poll() loop over two directions; each moves data with splice(2)
 * (pipe to pipe, no copy through user space) and falls back to
 * read()/write() through a 64 KiB buffer when splice is refused. --copy
 * always uses read()/write(): the floor for a proxy that has to see the
 * bytes, as one that understands messages does. --big-pipes makes the
 * child's stdout pipe and the relay's own stdout pipe 1 MiB (F_SETPIPE_SZ),
 * as mcpmon does with pipes it finds full. Stdin EOF
 * closes the child's stdin; the child's stdout EOF ends the relay, which
 * then waits for the child and exits with its status.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define RELAY_CHUNK 65536

/* Moves what is available from in to out (blocking writes). Returns false
 * at EOF on in or when out is gone. */
static bool relay_move(int in, int out, bool* use_splice) {
  if (*use_splice) {
    ssize_t n = splice(in, NULL, out, NULL, 1 << 20, SPLICE_F_MOVE);
    if (n > 0)
      return true;
    if (n == 0)
      return false;
    if (errno == EAGAIN || errno == EINTR)
      return true;
    if (errno != EINVAL)
      return false;
    *use_splice = false;
  }
  static char buf[RELAY_CHUNK];
  ssize_t n = read(in, buf, sizeof(buf));
  if (n == 0)
    return false;
  if (n < 0)
    return errno == EINTR || errno == EAGAIN;
  for (ssize_t off = 0; off < n;) {
    ssize_t w = write(out, buf + off, (size_t)(n - off));
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0)
      return false;
    off += w;
  }
  return true;
}

int main(int argc, char** argv) {
  bool copy = false, big = false;
  while (argc > 1 && strncmp(argv[1], "--", 2) == 0) {
    if (strcmp(argv[1], "--copy") == 0)
      copy = true;
    else if (strcmp(argv[1], "--big-pipes") == 0)
      big = true;
    else
      break;
    argv++;
    argc--;
  }
  if (argc < 2) {
    fputs("usage: relay [--copy] [--big-pipes] command [args...]\n", stderr);
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  int to[2], from[2];
  if (pipe2(to, O_CLOEXEC) != 0 || pipe2(from, O_CLOEXEC) != 0) {
    perror("relay: pipe");
    return 1;
  }
  pid_t pid = fork();
  if (pid < 0) {
    perror("relay: fork");
    return 1;
  }
  if (pid == 0) {
    dup2(to[0], STDIN_FILENO);
    dup2(from[1], STDOUT_FILENO);
    execvp(argv[1], argv + 1);
    fprintf(stderr, "relay: exec %s: %s\n", argv[1], strerror(errno));
    _exit(127);
  }
  close(to[0]);
  close(from[1]);
  if (big) {
    fcntl(from[0], F_SETPIPE_SZ, 1 << 20);
    fcntl(STDOUT_FILENO, F_SETPIPE_SZ, 1 << 20);
  }
  int child_in = to[1], child_out = from[0];
  bool splice_in = !copy, splice_out = !copy, in_open = true;
  for (;;) {
    struct pollfd p[2] = {
        {.fd = child_out, .events = POLLIN},
        {.fd = in_open ? STDIN_FILENO : -1, .events = POLLIN}};
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    if (p[0].revents != 0 && !relay_move(child_out, STDOUT_FILENO, &splice_out))
      break;
    if (in_open && p[1].revents != 0 &&
        !relay_move(STDIN_FILENO, child_in, &splice_in)) {
      in_open = false;
      close(child_in);
    }
  }
  if (in_open)
    close(child_in);
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
