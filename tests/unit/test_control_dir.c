/* test_control_dir.c - the socket folder rules (src/proto/control_dir.c,
 * issue 12 item 7): the judges on made-up stat results (another owner
 * needs no root here), then make and check on real folders: a symlink, an
 * open mode, a file, a missing folder. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "proto/control_dir.h"

static struct stat fake(mode_t mode, uid_t uid) {
  struct stat st;
  memset(&st, 0, sizeof(st));
  st.st_mode = mode;
  st.st_uid = uid;
  return st;
}

static void test_judge(void) {
  char why[128];
  struct stat st = fake(S_IFDIR | 0700, 1000);
  CHECK_INT(control_dir_judge(&st, 1000, why, sizeof(why)), 0);
  st = fake(S_IFDIR | 02700, 1000); /* setgid from a parent: harmless */
  CHECK_INT(control_dir_judge(&st, 1000, why, sizeof(why)), 0);
  st = fake(S_IFLNK | 0777, 1000);
  CHECK_INT(control_dir_judge(&st, 1000, why, sizeof(why)), -1);
  CHECK_STR(why, "is a symlink");
  st = fake(S_IFREG | 0600, 1000);
  CHECK_INT(control_dir_judge(&st, 1000, why, sizeof(why)), -1);
  CHECK_STR(why, "is not a folder");
  st = fake(S_IFDIR | 0700, 1001);
  CHECK_INT(control_dir_judge(&st, 0, why, sizeof(why)), -1);
  CHECK_STR(why, "is owned by uid 1001, not by this user (uid 0)");
  st = fake(S_IFDIR | 0755, 1000);
  CHECK_INT(control_dir_judge(&st, 1000, why, sizeof(why)), -1);
  CHECK_STR(why, "has mode 0755, not 0700");
  st = fake(S_IFDIR | 0710, 1000);
  CHECK_INT(control_dir_judge(&st, 1000, why, sizeof(why)), -1);
  st = fake(S_IFDIR | 0701, 1000);
  CHECK_INT(control_dir_judge(&st, 1000, why, sizeof(why)), -1);
  st = fake(S_IFDIR | 0500, 1000); /* ours, but no room for a socket */
  CHECK_INT(control_dir_judge(&st, 1000, why, sizeof(why)), -1);
  CHECK_STR(why, "has mode 0500, not 0700");
}

static void test_judge_parent(void) {
  char why[128];
  struct stat st = fake(S_IFDIR | 0755, 1000);
  CHECK_INT(control_dir_judge_parent(&st, 1000, why, sizeof(why)), 0);
  st = fake(S_IFDIR | 01777, 0); /* /tmp */
  CHECK_INT(control_dir_judge_parent(&st, 1000, why, sizeof(why)), 0);
  st = fake(S_IFDIR | 0755, 0); /* /run, for root and others */
  CHECK_INT(control_dir_judge_parent(&st, 1000, why, sizeof(why)), 0);
  st = fake(S_IFDIR | 0777, 1000);
  CHECK_INT(control_dir_judge_parent(&st, 1000, why, sizeof(why)), -1);
  CHECK_STR(why, "can be written by other users (mode 0777) and is not sticky");
  st = fake(S_IFDIR | 0775, 1000);
  CHECK_INT(control_dir_judge_parent(&st, 1000, why, sizeof(why)), -1);
  st = fake(S_IFDIR | 0755, 1001);
  CHECK_INT(control_dir_judge_parent(&st, 1000, why, sizeof(why)), -1);
  CHECK_STR(why, "is owned by uid 1001, not by this user (uid 1000)");
  st = fake(S_IFREG | 0644, 1000);
  CHECK_INT(control_dir_judge_parent(&st, 1000, why, sizeof(why)), -1);
  CHECK_STR(why, "is not a folder");
}

static void test_make_and_check(void) {
  char base[] = "/tmp/test_control_dir-XXXXXX";
  if (mkdtemp(base) == NULL) {
    CHECK(!"mkdtemp");
    return;
  }
  char dir[256], err[1024], want[1024], other[256], file[256];
  /* Made 0700 with its parents. */
  snprintf(dir, sizeof(dir), "%s/a/b/mcpmon", base);
  CHECK_INT(control_dir_make(dir, err, sizeof(err)), 0);
  struct stat st;
  CHECK(lstat(dir, &st) == 0 && (st.st_mode & 07777) == 0700);
  snprintf(other, sizeof(other), "%s/a/b", base);
  CHECK(lstat(other, &st) == 0 && (st.st_mode & 07777) == 0700);
  /* 0700 whatever the umask. */
  snprintf(dir, sizeof(dir), "%s/a/umask", base);
  mode_t old = umask(0777);
  CHECK_INT(control_dir_make(dir, err, sizeof(err)), 0);
  umask(old);
  CHECK(lstat(dir, &st) == 0 && (st.st_mode & 07777) == 0700);
  snprintf(dir, sizeof(dir), "%s/a/b/mcpmon", base);
  CHECK_INT(control_dir_check(dir, err, sizeof(err)), 0);
  CHECK_INT(control_dir_make(dir, err, sizeof(err)), 0); /* again: fine */
  /* Opened up: refused, and left as it was. */
  chmod(dir, 0755);
  CHECK_INT(control_dir_make(dir, err, sizeof(err)), -EACCES);
  snprintf(want, sizeof(want), "the folder '%s' has mode 0755, not 0700", dir);
  CHECK_STR(err, want);
  CHECK_INT(control_dir_check(dir, err, sizeof(err)), -EACCES);
  CHECK_STR(err, want);
  CHECK(lstat(dir, &st) == 0 && (st.st_mode & 07777) == 0755);
  /* A symlink to a good folder: refused, never followed. */
  snprintf(other, sizeof(other), "%s/other", base);
  CHECK(mkdir(other, 0700) == 0);
  snprintf(dir, sizeof(dir), "%s/link", base);
  CHECK(symlink(other, dir) == 0);
  snprintf(want, sizeof(want), "the folder '%s' is a symlink", dir);
  CHECK_INT(control_dir_make(dir, err, sizeof(err)), -EACCES);
  CHECK_STR(err, want);
  CHECK_INT(control_dir_check(dir, err, sizeof(err)), -EACCES);
  CHECK_STR(err, want);
  /* Dangling: mkdir must not create its target. */
  snprintf(dir, sizeof(dir), "%s/dangling", base);
  snprintf(file, sizeof(file), "%s/target", base);
  CHECK(symlink(file, dir) == 0);
  CHECK_INT(control_dir_make(dir, err, sizeof(err)), -EACCES);
  CHECK(access(file, F_OK) != 0);
  /* A file. */
  snprintf(dir, sizeof(dir), "%s/file", base);
  FILE* f = fopen(dir, "w");
  CHECK(f != NULL);
  if (f != NULL)
    fclose(f);
  CHECK_INT(control_dir_make(dir, err, sizeof(err)), -EACCES);
  snprintf(want, sizeof(want), "the folder '%s' is not a folder", dir);
  CHECK_STR(err, want);
  /* Missing: the clients find no instance there. */
  snprintf(dir, sizeof(dir), "%s/missing", base);
  CHECK_INT(control_dir_check(dir, err, sizeof(err)), -ENOENT);
  /* A parent others may write, not sticky: refused, nothing made. */
  snprintf(other, sizeof(other), "%s/pub", base);
  CHECK(mkdir(other, 0700) == 0 && chmod(other, 0777) == 0);
  snprintf(dir, sizeof(dir), "%s/pub/mcpmon", base);
  CHECK_INT(control_dir_make(dir, err, sizeof(err)), -EACCES);
  snprintf(want, sizeof(want),
           "the folder '%s' can be written by other users (mode 0777) and is "
           "not sticky (it holds '%s')",
           other, dir);
  CHECK_STR(err, want);
  CHECK(access(dir, F_OK) != 0);
  CHECK_INT(control_dir_make_parent(other, err, sizeof(err)), -EACCES);
  /* Sticky, as /tmp: fine. */
  CHECK(chmod(other, 01777) == 0);
  CHECK_INT(control_dir_make(dir, err, sizeof(err)), 0);
  CHECK_INT(control_dir_make_parent(other, err, sizeof(err)), 0);
  /* A socket's folder the user named, missing: made, parents too. */
  snprintf(dir, sizeof(dir), "%s/new/sub", base);
  CHECK_INT(control_dir_make_parent(dir, err, sizeof(err)), 0);
  CHECK(lstat(dir, &st) == 0 && S_ISDIR(st.st_mode));
  char cmd[300];
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
  CHECK(system(cmd) == 0);
}

int main(void) {
  test_judge();
  test_judge_parent();
  test_make_and_check();
  return check_done();
}
