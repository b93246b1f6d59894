/* control_dir.c - see control_dir.h. */
#include "proto/control_dir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int control_dir_judge(const struct stat* st, uid_t uid, char* why, size_t cap) {
  if (S_ISLNK(st->st_mode)) {
    snprintf(why, cap, "is a symlink");
    return -1;
  }
  if (!S_ISDIR(st->st_mode)) {
    snprintf(why, cap, "is not a folder");
    return -1;
  }
  if (st->st_uid != uid) {
    snprintf(why, cap, "is owned by uid %ld, not by this user (uid %ld)",
             (long)st->st_uid, (long)uid);
    return -1;
  }
  /* Set-id and sticky bits give nobody else a way in; rwx bits do. */
  if ((st->st_mode & 0777) != 0700) {
    snprintf(why, cap, "has mode %04o, not 0700",
             (unsigned)(st->st_mode & 07777));
    return -1;
  }
  return 0;
}

int control_dir_judge_parent(const struct stat* st,
                             uid_t uid,
                             char* why,
                             size_t cap) {
  if (!S_ISDIR(st->st_mode)) {
    snprintf(why, cap, "is not a folder");
    return -1;
  }
  if (st->st_uid != uid && st->st_uid != 0) {
    snprintf(why, cap, "is owned by uid %ld, not by this user (uid %ld)",
             (long)st->st_uid, (long)uid);
    return -1;
  }
  /* In a sticky folder only a file's owner may rename or remove it. */
  if ((st->st_mode & (S_IWGRP | S_IWOTH)) != 0 &&
      (st->st_mode & S_ISVTX) == 0) {
    snprintf(why, cap,
             "can be written by other users (mode %04o) and is not sticky",
             (unsigned)(st->st_mode & 07777));
    return -1;
  }
  return 0;
}

/* "the folder 'DIR' WHY" into err; returns rc. */
static int control_dir_fail(
    int rc, const char* dir, const char* why, char* err, size_t errlen) {
  snprintf(err, errlen, "the folder '%s' %s", dir, why);
  return rc;
}

/* Open dir without following a symlink and check it. */
static int control_dir_inspect(const char* dir, char* err, size_t errlen) {
  char why[128];
  struct stat st;
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    if (e == ENOENT) {
      snprintf(err, errlen, "the folder '%s' does not exist", dir);
      return -ENOENT;
    }
    /* A symlink (ELOOP), a file (ENOTDIR), another user's folder
     * (EACCES): say which from its lstat when it tells. */
    if (lstat(dir, &st) == 0 &&
        control_dir_judge(&st, geteuid(), why, sizeof(why)) != 0)
      return control_dir_fail(-EACCES, dir, why, err, errlen);
    snprintf(err, errlen, "cannot open the folder '%s': %s", dir, strerror(e));
    return -e;
  }
  int rc = 0;
  if (fstat(fd, &st) != 0) {
    rc = -errno;
    snprintf(err, errlen, "cannot inspect the folder '%s': %s", dir,
             strerror(-rc));
  } else if (control_dir_judge(&st, geteuid(), why, sizeof(why)) != 0) {
    rc = control_dir_fail(-EACCES, dir, why, err, errlen);
  }
  close(fd);
  return rc;
}

/* mkdir -p with mode 0700 for each folder it creates. */
static int control_dir_mkdirs(const char* dir) {
  char tmp[512];
  int n = snprintf(tmp, sizeof(tmp), "%s", dir);
  if (n < 0 || (size_t)n >= sizeof(tmp))
    return -ENAMETOOLONG;
  for (char* p = tmp + 1; *p; p++) {
    if (*p != '/')
      continue;
    *p = '\0';
    if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
      return -errno;
    *p = '/';
  }
  if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
    return -errno;
  return 0;
}

/* Check the folder that holds a socket: control_dir_judge_parent. */
static int control_dir_check_parent(const char* dir, char* err, size_t errlen) {
  struct stat st;
  if (stat(dir, &st) != 0) {
    int e = errno;
    snprintf(err, errlen, "cannot inspect the folder '%s': %s", dir,
             strerror(e));
    return -e;
  }
  char why[128];
  if (control_dir_judge_parent(&st, geteuid(), why, sizeof(why)) != 0)
    return control_dir_fail(-EACCES, dir, why, err, errlen);
  return 0;
}

int control_dir_make_parent(const char* dir, char* err, size_t errlen) {
  int rc = control_dir_mkdirs(dir);
  if (rc != 0) {
    snprintf(err, errlen, "cannot create the folder '%s': %s", dir,
             strerror(-rc));
    return rc;
  }
  return control_dir_check_parent(dir, err, errlen);
}

int control_dir_make(const char* dir, char* err, size_t errlen) {
  char parent[512];
  int n = snprintf(parent, sizeof(parent), "%s", dir);
  if (n < 0 || (size_t)n >= sizeof(parent)) {
    snprintf(err, errlen, "the folder '%s' has too long a name", dir);
    return -ENAMETOOLONG;
  }
  char* slash = strrchr(parent, '/');
  if (slash != NULL && slash != parent) {
    *slash = '\0';
    char why[512];
    int rc = control_dir_make_parent(parent, why, sizeof(why));
    if (rc != 0) {
      snprintf(err, errlen, "%s (it holds '%s')", why, dir);
      return rc;
    }
  }
  if (mkdir(dir, 0700) == 0) {
    /* 0700 whatever the umask took away. Made just now in a parent that
     * nobody else may write (or sticky), so it is still ours. */
    (void)chmod(dir, 0700);
  } else if (errno != EEXIST) {
    int e = errno;
    snprintf(err, errlen, "cannot create the folder '%s': %s", dir,
             strerror(e));
    return -e;
  }
  return control_dir_inspect(dir, err, errlen);
}

int control_dir_check(const char* dir, char* err, size_t errlen) {
  return control_dir_inspect(dir, err, errlen);
}
