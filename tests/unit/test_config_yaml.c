/* test_config_yaml.c - .mcpmon.yaml loading (src/config/config_yaml.c,
 * yaml_tree.c, yaml_map.c, expand.c): the schema, every error with its
 * line:col, anchors and merge keys, the alias bomb, expansion, paths, and
 * config_diff (config_diff.c). Parses from memory with base directory
 * /proj, except the tests that load real files. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "config/config.h"
#include "config/config_diff.h"
#include "config/config_yaml.h"

static char g_msg[1200]; /* the last formatted error */

/* Parses yaml into a fresh cfg (the caller frees it). */
static int load(struct mcpmon_config* cfg, const char* yaml) {
  struct config_error e;
  config_init(cfg);
  int r =
      config_parse_yaml(yaml, strlen(yaml), ".mcpmon.yaml", "/proj", cfg, &e);
  if (r != 0)
    config_error_format(&e, g_msg, sizeof(g_msg));
  else
    g_msg[0] = '\0';
  return r;
}

/* yaml fails with the formatted error want (exact, or a substring when
 * sub), leaving no servers behind. */
static bool fails(const char* yaml, const char* want, bool sub) {
  struct mcpmon_config cfg;
  int r = load(&cfg, yaml);
  bool ok = r == -1 && cfg.nservers == 0 && cfg.servers == NULL &&
            (sub ? strstr(g_msg, want) != NULL : strcmp(g_msg, want) == 0) &&
            strchr(g_msg, '\n') == NULL;
  if (!ok)
    fprintf(stderr, "  result %d, error \"%s\"\n  wanted \"%s\"\n", r, g_msg,
            want);
  config_free(&cfg);
  return ok;
}

#define CHECK_FAIL(yaml, want) CHECK(fails(yaml, want, false))
#define CHECK_FAIL_HAS(yaml, want) CHECK(fails(yaml, want, true))

static bool sv_is(const struct strvec* sv, const char** want) {
  size_t n = 0;
  while (want[n] != NULL) n++;
  bool ok = sv->n == n;
  for (size_t i = 0; ok && i < n; i++) ok = strcmp(sv->v[i], want[i]) == 0;
  if (!ok) {
    fprintf(stderr, "  got [");
    for (size_t i = 0; i < sv->n; i++)
      fprintf(stderr, "%s\"%s\"", i ? ", " : "", sv->v[i]);
    fprintf(stderr, "]\n");
  }
  return ok;
}

#define LIST(...) ((const char*[]){__VA_ARGS__, NULL})
#define CHECK_SV(sv, ...) CHECK(sv_is(&(sv), LIST(__VA_ARGS__)))
#define CHECK_SV_EMPTY(sv) CHECK_INT((sv).n, 0)

/* A server "s" with the given extra lines (each indented 4). */
#define SERVER(lines) "servers:\n  s:\n    command: python\n" lines

static void test_minimal(void) {
  struct mcpmon_config cfg;
  CHECK_INT(load(&cfg, "servers:\n  a:\n    command: python\n"), 0);
  CHECK_STR(g_msg, "");
  CHECK_INT(cfg.nservers, 1);
  struct server_config* s = &cfg.servers[0];
  CHECK_STR(s->name, "a");
  CHECK_STR(s->command, "python");
  CHECK_SV_EMPTY(s->args);
  CHECK_SV(s->watch, "/proj");
  CHECK_SV(s->exts, "py");
  CHECK_SV_EMPTY(s->ignore);
  CHECK_SV_EMPTY(s->env);
  CHECK(s->cwd == NULL);
  CHECK(s->enabled);
  CHECK_INT(s->delay_ms, 30);
  CHECK_INT(s->grace_ms, 2000);
  CHECK_STR(cfg.separator, "__");
  CHECK_INT(cfg.queue_timeout_ms, 30000);
  CHECK(cfg.config_path == NULL);
  config_free(&cfg);

  /* Flow style is the same document. */
  CHECK_INT(load(&cfg, "{servers: {a: {command: python}}}"), 0);
  CHECK_INT(cfg.nservers, 1);
  config_free(&cfg);
}

static void test_every_key(void) {
  struct mcpmon_config cfg;
  const char* yaml =
      "# gateway\n"
      "separator: '::'\n"
      "delay: 100\n"
      "grace: 500\n"
      "queue_timeout: 5000\n"
      "servers:\n"
      "  zeta:\n"
      "    command: ./run.sh\n"
      "    args: [--port, 8080, 1.5, true, '', 'x y']\n"
      "    watch: [src, /abs/dir/, ./lib/../x, 'a//b/./c/']\n"
      "    extensions: 'py, .json'\n"
      "    ignore: ['*.tmp', build/]\n"
      "    env:\n"
      "      A: 1\n"
      "      B_2: hello\n"
      "      C: yes\n"
      "      EMPTY: ''\n"
      "    cwd: sub\n"
      "    enabled: no\n"
      "    delay: 0\n"
      "    grace: 600000\n"
      "  alpha:\n"
      "    command: bin/server\n"
      "    args:\n"
      "      - -m\n"
      "      - app\n"
      "    watch: lib\n"
      "    extensions: [.ts, js, ts, '*']\n"
      "    ignore: '*.log'\n"
      "    enabled: on\n"
      "  beta:\n"
      "    command: /usr/bin/python3\n"
      "    cwd: /srv/beta/\n"
      "    enabled: False\n"
      "  gamma:\n"
      "    command: node\n"
      "    cwd: w\n"
      "    enabled: YES\n";
  CHECK_INT(load(&cfg, yaml), 0);
  CHECK_STR(g_msg, "");
  CHECK_STR(cfg.separator, "::");
  CHECK_INT(cfg.queue_timeout_ms, 5000);
  CHECK_INT(cfg.nservers, 4);
  if (cfg.nservers != 4) {
    config_free(&cfg);
    return;
  }
  struct server_config* z = &cfg.servers[0];
  CHECK_STR(z->name, "zeta");
  CHECK_STR(z->command, "/proj/sub/run.sh"); /* relative to cwd */
  CHECK_SV(z->args, "--port", "8080", "1.5", "true", "", "x y");
  CHECK_SV(z->watch, "/proj/src", "/abs/dir", "/proj/lib/../x", "/proj/a/b/c");
  CHECK_SV(z->exts, "py", "json");
  CHECK_SV(z->ignore, "*.tmp", "build/");
  CHECK_SV(z->env, "A=1", "B_2=hello", "C=yes", "EMPTY=");
  CHECK_STR(z->cwd, "/proj/sub");
  CHECK(!z->enabled); /* kept, disabled */
  CHECK_INT(z->delay_ms, 0);
  CHECK_INT(z->grace_ms, 600000);

  struct server_config* a = &cfg.servers[1];
  CHECK_STR(a->name, "alpha");
  CHECK_STR(a->command, "/proj/bin/server"); /* relative to the config */
  CHECK_SV(a->args, "-m", "app");
  CHECK_SV(a->watch, "/proj/lib");
  CHECK_SV(a->exts, "ts", "js", "*");
  CHECK_SV(a->ignore, "*.log");
  CHECK(a->cwd == NULL);
  CHECK(a->enabled);
  CHECK_INT(a->delay_ms, 100); /* the top-level defaults */
  CHECK_INT(a->grace_ms, 500);

  struct server_config* b = &cfg.servers[2];
  CHECK_STR(b->command, "/usr/bin/python3");
  CHECK_STR(b->cwd, "/srv/beta");
  CHECK(!b->enabled);
  struct server_config* g = &cfg.servers[3];
  CHECK_STR(g->command, "node"); /* left for the PATH search */
  CHECK_STR(g->cwd, "/proj/w");
  CHECK(g->enabled);
  config_free(&cfg);

  /* Empty values mean "not given". */
  CHECK_INT(load(&cfg,
                 "separator:\n"
                 "delay: null\n"
                 "servers:\n"
                 "  a:\n"
                 "    command: x\n"
                 "    args:\n"
                 "    watch: null\n"
                 "    extensions:\n"
                 "    env:\n"
                 "    cwd:\n"
                 "    enabled:\n"
                 "    delay:\n"),
            0);
  CHECK_STR(cfg.separator, "__");
  if (cfg.nservers == 1) {
    CHECK_SV(cfg.servers[0].watch, "/proj");
    CHECK_SV(cfg.servers[0].exts, "py");
    CHECK(cfg.servers[0].enabled);
    CHECK_INT(cfg.servers[0].delay_ms, 30);
  }
  config_free(&cfg);
}

/* Settings from the command line survive; queue_timeout only changes when
 * the file gives one. */
static void test_preserves_cli_settings(void) {
  struct mcpmon_config cfg;
  config_init(&cfg);
  cfg.verbosity = 3;
  cfg.timestamps = true;
  cfg.log_file = strdup("/tmp/log");
  cfg.control_path = strdup("/tmp/sock");
  cfg.queue_timeout_ms = 1234;
  cfg.max_line = 99;
  const char* yaml = "servers: {a: {command: x}}\n";
  struct config_error e;
  CHECK_INT(config_parse_yaml(yaml, strlen(yaml), NULL, "/proj", &cfg, &e), 0);
  CHECK_INT(cfg.verbosity, 3);
  CHECK(cfg.timestamps);
  CHECK_STR(cfg.log_file, "/tmp/log");
  CHECK_STR(cfg.control_path, "/tmp/sock");
  CHECK_INT(cfg.queue_timeout_ms, 1234);
  CHECK_INT(cfg.max_line, 99);
  CHECK_INT(cfg.nservers, 1);

  /* Loading again replaces the servers. */
  yaml = "servers: {b: {command: y}, c: {command: z}}\nqueue_timeout: 7\n";
  CHECK_INT(config_parse_yaml(yaml, strlen(yaml), NULL, "/proj", &cfg, &e), 0);
  CHECK_INT(cfg.nservers, 2);
  CHECK_STR(cfg.servers[0].name, "b");
  CHECK_INT(cfg.queue_timeout_ms, 7);

  /* A failure leaves no servers and nothing else changed. */
  yaml = "servers: {b: {command: y}}\nqueue_timeout: 9\nseparator: '!'\n";
  CHECK_INT(config_parse_yaml(yaml, strlen(yaml), NULL, "/proj", &cfg, &e), -1);
  CHECK_INT(cfg.nservers, 0);
  CHECK(cfg.servers == NULL);
  CHECK_INT(cfg.queue_timeout_ms, 7);
  CHECK_STR(cfg.separator, "__");
  CHECK_INT(cfg.verbosity, 3);
  CHECK_STR(e.file, ""); /* no display path */
  CHECK_INT(e.line, 3);

  /* err may be NULL. */
  CHECK_INT(config_parse_yaml("x", 1, NULL, "/", &cfg, NULL), -1);
  config_free(&cfg);
}

static void test_wrong_types(void) {
  /* command */
  CHECK_FAIL(SERVER("") "    command: [a]\n",
             ".mcpmon.yaml:4:5: duplicate key 'command' in server 's' on "
             "lines 3 and 4");
  CHECK_FAIL("servers:\n  s:\n    command: [a]\n",
             ".mcpmon.yaml:3:14: expected a string for 'command', got a list");
  CHECK_FAIL("servers:\n  s:\n    command: {a: 1}\n",
             ".mcpmon.yaml:3:14: expected a string for 'command', got a "
             "mapping");
  CHECK_FAIL("servers:\n  s:\n    command: ''\n",
             ".mcpmon.yaml:3:14: 'command' is empty");
  CHECK_FAIL("servers:\n  s:\n    command: \"a\\0b\"\n",
             ".mcpmon.yaml:3:14: 'command' contains a NUL character");
  /* args */
  CHECK_FAIL(SERVER("    args: --port\n"),
             ".mcpmon.yaml:4:11: expected a list of strings for 'args', got "
             "a string");
  CHECK_FAIL_HAS(SERVER("    args: 5\n"), "for 'args', got a number");
  CHECK_FAIL_HAS(SERVER("    args: yes\n"), "for 'args', got a boolean");
  CHECK_FAIL_HAS(SERVER("    args: {a: b}\n"), "for 'args', got a mapping");
  CHECK_FAIL(SERVER("    args:\n      - a\n      - --port: 8080\n"),
             ".mcpmon.yaml:6:9: expected a string for each item of 'args', "
             "got a mapping (quote items that contain ': ')");
  CHECK_FAIL(SERVER("    args: [a, [b]]\n"),
             ".mcpmon.yaml:4:15: expected a string for each item of 'args', "
             "got a list");
  CHECK_FAIL_HAS(SERVER("    args: [a, null]\n"),
                 "item of 'args', got an empty value");
  /* watch */
  CHECK_FAIL(SERVER("    watch: {a: b}\n"),
             ".mcpmon.yaml:4:12: expected a list of strings or a string for "
             "'watch', got a mapping");
  CHECK_FAIL(SERVER("    watch: []\n"),
             ".mcpmon.yaml:4:12: 'watch' is an empty list; leave it out to "
             "watch the config file's directory");
  CHECK_FAIL(SERVER("    watch: ''\n"),
             ".mcpmon.yaml:4:12: empty path in 'watch'");
  CHECK_FAIL_HAS(SERVER("    watch: [a, {b: c}]\n"),
                 "expected a string for each item of 'watch', got a mapping");
  /* extensions */
  CHECK_FAIL_HAS(SERVER("    extensions: {py: 1}\n"),
                 "expected a list of strings or a string for 'extensions', "
                 "got a mapping");
  {
    /* A block scalar ends in a newline: trimmed like any blank. */
    struct mcpmon_config ec;
    CHECK_INT(load(&ec, SERVER("    extensions: |\n      py,\n      json\n")),
              0);
    if (ec.nservers == 1)
      CHECK_SV(ec.servers[0].exts, "py", "json");
    config_free(&ec);
  }
  CHECK_FAIL(SERVER("    extensions: 'py,,json'\n"),
             ".mcpmon.yaml:4:17: empty extension in 'extensions'");
  CHECK_FAIL(SERVER("    extensions: [py, '.']\n"),
             ".mcpmon.yaml:4:22: empty extension in 'extensions'");
  CHECK_FAIL(SERVER("    extensions: src/py\n"),
             ".mcpmon.yaml:4:17: expected extensions like py,json (or * for "
             "all files) in 'extensions', got 'src/py'");
  CHECK_FAIL_HAS(SERVER("    extensions: '*.py'\n"), "got '*.py'");
  CHECK_FAIL_HAS(SERVER("    extensions: []\n"),
                 "'extensions' is an empty list; use '*' for all files");
  /* ignore */
  CHECK_FAIL_HAS(SERVER("    ignore: {a: 1}\n"),
                 "expected a list of strings or a string for 'ignore', got a "
                 "mapping");
  CHECK_FAIL(SERVER("    ignore: ['']\n"),
             ".mcpmon.yaml:4:14: empty pattern in 'ignore'");
  /* env */
  CHECK_FAIL(SERVER("    env: [A=1]\n"),
             ".mcpmon.yaml:4:10: expected a mapping of variable names to "
             "values for 'env', got a list");
  CHECK_FAIL_HAS(SERVER("    env: A=1\n"), "for 'env', got a string");
  CHECK_FAIL(SERVER("    env:\n      1A: x\n"),
             ".mcpmon.yaml:5:7: '1A' is not a valid environment variable "
             "name (in 'env')");
  CHECK_FAIL_HAS(SERVER("    env: {A-B: x}\n"),
                 "'A-B' is not a valid environment variable name");
  CHECK_FAIL(SERVER("    env: {A: [1]}\n"),
             ".mcpmon.yaml:4:14: expected a string for 'A' in 'env', got a "
             "list");
  CHECK_FAIL(SERVER("    env:\n      A:\n"),
             ".mcpmon.yaml:5:9: expected a string for 'A' in 'env', got an "
             "empty value (write '' for an empty value)");
  CHECK_FAIL(SERVER("    env:\n      A: 1\n      A: 2\n"),
             ".mcpmon.yaml:6:7: duplicate key 'A' in 'env' on lines 5 and 6");
  /* cwd */
  CHECK_FAIL(SERVER("    cwd: [a]\n"),
             ".mcpmon.yaml:4:10: expected a string for 'cwd', got a list");
  CHECK_FAIL(SERVER("    cwd: ''\n"), ".mcpmon.yaml:4:10: 'cwd' is empty");
  /* enabled */
  CHECK_FAIL(SERVER("    enabled: maybe\n"),
             ".mcpmon.yaml:4:14: expected true or false for 'enabled', got "
             "'maybe'");
  CHECK_FAIL(SERVER("    enabled: [true]\n"),
             ".mcpmon.yaml:4:14: expected true or false for 'enabled', got "
             "a list");
  CHECK_FAIL_HAS(SERVER("    enabled: 1\n"), "got '1'");
  /* delay, grace */
  CHECK_FAIL(SERVER("    delay: abc\n"),
             ".mcpmon.yaml:4:12: expected a whole number of milliseconds for "
             "'delay', got 'abc'");
  CHECK_FAIL_HAS(SERVER("    delay: -5\n"), "for 'delay', got '-5'");
  CHECK_FAIL_HAS(SERVER("    delay: 1.5\n"), "for 'delay', got '1.5'");
  CHECK_FAIL_HAS(SERVER("    delay: [1]\n"),
                 "expected a whole number of milliseconds for 'delay', got a "
                 "list");
  CHECK_FAIL(SERVER("    delay: 60001\n"),
             ".mcpmon.yaml:4:12: 'delay' must be between 0 and 60000 "
             "milliseconds, not 60001");
  CHECK_FAIL_HAS(SERVER("    delay: 99999999999999999999999\n"),
                 "'delay' must be between 0 and 60000 milliseconds");
  CHECK_FAIL_HAS(SERVER("    grace: 600001\n"),
                 "'grace' must be between 0 and 600000 milliseconds, not "
                 "600001");
  CHECK_FAIL_HAS(SERVER("    grace: x\n"), "for 'grace', got 'x'");
  /* top level */
  CHECK_FAIL(SERVER("delay: {a: 1}\n"),
             ".mcpmon.yaml:4:8: expected a whole number of milliseconds for "
             "'delay', got a mapping");
  CHECK_FAIL_HAS(SERVER("grace: 600001\n"), "'grace' must be between");
  CHECK_FAIL(SERVER("queue_timeout: 0\n"),
             ".mcpmon.yaml:4:16: 'queue_timeout' must be between 1 and "
             "600000 milliseconds, not 0");
  CHECK_FAIL_HAS(SERVER("queue_timeout: 600001\n"), "not 600001");
  CHECK_FAIL(SERVER("separator: [a]\n"),
             ".mcpmon.yaml:4:12: expected a string for 'separator', got a "
             "list");
  CHECK_FAIL("servers: [a, b]\n",
             ".mcpmon.yaml:1:10: expected a mapping of server names to "
             "settings for 'servers', got a list");
  CHECK_FAIL_HAS("servers: python\n", "for 'servers', got a string");
  CHECK_FAIL("servers:\n  a: python server.py\n",
             ".mcpmon.yaml:2:6: expected a mapping of settings for server "
             "'a', got a string");
  CHECK_FAIL("- servers\n",
             ".mcpmon.yaml:1:1: expected a mapping with 'servers:' at the top "
             "level, got a list");
  CHECK_FAIL_HAS("hello\n", "at the top level, got a string");
  /* Keys are strings. */
  CHECK_FAIL("servers:\n  ? [a]\n  : {command: x}\n",
             ".mcpmon.yaml:2:5: expected a string as server name, got a list");
}

static void test_unknown_keys(void) {
  CHECK_FAIL(
      "# mcpmon gateway\n"
      "\n"
      "servers:\n"
      "  my-server:\n"
      "    command: python\n"
      "    args: [server.py]\n"
      "    watchh: src\n",
      ".mcpmon.yaml:7:5: unknown key 'watchh' in server 'my-server' (did "
      "you mean 'watch'?)");
  CHECK_FAIL(SERVER("    ext: py\n"),
             ".mcpmon.yaml:4:5: unknown key 'ext' in server 's' (did you "
             "mean 'extensions'?)");
  CHECK_FAIL_HAS(SERVER("    Command: x\n"), "(did you mean 'command'?)");
  CHECK_FAIL_HAS(SERVER("    envv: {}\n"), "(did you mean 'env'?)");
  CHECK_FAIL(SERVER("    foo: 1\n"),
             ".mcpmon.yaml:4:5: unknown key 'foo' in server 's'");
  CHECK_FAIL(SERVER("    separator: '::'\n"),
             ".mcpmon.yaml:4:5: unknown key 'separator' in server 's' (it "
             "belongs at the top level)");
  CHECK_FAIL(SERVER("sever: 1\n"),
             ".mcpmon.yaml:4:1: unknown key 'sever' at the top level (did "
             "you mean 'servers'?)");
  CHECK_FAIL_HAS(SERVER("queue-timeout: 1\n"),
                 "(did you mean 'queue_timeout'?)");
  CHECK_FAIL("command: python\n",
             ".mcpmon.yaml:1:1: unknown key 'command' at the top level "
             "(server settings go under servers: NAME:)");
  /* A quoted "<<" is an ordinary key. */
  CHECK_FAIL_HAS(SERVER("    '<<': {}\n"), "unknown key '<<' in server 's'");
  /* x- keys at the top level are ignored. */
  struct mcpmon_config cfg;
  CHECK_INT(load(&cfg, "x-notes: [anything, {goes: here}]\n" SERVER("")), 0);
  config_free(&cfg);
}

static void test_duplicates_and_missing(void) {
  CHECK_FAIL(
      "servers:\n"
      "  a:\n"
      "    command: x\n"
      "  b:\n"
      "    command: y\n"
      "  a:\n"
      "    command: z\n",
      ".mcpmon.yaml:6:3: duplicate server name 'a' on lines 2 and 6");
  CHECK_FAIL("servers: {a: {command: x}}\nservers: {b: {command: y}}\n",
             ".mcpmon.yaml:2:1: duplicate key 'servers' on lines 1 and 2");
  /* Of several repeats, the first in the file is reported. */
  CHECK_FAIL(
      "servers: {b: {command: x}, a: {command: x}, a: {command: x}, "
      "b: {command: x}}\n",
      ".mcpmon.yaml:1:45: duplicate server name 'a' on lines 1 and 1");

  CHECK_FAIL("servers:\n  a:\n    args: [x]\n",
             ".mcpmon.yaml:2:3: missing 'command' in server 'a'");
  CHECK_FAIL("servers:\n  a:\n    command:\n",
             ".mcpmon.yaml:3:5: missing 'command' in server 'a'");
  CHECK_FAIL("servers:\n  a:\n",
             ".mcpmon.yaml:2:3: missing 'command' in "
             "server 'a'");

  /* Server names. */
  char name[80];
  memset(name, 'n', 64);
  name[64] = '\0';
  char yaml[256];
  snprintf(yaml, sizeof(yaml), "servers: {%s: {command: x}}\n", name);
  struct mcpmon_config cfg;
  CHECK_INT(load(&cfg, yaml), 0);
  config_free(&cfg);
  snprintf(yaml, sizeof(yaml), "servers: {%sn: {command: x}}\n", name);
  CHECK_FAIL_HAS(yaml, "is longer than 64 characters");
  /* Characters, not bytes: 64 two-byte letters are fine. */
  char wide[200] = "servers: {";
  for (int i = 0; i < 64; i++) strcat(wide, "\xc3\xa9");
  strcat(wide, ": {command: x}}\n");
  CHECK_INT(load(&cfg, wide), 0);
  if (cfg.nservers == 1)
    CHECK_INT(strlen(cfg.servers[0].name), 128);
  config_free(&cfg);
  CHECK_FAIL_HAS(SERVER("    enabled: \"true\\0\"\n"),
                 "expected true or false for 'enabled', got 'true'");
  CHECK_FAIL("servers: {'': {command: x}}\n",
             ".mcpmon.yaml:1:11: a server name is empty");
  CHECK_FAIL("servers: {\"a\\tb\": {command: x}}\n",
             ".mcpmon.yaml:1:11: server name 'a?b' has a control character");
  CHECK_FAIL("servers: {\"a\\0b\": {command: x}}\n",
             ".mcpmon.yaml:1:11: a server name contains a NUL character");
}

static void test_empty_and_syntax(void) {
  const char* none =
      ".mcpmon.yaml:1: no servers defined (expected a 'servers:' mapping)";
  CHECK_FAIL("", none);
  CHECK_FAIL("# only\n# comments\n\n", none);
  CHECK_FAIL("---\n", none);
  CHECK_FAIL("null\n", none);
  CHECK_FAIL("delay: 5\n",
             ".mcpmon.yaml:1:1: no servers defined (expected a 'servers:' "
             "mapping)");
  CHECK_FAIL("servers:\n",
             ".mcpmon.yaml:1:1: no servers defined under 'servers:'");
  CHECK_FAIL("servers: {}\n",
             ".mcpmon.yaml:1:1: no servers defined under 'servers:'");

  CHECK_FAIL("servers:\n  a:\n    command: [x\n",
             ".mcpmon.yaml:4:1: did not find expected ',' or ']' (while "
             "parsing a flow sequence that started on line 3)");
  CHECK_FAIL("servers:\n\ta:\n",
             ".mcpmon.yaml:2:1: found character that cannot start any token "
             "(while scanning for the next token that started on line 2)");
  CHECK_FAIL("servers:\n  a:\n    command: \"x\n",
             ".mcpmon.yaml:4:1: found unexpected end of stream (while "
             "scanning a quoted scalar that started on line 3)");
  CHECK_FAIL("servers:\n  a:\n    command: x\n   b: 1\n",
             ".mcpmon.yaml:4:4: did not find expected key (while parsing a "
             "block mapping that started on line 2)");
  CHECK_FAIL("servers:\n  a: {command: x}\n  bad \xff\n",
             ".mcpmon.yaml:3:7: invalid leading UTF-8 octet (byte 0xff)");
  CHECK_FAIL("servers: {a: {command: x}}\n---\nservers: {}\n",
             ".mcpmon.yaml:2:1: a second YAML document; the config file must "
             "hold one");
}

static void test_anchors_and_merge(void) {
  struct mcpmon_config cfg;
  const char* yaml =
      "x-base: &base\n"
      "  command: python\n"
      "  watch: src\n"
      "  delay: 5\n"
      "x-env: &env {A: 1, B: 2}\n"
      "servers:\n"
      "  a:\n"
      "    <<: *base\n"
      "    args: [a.py]\n"
      "    delay: 7\n"
      "    env:\n"
      "      <<: *env\n"
      "      B: 3\n"
      "  b:\n"
      "    <<: [*base, {grace: 9, delay: 6}]\n"
      "  c: &c\n"
      "    command: &cmd node\n"
      "    args: [*cmd]\n"
      "  d: *c\n"
      "  e:\n"
      "    <<: [{delay: 1}, {delay: 2}]\n"
      "    command: x\n";
  CHECK_INT(load(&cfg, yaml), 0);
  CHECK_STR(g_msg, "");
  CHECK_INT(cfg.nservers, 5);
  if (cfg.nservers == 5) {
    struct server_config* a = &cfg.servers[0];
    CHECK_STR(a->command, "python");
    CHECK_SV(a->watch, "/proj/src");
    CHECK_SV(a->args, "a.py");
    CHECK_INT(a->delay_ms, 7); /* written beats merged */
    CHECK_SV(a->env, "B=3", "A=1");
    struct server_config* b = &cfg.servers[1];
    CHECK_STR(b->command, "python");
    CHECK_INT(b->delay_ms, 5); /* the first merged mapping wins */
    CHECK_INT(b->grace_ms, 9);
    CHECK_STR(cfg.servers[2].command, "node");
    CHECK_SV(cfg.servers[2].args, "node");
    CHECK_STR(cfg.servers[3].name, "d");
    CHECK_STR(cfg.servers[3].command, "node");
    CHECK_INT(cfg.servers[4].delay_ms, 1);
  }
  config_free(&cfg);

  /* Merges nest; servers can be merged in too (after the written ones). */
  CHECK_INT(load(&cfg,
                 "x-1: &one {command: a}\n"
                 "x-2: &two {<<: *one, delay: 4}\n"
                 "x-s: &more {m: {<<: *two}}\n"
                 "servers:\n"
                 "  <<: *more\n"
                 "  z: {<<: *two, grace: 3}\n"),
            0);
  CHECK_INT(cfg.nservers, 2);
  if (cfg.nservers == 2) {
    CHECK_STR(cfg.servers[0].name, "z");
    CHECK_STR(cfg.servers[0].command, "a");
    CHECK_INT(cfg.servers[0].delay_ms, 4);
    CHECK_INT(cfg.servers[0].grace_ms, 3);
    CHECK_STR(cfg.servers[1].name, "m");
  }
  config_free(&cfg);

  /* Errors inside merged mappings point at them. */
  CHECK_FAIL(
      "x-d: &d\n  watchh: src\nservers:\n  a:\n    <<: *d\n"
      "    command: x\n",
      ".mcpmon.yaml:2:3: unknown key 'watchh' in server 'a' (did you "
      "mean 'watch'?)");
  CHECK_FAIL(SERVER("    <<: 5\n"),
             ".mcpmon.yaml:4:9: expected a mapping or a list of mappings for "
             "'<<', got a number");
  CHECK_FAIL(SERVER("    <<: [{delay: 1}, x]\n"),
             ".mcpmon.yaml:4:22: expected a mapping or a list of mappings for "
             "'<<', got a list with a string");
  CHECK_FAIL(SERVER("    <<: {}\n    <<: {}\n"),
             ".mcpmon.yaml:5:5: duplicate key '<<' in server 's' on lines 4 "
             "and 5");
  CHECK_FAIL_HAS(
      "servers: {a: {<<: {<<: {<<: {<<: {<<: {<<: {<<: {<<: {<<: "
      "{<<: {<<: {<<: {<<: {<<: {<<: {<<: {<<: {<<: {}}}}}}}}}}}}}}"
      "}}}}}}\n",
      "'<<' merges nested more than 16 deep");
}

static void test_limits(void) {
  /* A billion laughs: 9^9 strings after expansion. */
  const char* bomb =
      "x-a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
      "x-b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
      "x-c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
      "x-d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
      "x-e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
      "x-f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
      "x-g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
      "x-h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
      "x-i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]\n"
      "servers: {a: {command: x, args: *i}}\n";
  CHECK_FAIL_HAS(bomb,
                 "document too large after alias expansion (more than 100000 "
                 "nodes)");
  CHECK_FAIL_HAS(bomb, ".mcpmon.yaml:6:");

  /* Without aliases the same cap holds. */
  size_t n = 100001;
  char* big = malloc(n * 3 + 64);
  char* p = big + sprintf(big, "x-big: [");
  for (size_t i = 0; i < n; i++) p += sprintf(p, "1,");
  strcpy(p, "]\n");
  CHECK_FAIL_HAS(big, "document too large (more than 100000 nodes)");
  free(big);

  /* Few nodes but much text: a 64 KiB string aliased 300 times, and a
   * variable of 64 KiB used 300 times (tests/fuzz found the first). */
  size_t len = 64 * 1024;
  char* amp = malloc(len + 300 * 16 + 128);
  p = amp + sprintf(amp, "x-s: &s \"");
  memset(p, 'A', len);
  p += len;
  p += sprintf(p, "\"\nservers: {a: {command: x, args: [");
  for (int i = 0; i < 300; i++) p += sprintf(p, "*s,");
  strcpy(p, "]}}\n");
  CHECK_FAIL_HAS(amp,
                 "document too large after alias expansion (more than 16 "
                 "MiB of text)");
  char* val = malloc(len + 1);
  memset(val, 'B', len);
  val[len] = '\0';
  setenv("MCPMON_T_LONG", val, 1);
  free(val);
  p = amp + sprintf(amp, SERVER("    args: [\""));
  for (int i = 0; i < 300; i++) p += sprintf(p, "$MCPMON_T_LONG");
  strcpy(p, "\"]\n");
  CHECK_FAIL_HAS(amp,
                 "expanding variables in 'args' makes the file more than 16 "
                 "MiB of text");
  unsetenv("MCPMON_T_LONG");
  free(amp);

  /* Extensions are deduplicated by scanning, so they are capped. */
  char* exts = malloc(300 * 6 + 128);
  p = exts + sprintf(exts, SERVER("    extensions: ["));
  for (int i = 0; i < 300; i++) p += sprintf(p, "e%d,", i % 257);
  strcpy(p, "]\n");
  CHECK_FAIL_HAS(exts, "more than 256 extensions in 'extensions'");
  p = exts + sprintf(exts, SERVER("    extensions: ["));
  for (int i = 0; i < 300; i++) p += sprintf(p, "e%d,", i % 256);
  strcpy(p, "]\n");
  struct mcpmon_config cfg;
  CHECK_INT(load(&cfg, exts), 0);
  if (cfg.nservers == 1)
    CHECK_INT(cfg.servers[0].exts.n, 256);
  config_free(&cfg);
  free(exts);

  /* Nesting. */
  char deep[256];
  memset(deep, '[', 100);
  deep[100] = '\0';
  CHECK_FAIL(deep,
             ".mcpmon.yaml:1:65: lists and mappings nested more than 64 deep");

  /* Undefined and self-referencing aliases. */
  CHECK_FAIL("x-a: &a [1, *a]\nservers: {a: {command: x}}\n",
             ".mcpmon.yaml:1:13: alias '*a' is inside the list it names "
             "('&a' at 1:6): a config cannot contain itself");
  CHECK_FAIL("servers: {a: {command: x, args: *nope}}\n",
             ".mcpmon.yaml:1:33: found undefined alias 'nope'");
  /* A later anchor of the same name wins. */
  CHECK_INT(
      load(&cfg, "x-1: &v one\nx-2: &v two\nservers: {a: {command: *v}}\n"), 0);
  CHECK_STR(cfg.servers[0].command, "two");
  config_free(&cfg);

  /* Larger than 4 MiB from memory. */
  struct config_error e;
  config_init(&cfg);
  CHECK_INT(
      config_parse_yaml("", 4u * 1024u * 1024u + 1u, "f.yaml", "/", &cfg, &e),
      -1);
  config_error_format(&e, g_msg, sizeof(g_msg));
  CHECK_STR(g_msg,
            "f.yaml: file is too large (4194305 bytes; the limit is "
            "4 MiB)");
  config_free(&cfg);
}

static void test_expansion(void) {
  setenv("HOME", "/home/t", 1);
  setenv("MCPMON_T_DIR", "/data", 1);
  setenv("MCPMON_T_X", "xval", 1);
  setenv("MCPMON_T_EMPTY", "", 1);
  unsetenv("MCPMON_T_UNSET");
  struct mcpmon_config cfg;
  CHECK_INT(
      load(&cfg,
           "servers:\n"
           "  a:\n"
           "    command: $MCPMON_T_DIR/bin/python\n"
           "    args: ['${MCPMON_T_X}y', '$$HOME', 'cost$', 'a$1',\n"
           "           '$MCPMON_T_X.$MCPMON_T_X', ~/f, ~bob, '$',\n"
           "           'e${MCPMON_T_EMPTY}e']\n"
           "    watch: [~/src, ~, '~', '${MCPMON_T_DIR}/w', rel/$MCPMON_T_X]\n"
           "    cwd: ~/work\n"
           "    ignore: [$MCPMON_T_X]\n"
           "    env:\n"
           "      P: $MCPMON_T_DIR:/x\n"
           "      H: ~/h\n"),
      0);
  CHECK_STR(g_msg, "");
  if (cfg.nservers == 1) {
    struct server_config* s = &cfg.servers[0];
    CHECK_STR(s->command, "/data/bin/python");
    CHECK_SV(s->args, "xvaly", "$HOME", "cost$", "a$1", "xval.xval",
             "/home/t/f", "~bob", "$", "ee");
    CHECK_SV(s->watch, "/home/t/src", "/home/t", "/home/t", "/data/w",
             "/proj/rel/xval");
    CHECK_STR(s->cwd, "/home/t/work");
    CHECK_SV(s->ignore, "$MCPMON_T_X"); /* globs are not expanded */
    CHECK_SV(s->env, "P=/data:/x", "H=/home/t/h");
  }
  config_free(&cfg);

  /* A relative command from a variable still resolves. */
  setenv("MCPMON_T_REL", "tools/run", 1);
  CHECK_INT(load(&cfg, "servers: {a: {command: $MCPMON_T_REL}}\n"), 0);
  CHECK_STR(cfg.servers[0].command, "/proj/tools/run");
  config_free(&cfg);

  CHECK_FAIL(SERVER("    watch: $MCPMON_T_UNSET/src\n"),
             ".mcpmon.yaml:4:12: environment variable 'MCPMON_T_UNSET' is not "
             "set (in 'watch')");
  CHECK_FAIL_HAS(SERVER("    args: ['${MCPMON_T_UNSET}']\n"),
                 "environment variable 'MCPMON_T_UNSET' is not set (in "
                 "'args')");
  CHECK_FAIL_HAS("servers: {a: {command: $MCPMON_T_UNSET}}\n",
                 "(in 'command')");
  CHECK_FAIL_HAS(SERVER("    cwd: $MCPMON_T_UNSET\n"), "(in 'cwd')");
  CHECK_FAIL(SERVER("    env: {A: $MCPMON_T_UNSET}\n"),
             ".mcpmon.yaml:4:14: environment variable 'MCPMON_T_UNSET' is not "
             "set (in 'env')");
  CHECK_FAIL_HAS(SERVER("    args: ['${MCPMON_T_X']\n"),
                 "unterminated '${' (in 'args')");
  CHECK_FAIL_HAS(SERVER("    args: ['${1x}']\n"),
                 "invalid variable name '${1x}' (in 'args')");
  CHECK_FAIL_HAS(SERVER("    args: ['${}']\n"), "invalid variable name '${}'");
  CHECK_FAIL_HAS(SERVER("    watch: $MCPMON_T_EMPTY\n"),
                 "empty path in 'watch'");
  CHECK_FAIL_HAS("servers: {a: {command: $MCPMON_T_EMPTY}}\n",
                 "'command' is empty");
  unsetenv("HOME");
  CHECK_FAIL(SERVER("    watch: ~/src\n"),
             ".mcpmon.yaml:4:12: environment variable 'HOME' is not set (in "
             "'watch')");
  setenv("HOME", "/home/t", 1);
}

static void test_base_dir(void) {
  struct mcpmon_config cfg;
  struct config_error e;
  const char* yaml = "servers: {a: {command: ./s, watch: [., src], cwd: ..}}";
  config_init(&cfg);
  CHECK_INT(config_parse_yaml(yaml, strlen(yaml), NULL, "/p//q/./", &cfg, &e),
            0);
  CHECK_SV(cfg.servers[0].watch, "/p/q", "/p/q/src");
  CHECK_STR(cfg.servers[0].cwd, "/p/q/..");
  CHECK_STR(cfg.servers[0].command, "/p/q/../s");
  config_free(&cfg);

  char* cwd = getcwd(NULL, 0);
  char want[4096];
  config_init(&cfg);
  CHECK_INT(config_parse_yaml(yaml, strlen(yaml), NULL, NULL, &cfg, &e), 0);
  snprintf(want, sizeof(want), "%s/src", strcmp(cwd, "/") ? cwd : "");
  CHECK_STR(cfg.servers[0].watch.v[1], want);
  config_free(&cfg);
  config_init(&cfg);
  CHECK_INT(config_parse_yaml(yaml, strlen(yaml), NULL, "sub", &cfg, &e), 0);
  snprintf(want, sizeof(want), "%s/sub", strcmp(cwd, "/") ? cwd : "");
  CHECK_STR(cfg.servers[0].watch.v[0], want);
  config_free(&cfg);
  free(cwd);

  config_init(&cfg);
  CHECK_INT(config_parse_yaml(yaml, strlen(yaml), NULL, "/", &cfg, &e), 0);
  CHECK_SV(cfg.servers[0].watch, "/", "/src");
  config_free(&cfg);
}

static void test_separator(void) {
  const char* ok[] = {"'::'", "'-'", "__", "a.b", "'12345678'", "A_z:9.-"};
  for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
    char yaml[128];
    snprintf(yaml, sizeof(yaml), "separator: %s\n" SERVER(""), ok[i]);
    struct mcpmon_config cfg;
    CHECK_INT(load(&cfg, yaml), 0);
    config_free(&cfg);
  }
  CHECK_FAIL("separator: 'a b'\n" SERVER(""),
             ".mcpmon.yaml:1:12: 'separator' must be 1 to 8 characters from "
             "A-Z, a-z, 0-9 and _ : . -, not 'a b'");
  CHECK_FAIL_HAS("separator: ''\n" SERVER(""), "not ''");
  CHECK_FAIL_HAS("separator: '123456789'\n" SERVER(""), "not '123456789'");
  CHECK_FAIL_HAS("separator: '/'\n" SERVER(""), "not '/'");
  CHECK_FAIL_HAS("separator: \"\\u00e9\"\n" SERVER(""), "'separator' must be");
}

static void test_error_format(void) {
  struct config_error e = {.file = "f.yaml", .line = 3, .col = 7};
  snprintf(e.msg, sizeof(e.msg), "bad");
  char buf[64];
  config_error_format(&e, buf, sizeof(buf));
  CHECK_STR(buf, "f.yaml:3:7: bad");
  e.col = 0;
  config_error_format(&e, buf, sizeof(buf));
  CHECK_STR(buf, "f.yaml:3: bad");
  e.line = 0;
  config_error_format(&e, buf, sizeof(buf));
  CHECK_STR(buf, "f.yaml: bad");
  e.file[0] = '\0';
  config_error_format(&e, buf, sizeof(buf));
  CHECK_STR(buf, "bad");
  e.line = 2;
  e.col = 1;
  config_error_format(&e, buf, sizeof(buf));
  CHECK_STR(buf, "2:1: bad");
  config_error_format(&e, buf, 4);
  CHECK_STR(buf, "2:1");
  buf[0] = 'x';
  config_error_format(&e, buf, 0);
  CHECK(buf[0] == 'x');
}

static void test_diff(void) {
  struct mcpmon_config a, b;
  CHECK_INT(load(&a,
                 "servers:\n"
                 "  one: {command: x}\n"
                 "  two: {command: y}\n"
                 "  three: {command: z, env: {A: 1}}\n"
                 "  four: {command: w}\n"),
            0);
  CHECK_INT(load(&b,
                 "servers:\n"
                 "  five: {command: v}\n"
                 "  four: {command: w, enabled: false}\n"
                 "  three: {command: z, env: {A: 1}}\n"
                 "  two: {command: y, args: [1]}\n"),
            0);
  struct config_diff d;
  config_diff(&a, &b, &d);
  CHECK_SV(d.added, "five");
  CHECK_SV(d.removed, "one");
  CHECK_SV(d.changed, "four", "two");
  CHECK_SV(d.unchanged, "three");
  CHECK(!d.globals_changed);
  config_diff_free(&d);
  CHECK_INT(d.added.n, 0);
  CHECK(d.added.v == NULL);

  config_diff(&a, &a, &d);
  CHECK_SV(d.unchanged, "one", "two", "three", "four");
  CHECK_INT(d.added.n + d.removed.n + d.changed.n, 0);
  CHECK(!d.globals_changed);
  config_diff_free(&d);

  free(b.separator);
  b.separator = strdup("::");
  config_diff(&a, &b, &d);
  CHECK(d.globals_changed);
  config_diff_free(&d);
  free(b.separator);
  b.separator = strdup("__");
  b.queue_timeout_ms = 1;
  config_diff(&a, &b, &d);
  CHECK(d.globals_changed);
  config_diff_free(&d);
  config_free(&b);

  /* A changed top-level delay changes every server that uses it. */
  CHECK_INT(load(&b,
                 "delay: 31\n"
                 "servers:\n"
                 "  one: {command: x}\n"
                 "  two: {command: y, delay: 30}\n"),
            0);
  config_diff(&a, &b, &d);
  CHECK_SV(d.changed, "one");
  CHECK_SV(d.unchanged, "two");
  CHECK_SV(d.removed, "three", "four");
  CHECK(!d.globals_changed);
  config_diff_free(&d);

  /* server_config_equal field by field. */
  struct server_config x, y;
  server_config_init(&x);
  server_config_init(&y);
  CHECK(server_config_equal(&x, &y));
  x.cwd = strdup("/a");
  CHECK(!server_config_equal(&x, &y));
  y.cwd = strdup("/a");
  CHECK(server_config_equal(&x, &y));
  strvec_push(&x.watch, "/w");
  CHECK(!server_config_equal(&x, &y));
  strvec_push(&y.watch, "/w");
  CHECK(server_config_equal(&x, &y));
  y.grace_ms++;
  CHECK(!server_config_equal(&x, &y));
  y.grace_ms--;
  strvec_push(&x.ignore, "a");
  strvec_push(&y.ignore, "b");
  CHECK(!server_config_equal(&x, &y));
  server_config_free(&x);
  server_config_free(&y);

  config_free(&a);
  config_free(&b);
}

static bool write_file(const char* path, const char* text, size_t len) {
  FILE* f = fopen(path, "wb");
  if (f == NULL)
    return false;
  bool ok = fwrite(text, 1, len, f) == len;
  return fclose(f) == 0 && ok;
}

static void test_load_file(void) {
  char dir[] = "/tmp/mcpmon-test-yaml-XXXXXX";
  CHECK(mkdtemp(dir) != NULL);
  char path[256];
  snprintf(path, sizeof(path), "%s/.mcpmon.yaml", dir);
  const char* yaml =
      "servers:\n  a:\n    command: ./srv\n    watch: [., src]\n";
  CHECK(write_file(path, yaml, strlen(yaml)));

  struct mcpmon_config cfg;
  struct config_error e;
  config_init(&cfg);
  cfg.verbosity = 0;
  CHECK_INT(config_load_yaml(path, &cfg, &e), 0);
  CHECK_STR(cfg.config_path, path);
  CHECK_INT(cfg.verbosity, 0);
  char want[512];
  if (cfg.nservers == 1) {
    snprintf(want, sizeof(want), "%s/srv", dir);
    CHECK_STR(cfg.servers[0].command, want);
    snprintf(want, sizeof(want), "%s/src", dir);
    CHECK_SV(cfg.servers[0].watch, dir, want);
  }
  config_free(&cfg);

  /* A relative path becomes absolute against the working directory. */
  char* old = getcwd(NULL, 0);
  CHECK_INT(chdir(dir), 0);
  char* here = getcwd(NULL, 0); /* dir with any symbolic link resolved */
  config_init(&cfg);
  CHECK_INT(config_load_yaml("./.mcpmon.yaml", &cfg, &e), 0);
  snprintf(want, sizeof(want), "%s/.mcpmon.yaml", here);
  CHECK_STR(cfg.config_path, want);
  if (cfg.nservers == 1)
    CHECK_STR(cfg.servers[0].watch.v[0], here);
  config_free(&cfg);
  CHECK_INT(chdir(old), 0);
  free(here);
  free(old);

  /* Errors name the file as given. */
  yaml = "servers:\n  a:\n    command: x\n    watchh: y\n";
  CHECK(write_file(path, yaml, strlen(yaml)));
  config_init(&cfg);
  cfg.config_path = strdup("as-typed");
  CHECK_INT(config_load_yaml(path, &cfg, &e), -1);
  CHECK_STR(e.file, path);
  CHECK_INT(e.line, 4);
  CHECK_INT(e.col, 5);
  CHECK_STR(e.msg,
            "unknown key 'watchh' in server 'a' (did you mean 'watch'?)");
  CHECK_STR(cfg.config_path, "as-typed");
  CHECK_INT(cfg.nservers, 0);
  config_free(&cfg);

  /* Too large. */
  size_t big = 4u * 1024u * 1024u + 1u;
  char* text = malloc(big);
  memset(text, '#', big);
  CHECK(write_file(path, text, big));
  free(text);
  config_init(&cfg);
  CHECK_INT(config_load_yaml(path, &cfg, &e), -1);
  CHECK_STR(e.msg, "file is too large (4194305 bytes; the limit is 4 MiB)");
  CHECK_INT(e.line, 0);
  config_free(&cfg);

  /* Unreadable: missing, a directory, no permission. */
  char missing[300];
  snprintf(missing, sizeof(missing), "%s/nope.yaml", dir);
  config_init(&cfg);
  config_add_server(&cfg)->name = strdup("stale");
  CHECK_INT(config_load_yaml(missing, &cfg, &e), -1);
  CHECK_INT(cfg.nservers, 0); /* nothing half-loaded or left over */
  char buf[1024], exp[1024];
  config_error_format(&e, buf, sizeof(buf));
  snprintf(exp, sizeof(exp), "%s: cannot open: %s", missing, strerror(ENOENT));
  CHECK_STR(buf, exp);
  CHECK_INT(e.line, 0);
  CHECK_INT(e.col, 0);
  CHECK_INT(config_load_yaml(dir, &cfg, &e), -1);
  snprintf(exp, sizeof(exp), "cannot read: %s", strerror(EISDIR));
  CHECK_STR(e.msg, exp);
  CHECK_INT(config_load_yaml(missing, &cfg, NULL), -1);
  if (geteuid() != 0) {
    CHECK(write_file(path, "servers: {}\n", 12));
    CHECK_INT(chmod(path, 0), 0);
    CHECK_INT(config_load_yaml(path, &cfg, &e), -1);
    snprintf(exp, sizeof(exp), "cannot open: %s", strerror(EACCES));
    CHECK_STR(e.msg, exp);
  }
  config_free(&cfg);

  CHECK_INT(unlink(path), 0);
  CHECK_INT(rmdir(dir), 0);
}

int main(void) {
  test_minimal();
  test_every_key();
  test_preserves_cli_settings();
  test_wrong_types();
  test_unknown_keys();
  test_duplicates_and_missing();
  test_empty_and_syntax();
  test_anchors_and_merge();
  test_limits();
  test_expansion();
  test_base_dir();
  test_separator();
  test_error_format();
  test_diff();
  test_load_file();
  return check_done();
}
