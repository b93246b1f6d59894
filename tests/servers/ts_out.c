/* ts_out.c - the test server's output: lines, raw bytes and garbage on
 * stdout or stderr, JSON-RPC messages and answers, the recorded lists of
 * "state", closing stdout; and the allocation wrappers everything uses. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mcp_testserver.h"

#define TS_RECORD_MAX 200 /* entries kept in each recorded list */

void* ts_xrealloc(void* p, size_t n) {
  void* q = realloc(p, n == 0 ? 1 : n);
  if (q == NULL) {
    fprintf(stderr, "mcp_testserver: out of memory\n");
    abort();
  }
  return q;
}

void ts_oom_check(const void* p) {
  if (p == NULL) {
    fprintf(stderr, "mcp_testserver: out of memory\n");
    abort();
  }
}

/* Write len bytes and a '\n' to fd in one write loop. A closed stdout
 * means the client is gone: exit quietly. */
void ts_write_line(int fd, const char* s, size_t len) {
  char* buf = ts_xrealloc(NULL, len + 1);
  memcpy(buf, s, len);
  buf[len] = '\n';
  size_t off = 0;
  while (off < len + 1) {
    ssize_t n = write(fd, buf + off, len + 1 - off);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN)
        continue;
      free(buf);
      if (fd == STDOUT_FILENO)
        exit(0);
      return;
    }
    off += (size_t)n;
  }
  free(buf);
}

/* Send one message to the client. Takes ownership of msg. */
void ts_send(cJSON* msg) {
  char* s = cJSON_PrintUnformatted(msg);
  ts_oom_check(s);
  ts_write_line(STDOUT_FILENO, s, strlen(s));
  free(s);
  cJSON_Delete(msg);
}

cJSON* ts_message(void) {
  cJSON* m = cJSON_CreateObject();
  ts_oom_check(m);
  cJSON_AddStringToObject(m, "jsonrpc", "2.0");
  return m;
}

/* Answer request id with result (ownership of result passes). */
void ts_result(const cJSON* id, cJSON* result) {
  cJSON* m = ts_message();
  cJSON_AddItemToObject(m, "id", cJSON_Duplicate(id, true));
  cJSON_AddItemToObject(m, "result", result);
  ts_send(m);
}

void ts_error(const cJSON* id, int code, const char* message) {
  cJSON* m = ts_message();
  cJSON_AddItemToObject(m, "id", cJSON_Duplicate(id, true));
  cJSON* e = cJSON_AddObjectToObject(m, "error");
  cJSON_AddNumberToObject(e, "code", code);
  cJSON_AddStringToObject(e, "message", message);
  ts_send(m);
}

/* Answer a tools/call with one text content item. */
void ts_text(const cJSON* id, const char* text, bool is_error) {
  cJSON* r = cJSON_CreateObject();
  cJSON* content = cJSON_AddArrayToObject(r, "content");
  cJSON* item = cJSON_CreateObject();
  cJSON_AddStringToObject(item, "type", "text");
  cJSON_AddStringToObject(item, "text", text);
  cJSON_AddItemToArray(content, item);
  if (is_error)
    cJSON_AddTrueToObject(r, "isError");
  ts_result(id, r);
}

void ts_notify(const char* method, cJSON* params) {
  cJSON* m = ts_message();
  cJSON_AddStringToObject(m, "method", method);
  if (params != NULL)
    cJSON_AddItemToObject(m, "params", params);
  ts_send(m);
}

/* Append a copy of item to a recorded list, keeping the last entries. */
void ts_record(cJSON* list, cJSON* item) {
  cJSON_AddItemToArray(list, item);
  while (cJSON_GetArraySize(list) > TS_RECORD_MAX)
    cJSON_DeleteItemFromArray(list, 0);
}

/* Write n bytes of deterministic binary garbage to stdout, then '\n'. */
void ts_write_garbage(long n, unsigned seed) {
  char* buf = ts_xrealloc(NULL, n > 0 ? (size_t)n : 1);
  uint32_t x = seed ? seed : 2463534242u;
  for (long i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    buf[i] = (char)(x >> 24);
  }
  ts_write_line(STDOUT_FILENO, buf, n > 0 ? (size_t)n : 0);
  free(buf);
}

/* Write raw bytes to stdout (no '\n' added); a closed stdout ends us as in
 * ts_write_line. */
void ts_write_raw(const char* s, size_t len) {
  while (len > 0) {
    ssize_t n = write(STDOUT_FILENO, s, len);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN)
        continue;
      exit(0);
    }
    s += n;
    len -= (size_t)n;
  }
}

/* Close stdout for mcpmon (it sees EOF) but keep running: fd 1 becomes
 * /dev/null, so what is written later goes nowhere. */
void ts_close_stdout(void) {
  fprintf(stderr, "mcp_testserver: closing stdout, still running\n");
  close(STDOUT_FILENO);
  int fd = open("/dev/null", O_WRONLY);
  if (fd >= 0 && fd != STDOUT_FILENO) {
    dup2(fd, STDOUT_FILENO);
    close(fd);
  }
}
