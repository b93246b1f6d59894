/* test_pathfilter.c - glob matching, default ignores, .gitignore rules,
 * user globs and the extension filter. */
#include <string.h>

#include "check.h"
#include "core/watch/pathfilter.h"

static void test_glob_basic(void) {
  CHECK(glob_match("*.py", "a.py"));
  CHECK(glob_match("*.py", ".py"));
  CHECK(!glob_match("*.py", "dir/a.py"));
  CHECK(!glob_match("*.py", "a.pyc"));
  CHECK(glob_match("*", ""));
  CHECK(glob_match("*", "abc"));
  CHECK(!glob_match("*", "a/b"));
  CHECK(glob_match("a*b*c", "aXbYc"));
  CHECK(glob_match("a*b*c", "abc"));
  CHECK(!glob_match("a*b*c", "aXbY"));
  CHECK(glob_match("a?c", "abc"));
  CHECK(!glob_match("a?c", "ac"));
  CHECK(!glob_match("a?c", "a/c"));
  CHECK(glob_match("src/*.py", "src/a.py"));
  CHECK(!glob_match("src/*.py", "src/x/a.py"));
  CHECK(glob_match("exact", "exact"));
  CHECK(!glob_match("exact", "exactly"));
  CHECK(!glob_match("", "a"));
  CHECK(glob_match("", ""));
}

static void test_glob_classes(void) {
  CHECK(glob_match("[a-c]x", "bx"));
  CHECK(!glob_match("[a-c]x", "dx"));
  CHECK(glob_match("[!a-c]x", "dx"));
  CHECK(!glob_match("[!a-c]x", "ax"));
  CHECK(glob_match("[^a]", "b"));
  CHECK(!glob_match("[^a]", "a"));
  CHECK(glob_match("[abc]", "c"));
  CHECK(glob_match("[]]", "]"));
  CHECK(glob_match("[!]]", "a"));
  CHECK(!glob_match("[!]]", "]"));
  CHECK(glob_match("[a-]", "-"));
  CHECK(glob_match("[[:digit:]]x", "5x"));
  CHECK(!glob_match("[[:digit:]]x", "ax"));
  CHECK(glob_match("[[:upper:][:digit:]]", "Q"));
  CHECK(!glob_match("[a/]", "/"));
  CHECK(!glob_match("a[!x]b", "a/b"));
  CHECK(glob_match("[\\]]", "]"));
  CHECK(glob_match("[a\\-z]", "-"));
  CHECK(!glob_match("[a\\-z]", "b"));
  /* An unterminated class is a literal '['. */
  CHECK(glob_match("[ab", "[ab"));
  CHECK(!glob_match("[ab", "a"));
}

static void test_glob_escapes(void) {
  CHECK(glob_match("\\*", "*"));
  CHECK(!glob_match("\\*", "a"));
  CHECK(glob_match("a\\?", "a?"));
  CHECK(!glob_match("a\\?", "ab"));
  CHECK(glob_match("\\[x]", "[x]"));
  CHECK(!glob_match("\\[x]", "x"));
  CHECK(glob_match("\\#a", "#a"));
  CHECK(glob_match("a\\\\b", "a\\b"));
  CHECK(!glob_match("a\\", "a"));
}

static void test_glob_double_star(void) {
  CHECK(glob_match("**", "a"));
  CHECK(glob_match("**", "a/b/c"));
  CHECK(glob_match("**/x", "x"));
  CHECK(glob_match("**/x", "a/x"));
  CHECK(glob_match("**/x", "a/b/x"));
  CHECK(!glob_match("**/x", "a/bx"));
  CHECK(glob_match("a/**", "a/b"));
  CHECK(glob_match("a/**", "a/b/c"));
  CHECK(!glob_match("a/**", "a"));
  CHECK(!glob_match("a/**", "b/a/c"));
  CHECK(glob_match("a/**/b", "a/b"));
  CHECK(glob_match("a/**/b", "a/x/b"));
  CHECK(glob_match("a/**/b", "a/x/y/b"));
  CHECK(!glob_match("a/**/b", "a/xb"));
  CHECK(!glob_match("a/**/b", "a/x/b/c"));
  CHECK(glob_match("**/gen/*.py", "gen/a.py"));
  CHECK(glob_match("**/gen/*.py", "x/y/gen/a.py"));
  CHECK(!glob_match("**/gen/*.py", "x/gen/y/a.py"));
  CHECK(glob_match("a/**/*.py", "a/b/c/d.py"));
  /* "**" inside a segment is a plain '*'. */
  CHECK(glob_match("a**b", "axxb"));
  CHECK(!glob_match("a**b", "a/b"));
  CHECK(glob_match("**.py", "x.py"));
  CHECK(!glob_match("**.py", "a/x.py"));
}

static void test_defaults(void) {
  struct pathfilter* pf = pathfilter_new(NULL, 0, NULL, 0);
  CHECK(pathfilter_ignored(pf, "node_modules", true));
  CHECK(pathfilter_ignored(pf, "node_modules/x/y.py", false));
  CHECK(pathfilter_ignored(pf, "src/node_modules/a.js", false));
  CHECK(pathfilter_ignored(pf, ".git", true));
  CHECK(pathfilter_ignored(pf, ".git/config", false));
  CHECK(pathfilter_ignored(pf, "a/b/.git", true));
  const char* dirs[] = {".hg",           ".svn",  "__pycache__", ".venv",
                        "venv",          "build", "dist",        ".mypy_cache",
                        ".pytest_cache", ".tox",  ".ruff_cache", ".idea",
                        ".vscode"};
  for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
    CHECK(pathfilter_ignored(pf, dirs[i], true));
    char path[128];
    snprintf(path, sizeof(path), "pkg/%s/mod.py", dirs[i]);
    CHECK(pathfilter_ignored(pf, path, false));
  }
  /* Directory names only: a file called "build" is watched. */
  CHECK(!pathfilter_ignored(pf, "build", false));
  CHECK(!pathfilter_ignored(pf, "builder/x.py", false));
  CHECK(!pathfilter_ignored(pf, "mybuild", true));
  const char* files[] = {"a.py.swp", "a.swo",    "a.swx", "a.py~",
                         ".#a.py",   "#a.py#",   "4913",  ".a.py.tmp",
                         "x.tmp",    ".DS_Store"};
  for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
    CHECK(pathfilter_ignored(pf, files[i], false));
    char path[128];
    snprintf(path, sizeof(path), "src/pkg/%s", files[i]);
    CHECK(pathfilter_ignored(pf, path, false));
  }
  CHECK(!pathfilter_ignored(pf, "src/main.py", false));
  CHECK(!pathfilter_ignored(pf, "src", true));
  CHECK(!pathfilter_ignored(pf, "49130", false));
  CHECK(!pathfilter_ignored(pf, "a#b", false));
  CHECK(!pathfilter_ignored(pf, "", true));
  pathfilter_free(pf);
}

static void add_gitignore(struct pathfilter* pf,
                          const char* dir,
                          const char* text) {
  pathfilter_add_gitignore(pf, dir, text, strlen(text));
}

static void test_gitignore_root(void) {
  struct pathfilter* pf = pathfilter_new(NULL, 0, NULL, 0);
  add_gitignore(pf, "",
                "# a comment\n"
                "*.log\n"
                "!keep.log\n"
                "/out/\n"
                "secret/\n"
                "docs/*.md\n"
                "\\#hash\n"
                "\\!bang\n"
                "trail.py   \n"
                "space\\ \n"
                "crlf.py\r\n"
                "gen/**\n"
                "**/fixtures/*.json\n"
                "\n"
                "last");
  CHECK(pathfilter_ignored(pf, "a.log", false));
  CHECK(pathfilter_ignored(pf, "sub/deep/a.log", false));
  CHECK(!pathfilter_ignored(pf, "keep.log", false));
  CHECK(!pathfilter_ignored(pf, "sub/keep.log", false));
  /* Leading '/' anchors, trailing '/' is for directories only. */
  CHECK(pathfilter_ignored(pf, "out", true));
  CHECK(pathfilter_ignored(pf, "out/x.py", false));
  CHECK(!pathfilter_ignored(pf, "out", false));
  CHECK(!pathfilter_ignored(pf, "sub/out", true));
  CHECK(!pathfilter_ignored(pf, "sub/out/x.py", false));
  CHECK(pathfilter_ignored(pf, "secret", true));
  CHECK(pathfilter_ignored(pf, "a/b/secret", true));
  CHECK(pathfilter_ignored(pf, "a/secret/x.py", false));
  CHECK(!pathfilter_ignored(pf, "secret", false));
  /* An inner '/' anchors too. */
  CHECK(pathfilter_ignored(pf, "docs/a.md", false));
  CHECK(!pathfilter_ignored(pf, "x/docs/a.md", false));
  CHECK(!pathfilter_ignored(pf, "docs/sub/a.md", false));
  CHECK(!pathfilter_ignored(pf, "# a comment", false));
  CHECK(pathfilter_ignored(pf, "#hash", false));
  CHECK(pathfilter_ignored(pf, "!bang", false));
  CHECK(pathfilter_ignored(pf, "trail.py", false));
  CHECK(pathfilter_ignored(pf, "space ", false));
  CHECK(!pathfilter_ignored(pf, "space", false));
  CHECK(pathfilter_ignored(pf, "crlf.py", false));
  CHECK(pathfilter_ignored(pf, "gen/a.py", false));
  CHECK(pathfilter_ignored(pf, "gen/x/a.py", false));
  CHECK(!pathfilter_ignored(pf, "gen", true));
  CHECK(!pathfilter_ignored(pf, "x/gen/a.py", false));
  CHECK(pathfilter_ignored(pf, "fixtures/a.json", false));
  CHECK(pathfilter_ignored(pf, "t/u/fixtures/a.json", false));
  CHECK(pathfilter_ignored(pf, "last", false));
  CHECK(!pathfilter_ignored(pf, "main.py", false));
  pathfilter_free(pf);
}

static void test_gitignore_last_rule_wins(void) {
  struct pathfilter* pf = pathfilter_new(NULL, 0, NULL, 0);
  add_gitignore(pf, "", "*.txt\n!*.txt\n*.txt\n!a.txt\n");
  CHECK(pathfilter_ignored(pf, "b.txt", false));
  CHECK(!pathfilter_ignored(pf, "a.txt", false));
  /* A second call for the same directory appends: its rules come last. */
  add_gitignore(pf, "", "a.txt");
  CHECK(pathfilter_ignored(pf, "a.txt", false));
  pathfilter_free(pf);
}

static void test_gitignore_nested(void) {
  struct pathfilter* pf = pathfilter_new(NULL, 0, NULL, 0);
  add_gitignore(pf, "", "*.log\nlogs/\n!logs/keep.py\n");
  add_gitignore(pf, "sub", "!a.log\n*.py\n/local.txt\ndeep/only/\n");
  add_gitignore(pf, "logs", "!keep.py\n");
  add_gitignore(pf, "sub/deep", "!b.py\n");
  /* The deeper .gitignore overrides the shallower one below it. */
  CHECK(pathfilter_ignored(pf, "a.log", false));
  CHECK(!pathfilter_ignored(pf, "sub/a.log", false));
  CHECK(!pathfilter_ignored(pf, "sub/deep/a.log", false));
  CHECK(pathfilter_ignored(pf, "sub/b.log", false));
  CHECK(pathfilter_ignored(pf, "other/a.log", false));
  CHECK(pathfilter_ignored(pf, "sub/x.py", false));
  CHECK(pathfilter_ignored(pf, "sub/deep/x.py", false));
  CHECK(!pathfilter_ignored(pf, "sub/deep/b.py", false));
  CHECK(!pathfilter_ignored(pf, "x.py", false));
  CHECK(!pathfilter_ignored(pf, "subx/x.py", false));
  /* Anchored to the .gitignore's own directory. */
  CHECK(pathfilter_ignored(pf, "sub/local.txt", false));
  CHECK(!pathfilter_ignored(pf, "sub/deep/local.txt", false));
  CHECK(!pathfilter_ignored(pf, "local.txt", false));
  CHECK(pathfilter_ignored(pf, "sub/deep/only", true));
  CHECK(pathfilter_ignored(pf, "sub/deep/only/z.c", false));
  CHECK(!pathfilter_ignored(pf, "deep/only/z.c", false));
  /* A .gitignore's rules do not apply to its directory itself. */
  CHECK(!pathfilter_ignored(pf, "sub", true));
  /* Nothing inside an ignored directory can be re-included. */
  CHECK(pathfilter_ignored(pf, "logs", true));
  CHECK(pathfilter_ignored(pf, "logs/keep.py", false));
  CHECK(pathfilter_ignored(pf, "logs/x/keep.py", false));
  pathfilter_free(pf);
}

static void test_gitignore_cannot_reinclude_defaults(void) {
  struct pathfilter* pf = pathfilter_new(NULL, 0, NULL, 0);
  add_gitignore(pf, "", "!node_modules/\n!.git/\n!*.swp\n");
  CHECK(pathfilter_ignored(pf, "node_modules", true));
  CHECK(pathfilter_ignored(pf, ".git", true));
  CHECK(pathfilter_ignored(pf, "a.swp", false));
  pathfilter_free(pf);
}

static void test_user_globs(void) {
  const char* ignores[] = {"*.gen.py",    "tmp/",   "/rootonly.py",
                           "sub/anch.py", "!build", "./dotted.py",
                           "!.git",       "data/**"};
  struct pathfilter* pf =
      pathfilter_new(NULL, 0, ignores, sizeof(ignores) / sizeof(ignores[0]));
  CHECK(pathfilter_ignored(pf, "x.gen.py", false));
  CHECK(pathfilter_ignored(pf, "a/b/x.gen.py", false));
  CHECK(!pathfilter_ignored(pf, "x.py", false));
  CHECK(pathfilter_ignored(pf, "tmp", true));
  CHECK(pathfilter_ignored(pf, "a/tmp/x.py", false));
  CHECK(!pathfilter_ignored(pf, "tmp", false));
  CHECK(pathfilter_ignored(pf, "rootonly.py", false));
  CHECK(!pathfilter_ignored(pf, "a/rootonly.py", false));
  CHECK(pathfilter_ignored(pf, "sub/anch.py", false));
  CHECK(!pathfilter_ignored(pf, "a/sub/anch.py", false));
  CHECK(pathfilter_ignored(pf, "dotted.py", false));
  CHECK(pathfilter_ignored(pf, "data/x/y.csv", false));
  /* A user negation re-includes a default, except a VCS directory. */
  CHECK(!pathfilter_ignored(pf, "build", true));
  CHECK(!pathfilter_ignored(pf, "build/x.py", false));
  CHECK(pathfilter_ignored(pf, "dist", true));
  CHECK(pathfilter_ignored(pf, ".git", true));
  /* User globs outrank .gitignore rules. */
  add_gitignore(pf, "", "!x.gen.py\nignored_by_git.py\n");
  add_gitignore(pf, "a", "!*.gen.py\n");
  CHECK(pathfilter_ignored(pf, "x.gen.py", false));
  CHECK(pathfilter_ignored(pf, "a/x.gen.py", false));
  CHECK(pathfilter_ignored(pf, "ignored_by_git.py", false));
  pathfilter_free(pf);
}

static void test_ext(void) {
  const char* exts[] = {"py", ".json"};
  struct pathfilter* pf = pathfilter_new(exts, 2, NULL, 0);
  CHECK(pathfilter_ext_match(pf, "tools.py"));
  CHECK(pathfilter_ext_match(pf, "src/pkg/tools.py"));
  CHECK(pathfilter_ext_match(pf, "a.b.py"));
  CHECK(pathfilter_ext_match(pf, "x.json"));
  CHECK(!pathfilter_ext_match(pf, "x.txt"));
  CHECK(!pathfilter_ext_match(pf, "x.py.bak"));
  CHECK(!pathfilter_ext_match(pf, "x.pyc"));
  CHECK(!pathfilter_ext_match(pf, "Makefile"));
  CHECK(!pathfilter_ext_match(pf, "py"));
  CHECK(!pathfilter_ext_match(pf, ".py"));
  CHECK(!pathfilter_ext_match(pf, "x."));
  CHECK(!pathfilter_ext_match(pf, "dir.py/Makefile"));
  pathfilter_free(pf);

  const char* all[] = {"*"};
  pf = pathfilter_new(all, 1, NULL, 0);
  CHECK(pathfilter_ext_match(pf, "Makefile"));
  CHECK(pathfilter_ext_match(pf, "x.txt"));
  pathfilter_free(pf);

  const char* mixed[] = {"py", "*"};
  pf = pathfilter_new(mixed, 2, NULL, 0);
  CHECK(pathfilter_ext_match(pf, "Makefile"));
  pathfilter_free(pf);

  pf = pathfilter_new(NULL, 0, NULL, 0);
  CHECK(pathfilter_ext_match(pf, "Makefile"));
  CHECK(pathfilter_ext_match(pf, "x.py"));
  pathfilter_free(pf);

  const char* empty[] = {"", "."};
  pf = pathfilter_new(empty, 2, NULL, 0);
  CHECK(pathfilter_ext_match(pf, "Makefile"));
  pathfilter_free(pf);
}

int main(void) {
  test_glob_basic();
  test_glob_classes();
  test_glob_escapes();
  test_glob_double_star();
  test_defaults();
  test_gitignore_root();
  test_gitignore_last_rule_wins();
  test_gitignore_nested();
  test_gitignore_cannot_reinclude_defaults();
  test_user_globs();
  test_ext();
  return check_done();
}
