/* pathfilter.c - see pathfilter.h.
 *
 * Precedence, highest first: user globs (last matching one decides, so a
 * user "!build" re-includes a default), the built-in defaults, then the
 * .gitignore files, the deepest one with a matching rule deciding (last
 * matching rule in it wins). A .gitignore cannot re-include a default:
 * those are mcpmon's, only the command line overrides them. Every ancestor
 * directory of a path is checked first, so nothing inside an ignored
 * directory can be re-included.
 */
#include "core/watch/pathfilter.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

struct pf_rule {
  char* pat;     /* glob; leading '/' and trailing '/' removed */
  bool negate;   /* '!' */
  bool dir_only; /* trailing '/' */
  bool anchored; /* had a leading or inner '/': match the whole path */
};

/* The rules of one directory's .gitignore (or the user globs, dir ""). */
struct pf_layer {
  char* dir; /* "" for the root, "src/pkg" below it */
  size_t dirlen;
  struct pf_rule* rules;
  size_t nrules;
  size_t cap;
};

struct pathfilter {
  char** exts;
  size_t nexts;
  bool all_exts;
  struct pf_layer user;
  struct pf_layer* layers;
  size_t nlayers;
};

/* Directory names ignored at any depth; the first three can never be
 * re-included. */
static const char* const pf_default_dirs[] = {
    ".git",          ".hg",  ".svn",        "node_modules", "__pycache__",
    ".venv",         "venv", "build",       "dist",         ".mypy_cache",
    ".pytest_cache", ".tox", ".ruff_cache", ".idea",        ".vscode",
};
#define PF_VCS_DIRS 3

/* Editor swap, backup and temporary files, matched against the name. */
static const char* const pf_default_files[] = {
    "*.swp", "*.swo", "*.swx",  "*~",    ".#*",
    "#*#",   "4913",  ".*.tmp", "*.tmp", ".DS_Store",
};

/* ---- glob ---------------------------------------------------------- */

/* Matches the bracket expression at *pp against c. Returns 1 or 0 and
 * moves *pp past the closing ']', or -1 when there is none (the '[' is
 * then a literal). */
static int glob_class(const char** pp, unsigned char c) {
  const char* p = *pp + 1;
  bool neg = false;
  if (*p == '!' || *p == '^') {
    neg = true;
    p++;
  }
  bool matched = false;
  bool first = true;
  for (;;) {
    if (*p == '\0')
      return -1;
    if (*p == ']' && !first)
      break;
    first = false;
    if (p[0] == '[' && p[1] == ':') {
      const char* end = strstr(p + 2, ":]");
      if (end != NULL) {
        size_t n = (size_t)(end - (p + 2));
        const char* name = p + 2;
#define PF_CLASS(s, fn)                                       \
  if (n == sizeof(s) - 1 && memcmp(name, s, n) == 0 && fn(c)) \
    matched = true;
        PF_CLASS("alnum", isalnum)
        PF_CLASS("alpha", isalpha)
        PF_CLASS("blank", isblank)
        PF_CLASS("cntrl", iscntrl)
        PF_CLASS("digit", isdigit)
        PF_CLASS("graph", isgraph)
        PF_CLASS("lower", islower)
        PF_CLASS("print", isprint)
        PF_CLASS("punct", ispunct)
        PF_CLASS("space", isspace)
        PF_CLASS("upper", isupper)
        PF_CLASS("xdigit", isxdigit)
#undef PF_CLASS
        p = end + 2;
        continue;
      }
    }
    if (*p == '\\' && *++p == '\0')
      return -1;
    unsigned char lo = (unsigned char)*p++;
    unsigned char hi = lo;
    if (p[0] == '-' && p[1] != ']' && p[1] != '\0') {
      p++;
      if (*p == '\\' && *++p == '\0')
        return -1;
      hi = (unsigned char)*p++;
    }
    if (c >= lo && c <= hi)
      matched = true;
  }
  *pp = p + 1;
  return matched != neg;
}

static bool glob_rec(const char* pat, const char* p, const char* s) {
  while (*p != '\0') {
    switch (*p) {
      case '*': {
        bool seg = p == pat || p[-1] == '/';
        if (p[1] == '*' && seg && (p[2] == '/' || p[2] == '\0')) {
          if (p[2] == '\0')
            return true; /* "**" alone or at the end: all below */
          /* "**" + "/": zero or more whole segments. */
          for (;;) {
            if (glob_rec(pat, p + 3, s))
              return true;
            const char* slash = strchr(s, '/');
            if (slash == NULL)
              return false;
            s = slash + 1;
          }
        }
        while (*p == '*') p++;
        if (*p == '\0')
          return strchr(s, '/') == NULL;
        for (;;) {
          if (glob_rec(pat, p, s))
            return true;
          if (*s == '\0' || *s == '/')
            return false;
          s++;
        }
      }
      case '?':
        if (*s == '\0' || *s == '/')
          return false;
        p++;
        s++;
        break;
      case '[': {
        if (*s == '\0' || *s == '/')
          return false;
        const char* q = p;
        int r = glob_class(&q, (unsigned char)*s);
        if (r < 0) {
          if (*s != '[')
            return false;
          p++;
        } else {
          if (r == 0)
            return false;
          p = q;
        }
        s++;
        break;
      }
      case '\\':
        if (p[1] == '\0')
          return false;
        p++;
        /* fall through */
      default:
        if (*p != *s)
          return false;
        p++;
        s++;
        break;
    }
  }
  return *s == '\0';
}

bool glob_match(const char* pattern, const char* path) {
  return glob_rec(pattern, pattern, path);
}

/* ---- rules --------------------------------------------------------- */

/* Parses one rule of len bytes into r; returns false for a line that holds
 * no rule. In a .gitignore, '#' starts a comment and unescaped trailing
 * spaces are dropped. */
static bool pf_parse_rule(const char* line,
                          size_t len,
                          bool gitignore,
                          struct pf_rule* r) {
  if (gitignore) {
    if (len > 0 && line[0] == '#')
      return false;
    while (len > 0 && line[len - 1] == ' ' &&
           !(len >= 2 && line[len - 2] == '\\'))
      len--;
  } else {
    while (len >= 2 && line[0] == '.' && line[1] == '/') {
      line += 2;
      len -= 2;
    }
  }
  bool negate = false;
  if (len > 0 && line[0] == '!') {
    negate = true;
    line++;
    len--;
  }
  bool dir_only = false;
  while (len > 0 && line[len - 1] == '/' &&
         !(len >= 2 && line[len - 2] == '\\')) {
    dir_only = true;
    len--;
  }
  bool anchored = memchr(line, '/', len) != NULL;
  while (len > 0 && line[0] == '/') {
    line++;
    len--;
  }
  if (len == 0)
    return false;
  r->pat = xstrndup(line, len);
  r->negate = negate;
  r->dir_only = dir_only;
  r->anchored = anchored;
  return true;
}

static void pf_layer_add(struct pf_layer* l, const struct pf_rule* r) {
  if (l->nrules == l->cap) {
    l->cap = l->cap ? l->cap * 2 : 8;
    l->rules = xrealloc(l->rules, l->cap * sizeof(*l->rules));
  }
  l->rules[l->nrules++] = *r;
}

static void pf_layer_free(struct pf_layer* l) {
  for (size_t i = 0; i < l->nrules; i++) free(l->rules[i].pat);
  free(l->rules);
  free(l->dir);
}

/* 1 when the last rule of l matching rel says ignored, 0 when it negates,
 * -1 when none matches (or rel is not below l's directory). */
static int pf_layer_verdict(const struct pf_layer* l,
                            const char* rel,
                            bool is_dir) {
  const char* sub = rel;
  if (l->dirlen > 0) {
    if (strncmp(rel, l->dir, l->dirlen) != 0 || rel[l->dirlen] != '/')
      return -1;
    sub = rel + l->dirlen + 1;
  }
  const char* base = strrchr(sub, '/');
  base = base ? base + 1 : sub;
  for (size_t i = l->nrules; i-- > 0;) {
    const struct pf_rule* r = &l->rules[i];
    if (r->dir_only && !is_dir)
      continue;
    if (glob_match(r->pat, r->anchored ? sub : base))
      return r->negate ? 0 : 1;
  }
  return -1;
}

/* 1 when the name is a default-ignored one, 2 when it is a VCS directory
 * (never re-included), else 0. */
static int pf_default(const char* base, bool is_dir) {
  if (is_dir) {
    for (size_t i = 0; i < ARRAY_LEN(pf_default_dirs); i++) {
      if (strcmp(base, pf_default_dirs[i]) == 0)
        return i < PF_VCS_DIRS ? 2 : 1;
    }
    return 0;
  }
  for (size_t i = 0; i < ARRAY_LEN(pf_default_files); i++) {
    if (glob_match(pf_default_files[i], base))
      return 1;
  }
  return 0;
}

/* Whether rel itself (not its ancestors) is ignored. */
static bool pf_self_ignored(const struct pathfilter* pf,
                            const char* rel,
                            bool is_dir) {
  const char* base = strrchr(rel, '/');
  base = base ? base + 1 : rel;
  int def = pf_default(base, is_dir);
  if (def == 2)
    return true;
  int v = pf_layer_verdict(&pf->user, rel, is_dir);
  if (v >= 0)
    return v == 1;
  if (def)
    return true;
  size_t best_len = 0;
  int best = -1;
  for (size_t i = 0; i < pf->nlayers; i++) {
    const struct pf_layer* l = &pf->layers[i];
    if (best >= 0 && l->dirlen <= best_len)
      continue;
    v = pf_layer_verdict(l, rel, is_dir);
    if (v >= 0) {
      best = v;
      best_len = l->dirlen;
    }
  }
  return best == 1;
}

/* ---- public -------------------------------------------------------- */

struct pathfilter* pathfilter_new(const char* const* exts,
                                  size_t nexts,
                                  const char* const* ignores,
                                  size_t nignores) {
  struct pathfilter* pf = xcalloc(1, sizeof(*pf));
  pf->exts = xcalloc(nexts, sizeof(*pf->exts));
  for (size_t i = 0; i < nexts; i++) {
    const char* e = exts[i];
    while (*e == '.') e++;
    if (*e == '\0')
      continue;
    if (strcmp(e, "*") == 0)
      pf->all_exts = true;
    pf->exts[pf->nexts++] = xstrdup(e);
  }
  if (pf->nexts == 0)
    pf->all_exts = true;
  pf->user.dir = xstrdup("");
  for (size_t i = 0; i < nignores; i++) {
    struct pf_rule r;
    if (pf_parse_rule(ignores[i], strlen(ignores[i]), false, &r))
      pf_layer_add(&pf->user, &r);
  }
  return pf;
}

void pathfilter_free(struct pathfilter* pf) {
  if (pf == NULL)
    return;
  for (size_t i = 0; i < pf->nexts; i++) free(pf->exts[i]);
  free(pf->exts);
  pf_layer_free(&pf->user);
  for (size_t i = 0; i < pf->nlayers; i++) pf_layer_free(&pf->layers[i]);
  free(pf->layers);
  free(pf);
}

void pathfilter_add_gitignore(struct pathfilter* pf,
                              const char* dir,
                              const char* text,
                              size_t len) {
  while (dir[0] == '.' && dir[1] == '/') dir += 2;
  if (strcmp(dir, ".") == 0)
    dir = "";
  size_t dirlen = strlen(dir);
  while (dirlen > 0 && dir[dirlen - 1] == '/') dirlen--;
  struct pf_layer* l = NULL;
  for (size_t i = 0; i < pf->nlayers; i++) {
    if (pf->layers[i].dirlen == dirlen &&
        memcmp(pf->layers[i].dir, dir, dirlen) == 0) {
      l = &pf->layers[i];
      break;
    }
  }
  if (l == NULL) {
    pf->layers = xrealloc(pf->layers, (pf->nlayers + 1) * sizeof(*pf->layers));
    l = &pf->layers[pf->nlayers++];
    memset(l, 0, sizeof(*l));
    l->dir = xstrndup(dir, dirlen);
    l->dirlen = dirlen;
  }
  if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
    text += 3;
    len -= 3;
  }
  while (len > 0) {
    const char* nl = memchr(text, '\n', len);
    size_t n = nl ? (size_t)(nl - text) : len;
    size_t linelen = n;
    if (linelen > 0 && text[linelen - 1] == '\r')
      linelen--;
    /* A NUL would cut the rule short; git would not match it either. */
    struct pf_rule r;
    if (memchr(text, '\0', linelen) == NULL &&
        pf_parse_rule(text, linelen, true, &r))
      pf_layer_add(l, &r);
    if (nl == NULL)
      break;
    text += n + 1;
    len -= n + 1;
  }
}

bool pathfilter_ignored(const struct pathfilter* pf,
                        const char* rel,
                        bool is_dir) {
  char stackbuf[512];
  size_t len = strlen(rel);
  char* buf = len < sizeof(stackbuf) ? stackbuf : xmalloc(len + 1);
  memcpy(buf, rel, len + 1);
  bool ignored = false;
  for (char* p = buf; (p = strchr(p, '/')) != NULL; p++) {
    if (p == buf)
      continue;
    *p = '\0';
    ignored = pf_self_ignored(pf, buf, true);
    *p = '/';
    if (ignored)
      break;
  }
  if (!ignored && len > 0)
    ignored = pf_self_ignored(pf, buf, is_dir);
  if (buf != stackbuf)
    free(buf);
  return ignored;
}

bool pathfilter_ext_match(const struct pathfilter* pf, const char* name) {
  if (pf->all_exts)
    return true;
  const char* base = strrchr(name, '/');
  base = base ? base + 1 : name;
  const char* dot = strrchr(base, '.');
  if (dot == NULL || dot == base || dot[1] == '\0')
    return false;
  for (size_t i = 0; i < pf->nexts; i++) {
    if (strcmp(pf->exts[i], dot + 1) == 0)
      return true;
  }
  return false;
}
