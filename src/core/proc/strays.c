/* strays.c - see strays.h. */
#include "core/proc/strays.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "lib/util.h"

/* glibc 2.36 has pidfd_open but not this idtype_t value (Linux 5.4). */
#define STRAYS_P_PIDFD ((idtype_t)3)

/* ---- the pure part ------------------------------------------------------ */

int strays_parse_stat(const char* text, struct strays_stat* out) {
  char* end;
  long pid = strtol(text, &end, 10);
  const char* close = strrchr(text, ')');
  if (end == text || pid <= 0 || close == NULL)
    return -1;
  /* After comm: state (3), ppid (4), pgrp (5), then fields 6..21 and
   * starttime (22). */
  const char* p = close + 1;
  char state;
  long ppid, pgrp;
  int used = 0;
  if (sscanf(p, " %c %ld %ld%n", &state, &ppid, &pgrp, &used) != 3)
    return -1;
  p += used;
  for (int field = 6; field < 22; field++) {
    p = strchr(p + 1, ' ');
    if (p == NULL)
      return -1;
  }
  unsigned long long start;
  if (sscanf(p, " %llu", &start) != 1)
    return -1;
  out->pid = (pid_t)pid;
  out->ppid = (pid_t)ppid;
  out->pgid = (pid_t)pgrp;
  out->state = state;
  out->start = (uint64_t)start;
  return 0;
}

bool strays_environ_has(const char* env, size_t n, const char* want) {
  size_t wn = strlen(want);
  size_t i = 0;
  while (i < n) {
    const char* entry = env + i;
    const char* nul = memchr(entry, '\0', n - i);
    size_t len = nul != NULL ? (size_t)(nul - entry) : n - i;
    if (len == wn && memcmp(entry, want, wn) == 0)
      return true;
    i += len + 1;
  }
  return false;
}

/* ---- reading /proc ------------------------------------------------------ */

static int strays_read_stat(pid_t pid, struct strays_stat* out) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  char buf[1024];
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if (n <= 0)
    return -1;
  buf[n] = '\0';
  return strays_parse_stat(buf, out);
}

/* Whether /proc/PID/environ holds want. Unreadable (another uid, a
 * zombie): false. */
static bool strays_has_tag(pid_t pid, const char* want) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/%ld/environ", (long)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  size_t cap = 16384, len = 0;
  char* buf = xmalloc(cap);
  for (;;) {
    if (len == cap) {
      cap *= 2;
      buf = xrealloc(buf, cap);
    }
    ssize_t n = read(fd, buf + len, cap - len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    len += (size_t)n;
  }
  close(fd);
  bool has = strays_environ_has(buf, len, want);
  free(buf);
  return has;
}

static int strays_cmp_pid(const void* a, const void* b) {
  pid_t x = ((const struct strays_stat*)a)->pid;
  pid_t y = ((const struct strays_stat*)b)->pid;
  return x < y ? -1 : x > y;
}

/* Every process in /proc, sorted by pid, into *out (heap). Returns the
 * count or -errno. */
static long strays_snapshot(struct strays_stat** out) {
  *out = NULL;
  DIR* d = opendir("/proc");
  if (d == NULL)
    return -errno;
  size_t n = 0, cap = 256;
  struct strays_stat* v = xmalloc(cap * sizeof(*v));
  struct dirent* e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] < '1' || e->d_name[0] > '9')
      continue;
    if (n == cap) {
      cap *= 2;
      v = xrealloc(v, cap * sizeof(*v));
    }
    if (strays_read_stat((pid_t)atol(e->d_name), &v[n]) == 0)
      n++;
  }
  closedir(d);
  qsort(v, n, sizeof(*v), strays_cmp_pid);
  *out = v;
  return (long)n;
}

static long strays_find(const struct strays_stat* v, size_t n, pid_t pid) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (v[mid].pid == pid)
      return (long)mid;
    if (v[mid].pid < pid)
      lo = mid + 1;
    else
      hi = mid;
  }
  return -1;
}

static bool strays_dead_state(char state) {
  return state == 'Z' || state == 'X' || state == 'x';
}

/* ---- recording and signalling ------------------------------------------- */

void strays_init(struct strays* s) {
  LIST_INIT(&s->list);
  s->n = 0;
}

static bool strays_known(const struct strays* s, pid_t pid, uint64_t start) {
  const struct stray* st;
  LIST_FOREACH(st, &s->list, link) {
    if (st->pid == pid && st->start == start)
      return true;
  }
  return false;
}

/* The process that has pid now is the one seen with start. */
static bool strays_same(pid_t pid, uint64_t start) {
  struct strays_stat now;
  return strays_read_stat(pid, &now) == 0 && now.start == start &&
         !strays_dead_state(now.state);
}

/* Holds the process seen as *p: a pidfd, then its start time checked
 * again, so the pidfd is that process and no other. */
static bool strays_record(struct strays* s, const struct strays_stat* p) {
  int fd = pidfd_open(p->pid, 0);
  if (fd < 0 && errno != ENOSYS)
    return false; /* gone already */
  if (!strays_same(p->pid, p->start)) {
    if (fd >= 0)
      close(fd);
    return false;
  }
  if (fd >= 0)
    fcntl(fd, F_SETFD, FD_CLOEXEC); /* pidfd_open sets it; be sure */
  struct stray* st = xcalloc(1, sizeof(*st));
  st->pid = p->pid;
  st->start = p->start;
  st->pidfd = fd;
  LIST_INSERT_HEAD(&s->list, st, link);
  s->n++;
  return true;
}

static void strays_send(struct stray* st, int sig) {
  if (st->exited || sig == 0)
    return;
  if (st->pidfd >= 0)
    pidfd_send_signal(st->pidfd, sig, NULL, 0);
  else if (strays_same(st->pid, st->start))
    kill(st->pid, sig);
}

enum { MARK_UNKNOWN, MARK_OURS, MARK_NOT };

int strays_scan(
    struct strays* s, pid_t leader, pid_t pgid, const char* tag, int sig) {
  struct strays_stat* v;
  long count = strays_snapshot(&v);
  if (count < 0)
    return (int)count;
  size_t n = (size_t)count;
  pid_t self = getpid();
  unsigned char* mark = xcalloc(n + 1, 1);
  size_t* path = xmalloc((n + 1) * sizeof(*path));
  for (size_t i = 0; i < n; i++) {
    /* Follow the parent chain up to a process already marked, a root or
     * the top; then mark the whole path the same. */
    size_t depth = 0;
    size_t j = i;
    unsigned char m = MARK_NOT;
    while (depth <= n) {
      if (mark[j] != MARK_UNKNOWN) {
        m = mark[j];
        break;
      }
      path[depth++] = j;
      const struct strays_stat* p = &v[j];
      if ((leader > 0 && p->pid == leader) || (pgid > 0 && p->pgid == pgid) ||
          (tag != NULL && p->ppid == self && strays_has_tag(p->pid, tag))) {
        m = MARK_OURS;
        break;
      }
      long up = strays_find(v, n, p->ppid);
      if (up < 0)
        break; /* the top: not below a root */
      j = (size_t)up;
    }
    for (size_t k = 0; k < depth; k++) mark[path[k]] = m;
  }
  int found = 0;
  for (size_t i = 0; i < n; i++) {
    const struct strays_stat* p = &v[i];
    if (mark[i] != MARK_OURS || p->pid == self || strays_dead_state(p->state) ||
        (pgid > 0 && p->pgid == pgid) || strays_known(s, p->pid, p->start))
      continue;
    if (!strays_record(s, p))
      continue;
    strays_send(LIST_FIRST(&s->list), sig);
    found++;
  }
  free(path);
  free(mark);
  free(v);
  return found;
}

void strays_signal(struct strays* s, int sig) {
  struct stray* st;
  LIST_FOREACH(st, &s->list, link) strays_send(st, sig);
}

static void strays_drop(struct strays* s, struct stray* st) {
  LIST_REMOVE(st, link);
  if (st->pidfd >= 0)
    close(st->pidfd);
  free(st);
  s->n--;
}

bool strays_alive(struct strays* s) {
  bool alive = false;
  struct stray* st = LIST_FIRST(&s->list);
  while (st != NULL) {
    struct stray* next = LIST_NEXT(st, link);
    if (st->pidfd >= 0) {
      siginfo_t si;
      memset(&si, 0, sizeof(si));
      int rc = waitid(STRAYS_P_PIDFD, (id_t)st->pidfd, &si, WEXITED | WNOHANG);
      if (rc == 0 && si.si_pid != 0) {
        strays_drop(s, st); /* ours, and reaped */
      } else if (rc == 0) {
        st->exited = false; /* ours, running */
      } else {
        /* Not our child: exited when its pidfd reads. */
        struct pollfd pf = {.fd = st->pidfd, .events = POLLIN};
        st->exited = poll(&pf, 1, 0) > 0;
      }
    } else {
      struct strays_stat now;
      if (strays_read_stat(st->pid, &now) != 0 || now.start != st->start) {
        strays_drop(s, st);
      } else if (strays_dead_state(now.state)) {
        st->exited = true;
        if (now.ppid == getpid() && waitpid(st->pid, NULL, WNOHANG) > 0)
          strays_drop(s, st);
      }
    }
    st = next;
  }
  LIST_FOREACH(st, &s->list, link) {
    if (!st->exited)
      alive = true;
  }
  return alive;
}

void strays_describe(const struct strays* s, char* buf, size_t cap) {
  size_t used = 0;
  buf[0] = '\0';
  const struct stray* st;
  LIST_FOREACH(st, &s->list, link) {
    if (st->exited || used + 1 >= cap)
      continue;
    char path[64], comm[32] = "?";
    snprintf(path, sizeof(path), "/proc/%ld/comm", (long)st->pid);
    FILE* f = fopen(path, "re");
    if (f != NULL) {
      if (fgets(comm, sizeof(comm), f) != NULL)
        comm[strcspn(comm, "\n")] = '\0';
      fclose(f);
    }
    int w = snprintf(buf + used, cap - used, "%s%ld (%s)", used ? ", " : "",
                     (long)st->pid, comm);
    if (w > 0)
      used += (size_t)w < cap - used ? (size_t)w : cap - used - 1;
  }
}

void strays_free(struct strays* s) {
  while (!LIST_EMPTY(&s->list)) strays_drop(s, LIST_FIRST(&s->list));
}

/* ---- the sweep at exit -------------------------------------------------- */

static uint64_t strays_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Waits up to ms for every stray to exit, reaping ours. */
static bool strays_wait(struct strays* s, unsigned ms) {
  uint64_t deadline = strays_now_ms() + ms;
  while (strays_alive(s)) {
    uint64_t now = strays_now_ms();
    if (now >= deadline)
      return false;
    struct pollfd pf[64];
    nfds_t k = 0;
    struct stray* st;
    LIST_FOREACH(st, &s->list, link) {
      if (!st->exited && st->pidfd >= 0 && k < 64)
        pf[k++] = (struct pollfd){.fd = st->pidfd, .events = POLLIN};
    }
    int wait = (int)(deadline - now);
    if (k == 0 || k == 64 || (size_t)k < s->n)
      wait = wait < 10 ? wait : 10; /* some are not held by a pidfd */
    if (k > 0)
      poll(pf, k, wait);
    else
      nanosleep(&(struct timespec){0, (long)wait * 1000000L}, NULL);
  }
  return true;
}

int strays_stop_descendants(unsigned grace_ms) {
  struct strays s;
  strays_init(&s);
  int found = strays_scan(&s, getpid(), 0, NULL, SIGTERM);
  if (found <= 0)
    return found < 0 ? 0 : found;
  char who[512];
  strays_describe(&s, who, sizeof(who));
  log_warn(
      "At exit, %d process%s started by servers %s still running: %s. "
      "They had left their servers' process groups and environments; "
      "sending SIGTERM",
      found, found == 1 ? "" : "es", found == 1 ? "is" : "are", who);
  if (!strays_wait(&s, grace_ms)) {
    strays_scan(&s, getpid(), 0, NULL, SIGKILL);
    strays_signal(&s, SIGKILL);
    if (!strays_wait(&s, 1000u)) {
      strays_describe(&s, who, sizeof(who));
      log_error("Processes survived SIGKILL, left running: %s", who);
    }
  }
  strays_free(&s);
  return found;
}
