/* watch_floor.c - the floor for a recursive watcher, for bench/run.sh's
 * watcher section (issue 18).
 *
 *   watch_floor DIR
 *
 * Walks DIR (readdir, d_type, no stat unless d_type is unknown) and puts
 * one inotify watch on every directory, with the events a file watcher
 * needs (close-write, moves, create, delete), then prints one line and
 * exits: "dirs=N watches=W ms=T hwm_kb=K rss_kb=R", T from the start of
 * main to the last watch. No ignore rules, no extension filter, no path
 * table: the least any recursive inotify watcher must do. C11, POSIX,
 * Linux.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int wf_fd;
static long wf_dirs, wf_watches;

static void wf_walk(char* path, size_t len, size_t cap) {
  int wd = inotify_add_watch(wf_fd, path,
                             IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM |
                                 IN_CREATE | IN_DELETE | IN_DELETE_SELF |
                                 IN_ONLYDIR);
  if (wd >= 0)
    wf_watches++;
  else if (errno == ENOSPC)
    fprintf(stderr, "watch_floor: out of inotify watches at %s\n", path);
  wf_dirs++;
  DIR* d = opendir(path);
  if (d == NULL)
    return;
  struct dirent* e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.' &&
        (e->d_name[1] == '\0' || (e->d_name[1] == '.' && e->d_name[2] == 0)))
      continue;
    size_t nl = strlen(e->d_name);
    if (len + 1 + nl + 1 > cap)
      continue;
    path[len] = '/';
    memcpy(path + len + 1, e->d_name, nl + 1);
    int isdir = e->d_type == DT_DIR;
    if (e->d_type == DT_UNKNOWN) {
      struct stat st;
      isdir = lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
    }
    if (isdir)
      wf_walk(path, len + 1 + nl, cap);
    path[len] = '\0';
  }
  closedir(d);
}

static long wf_status_kb(const char* key) {
  FILE* f = fopen("/proc/self/status", "r");
  if (f == NULL)
    return -1;
  char line[256];
  long v = -1;
  size_t kl = strlen(key);
  while (fgets(line, sizeof(line), f) != NULL) {
    if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
      v = strtol(line + kl + 1, NULL, 10);
      break;
    }
  }
  fclose(f);
  return v;
}

int main(int argc, char** argv) {
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  if (argc != 2) {
    fprintf(stderr, "usage: watch_floor DIR\n");
    return 2;
  }
  wf_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (wf_fd < 0) {
    perror("watch_floor: inotify_init1");
    return 1;
  }
  static char path[8192];
  size_t len = strlen(argv[1]);
  if (len >= sizeof(path))
    return 2;
  memcpy(path, argv[1], len + 1);
  wf_walk(path, len, sizeof(path));
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
              (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
  printf("dirs=%ld watches=%ld ms=%.3f hwm_kb=%ld rss_kb=%ld\n", wf_dirs,
         wf_watches, ms, wf_status_kb("VmHWM"), wf_status_kb("VmRSS"));
  return 0;
}
