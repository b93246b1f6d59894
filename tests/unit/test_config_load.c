/* test_config_load.c - what a good .mcpmon.yaml turns into
 * (src/config/config_yaml.c, expand.c): every key's value and the
 * defaults, settings from the command line kept, $VAR and ~ expansion,
 * paths against the base directory, loading real files (and the errors
 * of unreadable ones), and config_diff (config_diff.c). The schema's
 * errors are in test_config_yaml.c. Parses from memory with base
 * directory /proj, except the tests that load real files. */
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
#include "config_yaml_util.h"

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
  test_expansion();
  test_base_dir();
  test_diff();
  test_load_file();
  return check_done();
}
