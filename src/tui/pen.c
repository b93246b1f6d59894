/* pen.c - see pen.h. */
#include "tui/pen.h"

#include "tui/tutil.h"

/* s cut to cols - 1 columns, then an ellipsis. */
static void pen_cut(struct pen* p, const char* s, attr_t a, int cols) {
  p->x += crt_text(p->w, p->y, p->x, cols - 1, s, a);
  p->x +=
      crt_text(p->w, p->y, p->x, 1, crt_sym_ellipsis(), crt_colors[CRT_DIM]);
}

void pen_put(struct pen* p, const char* s, attr_t a) {
  int room = p->end - p->x;
  if (room <= 0)
    return;
  if ((int)tu_strwidth(s) > room) {
    pen_cut(p, s, a, room);
    p->end = p->x; /* nothing more on this row */
    return;
  }
  p->x += crt_text(p->w, p->y, p->x, room, s, a);
}

void pen_col(struct pen* p, const char* s, attr_t a, int cols, attr_t pad) {
  int start = p->x;
  int room = p->end - p->x;
  int w = cols < room ? cols : room;
  if (w >= 2 && (int)tu_strwidth(s) > w)
    pen_cut(p, s, a, w);
  else
    p->x += crt_text(p->w, p->y, p->x, w, s, a);
  int stop = start + w;
  if (p->x < stop) {
    wattrset(p->w, pad);
    mvwhline(p->w, p->y, p->x, ' ', stop - p->x);
    wattrset(p->w, A_NORMAL);
    p->x = stop;
  }
}
