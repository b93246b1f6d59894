/* ts_spec.c - the test server's spec: the JSON file read once at start,
 * and typed access to its keys and to the arguments of a request. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcp_testserver.h"

const cJSON* ts_spec(const char* key) {
  return cJSON_GetObjectItemCaseSensitive(ts.spec, key);
}

/* True (and *out set) when key holds a number; null or absent is false. */
bool ts_spec_int(const char* key, long* out) {
  const cJSON* v = ts_spec(key);
  if (!cJSON_IsNumber(v))
    return false;
  *out = (long)v->valuedouble;
  return true;
}

bool ts_spec_bool(const char* key, bool dflt) {
  const cJSON* v = ts_spec(key);
  if (cJSON_IsBool(v))
    return cJSON_IsTrue(v);
  return dflt;
}

bool ts_has_resources(void) {
  return ts_spec("resources") != NULL || ts_spec("resourceTemplates") != NULL ||
         ts_spec("unlisted_resources") != NULL;
}

const char* ts_spec_str(const char* key) {
  const cJSON* v = ts_spec(key);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

long ts_arg_int(const cJSON* args, const char* key, long dflt) {
  const cJSON* v = cJSON_GetObjectItemCaseSensitive(args, key);
  return cJSON_IsNumber(v) ? (long)v->valuedouble : dflt;
}

const char* ts_arg_str(const cJSON* args, const char* key) {
  const cJSON* v = cJSON_GetObjectItemCaseSensitive(args, key);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

cJSON* ts_load_spec(const char* path) {
  FILE* f = fopen(path, "rb");
  if (f == NULL) {
    fprintf(stderr, "mcp_testserver: %s: %s\n", path, strerror(errno));
    exit(2);
  }
  char* buf = NULL;
  size_t len = 0;
  size_t cap = 0;
  for (;;) {
    if (cap - len < 4096) {
      cap = cap ? cap * 2 : 8192;
      buf = ts_xrealloc(buf, cap);
    }
    size_t n = fread(buf + len, 1, cap - len, f);
    len += n;
    if (n == 0)
      break;
  }
  fclose(f);
  cJSON* spec = cJSON_ParseWithLength(buf, len);
  free(buf);
  if (!cJSON_IsObject(spec)) {
    fprintf(stderr, "mcp_testserver: %s: not a JSON object\n", path);
    exit(2);
  }
  return spec;
}
