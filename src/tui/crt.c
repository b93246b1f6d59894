/* crt.c - see crt.h. */
#include "tui/crt.h"

#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>

#include "tui/tutil.h"

attr_t crt_colors[CRT_ELEM_COUNT];
bool crt_utf8;
static bool crt_on;
static SCREEN* crt_screen;

struct crt_style {
  short fg; /* -1: the terminal's default */
  short bg;
  attr_t attr;
};

enum { CRT_SCHEME_COLOR, CRT_SCHEME_MONO };

/* Element -> look, per scheme. The monochrome scheme uses video
 * attributes only (its colours are ignored). */
static const struct crt_style crt_scheme[2][CRT_ELEM_COUNT] =
    {
        [CRT_SCHEME_COLOR] =
            {
                [CRT_DEFAULT] = {-1, -1, A_NORMAL},
                [CRT_HEADER] = {COLOR_BLACK, COLOR_CYAN, A_NORMAL},
                [CRT_HEADER_DIM] = {COLOR_BLUE, COLOR_CYAN, A_NORMAL},
                [CRT_BORDER] = {COLOR_BLUE, -1, A_NORMAL},
                [CRT_BORDER_FOCUS] = {COLOR_CYAN, -1, A_BOLD},
                [CRT_TITLE] = {-1, -1, A_BOLD},
                [CRT_TITLE_FOCUS] = {COLOR_CYAN, -1, A_BOLD},
                [CRT_SELECTED] = {COLOR_BLACK, COLOR_CYAN, A_NORMAL},
                [CRT_SELECTED_DIM] = {COLOR_BLACK, COLOR_WHITE, A_NORMAL},
                [CRT_DIM] = {-1, -1, A_DIM},
                [CRT_STATE_READY] = {COLOR_GREEN, -1, A_BOLD},
                [CRT_STATE_BUSY] = {COLOR_YELLOW, -1, A_BOLD},
                [CRT_STATE_CRASHED] = {COLOR_RED, -1, A_BOLD},
                [CRT_STATE_OFF] = {-1, -1, A_DIM},
                [CRT_LOG_TIME] = {COLOR_BLUE, -1, A_NORMAL},
                [CRT_LOG_MCPMON] = {COLOR_CYAN, -1, A_NORMAL},
                [CRT_LOG_WARN] = {COLOR_YELLOW, -1, A_NORMAL},
                [CRT_LOG_ERROR] = {COLOR_RED, -1, A_BOLD},
                [CRT_LOG_DEBUG] = {-1, -1, A_DIM},
                [CRT_MATCH] = {COLOR_BLACK, COLOR_YELLOW, A_NORMAL},
                [CRT_MARKER] = {COLOR_BLACK, COLOR_YELLOW, A_BOLD},
                [CRT_STATUS] = {COLOR_BLACK, COLOR_WHITE, A_NORMAL},
                [CRT_STATUS_KEY] = {COLOR_BLUE, COLOR_WHITE, A_BOLD},
                [CRT_STATUS_ALERT] = {COLOR_WHITE, COLOR_RED, A_BOLD},
                [CRT_OK] = {COLOR_GREEN, -1, A_NORMAL},
                [CRT_FAIL] = {COLOR_RED, -1, A_BOLD},
            },
        [CRT_SCHEME_MONO] =
            {
                [CRT_DEFAULT] = {-1, -1, A_NORMAL},
                [CRT_HEADER] = {-1, -1, A_REVERSE},
                [CRT_HEADER_DIM] = {-1, -1, A_REVERSE},
                [CRT_BORDER] = {-1, -1, A_NORMAL},
                [CRT_BORDER_FOCUS] = {-1, -1, A_BOLD},
                [CRT_TITLE] = {-1, -1, A_NORMAL},
                [CRT_TITLE_FOCUS] = {-1, -1, A_BOLD},
                [CRT_SELECTED] = {-1, -1, A_REVERSE},
                [CRT_SELECTED_DIM] = {-1, -1, A_UNDERLINE},
                [CRT_DIM] = {-1, -1, A_DIM},
                [CRT_STATE_READY] = {-1, -1, A_BOLD},
                [CRT_STATE_BUSY] = {-1, -1, A_UNDERLINE},
                [CRT_STATE_CRASHED] = {-1, -1, A_BOLD | A_UNDERLINE},
                [CRT_STATE_OFF] = {-1, -1, A_DIM},
                [CRT_LOG_TIME] = {-1, -1, A_DIM},
                [CRT_LOG_MCPMON] = {-1, -1, A_NORMAL},
                [CRT_LOG_WARN] = {-1, -1, A_BOLD},
                [CRT_LOG_ERROR] = {-1, -1, A_BOLD},
                [CRT_LOG_DEBUG] = {-1, -1, A_DIM},
                [CRT_MATCH] = {-1, -1, A_REVERSE},
                [CRT_MARKER] = {-1, -1, A_REVERSE | A_BOLD},
                [CRT_STATUS] = {-1, -1, A_REVERSE},
                [CRT_STATUS_KEY] = {-1, -1, A_REVERSE | A_BOLD},
                [CRT_STATUS_ALERT] = {-1, -1, A_REVERSE | A_BOLD},
                [CRT_OK] = {-1, -1, A_NORMAL},
                [CRT_FAIL] = {-1, -1, A_BOLD},
            },
};

static void crt_set_colors(bool color) {
  const struct crt_style* s =
      crt_scheme[color ? CRT_SCHEME_COLOR : CRT_SCHEME_MONO];
  for (int i = 0; i < CRT_ELEM_COUNT; i++) {
    if (!color) {
      crt_colors[i] = s[i].attr;
      continue;
    }
    short fg = s[i].fg, bg = s[i].bg;
    if (fg == -1 && bg == -1) {
      crt_colors[i] = s[i].attr;
      continue;
    }
    init_pair((short)(i + 1), fg, bg);
    crt_colors[i] = COLOR_PAIR(i + 1) | s[i].attr;
  }
}

int crt_init(FILE* in, char* err, size_t errlen) {
  const char* cs = nl_langinfo(CODESET);
  crt_utf8 =
      cs != NULL && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);
  const char* term = getenv("TERM");
  crt_screen = newterm(NULL, stdout, in);
  if (crt_screen == NULL) {
    snprintf(err, errlen, "cannot use the terminal (TERM=%s)",
             term ? term : "unset");
    return -1;
  }
  crt_on = true;
  cbreak();
  noecho();
  nonl();
  intrflush(stdscr, FALSE);
  keypad(stdscr, TRUE);
  nodelay(stdscr, TRUE);
  set_escdelay(25);
  curs_set(0);
  const char* nc = getenv("NO_COLOR");
  bool color = has_colors() && (nc == NULL || nc[0] == '\0');
  if (color) {
    start_color();
    use_default_colors();
  }
  crt_set_colors(color);
  return 0;
}

bool crt_active(void) {
  return crt_on;
}

void crt_done(void) {
  if (!crt_on)
    return;
  crt_on = false;
  curs_set(1);
  endwin();
  fflush(stdout);
}

void crt_free(void) {
  if (crt_on || crt_screen == NULL)
    return;
  delscreen(crt_screen);
  crt_screen = NULL;
}

int crt_text(WINDOW* w, int y, int x, int maxw, const char* s, attr_t attr) {
  if (maxw <= 0 || s == NULL)
    return 0;
  wchar_t buf[1024];
  int n = 0;
  int used = 0;
  mbstate_t st;
  memset(&st, 0, sizeof(st));
  size_t left = strlen(s);
  while (left > 0 && n < (int)TU_ARRAY_LEN(buf)) {
    wchar_t wc;
    size_t k = mbrtowc(&wc, s, left, &st);
    if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
      memset(&st, 0, sizeof(st));
      k = 1;
      wc = L'?';
    }
    int cw;
    if (wc == L'\t' || wc == L'\n' || wc == L'\r') {
      wc = L' ';
      cw = 1;
    } else {
      cw = wcwidth(wc);
      if (cw < 0) {
        wc = L'?';
        cw = 1;
      } else if (cw == 0 && n == 0) {
        s += k;
        left -= k;
        continue; /* a combining mark with nothing to combine with */
      }
    }
    if (used + cw > maxw)
      break;
    buf[n++] = wc;
    used += cw;
    s += k;
    left -= k;
  }
  if (n > 0) {
    wattrset(w, attr);
    mvwaddnwstr(w, y, x, buf, n);
    wattrset(w, A_NORMAL);
  }
  return used;
}

void crt_fill(WINDOW* w, int y, int x, int right, attr_t attr) {
  int end = getmaxx(w) - right;
  if (x >= end)
    return;
  wattrset(w, attr);
  mvwhline(w, y, x, ' ', end - x);
  wattrset(w, A_NORMAL);
}

void crt_box(WINDOW* w,
             bool focus,
             const char* title,
             const char* note,
             attr_t note_attr) {
  attr_t a = crt_colors[focus ? CRT_BORDER_FOCUS : CRT_BORDER];
  wattrset(w, a);
  if (crt_utf8)
    wborder_set(w, WACS_VLINE, WACS_VLINE, WACS_HLINE, WACS_HLINE,
                WACS_ULCORNER, WACS_URCORNER, WACS_LLCORNER, WACS_LRCORNER);
  else
    wborder(w, '|', '|', '-', '-', '+', '+', '+', '+');
  wattrset(w, A_NORMAL);
  int width = getmaxx(w);
  int x = 2;
  if (title != NULL && width > 6) {
    mvwaddch(w, 0, 1, ' ' | a);
    x += crt_text(w, 0, 2, width - 5, title,
                  crt_colors[focus ? CRT_TITLE_FOCUS : CRT_TITLE]);
    mvwaddch(w, 0, x, ' ' | a);
    x++;
  }
  if (note != NULL && note[0] != '\0') {
    /* " note " ending two columns before the right corner. */
    int room = width - x - 5;
    int cols = (int)tu_strwidth(note);
    if (room > 4) {
      if (cols > room)
        cols = room;
      int nx = width - 3 - cols;
      mvwaddch(w, 0, nx - 1, ' ' | a);
      crt_text(w, 0, nx, cols, note, note_attr);
      mvwaddch(w, 0, nx + cols, ' ' | a);
    }
  }
}

int crt_box_rows(WINDOW* w) {
  if (w == NULL)
    return 1;
  int h = getmaxy(w) - 2;
  return h < 1 ? 1 : h;
}

const char* crt_sym_pointer(void) {
  return crt_utf8 ? "\u25b6" : ">";
}

const char* crt_sym_dot(void) {
  return crt_utf8 ? "\u00b7" : "-";
}

const char* crt_sym_ellipsis(void) {
  return crt_utf8 ? "\u2026" : "~";
}

#if !defined(__SANITIZE_ADDRESS__)
static void crt_crash(int sig) {
  crt_done();
  signal(sig, SIG_DFL);
  raise(sig);
}
#endif

void crt_install_crash_handlers(void) {
#if !defined(__SANITIZE_ADDRESS__)
  static const int sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
  for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = crt_crash;
    sa.sa_flags = SA_RESETHAND;
    sigaction(sigs[i], &sa, NULL);
  }
#endif
}

FILE* crt_open_tty(char* err, size_t errlen) {
  const char* name = ttyname(STDIN_FILENO);
  int fd = name ? open(name, O_RDWR | O_NOCTTY | O_CLOEXEC) : -1;
  if (fd < 0) {
    snprintf(err, errlen, "cannot open the terminal: %s",
             name ? strerror(errno) : "stdin is not a terminal");
    return NULL;
  }
  FILE* f = fdopen(fd, "r");
  if (f == NULL) {
    snprintf(err, errlen, "fdopen: %s", strerror(errno));
    close(fd);
  }
  return f;
}
