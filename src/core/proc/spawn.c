/* spawn.c - see spawn.h. */
#include "core/proc/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef __NR_close_range
#define __NR_close_range 436 /* the same number on every architecture */
#endif

/* What the child reads: all of it inside the spawn's own memory. */
struct spawn_ctx {
  const char* file;
  char** argv;
  char** shargv; /* "/bin/sh" file argv[1]... for ENOEXEC */
  char** envp;
  const char* cwd;
  int fds[3];
  int errw; /* the error pipe's write end (close-on-exec) */
  pid_t parent;
  int maxfd; /* without close_range: close up to this one */
};

/* ---- the child: raw system calls only ----------------------------------
 *
 * The child shares mcpmon's memory and its thread pointer, so errno (a
 * thread-local), the heap and stdio are mcpmon's: no libc call that may
 * write them. The calls below return -errno. Sanitizers and coverage are
 * off here: their runtimes keep thread-local state too. */

#if defined(__clang__)
#define SPAWN_CHILD_FN                                                      \
  __attribute__((no_sanitize("address", "undefined", "coverage"), noinline, \
                 used))
#elif defined(__GNUC__)
#define SPAWN_CHILD_FN                                                 \
  __attribute__((no_sanitize_address, no_sanitize_undefined, noinline, \
                 no_stack_protector))
#else
#define SPAWN_CHILD_FN
#endif
#define SPAWN_INLINE static inline __attribute__((always_inline))

#if defined(__x86_64__)
#define SPAWN_RAW 1
SPAWN_INLINE long spawn_sys(long n, long a, long b, long c, long d) {
  long ret;
  register long r10 __asm__("r10") = d;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10)
                   : "rcx", "r11", "memory");
  return ret;
}
#elif defined(__aarch64__)
#define SPAWN_RAW 1
SPAWN_INLINE long spawn_sys(long n, long a, long b, long c, long d) {
  register long x8 __asm__("x8") = n;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  register long x3 __asm__("x3") = d;
  __asm__ volatile("svc 0"
                   : "+r"(x0)
                   : "r"(x8), "r"(x1), "r"(x2), "r"(x3)
                   : "memory", "cc");
  return x0;
}
#else
/* Elsewhere the child is a fork (its own memory): libc is safe there. */
#define SPAWN_RAW 0
SPAWN_INLINE long spawn_sys(long n, long a, long b, long c, long d) {
  long r = syscall(n, a, b, c, d);
  return r < 0 ? -errno : r;
}
#endif

/* The kernel's struct sigaction (not libc's). */
struct spawn_ksigaction {
  void* handler;
  unsigned long flags;
  void* restorer;
  unsigned long mask;
};

SPAWN_CHILD_FN static int spawn_child(void* arg) {
  struct spawn_ctx* x = arg;
  int step = SPAWN_STEP_SETUP;
  long rc = spawn_sys(__NR_setsid, 0, 0, 0, 0);
  if (rc < 0)
    goto fail;
  rc = spawn_sys(__NR_prctl, PR_SET_PDEATHSIG, SIGTERM, 0, 0);
  if (rc < 0)
    goto fail;
  /* mcpmon may have died before the prctl: nobody would send it then. */
  if (spawn_sys(__NR_getppid, 0, 0, 0, 0) != x->parent)
    spawn_sys(__NR_exit_group, 127, 0, 0, 0);
  /* Default dispositions (mcpmon's handlers are not the server's, and
   * SIG_IGN would survive the exec), then no signal blocked. */
  struct spawn_ksigaction dfl = {0, 0, 0, 0};
  for (long sig = 1; sig < 65; sig++)
    if (sig != SIGKILL && sig != SIGSTOP)
      spawn_sys(__NR_rt_sigaction, sig, (long)&dfl, 0, 8);
  unsigned long none = 0;
  rc = spawn_sys(__NR_rt_sigprocmask, SIG_SETMASK, (long)&none, 0, 8);
  if (rc < 0)
    goto fail;
  if (x->cwd != NULL) {
    step = SPAWN_STEP_CHDIR;
    rc = spawn_sys(__NR_chdir, (long)x->cwd, 0, 0, 0);
    if (rc < 0)
      goto fail;
    step = SPAWN_STEP_SETUP;
  }
  for (long i = 0; i < 3; i++) { /* fds[i] >= 3: see spawn_start */
    rc = spawn_sys(__NR_dup3, x->fds[i], i, 0, 0);
    if (rc < 0)
      goto fail;
  }
  /* Only 0-2 reach the server: not what mcpmon's own parent left open
   * (libuv's descriptors are close-on-exec already). The error pipe
   * stays until the exec closes it. */
  long w = x->errw;
  rc = spawn_sys(__NR_close_range, 3, w - 1, 0, 0);
  if (rc == 0)
    rc = spawn_sys(__NR_close_range, w + 1, ~0U, 0, 0);
  if (rc < 0) /* before Linux 5.9 */
    for (long fd = 3; fd <= x->maxfd; fd++)
      if (fd != w)
        spawn_sys(__NR_close, fd, 0, 0, 0);
  step = SPAWN_STEP_EXEC;
  rc = spawn_sys(__NR_execve, (long)x->file, (long)x->argv, (long)x->envp, 0);
  if (rc == -ENOEXEC) /* no "#!": a shell script, as execvp runs it */
    spawn_sys(__NR_execve, (long)x->shargv[0], (long)x->shargv, (long)x->envp,
              0);
fail:;
  int rec[2] = {step, (int)-rc};
  spawn_sys(__NR_write, x->errw, (long)rec, sizeof(rec), 0);
  spawn_sys(__NR_exit_group, 127, 0, 0, 0);
  return 127;
}

/* ---- the parent --------------------------------------------------------- */

static size_t spawn_count(char* const* v) {
  size_t n = 0;
  while (v != NULL && v[n] != NULL) n++;
  return n;
}

/* Bump allocation in the spawn's memory. */
struct spawn_arena {
  char* p;
};

static void* spawn_take(struct spawn_arena* a, size_t n) {
  void* r = a->p;
  a->p += (n + 15) & ~(size_t)15;
  return r;
}

static char* spawn_copy(struct spawn_arena* a, const char* s) {
  size_t n = strlen(s) + 1;
  char* d = spawn_take(a, n);
  memcpy(d, s, n);
  return d;
}

static size_t spawn_strsize(const char* s) {
  return (strlen(s) + 1 + 15) & ~(size_t)15;
}

/* fd if it is above 2, else a close-on-exec copy that is (*tmp set to it,
 * for the caller to close). Returns -1 on failure. */
static int spawn_high_fd(int fd, int* tmp) {
  *tmp = -1;
  if (fd > 2)
    return fd;
  *tmp = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  return *tmp;
}

int spawn_start(struct spawn* sp, const struct spawn_args* a) {
  memset(sp, 0, sizeof(*sp));
  sp->pid = -1;
  sp->errfd = -1;
  size_t nargv = spawn_count(a->argv);
  size_t nenv = spawn_count(a->envp);
  if (nargv == 0)
    return -EINVAL;
  size_t data = sizeof(struct spawn_ctx) + 16;
  data += (nargv + 1 + nargv + 2 + nenv + 1) * sizeof(char*) + 48;
  data += spawn_strsize(a->file) + spawn_strsize("/bin/sh");
  data += a->cwd != NULL ? spawn_strsize(a->cwd) : 0;
  for (size_t i = 0; i < nargv; i++) data += spawn_strsize(a->argv[i]);
  for (size_t i = 0; i < nenv; i++) data += spawn_strsize(a->envp[i]);
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  size_t len = (data + SPAWN_STACK_SIZE + page - 1) & ~(page - 1);
  void* mem = mmap(NULL, len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (mem == MAP_FAILED)
    return -errno;
  struct spawn_arena ar = {mem};
  struct spawn_ctx* x = spawn_take(&ar, sizeof(*x));
  x->argv = spawn_take(&ar, (nargv + 1) * sizeof(char*));
  x->shargv = spawn_take(&ar, (nargv + 2) * sizeof(char*));
  x->envp = spawn_take(&ar, (nenv + 1) * sizeof(char*));
  x->file = spawn_copy(&ar, a->file);
  x->cwd = a->cwd != NULL ? spawn_copy(&ar, a->cwd) : NULL;
  for (size_t i = 0; i < nargv; i++) x->argv[i] = spawn_copy(&ar, a->argv[i]);
  x->argv[nargv] = NULL;
  x->shargv[0] = spawn_copy(&ar, "/bin/sh");
  x->shargv[1] = (char*)x->file;
  for (size_t i = 1; i <= nargv; i++) x->shargv[i + 1] = x->argv[i];
  for (size_t i = 0; i < nenv; i++) x->envp[i] = spawn_copy(&ar, a->envp[i]);
  x->envp[nenv] = NULL;
  x->parent = getpid();
  struct rlimit rl;
  x->maxfd = 1023;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
      rl.rlim_cur < (rlim_t)INT32_MAX)
    x->maxfd = (int)rl.rlim_cur - 1;

  int rc = 0;
  int ep[2] = {-1, -1};
  int tmp[4] = {-1, -1, -1, -1};
  if (pipe2(ep, O_CLOEXEC | O_NONBLOCK) != 0) {
    rc = -errno;
    goto fail;
  }
  x->errw = spawn_high_fd(ep[1], &tmp[3]);
  for (int i = 0; i < 3; i++) x->fds[i] = spawn_high_fd(a->fds[i], &tmp[i]);
  if (x->errw < 0 || x->fds[0] < 0 || x->fds[1] < 0 || x->fds[2] < 0) {
    rc = -errno;
    goto fail;
  }

  /* No handler of mcpmon's may run in the child before it reset them. */
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  char* top = (char*)mem + len;
  top = (char*)((uintptr_t)top & ~(uintptr_t)15);
  pid_t pid;
#if SPAWN_RAW
  pid = clone(spawn_child, top, CLONE_VM | SIGCHLD, x);
#else
  pid = fork();
  if (pid == 0)
    spawn_child(x);
#endif
  int e = errno;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (pid < 0) {
    rc = -e;
    goto fail;
  }
  close(ep[1]);
  for (int i = 0; i < 4; i++)
    if (tmp[i] >= 0)
      close(tmp[i]);
  sp->pid = pid;
  sp->errfd = ep[0];
  sp->mem = mem;
  sp->memlen = len;
  return 0;

fail:
  for (int i = 0; i < 4; i++)
    if (tmp[i] >= 0)
      close(tmp[i]);
  if (ep[0] >= 0) {
    close(ep[0]);
    close(ep[1]);
  }
  munmap(mem, len);
  return rc;
}

bool spawn_poll(struct spawn* sp) {
  while (!sp->finished && sp->errfd >= 0) {
    int rec[2];
    ssize_t n = read(sp->errfd, rec, sizeof(rec));
    if (n == (ssize_t)sizeof(rec)) {
      sp->failed_step = rec[0] != SPAWN_STEP_NONE ? rec[0] : SPAWN_STEP_SETUP;
      sp->failed_errno = rec[1];
    } else if (n == 0) {
      sp->finished = true; /* the exec closed it, or the child exited */
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      break; /* EAGAIN: not yet (a record is written whole) */
    }
  }
  return sp->finished;
}

void spawn_end(struct spawn* sp) {
  if (sp->errfd >= 0)
    close(sp->errfd);
  sp->errfd = -1;
  if (sp->mem != NULL && sp->finished)
    munmap(sp->mem, sp->memlen);
  if (sp->finished)
    sp->mem = NULL;
}
