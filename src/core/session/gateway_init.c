/* gateway_init.c - see gateway_init.h. */
#include "core/session/gateway_init.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

/* The versions mcpmon knows, newest first (GW-2). */
static const char* const gi_known[] = {"2025-11-25", "2025-06-18", "2025-03-26",
                                       "2024-11-05"};

static const char* gi_version(const cJSON* result) {
  const cJSON* pv = cJSON_GetObjectItemCaseSensitive(result, "protocolVersion");
  return cJSON_IsString(pv) ? pv->valuestring : NULL;
}

/* Merge one capability value into the union: objects member by member
 * (a true flag wins, other members kept from the first that had them),
 * anything else kept from the first. */
static void gi_merge(cJSON* into, const cJSON* from) {
  if (!cJSON_IsObject(into) || !cJSON_IsObject(from))
    return;
  const cJSON* it;
  cJSON_ArrayForEach(it, from) {
    cJSON* have = cJSON_GetObjectItemCaseSensitive(into, it->string);
    if (have == NULL) {
      cJSON_AddItemToObject(into, it->string, cJSON_Duplicate(it, true));
    } else if (cJSON_IsTrue(it) && cJSON_IsFalse(have)) {
      cJSON_ReplaceItemInObjectCaseSensitive(into, it->string,
                                             cJSON_CreateTrue());
    } else if (cJSON_IsObject(have) && cJSON_IsObject(it)) {
      gi_merge(have, it);
    }
  }
}

static void gi_set_true(cJSON* obj, const char* key) {
  cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
  cJSON_AddTrueToObject(obj, key);
}

/* GW-2's fixed superset, for when no backend has answered. */
static void gi_superset(cJSON* caps) {
  cJSON_AddTrueToObject(cJSON_AddObjectToObject(caps, "tools"), "listChanged");
  cJSON_AddTrueToObject(cJSON_AddObjectToObject(caps, "prompts"),
                        "listChanged");
  cJSON* res = cJSON_AddObjectToObject(caps, "resources");
  cJSON_AddTrueToObject(res, "subscribe");
  cJSON_AddTrueToObject(res, "listChanged");
  cJSON_AddObjectToObject(caps, "logging");
  cJSON_AddObjectToObject(caps, "completions");
}

static void gi_union(cJSON* caps, const struct gw_init_part* parts, size_t n) {
  for (size_t i = 0; i < n; i++) {
    const cJSON* c =
        cJSON_GetObjectItemCaseSensitive(parts[i].result, "capabilities");
    if (!cJSON_IsObject(c))
      continue;
    const cJSON* it;
    cJSON_ArrayForEach(it, c) {
      cJSON* have = cJSON_GetObjectItemCaseSensitive(caps, it->string);
      if (have == NULL)
        cJSON_AddItemToObject(caps, it->string, cJSON_Duplicate(it, true));
      else
        gi_merge(have, it);
    }
  }
  /* LIFE-3: mcpmon sends these list_changed itself, after restarts. */
  static const char* listed[] = {"tools", "prompts", "resources"};
  for (size_t i = 0; i < ARRAY_LEN(listed); i++) {
    cJSON* c = cJSON_GetObjectItemCaseSensitive(caps, listed[i]);
    if (c != NULL && !cJSON_IsObject(c)) {
      cJSON_DeleteItemFromObjectCaseSensitive(caps, listed[i]);
      c = cJSON_AddObjectToObject(caps, listed[i]);
    }
    if (c != NULL)
      gi_set_true(c, "listChanged");
  }
}

/* Each backend's instructions under "## name (prefix*)", in order. */
static char* gi_instructions(const struct gw_init_part* parts, size_t n) {
  size_t len = 0;
  for (size_t i = 0; i < n; i++) {
    const cJSON* ins =
        cJSON_GetObjectItemCaseSensitive(parts[i].result, "instructions");
    if (cJSON_IsString(ins) && ins->valuestring[0] != '\0')
      len += strlen(parts[i].name) + strlen(parts[i].prefix) +
             strlen(ins->valuestring) + 32;
  }
  if (len == 0)
    return NULL;
  char* out = xmalloc(len + 1);
  size_t at = 0;
  for (size_t i = 0; i < n; i++) {
    const cJSON* ins =
        cJSON_GetObjectItemCaseSensitive(parts[i].result, "instructions");
    if (!cJSON_IsString(ins) || ins->valuestring[0] == '\0')
      continue;
    at += (size_t)snprintf(out + at, len + 1 - at, "%s## %s (%s*)\n\n%s",
                           at > 0 ? "\n\n" : "", parts[i].name, parts[i].prefix,
                           ins->valuestring);
  }
  return out;
}

cJSON* gw_compose_init(const struct gw_init_part* parts,
                       size_t n,
                       const char* client_version,
                       const char* server_version,
                       struct gw_init_notes* notes) {
  struct gw_init_notes nt = {0};
  const char* oldest = NULL;
  for (size_t i = 0; i < n; i++) {
    const char* v = gi_version(parts[i].result);
    if (parts[i].result == NULL || v == NULL)
      continue;
    nt.ready++;
    /* ISO dates: their order is the strings' order. */
    if (oldest == NULL || strcmp(v, oldest) < 0)
      oldest = v;
    if (nt.newest == NULL || strcmp(v, nt.newest) > 0)
      nt.newest = v;
  }
  cJSON* result = cJSON_CreateObject();
  const char* version = gi_known[0];
  if (oldest != NULL) {
    version = oldest;
    nt.oldest = oldest;
    if (strcmp(oldest, nt.newest) != 0)
      for (size_t i = 0; i < n && nt.forced_by == NULL; i++) {
        const char* v = gi_version(parts[i].result);
        if (v != NULL && strcmp(v, oldest) == 0)
          nt.forced_by = parts[i].name;
      }
  } else if (client_version != NULL) {
    for (size_t i = 0; i < ARRAY_LEN(gi_known); i++)
      if (strcmp(client_version, gi_known[i]) == 0)
        version = gi_known[i];
  }
  cJSON_AddStringToObject(result, "protocolVersion", version);
  cJSON* caps = cJSON_AddObjectToObject(result, "capabilities");
  if (nt.ready == 0)
    gi_superset(caps);
  else
    gi_union(caps, parts, n);
  cJSON* info = cJSON_AddObjectToObject(result, "serverInfo");
  cJSON_AddStringToObject(info, "name", "mcpmon");
  cJSON_AddStringToObject(info, "version", server_version);
  char* ins = gi_instructions(parts, n);
  if (ins != NULL) {
    cJSON_AddStringToObject(result, "instructions", ins);
    free(ins);
  }
  if (notes != NULL)
    *notes = nt;
  return result;
}
