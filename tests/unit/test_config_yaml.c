/* test_config_yaml.c - .mcpmon.yaml checked against the schema
 * (src/config/config_yaml.c, yaml_tree.c, yaml_map.c): every wrong type,
 * unknown or repeated key, missing command and syntax error with its
 * line:col, anchors and merge keys, the alias bomb and the other limits,
 * the separator, and how an error is formatted. What a good file turns
 * into is in test_config_load.c. Parses from memory with base directory
 * /proj. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "config/config.h"
#include "config/config_yaml.h"
#include "config_yaml_util.h"

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
  CHECK_FAIL(SERVER("    watch: true\n"),
             ".mcpmon.yaml:4:12: 'watch' expects a path, a list of paths or "
             "false, not true (leave it out to watch the config file's "
             "directory)");
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

/* Issue 14: reload, drain and init_timeout at the top level are each
 * server's default; a server's own win. */
static void test_reload_keys(void) {
  struct mcpmon_config cfg;
  CHECK_INT(load(&cfg, SERVER("")), 0);
  CHECK_INT(cfg.servers[0].reload, RELOAD_OVERLAP);
  CHECK_INT(cfg.servers[0].drain_ms, CONFIG_DEFAULT_DRAIN_MS);
  CHECK_INT(cfg.servers[0].init_timeout_ms, CONFIG_DEFAULT_INIT_TIMEOUT_MS);
  config_free(&cfg);
  CHECK_INT(load(&cfg,
                 "reload: stop-first\ndrain: 500\ninit_timeout: 700\n"
                 "servers:\n  a:\n    command: x\n"
                 "  b:\n    command: y\n    reload: overlap\n"
                 "    drain: 0\n    init_timeout: 9\n"),
            0);
  CHECK_INT(cfg.servers[0].reload, RELOAD_STOP_FIRST);
  CHECK_INT(cfg.servers[0].drain_ms, 500);
  CHECK_INT(cfg.servers[0].init_timeout_ms, 700);
  CHECK_INT(cfg.servers[1].reload, RELOAD_OVERLAP);
  CHECK_INT(cfg.servers[1].drain_ms, 0);
  CHECK_INT(cfg.servers[1].init_timeout_ms, 9);
  config_free(&cfg);
  CHECK_FAIL(SERVER("    reload: sideways\n"),
             ".mcpmon.yaml:4:13: expected overlap or stop-first for 'reload', "
             "got 'sideways'");
  CHECK_FAIL_HAS(SERVER("    reload: [overlap]\n"), "for 'reload', got a list");
  CHECK_FAIL_HAS(SERVER("    init_timeout: 0\n"),
                 "'init_timeout' must be between 1 and 600000");
  CHECK_FAIL_HAS(SERVER("drain: 600001\n"), "'drain' must be between 0");
  CHECK_INT(load(&cfg, SERVER("    build: make -j2\n")), 0);
  CHECK_STR(cfg.servers[0].build, "make -j2");
  config_free(&cfg);
  CHECK_FAIL(SERVER("    build: ''\n"),
             ".mcpmon.yaml:4:12: 'build' is empty; leave it out for no build");
  CHECK_FAIL_HAS(SERVER("    build: [make]\n"),
                 "expected a string for 'build', got a list");
  CHECK_FAIL_HAS(SERVER("build: make\n"), "unknown key 'build' at the top");
}

/* Issue 15: crash_retries and crash_window, top level and per server,
 * like reload and drain; ranges with file:line:col errors. */
static void test_crash_keys(void) {
  struct mcpmon_config cfg;
  CHECK_INT(load(&cfg, SERVER("")), 0);
  CHECK_INT(cfg.servers[0].crash_retries, CONFIG_DEFAULT_CRASH_RETRIES);
  CHECK_INT(cfg.servers[0].crash_window_ms, CONFIG_DEFAULT_CRASH_WINDOW_MS);
  config_free(&cfg);
  CHECK_INT(load(&cfg,
                 "crash_retries: 2\ncrash_window: 1000\n"
                 "servers:\n  a:\n    command: x\n"
                 "  b:\n    command: y\n    crash_retries: 1000\n"
                 "    crash_window: 3600000\n"),
            0);
  CHECK_INT(cfg.servers[0].crash_retries, 2);
  CHECK_INT(cfg.servers[0].crash_window_ms, 1000);
  CHECK_INT(cfg.servers[1].crash_retries, 1000);
  CHECK_INT(cfg.servers[1].crash_window_ms, 3600000);
  config_free(&cfg);
  CHECK_FAIL(SERVER("    crash_retries: 0\n"),
             ".mcpmon.yaml:4:20: 'crash_retries' must be between 1 and 1000, "
             "not 0");
  CHECK_FAIL(SERVER("    crash_retries: many\n"),
             ".mcpmon.yaml:4:20: expected a whole number for 'crash_retries', "
             "got 'many'");
  CHECK_FAIL_HAS(SERVER("    crash_retries: [1]\n"),
                 "expected a whole number for 'crash_retries', got a list");
  CHECK_FAIL_HAS("crash_retries: 1001\n" SERVER(""),
                 ".mcpmon.yaml:1:16: 'crash_retries' must be between 1 and "
                 "1000, not 1001");
  CHECK_FAIL_HAS(SERVER("    crash_window: 0\n"),
                 "'crash_window' must be between 1 and 3600000 milliseconds");
  CHECK_FAIL_HAS("crash_window: 30s\n" SERVER(""),
                 "expected a whole number of milliseconds for "
                 "'crash_window', got '30s'");
  CHECK_FAIL_HAS(SERVER("    crash_retrie: 3\n"),
                 "unknown key 'crash_retrie' in server 's' (did you mean "
                 "'crash_retries'?)");
}

/* Issue 15: watch: false or [] watches nothing; a quoted 'false' is a
 * path. The default extensions follow the command. */
static void test_watch_off_and_default_exts(void) {
  struct mcpmon_config cfg;
  CHECK_INT(load(&cfg, SERVER("    watch: false\n")), 0);
  CHECK_INT(cfg.servers[0].watch.n, 0);
  config_free(&cfg);
  CHECK_INT(load(&cfg, SERVER("    watch: []\n")), 0);
  CHECK_INT(cfg.servers[0].watch.n, 0);
  config_free(&cfg);
  CHECK_INT(load(&cfg, SERVER("    watch: 'false'\n")), 0);
  CHECK_INT(cfg.servers[0].watch.n, 1);
  CHECK(strstr(cfg.servers[0].watch.v[0], "/false") != NULL);
  /* command: python (SERVER's) decides. */
  CHECK_SV(cfg.servers[0].exts, "py");
  CHECK(cfg.servers[0].exts_default);
  config_free(&cfg);
  CHECK_INT(load(&cfg,
                 "servers:\n  n:\n    command: /usr/local/bin/node\n"
                 "  d:\n    command: deno\n    extensions: ts\n"
                 "  o:\n    command: ./run.sh\n"),
            0);
  CHECK_SV(cfg.servers[0].exts, "js", "mjs", "cjs", "ts", "json");
  CHECK(cfg.servers[0].exts_default);
  CHECK_SV(cfg.servers[1].exts, "ts");
  CHECK(!cfg.servers[1].exts_default);
  CHECK_SV(cfg.servers[2].exts, "py");
  CHECK(cfg.servers[2].exts_default);
  config_free(&cfg);
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

int main(void) {
  test_wrong_types();
  test_unknown_keys();
  test_duplicates_and_missing();
  test_empty_and_syntax();
  test_anchors_and_merge();
  test_limits();
  test_separator();
  test_reload_keys();
  test_crash_keys();
  test_watch_off_and_default_exts();
  test_error_format();
  return check_done();
}
