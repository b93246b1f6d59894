/* mcp_bench_server.c - the MCP stdio server that bench/run.sh measures.
 *
 *   mcp_bench_server [--tools-file PATH] [--stubborn] [--hello]
 *                    [--stderr-flood LINES --flood-report PATH]
 *
 * Answers initialize, ping, tools/list and tools/call, one JSON object per
 * line, from one read() loop. Tools: "blob" returns arguments.bytes bytes
 * of text (default 16), built without cJSON so that large results cost the
 * server a memset and a write; every line of --tools-file (read once, at
 * start) is one more tool, which is how the reload benchmark adds a tool.
 * The tools/list result is printed once, at start, and sent as text with
 * the id spliced in, so that a list of 10,000 tools costs the server a
 * write, not a re-print (the gateway benchmark's floor).
 * --hello: first write "mcp_bench_server: started pid N" to stderr (the
 * first output that the comparison with nodemon and entr waits for).
 * --stubborn: ignore SIGTERM and keep running after stdin EOF (until
 * SIGKILL, or 120 s as a safety net), like a server that never shuts down
 * on its own.
 * --stderr-flood: first, before it reads stdin, write LINES lines of 1000
 * bytes ("eee...\n") to stderr as fast as the reader takes them (blocking
 * writes: the reader sets the pace), then write "lines=N bytes=B ns=T" to
 * the --flood-report file (made whole by a rename), T the nanoseconds from
 * the first write to the end of the last; then serve as usual. The stderr
 * throughput benchmark reads that file.
 * Exits 0 on stdin EOF otherwise. C11, cJSON, POSIX; nothing from src/.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SRV_CHUNK 65536
#define SRV_MAX_BLOB ((size_t)256 << 20)

static cJSON* srv_tools;     /* the tools/list result's "tools" array */
static char* srv_tools_text; /* srv_tools printed, once all are added */

static void* srv_xrealloc(void* p, size_t n) {
  void* q = realloc(p, n == 0 ? 1 : n);
  if (q == NULL) {
    fputs("mcp_bench_server: out of memory\n", stderr);
    abort();
  }
  return q;
}

static void srv_write_all(const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = write(STDOUT_FILENO, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0)
      exit(0); /* the reader is gone */
    p += w;
    n -= (size_t)w;
  }
}

/* Sends msg (taken) as one line. */
static void srv_send(cJSON* msg) {
  char* text = cJSON_PrintUnformatted(msg);
  cJSON_Delete(msg);
  if (text == NULL)
    abort();
  size_t n = strlen(text);
  text = srv_xrealloc(text, n + 1);
  text[n] = '\n';
  srv_write_all(text, n + 1);
  free(text);
}

static long long srv_now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* --stderr-flood: lines lines of 1000 bytes to stderr, then the report.
 * A reader that made the pipe non-blocking is waited for with poll(). */
static void srv_flood(long lines, const char* report) {
  static char line[1000];
  memset(line, 'e', sizeof(line) - 1);
  line[sizeof(line) - 1] = '\n';
  long long t0 = srv_now_ns();
  for (long i = 0; i < lines; i++) {
    size_t off = 0;
    while (off < sizeof(line)) {
      ssize_t w = write(STDERR_FILENO, line + off, sizeof(line) - off);
      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        struct pollfd p = {.fd = STDERR_FILENO, .events = POLLOUT};
        poll(&p, 1, -1);
        continue;
      }
      if (w < 0)
        exit(1); /* the reader is gone: no report */
      off += (size_t)w;
    }
  }
  long long ns = srv_now_ns() - t0;
  char tmp[4096];
  snprintf(tmp, sizeof(tmp), "%s.tmp", report);
  FILE* f = fopen(tmp, "w");
  if (f == NULL)
    exit(1);
  fprintf(f, "lines=%ld bytes=%lld ns=%lld\n", lines,
          (long long)lines * (long long)sizeof(line), ns);
  if (fclose(f) != 0 || rename(tmp, report) != 0)
    exit(1);
}

static cJSON* srv_reply(const cJSON* id) {
  cJSON* r = cJSON_CreateObject();
  cJSON_AddStringToObject(r, "jsonrpc", "2.0");
  cJSON_AddItemToObject(r, "id", cJSON_Duplicate(id, 1));
  return r;
}

static void srv_add_tool(const char* name, const char* description) {
  cJSON* t = cJSON_CreateObject();
  cJSON_AddStringToObject(t, "name", name);
  cJSON_AddStringToObject(t, "description", description);
  cJSON* schema = cJSON_AddObjectToObject(t, "inputSchema");
  cJSON_AddStringToObject(schema, "type", "object");
  cJSON* props = cJSON_AddObjectToObject(schema, "properties");
  cJSON* bytes = cJSON_AddObjectToObject(props, "bytes");
  cJSON_AddStringToObject(bytes, "type", "integer");
  cJSON_AddItemToArray(srv_tools, t);
}

static void srv_load_tools(const char* path) {
  FILE* f = fopen(path, "r");
  if (f == NULL)
    return;
  char line[256];
  while (fgets(line, sizeof(line), f) != NULL) {
    line[strcspn(line, "\r\n")] = '\0';
    if (line[0] != '\0')
      srv_add_tool(line, "a tool from the tools file");
  }
  fclose(f);
}

/* The "blob" result, written directly: {"jsonrpc":"2.0","id":ID,"result":
 * {"content":[{"type":"text","text":"xxx..."}]}}. */
static void srv_blob(const cJSON* id, size_t n) {
  char* idtext = cJSON_PrintUnformatted(id);
  char head[512];
  int hl = snprintf(head, sizeof(head),
                    "{\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":{\"content\":"
                    "[{\"type\":\"text\",\"text\":\"",
                    idtext != NULL ? idtext : "null");
  free(idtext);
  static const char tail[] = "\"}],\"isError\":false}}\n";
  size_t total = (size_t)hl + n + sizeof(tail) - 1;
  static char* buf;
  static size_t cap;
  if (total > cap) {
    buf = srv_xrealloc(buf, total);
    cap = total;
  }
  memcpy(buf, head, (size_t)hl);
  memset(buf + hl, 'x', n);
  memcpy(buf + hl + n, tail, sizeof(tail) - 1);
  srv_write_all(buf, total);
}

/* The tools/list answer: the list printed at start, the id spliced in. */
static void srv_list(const cJSON* id) {
  char* idtext = cJSON_PrintUnformatted(id);
  char head[512];
  int hl = snprintf(head, sizeof(head),
                    "{\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":{\"tools\":",
                    idtext != NULL ? idtext : "null");
  free(idtext);
  size_t tl = strlen(srv_tools_text);
  size_t total = (size_t)hl + tl + 3;
  char* buf = srv_xrealloc(NULL, total);
  memcpy(buf, head, (size_t)hl);
  memcpy(buf + hl, srv_tools_text, tl);
  memcpy(buf + hl + tl, "}}\n", 3);
  srv_write_all(buf, total);
  free(buf);
}

static void srv_handle(const char* line, size_t len) {
  cJSON* m = cJSON_ParseWithLength(line, len);
  if (m == NULL)
    return;
  const cJSON* id = cJSON_GetObjectItemCaseSensitive(m, "id");
  const cJSON* method = cJSON_GetObjectItemCaseSensitive(m, "method");
  const cJSON* params = cJSON_GetObjectItemCaseSensitive(m, "params");
  if (id == NULL || !cJSON_IsString(method)) {
    cJSON_Delete(m); /* a notification or a response */
    return;
  }
  const char* meth = method->valuestring;
  cJSON* r = srv_reply(id);
  if (strcmp(meth, "initialize") == 0) {
    cJSON* res = cJSON_AddObjectToObject(r, "result");
    const cJSON* pv =
        cJSON_GetObjectItemCaseSensitive(params, "protocolVersion");
    cJSON_AddStringToObject(
        res, "protocolVersion",
        cJSON_IsString(pv) ? pv->valuestring : "2025-06-18");
    cJSON* caps = cJSON_AddObjectToObject(res, "capabilities");
    cJSON_AddObjectToObject(caps, "tools");
    cJSON* info = cJSON_AddObjectToObject(res, "serverInfo");
    cJSON_AddStringToObject(info, "name", "mcp_bench_server");
    cJSON_AddStringToObject(info, "version", "1.0");
  } else if (strcmp(meth, "ping") == 0) {
    cJSON_AddObjectToObject(r, "result");
  } else if (strcmp(meth, "tools/list") == 0) {
    srv_list(id);
    cJSON_Delete(r);
    cJSON_Delete(m);
    return;
  } else if (strcmp(meth, "tools/call") == 0) {
    const cJSON* args = cJSON_GetObjectItemCaseSensitive(params, "arguments");
    const cJSON* bytes = cJSON_GetObjectItemCaseSensitive(args, "bytes");
    size_t n = 16;
    if (cJSON_IsNumber(bytes) && bytes->valuedouble >= 0 &&
        bytes->valuedouble <= (double)SRV_MAX_BLOB)
      n = (size_t)bytes->valuedouble;
    srv_blob(id, n);
    cJSON_Delete(r);
    cJSON_Delete(m);
    return;
  } else {
    cJSON* err = cJSON_AddObjectToObject(r, "error");
    cJSON_AddNumberToObject(err, "code", -32601);
    cJSON_AddStringToObject(err, "message", "Method not found");
  }
  srv_send(r);
  cJSON_Delete(m);
}

int main(int argc, char** argv) {
  const char* tools_file = NULL;
  bool stubborn = false;
  bool hello = false;
  long flood = 0;
  const char* flood_report = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--tools-file") == 0 && i + 1 < argc) {
      tools_file = argv[++i];
    } else if (strcmp(argv[i], "--stubborn") == 0) {
      stubborn = true;
    } else if (strcmp(argv[i], "--hello") == 0) {
      hello = true;
    } else if (strcmp(argv[i], "--stderr-flood") == 0 && i + 1 < argc) {
      flood = strtol(argv[++i], NULL, 10);
    } else if (strcmp(argv[i], "--flood-report") == 0 && i + 1 < argc) {
      flood_report = argv[++i];
    } else {
      fprintf(stderr,
              "usage: mcp_bench_server [--tools-file PATH] "
              "[--stubborn] [--hello] [--stderr-flood LINES "
              "--flood-report PATH]\n");
      return 2;
    }
  }
  if (hello)
    fprintf(stderr, "mcp_bench_server: started pid %d\n", (int)getpid());
  signal(SIGPIPE, SIG_IGN);
  if (stubborn) {
    signal(SIGTERM, SIG_IGN);
    alarm(120); /* SIGALRM ends it if nobody else does */
  }
  srv_tools = cJSON_CreateArray();
  srv_add_tool("blob", "returns arguments.bytes bytes of text");
  if (tools_file != NULL)
    srv_load_tools(tools_file);
  srv_tools_text = cJSON_PrintUnformatted(srv_tools);
  if (srv_tools_text == NULL)
    abort();
  if (flood > 0 && flood_report != NULL)
    srv_flood(flood, flood_report);

  char* buf = NULL;
  size_t len = 0, cap = 0, scanned = 0;
  for (;;) {
    if (cap - len < SRV_CHUNK) {
      cap = cap * 2 + SRV_CHUNK;
      buf = srv_xrealloc(buf, cap);
    }
    ssize_t n = read(STDIN_FILENO, buf + len, cap - len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    len += (size_t)n;
    size_t start = 0;
    char* nl;
    while ((nl = memchr(buf + scanned, '\n', len - scanned)) != NULL) {
      size_t end = (size_t)(nl - buf);
      srv_handle(buf + start, end - start);
      start = end + 1;
      scanned = start;
    }
    memmove(buf, buf + start, len - start);
    len -= start;
    scanned = len;
  }
  free(buf);
  if (stubborn) {
    for (;;) pause();
  }
  cJSON_Delete(srv_tools);
  free(srv_tools_text);
  return 0;
}
