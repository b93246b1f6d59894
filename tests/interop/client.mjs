// client.mjs - interop test: the official MCP TypeScript SDK client talking
// to an official-SDK server through mcpmon, across hot reloads.
//
//   MCPMON=/path/to/mcpmon node client.mjs    full test (run.sh does this)
//   node client.mjs --direct                  baseline: the same server
//                                             versions without mcpmon
//
// Each scenario gets its own temporary directory with a copy of
// server_template.mjs (see the comment there) and its own mcpmon, started by
// the SDK's StdioClientTransport as
//   $MCPMON --watch <tmp>/srv --ext mjs -- node <tmp>/srv/server.mjs
// Scenarios:
//   reload    initialize advertises tools.listChanged; edits to server.mjs
//             restart the server, the SDK client's listChanged auto-refresh
//             sees the new tool list, calls reach the new code; close stops
//             mcpmon and the server.
//   inflight  a tools/call in flight when the file changes gets its
//             result from the old server (overlap reload, issue 14); a call
//             made during the reload is answered by the new code; the tool
//             list did not change, so no list_changed refresh comes.
// Every check prints "ok - ..." or "not ok - ..."; the last line is
// "N passed, N failed". On failure mcpmon's stderr is printed and the exit
// status is 1. Set MCPMON_INTEROP_KEEP=1 to keep the temporary directories.

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import {
  assert, assertEq, check, describe, log, settle, tally, waitUntil, withTimeout,
} from './harness.mjs';
import { McpError } from '@modelcontextprotocol/sdk/types.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const TEMPLATE = join(HERE, 'server_template.mjs');
const DIRECT = process.argv.includes('--direct');
const MCPMON = process.env.MCPMON;
const KEEP = process.env.MCPMON_INTEROP_KEEP === '1';

const CALL_TIMEOUT_MS = 15000;   // per request; the SDK default is 60 s
const LIST_CHANGED_WAIT_MS = 20000;
const EXIT_WAIT_MS = 10000;
const WATCHDOG_MS = 180000;      // whole script; ctest allows 300 s
const EOF_EXIT_MS = 2000;        // the SDK sends SIGTERM after this long

const instances = [];            // every process we started, for cleanup
const tempDirs = [];

// 'gone', 'zombie' (exited, not yet reaped) or 'alive'.
function pidState(pid) {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if (err.code === 'ESRCH') return 'gone';
    if (err.code !== 'EPERM') throw err;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    if (state === 'Z' || state === 'X') return 'zombie';
  } catch {
    return 'gone';
  }
  return 'alive';
}

async function waitPidGone(pid, ms, what) {
  await waitUntil(() => pidState(pid) !== 'alive', ms, `${what} (pid ${pid}) still running`);
}

// ---- server versions ------------------------------------------------------

// The template with absolute file:// URLs for the SDK modules and the given
// constants. Throws if the template no longer has what we rewrite.
function serverSource({ version, goodbye, markerDir = '' }) {
  let src = readFileSync(TEMPLATE, 'utf8');
  let imports = 0;
  src = src.replace(/from '(@modelcontextprotocol\/sdk\/[^']+)'/g, (_, spec) => {
    imports++;
    return `from '${import.meta.resolve(spec)}'`;
  });
  assert(imports > 0, 'server_template.mjs: no @modelcontextprotocol/sdk import to rewrite');
  const set = (name, value) => {
    const re = new RegExp(`^const ${name} = .*;$`, 'm');
    assert(re.test(src), `server_template.mjs: no line "const ${name} = ...;"`);
    src = src.replace(re, `const ${name} = ${JSON.stringify(value)};`);
  };
  set('VERSION', version);
  set('WITH_GOODBYE', goodbye);
  set('MARKER_DIR', markerDir);
  return src;
}

function makeWorkdir(label) {
  const root = mkdtempSync(join(tmpdir(), `mcpmon-interop-${label}-`));
  tempDirs.push(root);
  const watchDir = join(root, 'srv');      // watched by mcpmon
  const markerDir = join(root, 'markers'); // outside the watched tree
  mkdirSync(watchDir);
  mkdirSync(markerDir);
  return { root, watchDir, markerDir, serverPath: join(watchDir, 'server.mjs') };
}

// ---- one client connection ------------------------------------------------

// Starts `command args` with the SDK transport and connects a Client that
// uses the listChanged auto-refresh. Returns an instance record.
async function connect(label, command, args) {
  const inst = {
    label,
    command: [command, ...args].join(' '),
    stderr: [],
    protocolErrors: [],
    closedAt: null,
    exit: null,           // {code, signal, at}
    toolLists: [],        // every onChanged result, in order
    waiters: new Set(),
    serverPids: new Set(),
  };
  instances.push(inst);

  const onChanged = (err, items) => {
    const entry = err
      ? { error: describe(err), at: Date.now() }
      : { names: (items ?? []).map((t) => t.name).sort(), at: Date.now() };
    inst.toolLists.push(entry);
    if (process.env.MCPMON_INTEROP_VERBOSE) {
      log(`# [${label}] onChanged: ${JSON.stringify(entry)}`);
    }
    if (entry.names) {
      for (const w of inst.waiters) {
        if (w.pred(entry.names)) {
          inst.waiters.delete(w);
          w.resolve(entry.names);
        }
      }
    }
  };

  inst.client = new Client(
    { name: 'mcpmon-interop-client', version: '1.0.0' },
    { listChanged: { tools: { onChanged } } },
  );
  inst.client.onerror = (err) => inst.protocolErrors.push(describe(err));
  inst.client.onclose = () => { inst.closedAt = Date.now(); };

  inst.transport = new StdioClientTransport({
    command,
    args,
    env: { ...process.env },
    stderr: 'pipe',
  });
  inst.transport.stderr.on('data', (chunk) => {
    inst.stderr.push(chunk.toString('utf8'));
    if (process.env.MCPMON_INTEROP_VERBOSE) process.stderr.write(chunk);
  });

  await inst.client.connect(inst.transport, { timeout: CALL_TIMEOUT_MS });
  inst.pid = inst.transport.pid;
  // The ChildProcess is private to the transport; used only to learn how
  // and when the process exited (an SDK upgrade may rename it).
  const child = inst.transport._process;
  inst.child = Boolean(child);
  if (child) {
    child.once('exit', (code, signal) => { inst.exit = { code, signal, at: Date.now() }; });
  }
  return inst;
}

// Resolves with the tool names of the first onChanged refresh (from now on)
// whose list satisfies pred. Register before causing the change.
function nextToolList(inst, pred, what) {
  let waiter;
  const p = new Promise((resolve) => {
    waiter = { pred, resolve };
    inst.waiters.add(waiter);
  });
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => {
      inst.waiters.delete(waiter);
      const seen = inst.toolLists.slice(-3).map((e) => JSON.stringify(e.names ?? e.error)).join(', ');
      reject(new Error(`${what}: no list_changed refresh with it within ${LIST_CHANGED_WAIT_MS} ms `
        + `(${inst.toolLists.length} refreshes in all; last: ${seen || 'none'})`));
    }, LIST_CHANGED_WAIT_MS);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

async function toolNames(inst) {
  const res = await inst.client.listTools(undefined, { timeout: CALL_TIMEOUT_MS });
  return res.tools.map((t) => t.name).sort();
}

function callTool(inst, name) {
  return inst.client.callTool({ name, arguments: {} }, undefined, { timeout: CALL_TIMEOUT_MS });
}

function textOf(result) {
  assert(result && Array.isArray(result.content), `not a tool result: ${JSON.stringify(result)}`);
  assert(!result.isError, `tool error: ${JSON.stringify(result.content)}`);
  const t = result.content.find((c) => c.type === 'text');
  assert(t, `no text content: ${JSON.stringify(result)}`);
  return t.text;
}

async function callText(inst, name) {
  return textOf(await callTool(inst, name));
}

async function serverPid(inst) {
  const pid = Number(await callText(inst, 'pid'));
  assert(Number.isInteger(pid) && pid > 0, `pid tool returned ${pid}`);
  inst.serverPids.add(pid);
  return pid;
}

// Closes the client (stdin EOF to the child) and checks that the child exits
// by itself, that no server process is left and that the client's onerror
// never fired. Three groups.
async function closeAndCheck(inst, lastServerPid, what) {
  const t0 = Date.now();
  await settle(inst.client.close());
  const closeMs = Date.now() - t0;
  await check(`${inst.label}: ${what} exits on stdin EOF without a signal`, async () => {
    // Without the ChildProcess handle (see connect()) how long close() took
    // would only be a guess at how the process ended: say what is missing.
    assert(inst.child, `cannot tell how ${what} exits: the SDK's transport no longer `
      + 'exposes its ChildProcess (_process); update connect()');
    await waitUntil(() => inst.exit !== null, EXIT_WAIT_MS,
      `${what} (pid ${inst.pid}) still running after close`);
    const ex = inst.exit;
    assert(ex.signal === null, `${what} was killed by ${ex.signal} after ${ex.at - t0} ms: `
      + `it did not exit within ${EOF_EXIT_MS} ms of stdin EOF, so the SDK signalled it`);
    return `exit code ${ex.code} after ${ex.at - t0} ms; close() took ${closeMs} ms`;
  });
  await check(`${inst.label}: no server process left behind`, async () => {
    const pids = [...inst.serverPids];
    if (lastServerPid) assert(pids.includes(lastServerPid), 'last server pid not recorded');
    for (const pid of pids) await waitPidGone(pid, EXIT_WAIT_MS, 'server process');
    return `${pids.length} server pid(s) gone`;
  });
  await check(`${inst.label}: the SDK client saw no malformed or unexpected message`, async () => {
    assert(inst.protocolErrors.length === 0, inst.protocolErrors.join(' | '));
  });
}

// ---- scenarios ------------------------------------------------------------

function mcpmonArgs(wd) {
  return ['--watch', wd.watchDir, '--ext', 'mjs', '--', process.execPath, wd.serverPath];
}

// Stops a scenario early after a failed group that later ones depend on.
class Abort extends Error {}
async function must(name, fn) {
  if (!(await check(name, fn))) throw new Abort(name);
}

async function scenarioReload() {
  const wd = makeWorkdir('reload');
  writeFileSync(wd.serverPath, serverSource({ version: 'v1', goodbye: false }));
  let inst;
  await must('reload: mcpmon starts and the SDK client connects', async () => {
    inst = await connect('reload', MCPMON, mcpmonArgs(wd));
    return `mcpmon pid ${inst.pid}`;
  });
  try {
    await must('reload: initialize result advertises tools.listChanged: true', async () => {
      const caps = inst.client.getServerCapabilities();
      assertEq(caps?.tools?.listChanged, true, 'capabilities.tools.listChanged');
      assertEq(inst.client.getServerVersion()?.name, 'mcpmon-interop-server', 'serverInfo.name (the backend\'s)');
    });

    let pid1;
    await must('reload: tools/list and tools/call reach v1', async () => {
      const names = await toolNames(inst);
      assert(names.includes('hello') && !names.includes('goodbye'), `tools: ${names}`);
      assertEq(await callText(inst, 'hello'), 'hello from v1', 'hello');
      pid1 = await serverPid(inst);
      return `server pid ${pid1}`;
    });

    // Edit 1: hello changes, goodbye appears.
    const t1 = Date.now();
    const sawGoodbye = nextToolList(inst, (names) => names.includes('goodbye'), 'goodbye');
    writeFileSync(wd.serverPath, serverSource({ version: 'v2', goodbye: true }));
    await must('reload: edit 1 -> list_changed auto-refresh lists "goodbye"', async () => {
      const names = await sawGoodbye;
      return `${Date.now() - t1} ms after the write: ${names.join(',')}`;
    });

    let pid2;
    await must('reload: calls after edit 1 reach the v2 code', async () => {
      assertEq(await callText(inst, 'goodbye'), 'goodbye from v2', 'goodbye');
      assertEq(await callText(inst, 'hello'), 'hello from v2', 'hello');
      pid2 = await serverPid(inst);
      assert(pid2 !== pid1, `same server pid ${pid2} after the restart`);
      await waitPidGone(pid1, EXIT_WAIT_MS, 'v1 server process');
      return `server pid ${pid1} -> ${pid2}, old one gone`;
    });

    // Edit 2: goodbye disappears again.
    const t2 = Date.now();
    const lostGoodbye = nextToolList(inst,
      (names) => names.includes('hello') && !names.includes('goodbye'), 'no goodbye');
    writeFileSync(wd.serverPath, serverSource({ version: 'v3', goodbye: false }));
    let pid3;
    await must('reload: edit 2 -> auto-refresh without "goodbye", calls reach v3', async () => {
      const names = await lostGoodbye;
      const ms = Date.now() - t2;
      assertEq(await callText(inst, 'hello'), 'hello from v3', 'hello');
      const gone = await settle(callTool(inst, 'goodbye'));
      assert(!gone.ok || gone.value.isError === true,
        `goodbye still answered: ${JSON.stringify(gone.value)}`);
      pid3 = await serverPid(inst);
      assert(pid3 !== pid2, `same server pid ${pid3} after the restart`);
      await waitPidGone(pid2, EXIT_WAIT_MS, 'v2 server process');
      return `${ms} ms after the write: ${names.join(',')}`;
    });

    await closeAndCheck(inst, pid3, 'mcpmon');
  } finally {
    if (inst && !inst.exit) await settle(inst.client.close());
  }
}

async function scenarioInflight() {
  const wd = makeWorkdir('inflight');
  writeFileSync(wd.serverPath,
    serverSource({ version: 'v1', goodbye: false, markerDir: wd.markerDir }));
  let inst;
  await must('inflight: mcpmon starts and the SDK client connects', async () => {
    inst = await connect('inflight', MCPMON, mcpmonArgs(wd));
    return `mcpmon pid ${inst.pid}`;
  });
  try {
    let oldPid;
    await must('inflight: v1 answers', async () => {
      assertEq(await callText(inst, 'hello'), 'hello from v1', 'hello');
      oldPid = await serverPid(inst);
      return `server pid ${oldPid}`;
    });

    // slow is in flight in the v1 process (its marker file exists) when the
    // file changes; a hello is sent right after the write.
    const slow = settle(callTool(inst, 'slow'));
    await must('inflight: slow call reached the v1 server', async () => {
      await waitUntil(() => existsSync(join(wd.markerDir, `slow-${oldPid}`)), CALL_TIMEOUT_MS,
        'slow call in the server');
    });
    const refreshesBefore = inst.toolLists?.length ?? 0;
    writeFileSync(wd.serverPath,
      serverSource({ version: 'v2', goodbye: false, markerDir: wd.markerDir }));
    const helloNow = settle(callTool(inst, 'hello'));
    const slowR = await slow;
    // mcpmon has by now begun the restart (it answered the in-flight call
    // because the process is going away, or drained it while restarting),
    // so this request must wait for, and reach, the v2 process.
    const helloDuring = settle(callTool(inst, 'hello'));

    await check('inflight: call in flight at the restart settles with a result or -32603', async () => {
      if (slowR.ok) {
        const text = textOf(slowR.value);
        assert(text !== 'slow from v2',
          'answered by v2: mcpmon resent a tools/call to the new process (must not)');
        assertEq(text, 'slow from v1', 'slow result');
        return `result "${text}" after ${slowR.ms} ms (drained)`;
      }
      const e = slowR.error;
      assert(e instanceof McpError, `rejected with ${describe(e)}`);
      assert(e.code !== -32001, `hung until the client's ${CALL_TIMEOUT_MS} ms timeout`);
      assertEq(e.code, -32603, `error code (${e.message})`);
      return `-32603 after ${slowR.ms} ms: ${e.message}`;
    });

    await check('inflight: call sent right after the edit settles', async () => {
      const r = await helloNow;
      if (!r.ok) {
        assert(r.error instanceof McpError && r.error.code === -32603, describe(r.error));
        return `-32603 after ${r.ms} ms: ${r.error.message}`;
      }
      // Inside the watcher's debounce window the old process still serves.
      const text = textOf(r.value);
      assert(text === 'hello from v1' || text === 'hello from v2', `hello: ${text}`);
      return `"${text}" after ${r.ms} ms`;
    });

    await check('inflight: call sent during the restart reaches the v2 code', async () => {
      const r = await helloDuring;
      if (!r.ok) throw r.error;
      assertEq(textOf(r.value), 'hello from v2', 'hello');
      return `after ${r.ms} ms`;
    });

    let newPid;
    await check('inflight: the v1 process was replaced, with no list_changed (the tools are the same)', async () => {
      assertEq(await callText(inst, 'hello'), 'hello from v2', 'hello');
      newPid = await serverPid(inst);
      assert(newPid !== oldPid, `same server pid ${newPid}`);
      await waitPidGone(oldPid, EXIT_WAIT_MS, 'v1 server process');
      const refreshes = (inst.toolLists?.length ?? 0) - refreshesBefore;
      assertEq(refreshes, 0, 'list_changed refreshes after a reload that changed no tool');
      return `server pid ${oldPid} -> ${newPid}`;
    });

    await closeAndCheck(inst, newPid, 'mcpmon');
  } finally {
    if (inst && !inst.exit) await settle(inst.client.close());
  }
}

// Baseline without mcpmon: each server version straight under the SDK client.
async function scenarioDirect() {
  const wd = makeWorkdir('direct');
  const versions = [
    { version: 'v1', goodbye: false, markerDir: wd.markerDir },
    { version: 'v2', goodbye: true, markerDir: wd.markerDir },
    { version: 'v3', goodbye: false, markerDir: wd.markerDir },
  ];
  for (const v of versions) {
    writeFileSync(wd.serverPath, serverSource(v));
    let inst;
    await must(`direct ${v.version}: the SDK client connects to node server.mjs`, async () => {
      inst = await connect(`direct ${v.version}`, process.execPath, [wd.serverPath]);
      return `server pid ${inst.pid}`;
    });
    try {
      await must(`direct ${v.version}: the server itself declares tools.listChanged: false`, async () => {
        assertEq(inst.client.getServerCapabilities()?.tools?.listChanged, false,
          'capabilities.tools.listChanged');
      });
      await must(`direct ${v.version}: tools and replies`, async () => {
        const names = await toolNames(inst);
        const want = ['hello', 'pid', 'slow', ...(v.goodbye ? ['goodbye'] : [])].sort();
        assertEq(names.join(','), want.join(','), 'tools');
        assertEq(await callText(inst, 'hello'), `hello from ${v.version}`, 'hello');
        if (v.goodbye) assertEq(await callText(inst, 'goodbye'), `goodbye from ${v.version}`, 'goodbye');
        const pid = await serverPid(inst);
        assertEq(pid, inst.pid, 'pid tool vs spawned pid');
        if (v.version === 'v1') {
          assertEq(await callText(inst, 'slow'), 'slow from v1', 'slow');
          assert(existsSync(join(wd.markerDir, `slow-${pid}`)), 'slow left no marker file');
        }
        return names.join(',');
      });
      await closeAndCheck(inst, inst.pid, 'server');
    } finally {
      if (inst && !inst.exit) await settle(inst.client.close());
    }
  }
}

// ---- main -----------------------------------------------------------------

function dumpDiagnostics() {
  for (const inst of instances) {
    log(`----- ${inst.label}: ${inst.command}`);
    log(`exit: ${inst.exit ? JSON.stringify(inst.exit) : 'not observed'}; `
      + `list_changed refreshes: ${JSON.stringify(inst.toolLists.map((e) => e.names ?? e.error))}`);
    if (inst.protocolErrors.length) log(`SDK client errors: ${inst.protocolErrors.join(' | ')}`);
    const text = inst.stderr.join('');
    const lines = text.split('\n');
    const tail = lines.length > 300 ? lines.slice(-300) : lines;
    log(`stderr${lines.length > 300 ? ` (last 300 of ${lines.length} lines)` : ''}:`);
    log(tail.join('\n').trimEnd() || '(empty)');
  }
  log('-----');
}

async function cleanup() {
  for (const inst of instances) {
    if (!inst.exit && inst.client) await settle(withTimeout(inst.client.close(), 6000, 'close'));
    for (const pid of inst.serverPids) {
      if (pidState(pid) === 'alive') {
        log(`# killing leftover server process ${pid}`);
        try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      }
    }
  }
  if (KEEP) {
    log(`# kept: ${tempDirs.join(' ')}`);
  } else {
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  if (!DIRECT && !MCPMON) {
    log('MCPMON is not set (path to the mcpmon binary); use --direct for the baseline without it');
    return 2;
  }
  const watchdog = setTimeout(async () => {
    log(`not ok - whole test: still running after ${WATCHDOG_MS} ms`);
    tally.failed++;
    dumpDiagnostics();
    await cleanup();
    log(`${tally.passed} passed, ${tally.failed} failed`);
    process.exit(1);
  }, WATCHDOG_MS);

  const scenarios = DIRECT ? [scenarioDirect] : [scenarioReload, scenarioInflight];
  for (const scenario of scenarios) {
    try {
      await scenario();
    } catch (err) {
      if (!(err instanceof Abort)) {
        tally.failed++;
        log(`not ok - ${scenario.name}: unexpected ${describe(err)}`);
      } else {
        log(`# ${scenario.name} stopped after "${err.message}" failed`);
      }
    }
  }
  clearTimeout(watchdog);

  if (tally.failed > 0) dumpDiagnostics();
  await cleanup();
  if (tally.failed === 0) {
    log(DIRECT
      ? `interop --direct: SDK ${sdkVersion()} client and server agree on all ${tally.passed} checks`
      : `interop: SDK ${sdkVersion()} client through ${MCPMON}: reload and in-flight scenarios pass`);
  }
  log(`${tally.passed} passed, ${tally.failed} failed`);
  return tally.failed === 0 ? 0 : 1;
}

function sdkVersion() {
  const pkg = join(HERE, 'node_modules', '@modelcontextprotocol', 'sdk', 'package.json');
  try {
    return JSON.parse(readFileSync(pkg, 'utf8')).version;
  } catch {
    return '?';
  }
}

process.exit(await main());
