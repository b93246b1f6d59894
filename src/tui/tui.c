/* tui.c - mcpmon tui [PID | SOCKET]: the dashboard's loop. libuv runs it:
 * the control socket (a uv_pipe_t on the connected fd), keys (a uv_poll_t
 * on the process's own open file of the terminal; keys.c says what each
 * does, and this file carries out what needs the socket), SIGWINCH, SIGINT,
 * SIGTERM and SIGHUP (uv_signal_t, started before curses so that ncurses
 * installs no handlers of its own), a one-second tick (uptimes, message
 * expiry), a retry timer while the core is away, and a uv_check_t that
 * draws whatever is dirty once per loop turn.
 *
 * Every way out goes through tui_term_restore, and nothing is written to
 * stderr while curses owns the screen: messages wait in exit_msg until
 * after endwin.
 */
#include "tui/tui.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <uv.h>

#include "proto/control_proto.h"
#include "tui/crt.h"
#include "tui/ctlclient.h"
#include "tui/ctltarget.h"
#include "tui/follow.h"
#include "tui/keys.h"
#include "tui/model.h"
#include "tui/tutil.h"
#include "tui/view.h"
#include "tui/view_traffic.h"

/* While the core is away: try again, and look for the next instance of
 * the same identity (follow.h), this often. */
#define TUI_RETRY_MS 250
#define TUI_TICK_MS 1000
/* While the core is away, also look for a new instance (only when no
 * SOCKET was given) every this many retries. */
#define TUI_RESCAN_EVERY 4
#define TUI_CONNECT_TIMEOUT_MS 300

static const char tui_usage[] =
    "Usage: mcpmon tui [PID | SOCKET] [--socket PATH] [--pid PID]\n"
    "Open the live dashboard of a running mcpmon. Without PID or SOCKET,\n"
    "attaches to the only running instance, or lists them to choose from;\n"
    "a number is the pid of an instance as that list shows it.\n"
    "  --socket PATH  the control socket of the instance (mcpmon --tui PATH)\n"
    "  --pid PID      the instance whose process id is PID\n";

struct tui;

/* One connection to the core; freed in its close callback. */
struct tui_conn {
  uv_pipe_t pipe;
  struct tui* t;
  struct ctl_reader rd;
  bool hello;
  bool lost; /* closing: ignore what is still buffered */
  char buf[65536];
};

struct tui {
  uv_loop_t loop;
  uv_signal_t sig[4];
  uv_poll_t input;
  int tty_fd; /* our own open file of the terminal */
  uv_check_t check;
  uv_timer_t tick;
  uv_timer_t retry;
  struct tui_conn* conn; /* NULL while the core is away */
  char* path;            /* the socket, owned; NULL in the chooser */
  bool auto_path;        /* found by looking, not given */
  bool ever_attached;
  unsigned retries;
  struct model model;
  struct view view;
  int status;
  bool quitting;
  char exit_msg[1024];
  long next_id;
  long restart_id;
  char* restart_name;       /* owned; NULL for all */
  const char* restart_word; /* "restart", "start" or "stop" (static) */
  long detail_id;
  /* Issue 15 defect 2: what the instance serves (from its hello), its
   * pid, why it said it ended (its bye; NULL if it did not say). */
  struct follow_id id;
  long attached_pid;
  char* bye;
  bool following;     /* attaching to the instance follow_find found */
  long followed_from; /* pid we followed away from, 0 when none */
};

/* The one way the terminal is given back: quit, signals, fatal errors,
 * out of memory (tutil's fatal hook), exit(). Idempotent. */
static void tui_term_restore(void) {
  crt_done();
}

/* ---- leaving ------------------------------------------------------------- */

static void tui_conn_closed(uv_handle_t* h) {
  struct tui_conn* c = h->data;
  ctl_reader_free(&c->rd);
  free(c);
}

static void tui_conn_close(struct tui* t) {
  struct tui_conn* c = t->conn;
  if (c == NULL)
    return;
  t->conn = NULL;
  c->lost = true;
  uv_read_stop((uv_stream_t*)&c->pipe);
  uv_close((uv_handle_t*)&c->pipe, tui_conn_closed);
}

static void tui_quit(struct tui* t, int status, const char* msg) {
  if (t->quitting)
    return;
  t->quitting = true;
  t->status = status;
  if (msg != NULL)
    snprintf(t->exit_msg, sizeof(t->exit_msg), "%s", msg);
  tui_conn_close(t);
  for (size_t i = 0; i < TU_ARRAY_LEN(t->sig); i++)
    uv_close((uv_handle_t*)&t->sig[i], NULL);
  uv_close((uv_handle_t*)&t->input, NULL);
  uv_close((uv_handle_t*)&t->check, NULL);
  uv_close((uv_handle_t*)&t->tick, NULL);
  uv_close((uv_handle_t*)&t->retry, NULL);
}

/* ---- talking to the core ------------------------------------------------ */

struct tui_write {
  uv_write_t req;
  char data[];
};

static void tui_written(uv_write_t* req, int status) {
  free(req);
}

/* Send a command; false when not attached. */
static bool tui_send(struct tui* t, cJSON* cmd) {
  bool ok = false;
  if (t->conn != NULL && t->conn->hello) {
    /* cJSON allocates through tu_malloc (tu_cjson_hooks), so NULL here
     * is not lack of memory but a value cJSON cannot print. */
    char* text = cJSON_PrintUnformatted(cmd);
    size_t len = text != NULL ? strlen(text) : 0;
    struct tui_write* w = text != NULL ? tu_malloc(sizeof(*w) + len + 1) : NULL;
    if (w != NULL) {
      memcpy(w->data, text, len);
      w->data[len] = '\n';
      uv_buf_t b = uv_buf_init(w->data, (unsigned)len + 1);
      if (uv_write(&w->req, (uv_stream_t*)&t->conn->pipe, &b, 1, tui_written) ==
          0)
        ok = true;
      else
        free(w);
    }
    free(text);
  }
  cJSON_Delete(cmd);
  if (!ok)
    view_message(&t->view, true, 4000, "Not attached to mcpmon");
  return ok;
}

/* restart, start or stop (word) of server name, or (restart, NULL) of
 * all; the status line says what was asked, then what came of it. */
static void tui_command(struct tui* t, const char* word, const char* name) {
  cJSON* cmd = cJSON_CreateObject();
  cJSON_AddStringToObject(cmd, "cmd", word);
  if (name != NULL)
    cJSON_AddStringToObject(cmd, "backend", name);
  t->restart_id = ++t->next_id;
  cJSON_AddNumberToObject(cmd, "id", (double)t->restart_id);
  free(t->restart_name);
  t->restart_name = name ? tu_strdup(name) : NULL;
  t->restart_word = word;
  const char* doing = strcmp(word, "stop") == 0    ? "Stopping"
                      : strcmp(word, "start") == 0 ? "Starting"
                                                   : "Restarting";
  if (tui_send(t, cmd)) {
    if (name != NULL)
      view_message(&t->view, false, 4000, "%s %s", doing, name);
    else
      view_message(&t->view, false, 4000, "Restarting all servers");
  }
}

/* The traffic entry under the cursor, or (tool) the tool under the
 * tools cursor (issue 15), on the detail screen. */
static void tui_ask_detail(struct tui* t, bool tool) {
  uint64_t seq = 0;
  const char* server = view_selected_name(&t->view, &t->model);
  const char* name = view_selected_tool(&t->view, &t->model);
  if (tool ? server == NULL || name == NULL
           : !view_traffic_current(&t->view, &t->model, &seq))
    return;
  cJSON* cmd = cJSON_CreateObject();
  cJSON_AddStringToObject(cmd, "cmd", tool ? "tool" : "traffic");
  if (tool) {
    cJSON_AddStringToObject(cmd, "backend", server);
    cJSON_AddStringToObject(cmd, "name", name);
  } else {
    cJSON_AddNumberToObject(cmd, "seq", (double)seq);
  }
  t->detail_id = ++t->next_id;
  cJSON_AddNumberToObject(cmd, "id", (double)t->detail_id);
  if (tool)
    view_traffic_detail_open_tool(&t->view);
  else
    view_traffic_detail_open(&t->view, seq);
  view_set_screen(&t->view, VIEW_DETAIL);
  if (!tui_send(t, cmd))
    view_traffic_detail_failed(&t->view, "not attached to mcpmon");
}

static long tui_obj_id(const cJSON* obj) {
  const cJSON* id = cJSON_GetObjectItemCaseSensitive(obj, "id");
  return (long)tu_json_int(id, -1);
}

static void tui_on_result(struct tui* t, const cJSON* obj) {
  long id = tui_obj_id(obj);
  if (id != t->restart_id || id < 0)
    return;
  if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj, "ok"))) {
    const char* note =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, "note"));
    if (note != NULL) /* "'x' is already stopped" */
      view_message(&t->view, false, 4000, "%s", note);
    return;
  }
  const char* why =
      cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, "error"));
  const char* word = t->restart_word ? t->restart_word : "restart";
  const char* what = strcmp(word, "stop") == 0    ? "Stop"
                     : strcmp(word, "start") == 0 ? "Start"
                                                  : "Restart";
  view_message(&t->view, true, 8000, "%s %s%s refused: %s", what,
               t->restart_name ? "of " : "",
               t->restart_name ? t->restart_name : "",
               why ? why : "no reason given");
}

static void tui_on_error(struct tui* t, const cJSON* obj) {
  const char* msg =
      cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, "message"));
  if (msg == NULL)
    msg = "(no message)";
  long id = tui_obj_id(obj);
  if (id >= 0 && id == t->detail_id && t->view.detail_pending) {
    view_traffic_detail_failed(&t->view, msg);
    return;
  }
  view_message(&t->view, true, 8000, "mcpmon: %s", msg);
}

static void tui_lost(struct tui* t, const char* why);

static void tui_on_line(struct tui* t, char* line, size_t len) {
  cJSON* obj = cJSON_ParseWithLength(line, len);
  if (!cJSON_IsObject(obj)) {
    cJSON_Delete(obj);
    return; /* not for us; the protocol says to ignore what we do not know */
  }
  struct tui_conn* c = t->conn;
  if (!c->hello) {
    long pid;
    char err[256];
    if (ctl_check_hello(obj, &pid, err, sizeof(err)) != 0) {
      cJSON_Delete(obj);
      tui_lost(t, err);
      return;
    }
    c->hello = true;
    if (t->following && pid != t->attached_pid)
      t->followed_from = t->attached_pid;
    t->following = false;
    t->attached_pid = pid;
    struct follow_id id = {0};
    follow_id_set(&id, obj);
    if (follow_id_known(&id)) {
      follow_id_free(&t->id);
      t->id = id;
    } else {
      follow_id_free(&id);
    }
    free(t->bye);
    t->bye = NULL;
    cJSON* cmd = cJSON_CreateObject();
    cJSON_AddStringToObject(cmd, "cmd", "subscribe");
    tui_send(t, cmd);
    cJSON_Delete(obj);
    return;
  }
  const char* type =
      cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, "type"));
  if (type != NULL && strcmp(type, "bye") == 0) {
    const char* why =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, "reason"));
    free(t->bye);
    t->bye = tu_strdup(why != NULL ? why : "no reason given");
  } else if (type != NULL && t->bye != NULL &&
             strcmp(type, "backend_removed") == 0) {
    /* On its way out: keep the rows as they were last. */
  } else if (type != NULL && strcmp(type, "result") == 0) {
    tui_on_result(t, obj);
  } else if (type != NULL && strcmp(type, "error") == 0) {
    tui_on_error(t, obj);
  } else {
    int backend;
    unsigned ch = model_apply(&t->model, obj, &backend);
    view_model_changed(&t->view, &t->model, ch, backend);
    if (type != NULL && strcmp(type, "snapshot") == 0) {
      /* A new picture (after a reattach, new line numbers): start over
       * at the bottom. */
      t->view.log_follow = true;
      t->view.traffic_follow = true;
      t->view.search_hit_valid = false;
      if (t->followed_from != 0) {
        char what[1200];
        follow_id_describe(&t->id, what, sizeof(what));
        view_message(&t->view, false, 10000,
                     "Followed to pid %ld (pid %ld ended), the next mcpmon "
                     "of %s",
                     t->model.pid, t->followed_from, what);
        t->followed_from = 0;
      } else if (t->view.conn_note != NULL && t->ever_attached) {
        view_message(&t->view, false, 5000, "Attached again to pid %ld",
                     t->model.pid);
      }
      t->ever_attached = true;
      view_set_conn_note(&t->view, NULL);
    }
  }
  cJSON_Delete(obj);
}

static void tui_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf) {
  struct tui_conn* c = h->data;
  *buf = uv_buf_init(c->buf, sizeof(c->buf));
}

static void tui_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  struct tui_conn* c = s->data;
  struct tui* t = c->t;
  if (nread < 0) {
    tui_lost(t, nread == UV_EOF ? "it closed the connection"
                                : uv_strerror((int)nread));
    return;
  }
  ctl_reader_push(&c->rd, buf->base, (size_t)nread);
  while (!c->lost) {
    char* line;
    size_t len;
    int got = ctl_reader_next(&c->rd, &line, &len);
    if (got == 0)
      break;
    if (got < 0) {
      view_message(&t->view, true, 8000,
                   "mcpmon sent a line over %u bytes; skipped",
                   CONTROL_SERVER_LINE_MAX);
      continue;
    }
    tui_on_line(t, line, len);
  }
}

static void tui_attach_fd(struct tui* t, int fd) {
  struct tui_conn* c = tu_calloc(1, sizeof(*c));
  c->t = t;
  ctl_reader_init(&c->rd, CONTROL_SERVER_LINE_MAX);
  uv_pipe_init(&t->loop, &c->pipe, 0);
  c->pipe.data = c;
  t->conn = c;
  int rc = uv_pipe_open(&c->pipe, fd);
  if (rc != 0)
    close(fd); /* not the pipe's yet */
  else
    rc = uv_read_start((uv_stream_t*)&c->pipe, tui_alloc, tui_read);
  if (rc != 0) {
    tui_lost(t, uv_strerror(rc));
    return;
  }
  uv_timer_stop(&t->retry);
  t->retries = 0;
}

static void tui_retry(uv_timer_t* h);

static void tui_lost(struct tui* t, const char* why) {
  tui_conn_close(t);
  if (t->quitting)
    return;
  char note[2600];
  if (t->ever_attached && follow_id_known(&t->id)) {
    char what[1200];
    follow_id_describe(&t->id, what, sizeof(what));
    snprintf(note, sizeof(note),
             "mcpmon pid %ld ended (%s); last state shown; reattaching to %s "
             "or to the next mcpmon of %s",
             t->attached_pid, t->bye != NULL ? t->bye : why, t->path, what);
  } else if (t->ever_attached)
    snprintf(note, sizeof(note),
             "mcpmon went away (%s); last state shown; reattaching to %s",
             t->bye != NULL ? t->bye : why, t->path);
  else
    snprintf(note, sizeof(note),
             "cannot attach to mcpmon at %s (%s); trying again", t->path, why);
  view_set_conn_note(&t->view, note);
  if (!uv_is_active((uv_handle_t*)&t->retry))
    uv_timer_start(&t->retry, tui_retry, TUI_RETRY_MS, TUI_RETRY_MS);
}

static void tui_set_path(struct tui* t, const char* path) {
  free(t->path);
  t->path = tu_strdup(path);
  free(t->view.path);
  t->view.path = tu_strdup(path);
  t->view.dirty |= VIEW_D_HEADER;
}

static void tui_retry(uv_timer_t* h) {
  struct tui* t = h->data;
  if (t->conn != NULL || t->path == NULL)
    return;
  int fd;
  char err[512];
  if (ctl_socket_connect(t->path, TUI_CONNECT_TIMEOUT_MS, &fd, err,
                         sizeof(err)) == 0) {
    tui_attach_fd(t, fd);
    return;
  }
  /* A restarted client starts a new instance with a new pid, so a new
   * socket path: follow the one that serves the same (issue 15). */
  char* path;
  long pid;
  if (t->ever_attached && follow_find(&t->id, t->attached_pid,
                                      TUI_CONNECT_TIMEOUT_MS, &path, &pid)) {
    int rc =
        ctl_socket_connect(path, TUI_CONNECT_TIMEOUT_MS, &fd, err, sizeof(err));
    if (rc == 0) {
      tui_set_path(t, path);
      t->following = true;
      tui_attach_fd(t, fd);
    }
    free(path);
    return;
  }
  /* An older core says nothing of what it serves: follow a new instance
   * when it is the only one. */
  if (!follow_id_known(&t->id) && t->auto_path &&
      ++t->retries % TUI_RESCAN_EVERY == 0) {
    struct ctl_instance* list;
    size_t n = ctl_find_instances(&list, TUI_CONNECT_TIMEOUT_MS);
    if (n == 1 && list[0].problem == NULL &&
        ctl_socket_connect(list[0].path, TUI_CONNECT_TIMEOUT_MS, &fd, err,
                           sizeof(err)) == 0) {
      tui_set_path(t, list[0].path);
      tui_attach_fd(t, fd);
    }
    ctl_instances_free(list, n);
  }
}

/* ---- the chooser and keys ----------------------------------------------- */

static void tui_rescan(struct tui* t) {
  struct view* v = &t->view;
  ctl_instances_free(v->instances, v->ninstances);
  v->ninstances = ctl_find_instances(&v->instances, TUI_CONNECT_TIMEOUT_MS);
  if (v->choose_sel >= (int)v->ninstances)
    v->choose_sel = v->ninstances > 0 ? (int)v->ninstances - 1 : 0;
  v->dirty |= VIEW_D_BODY | VIEW_D_HEADER;
}

static void tui_choose(struct tui* t) {
  struct view* v = &t->view;
  if (v->ninstances == 0)
    return;
  const struct ctl_instance* in = &v->instances[v->choose_sel];
  int fd;
  char err[512];
  if (ctl_socket_connect(in->path, CTL_TIMEOUT_MS, &fd, err, sizeof(err)) !=
      0) {
    view_message(v, true, 6000, "%s", err);
    tui_rescan(t);
    return;
  }
  tui_set_path(t, in->path);
  t->auto_path = false; /* chosen: stay with this path */
  view_set_screen(v, VIEW_DASHBOARD);
  tui_attach_fd(t, fd);
}

/* Carry out what a key asked for that the view cannot do alone. */
static void tui_act(struct tui* t, enum keys_action act) {
  switch (act) {
    case KEYS_NONE:
      break;
    case KEYS_QUIT:
      tui_quit(t, 0, NULL);
      break;
    case KEYS_RESTART:
    case KEYS_STOP:
    case KEYS_START: {
      const char* name = view_selected_name(&t->view, &t->model);
      if (name != NULL)
        tui_command(t,
                    act == KEYS_STOP    ? "stop"
                    : act == KEYS_START ? "start"
                                        : "restart",
                    name);
      else if (t->view.sel_events)
        view_message(&t->view, false, 4000,
                     "Select a server to %s it; R restarts them all",
                     act == KEYS_STOP    ? "stop"
                     : act == KEYS_START ? "start"
                                         : "restart");
      break;
    }
    case KEYS_RESTART_ALL:
      tui_command(t, "restart", NULL);
      break;
    case KEYS_DETAIL:
    case KEYS_TOOL_DETAIL:
      tui_ask_detail(t, act == KEYS_TOOL_DETAIL);
      break;
    case KEYS_CHOOSE:
      tui_choose(t);
      break;
    case KEYS_RESCAN:
      tui_rescan(t);
      break;
  }
}

static void tui_input(uv_poll_t* h, int status, int events) {
  struct tui* t = h->data;
  if (status < 0 || (events & UV_DISCONNECT)) {
    tui_quit(t, 1, "mcpmon tui: the terminal went away");
    return;
  }
  bool any = false;
  for (int i = 0; i < 256 && !t->quitting; i++) {
    wint_t ch;
    int rc = wget_wch(stdscr, &ch);
    if (rc == ERR)
      break;
    any = true;
    tui_act(t, keys_handle(&t->view, &t->model, rc == KEY_CODE_YES, ch));
  }
  if (!any && !t->quitting) {
    /* Readable yet no key: end of file (the terminal hung up)? */
    int avail = 0;
    if (ioctl(t->tty_fd, FIONREAD, &avail) == 0 && avail == 0) {
      char probe;
      ssize_t n = read(t->tty_fd, &probe, 1);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
        tui_quit(t, 1, "mcpmon tui: the terminal went away");
    }
  }
}

/* ---- loop ---------------------------------------------------------------- */

static void tui_resize(struct tui* t) {
  struct winsize ws;
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 &&
      ws.ws_col > 0)
    resizeterm(ws.ws_row, ws.ws_col);
  view_resize(&t->view, LINES, COLS);
}

static void tui_signal(uv_signal_t* h, int sig) {
  struct tui* t = h->data;
  if (sig == SIGWINCH) {
    tui_resize(t);
    return;
  }
  char msg[64];
  snprintf(msg, sizeof(msg), "mcpmon tui: stopped by signal %d (%s)", sig,
           strsignal(sig));
  tui_quit(t, 128 + sig, sig == SIGINT ? NULL : msg);
}

static void tui_check(uv_check_t* h) {
  struct tui* t = h->data;
  if (!t->quitting)
    view_draw(&t->view, &t->model);
}

static void tui_tick(uv_timer_t* h) {
  struct tui* t = h->data;
  struct view* v = &t->view;
  view_tick(v, tu_now_ms());
  if (v->screen == VIEW_CHOOSER) {
    static unsigned n;
    if (++n % 3 == 0)
      tui_rescan(t);
    return;
  }
  if (t->conn != NULL)
    v->dirty |= VIEW_D_HEADER | VIEW_D_BACKENDS;
  /* Issue 15: running calls count up. */
  if (v->screen == VIEW_TRAFFIC && model_traffic_running(&t->model) > 0)
    v->dirty |= VIEW_D_BODY;
}

static int tui_run(struct tui* t, FILE* in, int fd) {
  static const int sigs[] = {SIGWINCH, SIGINT, SIGTERM, SIGHUP};
  for (size_t i = 0; i < TU_ARRAY_LEN(sigs); i++) {
    uv_signal_init(&t->loop, &t->sig[i]);
    t->sig[i].data = t;
    uv_signal_start(&t->sig[i], tui_signal, sigs[i]);
  }
  char err[256];
  if (crt_init(in, err, sizeof(err)) != 0) {
    snprintf(t->exit_msg, sizeof(t->exit_msg), "mcpmon tui: %s", err);
    if (fd >= 0)
      close(fd);
    for (size_t i = 0; i < TU_ARRAY_LEN(sigs); i++)
      uv_close((uv_handle_t*)&t->sig[i], NULL);
    uv_run(&t->loop, UV_RUN_DEFAULT);
    view_free(&t->view);
    return 1;
  }
  tu_set_fatal_hook(tui_term_restore);
  crt_install_crash_handlers();
  t->tty_fd = fileno(in);
  uv_poll_init(&t->loop, &t->input, t->tty_fd);
  t->input.data = t;
  uv_poll_start(&t->input, UV_READABLE | UV_DISCONNECT, tui_input);
  uv_check_init(&t->loop, &t->check);
  t->check.data = t;
  uv_check_start(&t->check, tui_check);
  uv_timer_init(&t->loop, &t->tick);
  t->tick.data = t;
  uv_timer_start(&t->tick, tui_tick, TUI_TICK_MS, TUI_TICK_MS);
  uv_timer_init(&t->loop, &t->retry);
  t->retry.data = t;
  view_resize(&t->view, LINES, COLS);
  if (fd >= 0)
    tui_attach_fd(t, fd);
  view_draw(&t->view, &t->model);
  uv_run(&t->loop, UV_RUN_DEFAULT);
  view_free(&t->view);
  tui_term_restore();
  crt_free();
  return t->status;
}

int tui_main(int argc, char** argv) {
  setlocale(LC_ALL, "");
  tu_cjson_hooks();
  struct ctl_target target = {0};
  for (int i = 1; i < argc; i++) {
    const char* a = argv[i];
    int opt = ctl_target_option(&target, "tui", tui_usage, argc, argv, &i);
    if (opt == 2)
      return 2;
    if (opt == 1)
      continue;
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      fputs(tui_usage, stdout);
      return 0;
    } else if (a[0] == '-' && a[1] != '\0') {
      fprintf(stderr, "mcpmon tui: unknown option '%s'\n%s", a, tui_usage);
      return 2;
    } else if (ctl_target_word(&target, "tui", tui_usage, a) != 0) {
      return 2;
    }
  }
  const char* socket = target.socket;
  if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
    fprintf(stderr, "mcpmon tui: needs a terminal; try 'mcpmon status'\n");
    return 1;
  }
  static struct tui t;
  memset(&t, 0, sizeof(t));
  model_init(&t.model);
  view_init(&t.view);
  char err[1024];
  int fd = -1;
  char* by_pid = NULL;
  if (target.pid != 0) {
    int rc = ctl_resolve_target("tui", &target, &by_pid);
    if (rc != 0) {
      view_free(&t.view);
      return rc;
    }
    socket = by_pid;
  }
  if (socket == NULL && ctl_check_search_dirs(err, sizeof(err)) != 0) {
    ctl_print_error("mcpmon: ", err);
    goto fail;
  }
  if (socket == NULL) {
    struct ctl_instance* list;
    size_t n = ctl_find_instances(&list, CTL_TIMEOUT_MS);
    if (n == 0) {
      char dirs[1100];
      ctl_search_dirs_text(dirs, sizeof(dirs));
      fprintf(stderr,
              "mcpmon: no running mcpmon instance found (looked in %s)\n",
              dirs);
      ctl_instances_free(list, n);
      goto fail;
    }
    if (n == 1) {
      socket = list[0].path;
      tui_set_path(&t, socket);
      t.auto_path = true;
      ctl_instances_free(list, n);
    } else {
      t.view.instances = list;
      t.view.ninstances = n;
      t.view.screen = VIEW_CHOOSER;
    }
  } else {
    tui_set_path(&t, socket);
    free(by_pid);
  }
  if (t.path != NULL &&
      ctl_socket_connect(t.path, CTL_TIMEOUT_MS, &fd, err, sizeof(err)) != 0) {
    ctl_print_error("mcpmon: cannot reach mcpmon: ", err);
    goto fail;
  }
  FILE* in = crt_open_tty(err, sizeof(err));
  if (in == NULL) {
    fprintf(stderr, "mcpmon tui: %s\n", err);
    goto fail_fd;
  }
  /* A write to a core that just went away must be an error, not death
   * with the terminal still in curses mode. */
  signal(SIGPIPE, SIG_IGN);
  uv_loop_init(&t.loop);
  atexit(tui_term_restore);
  int status = tui_run(&t, in, fd);
  uv_loop_close(&t.loop);
  fclose(in);
  model_free(&t.model);
  free(t.path);
  free(t.restart_name);
  free(t.bye);
  follow_id_free(&t.id);
  if (t.exit_msg[0] != '\0')
    fprintf(stderr, "%s\n", t.exit_msg);
  return status;

fail_fd:
  if (fd >= 0)
    close(fd);
fail:
  view_free(&t.view);
  free(t.path);
  return 1;
}
