/* control_model.c - see control_model.h. */
#include "core/control/control_model.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/util.h"

uint64_t ctl_model_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- the backend observer ------------------------------------------------ */

static void ctl_model_obs_state(struct backend* b, void* ctx) {
  struct ctl_model* m = ctx;
  struct ctl_backend* cb = ctl_model_find(m, b);
  if (cb != NULL && m->ev->on_state != NULL)
    m->ev->on_state(m->ctx, cb);
}

static void ctl_model_obs_tools(struct backend* b, void* ctx) {
  struct ctl_model* m = ctx;
  struct ctl_backend* cb = ctl_model_find(m, b);
  if (cb != NULL && m->ev->on_tools != NULL)
    m->ev->on_tools(m->ctx, cb);
}

/* The record whose backend, or one of whose draining predecessors, is b. */
static struct ctl_backend* ctl_model_find_any(const struct ctl_model* m,
                                              const struct backend* b) {
  struct ctl_backend* cb = ctl_model_find(m, b);
  if (cb != NULL)
    return cb;
  STAILQ_FOREACH(cb, &m->backends, link) {
    for (int i = 0; i < CTL_MODEL_OLD_MAX; i++)
      if (cb->old[i] == b)
        return cb;
  }
  return NULL;
}

static uint64_t ctl_model_record(struct ctl_model* m,
                                 struct ctl_backend* cb,
                                 const struct backend_traffic* t) {
  struct ctl_rings* r = cb != NULL ? &cb->rings : &m->none;
  const struct ctl_traffic_entry* e = NULL;
  uint64_t seq = t->seq;
  if (seq != 0) {
    e = ctl_rings_finish_traffic(r, seq, t->ms, t->ok, t->error, t->response,
                                 t->response_len);
    if (e == NULL && ctl_rings_traffic_find(r, seq) != NULL)
      return seq; /* answered already: nothing new */
  }
  if (e == NULL) {
    /* A new entry, or the answer to one that left the ring already. */
    uint64_t now = ctl_model_now_ms();
    uint64_t ms = t->running ? 0 : (uint64_t)t->ms;
    struct ctl_traffic_entry in = {
        .seq = seq != 0 ? seq : ++m->traffic_seq,
        .t = ms < now ? now - ms : now,
        .running = t->running,
        .from_server = t->from_server,
        .method = (char*)(t->method != NULL ? t->method : "?"),
        .tool = (char*)t->tool,
        .ms = t->ms,
        .ok = t->ok,
        .error = (char*)t->error,
        .request = (char*)t->request,
        .response = (char*)t->response,
    };
    e = ctl_rings_push_traffic(r, &in,
                               t->response != NULL ? t->response_len : 0);
  }
  if (m->ev->on_traffic != NULL)
    m->ev->on_traffic(m->ctx, cb, e);
  return e->seq;
}

static uint64_t ctl_model_obs_traffic(struct backend* b,
                                      void* ctx,
                                      const struct backend_traffic* t) {
  struct ctl_model* m = ctx;
  struct ctl_backend* cb = ctl_model_find_any(m, b);
  if (cb == NULL)
    return 0;
  return ctl_model_record(m, cb, t);
}

uint64_t ctl_model_traffic(struct ctl_model* m,
                           struct backend* b,
                           const struct backend_traffic* t) {
  struct ctl_backend* cb = NULL;
  if (b != NULL) {
    cb = ctl_model_find_any(m, b);
    if (cb == NULL)
      return 0;
  } else if (m->single) {
    cb = STAILQ_FIRST(&m->backends);
    if (cb == NULL)
      return 0;
  }
  return ctl_model_record(m, cb, t);
}

static void ctl_model_push_log(struct ctl_model* m,
                               struct ctl_backend* cb,
                               enum log_level level,
                               enum ctl_log_source source,
                               const char* text);

/* Issue 15: the server's own log messages, in its log pane. */
static void ctl_model_obs_log(struct backend* b,
                              void* ctx,
                              enum log_level level,
                              const char* text) {
  struct ctl_model* m = ctx;
  struct ctl_backend* cb = ctl_model_find_any(m, b);
  if (cb != NULL)
    ctl_model_push_log(m, cb, level, CTL_LOG_SERVER, text);
}

static void ctl_model_obs_gone(struct backend* b, void* ctx) {
  struct ctl_model* m = ctx;
  struct ctl_backend* cb;
  STAILQ_FOREACH(cb, &m->backends, link) {
    for (int i = 0; i < CTL_MODEL_OLD_MAX; i++)
      if (cb->old[i] == b)
        cb->old[i] = NULL;
  }
}

/* ---- the model ----------------------------------------------------------- */

void ctl_model_init(struct ctl_model* m,
                    bool single,
                    const struct ctl_model_events* ev,
                    void* ctx) {
  memset(m, 0, sizeof(*m));
  STAILQ_INIT(&m->backends);
  m->single = single;
  m->ev = ev;
  m->ctx = ctx;
  m->obs.on_state = ctl_model_obs_state;
  m->obs.on_tools = ctl_model_obs_tools;
  m->obs.on_traffic = ctl_model_obs_traffic;
  m->obs.on_log = ctl_model_obs_log;
  m->obs.on_gone = ctl_model_obs_gone;
  /* Issue 15: bodies always, whether or not a dashboard is attached. */
  m->obs.body_max = CONTROL_TRAFFIC_BODY_MAX;
}

void ctl_model_free(struct ctl_model* m) {
  while (!STAILQ_EMPTY(&m->backends))
    ctl_model_remove(m, STAILQ_FIRST(&m->backends));
  ctl_rings_free(&m->none);
  ctl_events_free(&m->events);
}

struct ctl_backend* ctl_model_add(struct ctl_model* m,
                                  struct backend* b,
                                  size_t index) {
  struct ctl_backend* cb = xcalloc(1, sizeof(*cb));
  cb->b = b;
  ctl_rings_init(&cb->rings);
  struct ctl_backend* after = NULL;
  if (index > 0) {
    struct ctl_backend* it;
    size_t i = 0;
    STAILQ_FOREACH(it, &m->backends, link) {
      if (++i > index)
        break;
      after = it;
    }
  }
  if (index == 0)
    STAILQ_INSERT_HEAD(&m->backends, cb, link);
  else if (after != NULL)
    STAILQ_INSERT_AFTER(&m->backends, after, cb, link);
  else
    STAILQ_INSERT_TAIL(&m->backends, cb, link);
  backend_set_observer(b, &m->obs, m);
  return cb;
}

void ctl_model_replace(struct ctl_model* m,
                       struct ctl_backend* cb,
                       struct backend* now) {
  /* The old one still answers its calls in flight: follow it until it
   * is freed (on_gone). With no slot left, the oldest is let go. */
  int slot = 0;
  for (int i = 0; i < CTL_MODEL_OLD_MAX; i++)
    if (cb->old[i] == NULL) {
      slot = i;
      break;
    }
  if (cb->old[slot] != NULL)
    backend_set_observer(cb->old[slot], NULL, NULL);
  cb->old[slot] = cb->b != now ? cb->b : NULL;
  cb->b = now;
  backend_set_observer(now, &m->obs, m);
}

size_t ctl_model_index(const struct ctl_model* m,
                       const struct ctl_backend* cb) {
  size_t i = 0;
  const struct ctl_backend* it;
  STAILQ_FOREACH(it, &m->backends, link) {
    if (it == cb)
      return i;
    i++;
  }
  return i;
}

void ctl_model_remove(struct ctl_model* m, struct ctl_backend* cb) {
  STAILQ_REMOVE(&m->backends, cb, ctl_backend, link);
  backend_set_observer(cb->b, NULL, NULL);
  for (int i = 0; i < CTL_MODEL_OLD_MAX; i++)
    if (cb->old[i] != NULL)
      backend_set_observer(cb->old[i], NULL, NULL);
  ctl_rings_free(&cb->rings);
  free(cb);
}

struct ctl_backend* ctl_model_find(const struct ctl_model* m,
                                   const struct backend* b) {
  struct ctl_backend* cb;
  STAILQ_FOREACH(cb, &m->backends, link) {
    if (cb->b == b)
      return cb;
  }
  return NULL;
}

struct ctl_backend* ctl_model_find_name(const struct ctl_model* m,
                                        const char* name) {
  struct ctl_backend* cb;
  STAILQ_FOREACH(cb, &m->backends, link) {
    if (strcmp(backend_name(cb->b), name) == 0)
      return cb;
  }
  return NULL;
}

const struct ctl_traffic_entry* ctl_model_traffic_find(
    const struct ctl_model* m, uint64_t seq, const struct ctl_backend** out) {
  const struct ctl_backend* cb;
  STAILQ_FOREACH(cb, &m->backends, link) {
    const struct ctl_traffic_entry* t = ctl_rings_traffic_find(&cb->rings, seq);
    if (t != NULL) {
      *out = cb;
      return t;
    }
  }
  *out = NULL;
  return ctl_rings_traffic_find(&m->none, seq);
}

void ctl_model_list_changed(struct ctl_model* m,
                            struct backend* b,
                            bool relisted) {
  struct ctl_backend* cb;
  STAILQ_FOREACH(cb, &m->backends, link) {
    if (b != NULL && cb->b != b)
      continue;
    if (relisted && (!cb->lc_have || cb->lc_relisted))
      continue; /* nothing was pending */
    if (!relisted) {
      cb->lc_have = true;
      cb->lc_sent = ctl_model_now_ms();
    }
    cb->lc_relisted = relisted;
    if (m->ev->on_list_changed != NULL)
      m->ev->on_list_changed(m->ctx, cb);
  }
}

static void ctl_model_push_log(struct ctl_model* m,
                               struct ctl_backend* cb,
                               enum log_level level,
                               enum ctl_log_source source,
                               const char* text) {
  if (m->in_hook)
    return; /* a line logged while reporting one */
  m->in_hook = true;
  if (cb != NULL) {
    const struct ctl_log_entry* l =
        ctl_rings_push_log(&cb->rings, ctl_model_now_ms(), level, source, text);
    if (m->ev->on_log != NULL)
      m->ev->on_log(m->ctx, cb, l);
  } else if (m->ev->on_log != NULL) {
    /* Bounded like a line in a ring. */
    size_t len = strlen(text);
    size_t cut = ctl_rings_cut_utf8(text, len, CONTROL_LOG_TEXT_MAX);
    char* copy = cut < len ? xstrndup(text, cut) : NULL;
    struct ctl_log_entry l = {ctl_model_now_ms(), level, source,
                              copy ? copy : (char*)text};
    m->ev->on_log(m->ctx, NULL, &l);
    free(copy);
  }
  m->in_hook = false;
}

void ctl_model_on_log(void* ctx,
                      enum log_level level,
                      const char* name,
                      bool from_server,
                      const char* text) {
  struct ctl_model* m = ctx;
  struct ctl_backend* cb = NULL;
  if (name != NULL)
    cb = ctl_model_find_name(m, name);
  else if (m->single)
    cb = STAILQ_FIRST(&m->backends);
  const char* about = cb != NULL ? backend_name(cb->b) : name;
  if (!m->in_hook && ctl_events_wanted(m->single, about, level, from_server))
    ctl_events_push(&m->events, ctl_model_now_ms(), level, about, text);
  ctl_model_push_log(m, cb, level,
                     from_server ? CTL_LOG_STDERR : CTL_LOG_MCPMON, text);
}
