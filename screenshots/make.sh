#!/usr/bin/env bash
# screenshots/make.sh - regenerate the dashboard screenshots (screenshots/*.png)
#
#   screenshots/make.sh [--size COLSxROWS] [--out DIR]
#
# Starts a small gateway (mcpmon --config) with four servers: the MCP
# reference servers server-everything and server-memory (from
# tests/interop/node_modules, installed with npm ci when missing), and two
# instances of the test server, build/tests/mcp_testserver, posing as a
# files and a db server under development: they show on demand what the
# reference servers cannot (a slow start after an edit, a crash loop, an
# isError result). A scripted MCP client (democlient.py) keeps mcpmon's
# stdin open and makes the tool calls; `mcpmon tui` runs inside a private
# tmux server and is driven through these states, each one saved:
#
#   01-dashboard.png       all four ready; everything selected, its tools, log
#   02-restarting.png      files restarting after an edit of its server.json
#   03-crashed.png         db crashing at start until mcpmon waits for a fix
#   04-traffic.png         the traffic view (t): a call in flight, errors
#   05-traffic-detail.png  one request and its response (Enter)
#   06-stopped.png         memory stopped with x (s starts it again)
#   07-events.png          mcpmon's own events (e): a config error in full
#   08-tool-detail.png     a tool's definition (Tab to the tools, Enter)
#
# Pipeline: tmux capture-pane -e -p -> aha (ANSI to HTML) -> a dark,
# monospace HTML page -> headless Chromium --screenshot. Missing tools (tmux,
# aha, chromium, python3, the DejaVu fonts) are installed with apt-get (sudo
# when not root). Binaries: $MCPMON and $MCP_TESTSERVER, else build/.
# Every wait is a bounded poll; every process started here is stopped on
# exit. The reference servers need node 20 or later and npm. KEEP_WORK=1
# keeps the scratch directory (the .ans and .html of each screenshot,
# mcpmon's stderr, the client's log). CI does not run this script.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
size=120x36
out=$here
while [ $# -gt 0 ]; do
  case $1 in
    --size) size=${2:?--size needs COLSxROWS}; shift 2 ;;
    --out) out=${2:?--out needs a directory}; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "make.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done
if ! [[ $size =~ ^([0-9]+)x([0-9]+)$ ]]; then
  echo "make.sh: --size wants COLSxROWS, e.g. 120x36" >&2
  exit 2
fi
cols=${BASH_REMATCH[1]}
rows=${BASH_REMATCH[2]}
mkdir -p "$out"
out=$(cd "$out" && pwd)

mcpmon=${MCPMON:-$root/build/mcpmon}
testserver=${MCP_TESTSERVER:-$root/build/tests/mcp_testserver}
for bin in "$mcpmon" "$testserver"; do
  if [ ! -x "$bin" ]; then
    echo "make.sh: $bin not found; build first (cmake -S . -B build && cmake --build build)" >&2
    exit 1
  fi
done
mcpmon=$(cd "$(dirname "$mcpmon")" && pwd)/$(basename "$mcpmon")
testserver=$(cd "$(dirname "$testserver")" && pwd)/$(basename "$testserver")

export LC_ALL=C.UTF-8 LANG=C.UTF-8

# ---- tools ------------------------------------------------------------------

find_chromium() {
  command -v chromium || command -v chromium-browser || command -v google-chrome || true
}

need=()
command -v tmux >/dev/null || need+=(tmux)
command -v aha >/dev/null || need+=(aha)
command -v python3 >/dev/null || need+=(python3)
[ -n "$(find_chromium)" ] || need+=(chromium)
if ! fc-list 2>/dev/null | grep -q "DejaVu Sans Mono"; then
  need+=(fonts-dejavu-core)
fi
if [ ${#need[@]} -gt 0 ]; then
  echo "make.sh: installing ${need[*]}" >&2
  sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi
chromium=$(find_chromium)

# The reference servers: tests/interop's locked dependencies.
mcpdir=$root/tests/interop/node_modules/@modelcontextprotocol
everything_js=$mcpdir/server-everything/dist/index.js
memory_js=$mcpdir/server-memory/dist/index.js
if [ ! -f "$everything_js" ] || [ ! -f "$memory_js" ]; then
  command -v npm >/dev/null ||
    { echo "make.sh: npm not found; the reference servers need node 20+ and npm" >&2; exit 1; }
  echo "make.sh: installing the reference servers (npm ci in tests/interop)" >&2
  (cd "$root/tests/interop" && npm ci --no-audit --no-fund >&2)
fi
for js in "$everything_js" "$memory_js"; do
  [ -f "$js" ] || { echo "make.sh: $js missing after npm ci" >&2; exit 1; }
done
command -v node >/dev/null || { echo "make.sh: node not found" >&2; exit 1; }

# ---- processes and cleanup --------------------------------------------------

work=$(mktemp -d /tmp/demo.XXXXXX)
client_pid=""
tmux_up=false
tmuxsock=$work/tmux.sock

# -N: never start a server by accident (only new-session below does).
tm() { tmux -u -N -S "$tmuxsock" "$@"; }

# Wait until the process $1 is gone, at most $2 tenths of a second.
wait_gone() {
  local i
  for ((i = 0; i < $2; i++)); do
    kill -0 "$1" 2>/dev/null || return 0
    sleep 0.1
  done
  return 1
}

cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  if $tmux_up; then
    local tpid
    tpid=$(tm display-message -p '#{pid}' 2>/dev/null)
    tm kill-server 2>/dev/null
    [ -n "$tpid" ] && { wait_gone "$tpid" 50 || kill -KILL "$tpid" 2>/dev/null; }
  fi
  if [ -n "$client_pid" ]; then
    # EOF on the client's stdin: it closes mcpmon's stdin, and mcpmon
    # stops its servers and exits.
    exec 3>&-
    if ! wait_gone "$client_pid" 150; then
      kill -TERM "$client_pid" 2>/dev/null
      wait_gone "$client_pid" 30 || kill -KILL "$client_pid" 2>/dev/null
    fi
    wait "$client_pid" 2>/dev/null
  fi
  if [ $rc -ne 0 ] && [ -s "$work/mcpmon.log" ]; then
    echo "--- mcpmon's stderr (last lines):" >&2
    tail -n 30 "$work/mcpmon.log" >&2
  fi
  if [ -n "${KEEP_WORK:-}" ]; then
    echo "make.sh: kept $work" >&2
  else
    rm -rf "$work"
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() {
  echo "make.sh: $*" >&2
  exit 1
}

# ---- the demo project -------------------------------------------------------

proj=$work/acme
mkdir -p "$proj/bin" "$proj/memory"
# The commands as the client's config would name them (npm's bin names).
ln -s "$everything_js" "$proj/bin/mcp-server-everything"
ln -s "$memory_js" "$proj/bin/mcp-server-memory"
for s in files db; do
  mkdir -p "$proj/$s"
  ln -s "$testserver" "$proj/bin/$s-mcp"
done

# write_spec NAME JSON: the server's spec, written atomically (one restart).
write_spec() {
  printf '%s\n' "$2" >"$proj/$1/server.json.tmp"
  mv "$proj/$1/server.json.tmp" "$proj/$1/server.json"
}

files_tools='
    {"name": "read_file", "description": "Read a file from the workspace",
     "inputSchema": {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]},
     "reply": "from fastapi import FastAPI\n\napp = FastAPI(title=\"acme-api\")\n..."},
    {"name": "write_file", "description": "Write a file in the workspace", "reply": "wrote 1.2 KB"},
    {"name": "list_directory", "description": "List the entries of a directory",
     "reply": "src/\ntests/\npyproject.toml\nREADME.md"}'
files_spec='{
  "server_name": "files-mcp", "builtin_tools": false,
  "stderr_on_start": "files-mcp: workspace root /home/dev/acme-api (read-write)\nfiles-mcp: 3 tools registered",
  "tools": ['"$files_tools"']}'
# The edit: a new tool, and a server that takes a moment to initialize.
files_spec_edited='{
  "server_name": "files-mcp", "builtin_tools": false, "init_delay_ms": 4000,
  "stderr_on_start": "files-mcp: workspace root /home/dev/acme-api (read-write)\nfiles-mcp: 4 tools registered\nfiles-mcp: building file index...",
  "tools": ['"$files_tools"',
    {"name": "search_files", "description": "Find files by glob pattern or content", "reply": "src/app/main.py"}]}'

db_tools='
    {"name": "run_query", "description": "Run a read-only SQL query",
     "inputSchema": {"type": "object", "properties": {"sql": {"type": "string"}}, "required": ["sql"]},
     "reply": " id | email             | plan\n----+-------------------+------\n  1 | ada@example.com   | pro\n  2 | linus@example.com | free\n(2 rows)"},
    {"name": "list_tables", "description": "List the tables of the database",
     "reply": "users, teams, invoices, events, api_keys"},
    {"name": "drop_table", "description": "Drop a table (needs a read-write connection)",
     "reply": "permission denied: db-mcp is connected read-only (DROP TABLE users)", "is_error": true}'
db_spec='{
  "server_name": "db-mcp", "builtin_tools": false,
  "stderr_on_start": "db-mcp: connected to postgres://localhost:5432/acme (pool 4, read-only)\ndb-mcp: schema cache warmed (27 tables)",
  "tools": ['"$db_tools"']}'
db_spec_broken='{
  "server_name": "db-mcp", "builtin_tools": false, "exit_on_start": 1,
  "stderr_on_start": "Traceback (most recent call last):\n  File \"/srv/db-mcp/server.py\", line 41, in <module>\n    pool = connect(DSN, min_size=4)\npsycopg.OperationalError: connection refused (localhost:5432)",
  "tools": ['"$db_tools"']}'

write_spec files "$files_spec"
write_spec db "$db_spec"
# write_config [EXTENSIONS_KEY]: the gateway's config; a misspelt key
# makes the edit that the events pane shows.
write_config() {
  local ext=${1:-extensions}
  {
    echo "servers:"
    echo "  everything:"
    echo "    command: mcp-server-everything"
    echo "    args: [stdio]"
    echo "    watch: false"
    echo "  memory:"
    echo "    command: mcp-server-memory"
    echo "    watch: false"
    echo "    env:"
    echo "      MEMORY_FILE_PATH: $proj/memory/graph.jsonl"
    for s in files db; do
      echo "  $s:"
      echo "    command: $s-mcp"
      echo "    cwd: $s"
      echo "    watch: $s"
      echo "    $ext: json"
      echo "    delay: 50"
      # The old process stops first: the files row shows the restart and
      # a db that fails at start crashes (with overlap, the default, the
      # old one serves until the new one is ready, and keeps serving when
      # the new one fails).
      echo "    reload: stop-first"
      echo "    env:"
      echo "      MCP_TESTSERVER_SPEC: server.json"
      ext=extensions
    done
  } >"$proj/.mcpmon.yaml.tmp"
  mv "$proj/.mcpmon.yaml.tmp" "$proj/.mcpmon.yaml"
}
write_config

# ---- the gateway and its client ---------------------------------------------

ctlsock=$work/ctl.sock
status=$work/client.status
: >"$status"
mkfifo "$work/client.in"
(
  cd "$proj"
  export PATH="$proj/bin:$PATH"
  exec python3 "$here/democlient.py" "$status" -- \
    "$mcpmon" --config .mcpmon.yaml --tui "$ctlsock" \
    <"$work/client.in" 2>"$work/mcpmon.log"
) &
client_pid=$!
exec 3>"$work/client.in"

# wait_until DESCRIPTION SECONDS COMMAND...: poll COMMAND every 0.1 s.
wait_until() {
  local what=$1 secs=$2 i
  shift 2
  for ((i = 0; i < secs * 10; i++)); do
    "$@" && return 0
    kill -0 "$client_pid" 2>/dev/null || die "the client or mcpmon died while waiting for $what"
    sleep 0.1
  done
  die "timed out after ${secs}s waiting for $what"
}

answers() { grep -c '^done ' "$status" || true; }
# call TOOL JSON: a tools/call from the client; returns at once.
call() { echo "call $1 $2" >&3; }
# calls_answered N: the client has had N answers in all.
calls_answered() { [ "$(answers)" -ge "$1" ]; }
# answers_of TOOL: how many answers to calls of TOOL came back.
answers_of() { grep -c "^done [0-9]* [a-z]* $1 " "$status" || true; }
# answered TOOL N: at least N answers to calls of TOOL came back.
answered() { [ "$(answers_of "$1")" -ge "$2" ]; }

wait_until "the client's initialize and tools/list" 20 grep -qx ready "$status"
wait_until "the control socket" 10 test -S "$ctlsock"
ready_count() { "$mcpmon" status "$ctlsock" 2>/dev/null | grep -cw ready || true; }
all_ready() { [ "$(ready_count)" -ge 4 ]; }
wait_until "all four servers ready" 30 all_ready

# ---- the dashboard in tmux --------------------------------------------------

# No status line: the pane is the whole COLSxROWS window. The dashboard's
# exit status goes to tui.exit.
printf 'set -g status off\n' >"$work/tmux.conf"
tmux -u -S "$tmuxsock" -f "$work/tmux.conf" new-session -d -s shots \
  -x "$cols" -y "$rows" \
  "env TERM=tmux-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 '$mcpmon' tui '$ctlsock'; echo \$? >'$work/tui.exit'"
tmux_up=true

screen() { tm capture-pane -p -t shots 2>/dev/null; }
# on_screen REGEX...: every extended regex matches a line of the pane.
on_screen() {
  local text rx
  text=$(screen)
  for rx in "$@"; do
    grep -Eq -- "$rx" <<<"$text" || return 1
  done
}
# wait_screen DESCRIPTION SECONDS REGEX...
wait_screen() {
  local what=$1 secs=$2 i
  shift 2
  for ((i = 0; i < secs * 10; i++)); do
    on_screen "$@" && return 0
    sleep 0.1
  done
  echo "make.sh: timed out after ${secs}s waiting for $what; the screen:" >&2
  screen >&2
  exit 1
}
keys() { tm send-keys -t shots "$@"; }
# capture NAME: the pane with its colours, converted to PNG at the end.
captured=()
capture() {
  tm capture-pane -e -p -N -t shots >"$work/$1.ans"
  captured+=("$1")
  echo "make.sh: captured $1" >&2
}

# A server row: "▶ name  state ..." with the name's row in the list.
row() { printf '(^|[^a-z])%s +%s ' "$1" "$2"; }

# 1. Normal: all ready, everything selected (its tools and log). The calls
# come after the dashboard attached: the core keeps request and response
# bodies only while a dashboard is attached.
wait_screen "the dashboard with four ready servers" 15 \
  "$(row everything ready)" "$(row memory ready)" "$(row files ready)" \
  "$(row db ready)" "trigger-long-running" "Starting default"
# (and an uptime that is not 0s)
wait_screen "an uptime" 10 "$(row everything ready).* up [2-9]s"
n=$(answers)
call everything__echo '{"message": "hello from the demo client"}'
call memory__create_entities '{"entities": [{"name": "acme-api", "entityType": "project", "observations": ["FastAPI service", "deployed on fly.io"]}, {"name": "Ada", "entityType": "person", "observations": ["owns the billing module"]}]}'
call files__list_directory '{"path": "src/app"}'
call files__read_file '{"path": "src/app/main.py"}'
call db__list_tables '{}'
call db__run_query '{"sql": "SELECT id, email, plan FROM users LIMIT 2"}'
call everything__get-sum '{"a": 19, "b": 23}'
call db__drop_table '{"table": "users"}'
wait_until "the first tool calls" 10 calls_answered $((n + 8))
# One at a time after create_entities: server-memory reads and rewrites
# its file for each call, and two at once lose one's write.
call memory__create_relations '{"relations": [{"from": "Ada", "to": "acme-api", "relationType": "maintains"}]}'
wait_until "create_relations" 10 answered memory__create_relations 1
call memory__search_nodes '{"query": "billing"}'
wait_until "the search" 10 answered memory__search_nodes 1
capture 01-dashboard

# 2. Restarting: files selected, its server.json edited; the new server
# takes 4 s to initialize. A call made meanwhile waits in mcpmon's queue
# and is answered once the new server is ready.
keys j j
wait_screen "files selected" 5 "workspace root"
c=$(answers_of files__read_file)
write_spec files "$files_spec_edited"
wait_screen "files restarting" 10 "$(row files '(restarting|starting|initializing)')" \
  "building file index"
call files__read_file '{"path": "src/app/routes.py"}'
capture 02-restarting
wait_screen "files ready again" 15 "$(row files ready)" "re-listed: yes"
wait_until "the queued call" 10 answered files__read_file $((c + 1))

# 3. Crashed: db's server exits at start, five times, then mcpmon waits for
# a change. A call made during the crash loop gets an error.
keys j
wait_screen "db selected" 5 "schema cache warmed"
c=$(answers_of db__run_query)
write_spec db "$db_spec_broken"
wait_screen "db crashing" 10 "crash 1 of 5"
call db__run_query '{"sql": "SELECT count(*) FROM invoices"}'
wait_screen "db waiting for a fix" 30 "$(row db waiting)" "crashed 5 times"
wait_until "the call to the crashed server" 40 answered db__run_query $((c + 1))
c=$(answers_of memory__read_graph)
call memory__read_graph '{}'
wait_until "a call after the crash" 10 answered memory__read_graph $((c + 1))
capture 03-crashed

# 4. The traffic view: a long operation of server-everything in flight
# (its duration counting up), and a call it answers with isError.
c=$(answers_of everything__get-sum)
call everything__trigger-long-running-operation '{"duration": 120, "steps": 4}'
call everything__get-sum '{"a": 19, "b": "twenty-three"}'
wait_until "the failing get-sum" 10 answered everything__get-sum $((c + 1))
keys t
wait_screen "the traffic view with a running call" 10 "search_nodes" \
  "trigger-long-runn.* [3-9][0-9]{3}(\.[0-9])? +running" "error: MCP error"
capture 04-traffic

# 5. The detail of the search_nodes call (server-memory finds Ada).
keys g
wait_screen "the first traffic line" 5 "roots/list"
for ((i = 0; i < 20; i++)); do
  keys Enter
  wait_screen "the request view" 5 '"jsonrpc"'
  if on_screen 'tools/call search_nodes on memory'; then break; fi
  keys Escape
  wait_screen "back to traffic" 5 "Traffic \([0-9]+\)"
  keys Down
done
on_screen 'tools/call search_nodes on memory' ||
  die "no search_nodes call found in the traffic view"
capture 05-traffic-detail

# 6. A stopped server: memory, stopped with x.
keys q
wait_screen "back to the traffic view" 5 "Traffic \([0-9]+\)"
keys t
wait_screen "the dashboard" 5 "Log: db"
keys k k
wait_screen "memory selected" 5 "Log: memory"
keys x
wait_screen "memory stopped" 10 "$(row memory stopped)" "start it with"
capture 06-stopped

# 7. mcpmon's own events: a misspelt key in the config, in full.
write_config extensionz
wait_screen "the config error" 10 "events .*unknown key 'extensionz'"
keys e
wait_screen "the events pane" 5 "Log: mcpmon events" "unknown key 'extensionz'"
capture 07-events
write_config
wait_screen "the config fixed" 10 "Configuration reloaded"

# 8. A tool's definition: everything's trigger-long-running-operation.
keys k k k k
wait_screen "everything selected" 5 "Log: everything"
keys Tab
keys g
for ((i = 0; i < 20; i++)); do
  keys Enter
  wait_screen "the tool view" 5 "Tool .* of everything"
  if on_screen 'Tool trigger-long-running-operation of everything'; then break; fi
  keys Escape
  wait_screen "back to the dashboard" 5 "Log: everything"
  keys j
done
on_screen 'Tool trigger-long-running-operation of everything' ||
  die "no trigger-long-running-operation in the tools pane"
capture 08-tool-detail

keys q
wait_screen "back to the dashboard" 5 "Log: everything"
keys q
wait_until "the dashboard to quit" 5 test -s "$work/tui.exit"
[ "$(cat "$work/tui.exit")" = 0 ] || die "mcpmon tui exited with status $(cat "$work/tui.exit")"

# ---- to PNG -----------------------------------------------------------------

# aha drops SGR 2 (dim), which the dashboard uses for secondary text: turn
# it into 3 (italic, which the dashboard does not use), styled as dim below.
# Sequences with 38/48 (256 or RGB colours) are left alone.
dim_as_italic() {
  perl -pe 's/\e\[([0-9;]*)m/my $p = $1; $p =~ m{(^|;)[34]8(;|$)} ? "\e[${p}m"
    : "\e[" . join(";", map { $_ eq "2" ? "3" : $_ } split(m{;}, $p, -1)) . "m"/ge'
}

# Terminal cells in CSS pixels: DejaVu Sans Mono advances 0.602 em; lines
# as tall as the font's box glyphs, so that vertical lines join.
font_px=14
line_px=16
pad=12
width=$(awk -v c="$cols" -v f="$font_px" -v p="$pad" 'BEGIN { printf "%d", c * f * 0.60205 + 2 * p + 0.999 }')
height=$((rows * line_px + 2 * pad))

for name in "${captured[@]}"; do
  {
    cat <<EOF
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>mcpmon tui</title>
<style>
html, body { margin: 0; background: #181a1f; overflow: hidden; }
pre {
  margin: 0; padding: ${pad}px; color: #d7dae0; background: #181a1f;
  font-family: "DejaVu Sans Mono", monospace; font-size: ${font_px}px;
  line-height: ${line_px}px; white-space: pre; font-variant-ligatures: none;
}
/* aha --stylesheet classes, with a dark terminal's palette (Tango-like:
   blue must stay readable both on the dark background and on the light
   status bar) */
.reset { color: inherit; } .bg-reset { background: transparent; }
.inverted { color: #181a1f; } .bg-inverted { background: #d7dae0; }
.dimgray { color: #181a1f; }
.red { color: #ec5f59; } .green { color: #8ac358; } .yellow { color: #e0b03e; }
.blue { color: #4a7fd0; } .purple { color: #b982d9; } .cyan { color: #3eafbe; }
.white { color: #e6e8ec; }
.bg-black { background: #181a1f; } .bg-red { background: #ec5f59; }
.bg-green { background: #8ac358; } .bg-yellow { background: #e0b03e; }
.bg-blue { background: #4a7fd0; } .bg-purple { background: #b982d9; }
.bg-cyan { background: #3eafbe; } .bg-white { background: #d3d7cf; }
.bold { font-weight: bold; } .underline { text-decoration: underline; }
.italic { font-style: normal; opacity: 0.6; }
</style></head><body><pre>
EOF
    dim_as_italic <"$work/$name.ans" | aha --no-header --stylesheet
    echo "</pre></body></html>"
  } >"$work/$name.html"
  rm -f "$out/$name.png"
  timeout 60 "$chromium" --headless --no-sandbox --disable-gpu --disable-quic \
    --no-first-run --disable-background-networking --disable-component-update \
    --disable-sync --hide-scrollbars --force-device-scale-factor=1 \
    --user-data-dir="$work/chromium-$name" \
    --screenshot="$out/$name.png" --window-size="$width,$height" \
    "file://$work/$name.html" >"$work/chromium.log" 2>&1 ||
    { cat "$work/chromium.log" >&2; die "chromium failed on $name"; }
  [ -s "$out/$name.png" ] || die "chromium wrote no $out/$name.png"
  echo "make.sh: wrote $out/$name.png" >&2
done
