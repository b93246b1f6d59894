/* config_yaml.c - see config_yaml.h.
 *
 * Two passes. yaml_tree.h reads the text into a tree of our own, bounded
 * in size after alias expansion; then this file validates the tree
 * against the schema into a scratch mcpmon_config, expanding values
 * (expand.h) as it goes, and moves its servers into the caller's only
 * when everything passed. Mappings are read through yaml_map.h, which
 * applies "<<" merge keys and refuses duplicate keys.
 */
#include "config/config_yaml.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/cfgutil.h"
#include "config/expand.h"
#include "config/yaml_map.h"
#include "config/yaml_tree.h"
#include "config/yaml_values.h"
#include "lib/suggest.h"

#define CY_MAX_FILE (4u * 1024u * 1024u)
#define CY_MAX_NAME 64 /* server names */
#define CY_MAX_SEPARATOR 8
#define CY_MAX_EXTS 256 /* per server: duplicates are found by scanning */

struct cy_ctx {
  struct config_error* err;
  char* base_dir; /* absolute, normalised */
  struct yaml_tree tree;
  size_t bytes; /* scalar text so far, aliases and $VARs expanded */
  bool queue_timeout_given;
};

static int cy_lookup(const char* const* names, size_t n, const char* key) {
  for (size_t i = 0; i < n; i++) {
    if (strcmp(names[i], key) == 0)
      return (int)i;
  }
  return -1;
}

static const char* const cy_top_keys[] = {
    "servers",       "separator",    "delay",        "grace",
    "queue_timeout", "reload",       "drain",        "init_timeout",
    "crash_retries", "crash_window", "control_tools"};
enum {
  TK_SERVERS,
  TK_SEPARATOR,
  TK_DELAY,
  TK_GRACE,
  TK_QUEUE,
  TK_RELOAD,
  TK_DRAIN,
  TK_INIT_TIMEOUT,
  TK_CRASH_RETRIES,
  TK_CRASH_WINDOW,
  TK_CONTROL_TOOLS,
  TK_COUNT
};

static const char* const cy_server_keys[] = {
    "command",      "args",          "watch",        "extensions",
    "ignore",       "env",           "cwd",          "enabled",
    "delay",        "grace",         "reload",       "drain",
    "init_timeout", "crash_retries", "crash_window", "build"};
enum {
  SK_COMMAND,
  SK_ARGS,
  SK_WATCH,
  SK_EXTENSIONS,
  SK_IGNORE,
  SK_ENV,
  SK_CWD,
  SK_ENABLED,
  SK_DELAY,
  SK_GRACE,
  SK_RELOAD,
  SK_DRAIN,
  SK_INIT_TIMEOUT,
  SK_CRASH_RETRIES,
  SK_CRASH_WINDOW,
  SK_BUILD,
  SK_COUNT
};

static int cy_unknown(struct cy_ctx* c,
                      const struct yaml_tree_node* key,
                      const char* const* names,
                      size_t n,
                      const char* where,
                      const char* hint) {
  const char* s = suggest_name(key->text, key->len, names, n);
  if (s != NULL)
    return yaml_tree_fail(c->err, key,
                          "unknown key '%.64s'%s (did you mean '%s'?)",
                          key->text, where, s);
  if (hint != NULL)
    return yaml_tree_fail(c->err, key, "unknown key '%.64s'%s (%s)", key->text,
                          where, hint);
  return yaml_tree_fail(c->err, key, "unknown key '%.64s'%s", key->text, where);
}

/* Scalars. */

/* The text of the string n. item: n is an item of the list label. */
static int cy_str(struct cy_ctx* c,
                  const struct yaml_tree_node* n,
                  const char* label,
                  bool item,
                  const char** out) {
  if (n->kind != YAML_TREE_SCALAR || yaml_tree_is_null(n)) {
    if (!item)
      return yaml_tree_fail(c->err, n, "expected a string for '%s', got %s",
                            label, yaml_tree_what(n));
    return yaml_tree_fail(
        c->err, n, "expected a string for each item of '%s', got %s%s", label,
        yaml_tree_what(n),
        n->kind == YAML_TREE_MAP ? " (quote items that contain ': ')" : "");
  }
  if (yaml_tree_has_nul(n))
    return yaml_tree_fail(c->err, n, "'%s' contains a NUL character", label);
  *out = n->text;
  return 0;
}

/* s with "~" and $VARs expanded (expand_vars()), into *out (owned by
 * the caller), counted against YAML_TREE_MAX_BYTES with the document.
 * label names the key for errors at at. */
static int cy_expand(struct cy_ctx* c,
                     const struct yaml_tree_node* at,
                     const char* label,
                     const char* s,
                     char** out) {
  char why[sizeof(c->err->msg)];
  if (expand_vars(s, label, &c->bytes, YAML_TREE_MAX_BYTES, out, why,
                  sizeof(why)) != 0)
    return yaml_tree_fail(c->err, at, "%s", why);
  return 0;
}

/* reload, drain, init_timeout, crash_retries and crash_window at
 * v[0] .. v[4] (the same order in both key lists), into sc. */
static int cy_reload_keys(struct cy_ctx* c,
                          const struct yaml_tree_node* const* v,
                          struct server_config* sc) {
  if (v[0] != NULL && yaml_value_reload(c->err, v[0], &sc->reload) != 0)
    return -1;
  if (v[1] != NULL && yaml_value_ms(c->err, v[1], "drain", 0,
                                    CONFIG_MAX_DRAIN_MS, &sc->drain_ms) != 0)
    return -1;
  if (v[2] != NULL &&
      yaml_value_ms(c->err, v[2], "init_timeout", CONFIG_MIN_INIT_TIMEOUT_MS,
                    CONFIG_MAX_INIT_TIMEOUT_MS, &sc->init_timeout_ms) != 0)
    return -1;
  if (v[3] != NULL &&
      yaml_value_count(c->err, v[3], "crash_retries", CONFIG_MIN_CRASH_RETRIES,
                       CONFIG_MAX_CRASH_RETRIES, &sc->crash_retries) != 0)
    return -1;
  if (v[4] != NULL &&
      yaml_value_ms(c->err, v[4], "crash_window", CONFIG_MIN_CRASH_WINDOW_MS,
                    CONFIG_MAX_CRASH_WINDOW_MS, &sc->crash_window_ms) != 0)
    return -1;
  return 0;
}

/* Server settings. */

typedef int (*cy_item_fn)(struct cy_ctx* c,
                          const struct yaml_tree_node* at,
                          const char* text,
                          struct server_config* sc);

/* Calls fn for each string of the list n, or for n itself when it is a
 * string and single is set. */
static int cy_strings(struct cy_ctx* c,
                      const struct yaml_tree_node* n,
                      const char* label,
                      bool single,
                      cy_item_fn fn,
                      struct server_config* sc) {
  const char* s;
  if (n->kind == YAML_TREE_SCALAR && single) {
    if (cy_str(c, n, label, false, &s) != 0)
      return -1;
    return fn(c, n, s, sc);
  }
  if (n->kind != YAML_TREE_SEQ)
    return yaml_tree_fail(
        c->err, n, "expected a list of strings%s for '%s', got %s",
        single ? " or a string" : "", label, yaml_tree_what(n));
  for (size_t i = 0; i < n->nkids; i++) {
    if (cy_str(c, n->kids[i], label, true, &s) != 0 ||
        fn(c, n->kids[i], s, sc) != 0)
      return -1;
  }
  return 0;
}

static int cy_add_arg(struct cy_ctx* c,
                      const struct yaml_tree_node* at,
                      const char* text,
                      struct server_config* sc) {
  char* v;
  if (cy_expand(c, at, "args", text, &v) != 0)
    return -1;
  strvec_push(&sc->args, v);
  free(v);
  return 0;
}

static int cy_add_watch(struct cy_ctx* c,
                        const struct yaml_tree_node* at,
                        const char* text,
                        struct server_config* sc) {
  char* v;
  if (cy_expand(c, at, "watch", text, &v) != 0)
    return -1;
  if (*v == '\0') {
    free(v);
    return yaml_tree_fail(c->err, at, "empty path in 'watch'");
  }
  char* abs = expand_resolve(c->base_dir, v);
  strvec_push(&sc->watch, abs);
  free(abs);
  free(v);
  return 0;
}

/* The comma-separated extensions in text (config_add_exts(), with the
 * command line's --ext rules), at most CY_MAX_EXTS. */
static int cy_add_exts(struct cy_ctx* c,
                       const struct yaml_tree_node* at,
                       const char* text,
                       struct server_config* sc) {
  const char* item;
  size_t n;
  switch (config_add_exts(&sc->exts, text, CONFIG_EXT_BLANKS, CY_MAX_EXTS,
                          &item, &n)) {
    case 0:
      return 0;
    case CONFIG_EXT_EMPTY:
      return yaml_tree_fail(c->err, at, "empty extension in 'extensions'");
    case CONFIG_EXT_INVALID:
      return yaml_tree_fail(c->err, at,
                            "expected extensions like py,json (or * for all "
                            "files) in 'extensions', got '%.*s'",
                            n > 64 ? 64 : (int)n, item);
    default:
      return yaml_tree_fail(
          c->err, at, "more than %d extensions in 'extensions'", CY_MAX_EXTS);
  }
}

static int cy_add_ignore(struct cy_ctx* c,
                         const struct yaml_tree_node* at,
                         const char* text,
                         struct server_config* sc) {
  if (*text == '\0')
    return yaml_tree_fail(c->err, at, "empty pattern in 'ignore'");
  strvec_push(&sc->ignore, text);
  return 0;
}

static int cy_env(struct cy_ctx* c,
                  const struct yaml_tree_node* n,
                  struct server_config* sc) {
  if (n->kind != YAML_TREE_MAP)
    return yaml_tree_fail(c->err, n,
                          "expected a mapping of variable names to values for "
                          "'env', got %s",
                          yaml_tree_what(n));
  struct yaml_map es;
  int rc = yaml_map_read(n, "key", " in 'env'", &es, c->err);
  for (size_t i = 0; i < es.n && rc == 0; i++) {
    const struct yaml_tree_node* k = es.v[i].key;
    const struct yaml_tree_node* v = es.v[i].val;
    if (!expand_var_name_ok(k->text, k->len)) {
      rc = yaml_tree_fail(c->err, k,
                          "'%.64s' is not a valid environment variable name "
                          "(in 'env')",
                          k->text);
      break;
    }
    if (v->kind != YAML_TREE_SCALAR || yaml_tree_is_null(v)) {
      rc = yaml_tree_fail(
          c->err, v, "expected a string for '%.64s' in 'env', got %s%s",
          k->text, yaml_tree_what(v),
          yaml_tree_is_null(v) ? " (write '' for an empty value)" : "");
      break;
    }
    if (yaml_tree_has_nul(v)) {
      rc = yaml_tree_fail(c->err, v, "'env' contains a NUL character");
      break;
    }
    char* val;
    rc = cy_expand(c, v, "env", v->text, &val);
    if (rc != 0)
      break;
    struct cfg_buf b = {0};
    cfg_buf_add(&b, k->text, k->len);
    cfg_buf_add(&b, "=", 1);
    cfg_buf_add(&b, val, strlen(val));
    strvec_push(&sc->env, b.p);
    free(b.p);
    free(val);
  }
  yaml_map_free(&es);
  return rc;
}

/* A string setting that expands and must not end up empty. */
static int cy_expanded(struct cy_ctx* c,
                       const struct yaml_tree_node* n,
                       const char* label,
                       char** out) {
  const char* s;
  if (cy_str(c, n, label, false, &s) != 0 ||
      cy_expand(c, n, label, s, out) != 0)
    return -1;
  if (**out != '\0')
    return 0;
  free(*out);
  *out = NULL;
  return yaml_tree_fail(c->err, n, "'%s' is empty", label);
}

static int cy_server_name(struct cy_ctx* c, const struct yaml_tree_node* key) {
  if (key->len == 0)
    return yaml_tree_fail(c->err, key, "a server name is empty");
  size_t chars = 0; /* UTF-8 characters: bytes that do not continue one */
  for (size_t i = 0; i < key->len; i++) {
    unsigned char ch = (unsigned char)key->text[i];
    if (ch < 0x20 || ch == 0x7f)
      return yaml_tree_fail(c->err, key,
                            "server name '%.64s' has a control character",
                            key->text);
    chars += (ch & 0xc0) != 0x80;
  }
  if (chars > CY_MAX_NAME)
    return yaml_tree_fail(c->err, key,
                          "server name '%.64s...' is longer than %d characters",
                          key->text, CY_MAX_NAME);
  return 0;
}

/* Fills sc, whose delay and grace hold the top-level defaults, from the
 * entry key: val of 'servers'. */
static int cy_server(struct cy_ctx* c,
                     const struct yaml_tree_node* key,
                     const struct yaml_tree_node* val,
                     struct server_config* sc) {
  if (cy_server_name(c, key) != 0)
    return -1;
  sc->name = cfg_xstrdup(key->text);
  if (yaml_tree_is_null(val))
    return yaml_tree_fail(c->err, key, "missing 'command' in server '%s'",
                          sc->name);
  if (val->kind != YAML_TREE_MAP)
    return yaml_tree_fail(c->err, val,
                          "expected a mapping of settings for server '%s', "
                          "got %s",
                          sc->name, yaml_tree_what(val));
  char where[CY_MAX_NAME * 4 + 32];
  snprintf(where, sizeof(where), " in server '%s'", sc->name);
  struct yaml_map es;
  if (yaml_map_read(val, "key", where, &es, c->err) != 0) {
    yaml_map_free(&es);
    return -1;
  }
  const struct yaml_tree_node* k[SK_COUNT] = {NULL};
  const struct yaml_tree_node* v[SK_COUNT] = {NULL};
  int rc = 0;
  for (size_t i = 0; i < es.n && rc == 0; i++) {
    int id = cy_lookup(cy_server_keys, SK_COUNT, es.v[i].key->text);
    if (id < 0) {
      bool top = cy_lookup(cy_top_keys, TK_COUNT, es.v[i].key->text) >= 0;
      rc = cy_unknown(c, es.v[i].key, cy_server_keys, SK_COUNT, where,
                      top ? "it belongs at the top level" : NULL);
      break;
    }
    k[id] = es.v[i].key;
    v[id] = yaml_tree_is_null(es.v[i].val) ? NULL : es.v[i].val;
  }
  yaml_map_free(&es);
  if (rc != 0)
    return -1;

  if (v[SK_COMMAND] == NULL)
    return yaml_tree_fail(c->err, k[SK_COMMAND] ? k[SK_COMMAND] : key,
                          "missing 'command' in server '%s'", sc->name);
  if (cy_expanded(c, v[SK_COMMAND], "command", &sc->command) != 0)
    return -1;
  if (v[SK_CWD] != NULL) {
    char* cwd;
    if (cy_expanded(c, v[SK_CWD], "cwd", &cwd) != 0)
      return -1;
    sc->cwd = expand_resolve(c->base_dir, cwd);
    free(cwd);
  }
  if (strchr(sc->command, '/') != NULL && sc->command[0] != '/') {
    char* abs = expand_resolve(sc->cwd ? sc->cwd : c->base_dir, sc->command);
    free(sc->command);
    sc->command = abs;
  }
  if (v[SK_ARGS] != NULL &&
      cy_strings(c, v[SK_ARGS], "args", false, cy_add_arg, sc) != 0)
    return -1;
  bool watch_on = false;
  if (v[SK_WATCH] != NULL && v[SK_WATCH]->kind == YAML_TREE_SCALAR &&
      v[SK_WATCH]->plain && !yaml_tree_has_nul(v[SK_WATCH]) &&
      yaml_tree_bool_word(v[SK_WATCH]->text, &watch_on)) {
    /* Issue 15: watch: false, nothing watched (restarts on command); a
     * folder named so can be quoted. */
    if (watch_on)
      return yaml_tree_fail(c->err, v[SK_WATCH],
                            "'watch' expects a path, a list of paths or "
                            "false, not %s (leave it out to watch the "
                            "config file's directory)",
                            v[SK_WATCH]->text);
  } else if (v[SK_WATCH] != NULL) {
    if (cy_strings(c, v[SK_WATCH], "watch", true, cy_add_watch, sc) != 0)
      return -1;
    /* watch: [] is false too. */
  } else {
    strvec_push(&sc->watch, c->base_dir);
  }
  if (v[SK_EXTENSIONS] != NULL) {
    if (cy_strings(c, v[SK_EXTENSIONS], "extensions", true, cy_add_exts, sc) !=
        0)
      return -1;
    if (sc->exts.n == 0)
      return yaml_tree_fail(
          c->err, v[SK_EXTENSIONS],
          "'extensions' is an empty list; use '*' for all files");
  } else {
    const char* item;
    size_t n;
    config_add_exts(&sc->exts, config_default_exts(sc->command, NULL), "",
                    CY_MAX_EXTS, &item, &n);
    sc->exts_default = true;
  }
  if (v[SK_IGNORE] != NULL &&
      cy_strings(c, v[SK_IGNORE], "ignore", true, cy_add_ignore, sc) != 0)
    return -1;
  if (v[SK_ENV] != NULL && cy_env(c, v[SK_ENV], sc) != 0)
    return -1;
  if (v[SK_ENABLED] != NULL &&
      yaml_value_bool(c->err, v[SK_ENABLED], "enabled", &sc->enabled) != 0)
    return -1;
  if (v[SK_DELAY] != NULL) {
    if (yaml_value_ms(c->err, v[SK_DELAY], "delay", 0, CONFIG_MAX_DELAY_MS,
                      &sc->delay_ms) != 0)
      return -1;
    sc->delay_fixed = true; /* issue 18: a fixed quiet time */
  }
  if (v[SK_GRACE] != NULL &&
      yaml_value_ms(c->err, v[SK_GRACE], "grace", 0, CONFIG_MAX_GRACE_MS,
                    &sc->grace_ms) != 0)
    return -1;
  if (v[SK_BUILD] != NULL) {
    const char* cmd;
    if (cy_str(c, v[SK_BUILD], "build", false, &cmd) != 0)
      return -1;
    if (cmd[0] == '\0')
      return yaml_tree_fail(c->err, v[SK_BUILD],
                            "'build' is empty; leave it out for no build");
    sc->build = cfg_xstrdup(cmd);
  }
  return cy_reload_keys(c, &v[SK_RELOAD], sc);
}

static bool cy_separator_char(char ch) {
  return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
         (ch >= '0' && ch <= '9') || ch == '_' || ch == ':' || ch == '.' ||
         ch == '-';
}

static int cy_separator(struct cy_ctx* c,
                        const struct yaml_tree_node* n,
                        struct mcpmon_config* cfg) {
  const char* s;
  if (cy_str(c, n, "separator", false, &s) != 0)
    return -1;
  bool ok = n->len >= 1 && n->len <= CY_MAX_SEPARATOR;
  for (const char* p = s; *p != '\0' && ok; p++) ok = cy_separator_char(*p);
  if (!ok)
    return yaml_tree_fail(c->err, n,
                          "'separator' must be 1 to %d characters from A-Z, "
                          "a-z, 0-9 and _ : . -, not '%.64s'",
                          CY_MAX_SEPARATOR, s);
  free(cfg->separator);
  cfg->separator = cfg_xstrdup(s);
  return 0;
}

/* Validates the tree into cfg, a config_init()ed scratch config. */
static int cy_config(struct cy_ctx* c, struct mcpmon_config* cfg) {
  const struct yaml_tree_node* root = c->tree.root;
  if (root == NULL || yaml_tree_is_null(root))
    return config_error_set(
        c->err, 1, 0, "no servers defined (expected a 'servers:' mapping)");
  if (root->kind != YAML_TREE_MAP)
    return yaml_tree_fail(c->err, root,
                          "expected a mapping with 'servers:' at the top "
                          "level, got %s",
                          yaml_tree_what(root));
  struct yaml_map es;
  if (yaml_map_read(root, "key", "", &es, c->err) != 0) {
    yaml_map_free(&es);
    return -1;
  }
  const struct yaml_tree_node* k[TK_COUNT] = {NULL};
  const struct yaml_tree_node* v[TK_COUNT] = {NULL};
  int rc = 0;
  for (size_t i = 0; i < es.n && rc == 0; i++) {
    const char* name = es.v[i].key->text;
    if (strncmp(name, "x-", 2) == 0)
      continue; /* room for anchors, as in docker compose */
    int id = cy_lookup(cy_top_keys, TK_COUNT, name);
    if (id < 0) {
      bool srv = cy_lookup(cy_server_keys, SK_COUNT, es.v[i].key->text) >= 0;
      rc =
          cy_unknown(c, es.v[i].key, cy_top_keys, TK_COUNT, " at the top level",
                     srv ? "server settings go under servers: NAME:" : NULL);
      break;
    }
    k[id] = es.v[i].key;
    v[id] = yaml_tree_is_null(es.v[i].val) ? NULL : es.v[i].val;
  }
  yaml_map_free(&es);
  if (rc != 0)
    return -1;

  unsigned delay = CONFIG_DEFAULT_DELAY_MS;
  unsigned grace = CONFIG_DEFAULT_GRACE_MS;
  struct server_config dflt;
  server_config_init(&dflt);
  if (cy_reload_keys(c, &v[TK_RELOAD], &dflt) != 0)
    return -1;
  if (v[TK_SEPARATOR] != NULL && cy_separator(c, v[TK_SEPARATOR], cfg) != 0)
    return -1;
  bool ctools = false;
  if (v[TK_CONTROL_TOOLS] != NULL &&
      yaml_value_bool(c->err, v[TK_CONTROL_TOOLS], "control_tools", &ctools) !=
          0)
    return -1;
  cfg->control_tools = cfg->control_tools || ctools; /* or --control-tools */
  if (v[TK_DELAY] != NULL && yaml_value_ms(c->err, v[TK_DELAY], "delay", 0,
                                           CONFIG_MAX_DELAY_MS, &delay) != 0)
    return -1;
  if (v[TK_GRACE] != NULL && yaml_value_ms(c->err, v[TK_GRACE], "grace", 0,
                                           CONFIG_MAX_GRACE_MS, &grace) != 0)
    return -1;
  if (v[TK_QUEUE] != NULL) {
    if (yaml_value_ms(c->err, v[TK_QUEUE], "queue_timeout",
                      CONFIG_MIN_QUEUE_TIMEOUT_MS, CONFIG_MAX_QUEUE_TIMEOUT_MS,
                      &cfg->queue_timeout_ms) != 0)
      return -1;
    c->queue_timeout_given = true;
  }

  const struct yaml_tree_node* servers = v[TK_SERVERS];
  if (servers == NULL) {
    if (k[TK_SERVERS] != NULL)
      return yaml_tree_fail(c->err, k[TK_SERVERS],
                            "no servers defined under 'servers:'");
    return yaml_tree_fail(c->err, root,
                          "no servers defined (expected a 'servers:' mapping)");
  }
  if (servers->kind != YAML_TREE_MAP)
    return yaml_tree_fail(c->err, servers,
                          "expected a mapping of server names to settings for "
                          "'servers', got %s",
                          yaml_tree_what(servers));
  if (yaml_map_read(servers, "server name", "", &es, c->err) != 0) {
    yaml_map_free(&es);
    return -1;
  }
  if (es.n == 0)
    rc = yaml_tree_fail(c->err, k[TK_SERVERS],
                        "no servers defined under 'servers:'");
  for (size_t i = 0; i < es.n && rc == 0; i++) {
    struct server_config* sc = config_add_server(cfg);
    sc->delay_ms = delay;
    sc->delay_fixed = v[TK_DELAY] != NULL;
    sc->grace_ms = grace;
    sc->reload = dflt.reload;
    sc->drain_ms = dflt.drain_ms;
    sc->init_timeout_ms = dflt.init_timeout_ms;
    sc->crash_retries = dflt.crash_retries;
    sc->crash_window_ms = dflt.crash_window_ms;
    rc = cy_server(c, es.v[i].key, es.v[i].val, sc);
    if (rc == 0 && cfg->control_tools && strcmp(sc->name, "mcpmon") == 0)
      rc = yaml_tree_fail(c->err, es.v[i].key,
                          "the server name 'mcpmon' is taken by mcpmon's own "
                          "tools (control_tools: true or --control-tools "
                          "names them mcpmon__status, ...); rename the "
                          "server");
  }
  yaml_map_free(&es);
  return rc;
}

static void cy_clear_servers(struct mcpmon_config* cfg) {
  for (size_t i = 0; i < cfg->nservers; i++)
    server_config_free(&cfg->servers[i]);
  free(cfg->servers);
  cfg->servers = NULL;
  cfg->nservers = 0;
}

static void cy_error_init(struct config_error* e, const char* file) {
  memset(e, 0, sizeof(*e));
  snprintf(e->file, sizeof(e->file), "%s", file != NULL ? file : "");
}

int config_parse_yaml(const char* text,
                      size_t len,
                      const char* display_path,
                      const char* base_dir,
                      struct mcpmon_config* cfg,
                      struct config_error* err) {
  struct config_error local;
  if (err == NULL)
    err = &local;
  cy_error_init(err, display_path);
  struct cy_ctx c = {.err = err};
  struct mcpmon_config tmp;
  config_init(&tmp);
  int rc = -1;
  if (len > CY_MAX_FILE) {
    config_error_set(c.err, 0, 0,
                     "file is too large (%zu bytes; the limit is 4 MiB)", len);
    goto done;
  }
  c.base_dir = expand_absolute(base_dir != NULL ? base_dir : ".");
  if (c.base_dir == NULL) {
    config_error_set(c.err, 0, 0, "cannot find the working directory: %s",
                     strerror(errno));
    goto done;
  }
  if (yaml_tree_parse(&c.tree, text != NULL ? text : "", len, err) != 0)
    goto done;
  c.bytes = c.tree.bytes;
  tmp.control_tools = cfg->control_tools; /* --control-tools */
  if (cy_config(&c, &tmp) != 0)
    goto done;
  cfg->control_tools = tmp.control_tools;
  cy_clear_servers(cfg);
  cfg->servers = tmp.servers;
  cfg->nservers = tmp.nservers;
  tmp.servers = NULL;
  tmp.nservers = 0;
  free(cfg->separator);
  cfg->separator = tmp.separator;
  tmp.separator = NULL;
  if (c.queue_timeout_given)
    cfg->queue_timeout_ms = tmp.queue_timeout_ms;
  rc = 0;
done:
  if (rc != 0)
    cy_clear_servers(cfg);
  config_free(&tmp);
  yaml_tree_free(&c.tree);
  free(c.base_dir);
  return rc;
}

/* Reads the whole file at path into *out (owned by the caller, with a
 * NUL after *len bytes). */
static int cy_read_file(const char* path,
                        char** out,
                        size_t* len,
                        struct config_error* err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    snprintf(err->msg, sizeof(err->msg), "cannot open: %s", strerror(errno));
    return -1;
  }
  struct stat st;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
      (uintmax_t)st.st_size > CY_MAX_FILE) {
    snprintf(err->msg, sizeof(err->msg),
             "file is too large (%jd bytes; the limit is 4 MiB)",
             (intmax_t)st.st_size);
    close(fd);
    return -1;
  }
  struct cfg_buf b = {0};
  char chunk[16384];
  for (;;) {
    ssize_t n = read(fd, chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      snprintf(err->msg, sizeof(err->msg), "cannot read: %s", strerror(errno));
      break;
    }
    if (n == 0) {
      close(fd);
      *len = b.n;
      *out = cfg_buf_take(&b);
      return 0;
    }
    cfg_buf_add(&b, chunk, (size_t)n);
    if (b.n > CY_MAX_FILE) {
      snprintf(err->msg, sizeof(err->msg),
               "file is too large (more than 4 MiB)");
      break;
    }
  }
  free(b.p);
  close(fd);
  return -1;
}

int config_load_yaml(const char* path,
                     struct mcpmon_config* cfg,
                     struct config_error* err) {
  struct config_error local;
  if (err == NULL)
    err = &local;
  cy_error_init(err, path);
  char* text = NULL;
  size_t len = 0;
  if (cy_read_file(path, &text, &len, err) != 0) {
    cy_clear_servers(cfg);
    return -1;
  }
  char* abs = expand_absolute(path);
  if (abs == NULL) {
    snprintf(err->msg, sizeof(err->msg),
             "cannot find the working directory: %s", strerror(errno));
    free(text);
    cy_clear_servers(cfg);
    return -1;
  }
  /* abs is normalised and absolute, and names a file, not "/". */
  char* slash = strrchr(abs, '/');
  char* dir = cfg_xstrndup(abs, slash == abs ? 1 : (size_t)(slash - abs));
  int rc = config_parse_yaml(text, len, path, dir, cfg, err);
  if (rc == 0) {
    free(cfg->config_path);
    cfg->config_path = abs;
    abs = NULL;
  }
  free(abs);
  free(dir);
  free(text);
  return rc;
}
