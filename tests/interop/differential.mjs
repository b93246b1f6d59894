// differential.mjs - issue 13: the gateway compared with the same backend
// directly. Two official-SDK clients make the same calls, one to
// server-everything directly and one through `mcpmon --config` (with
// server-everything and server-memory behind it); the results are compared
// field by field. The differences mcpmon intends are the only ones allowed:
//   - names of tools and prompts carry the "everything__" prefix;
//   - serverInfo is mcpmon's; instructions are under a heading per server;
//   - capabilities are the union of both servers' (tasks included: the
//     gateway routes them, TASK-3), with listChanged where mcpmon sends it;
//   - a task's id carries the "everything__" prefix;
//   - the merged lists hold server-memory's items too.
//   MCPMON=/path/to/mcpmon node differential.mjs   (run.sh --differential)
// Every check prints "ok - ..." or "not ok - ..."; the last line is
// "N passed, N failed"; the exit status is 1 on any failure.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { assert, assertEq, check, log, tally, withTimeout, writeGatewayConfig } from './harness.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const MCPMON = process.env.MCPMON;
const PKG = join(HERE, 'node_modules', '@modelcontextprotocol');
const P = 'everything__';
const T = 20000;

// Both clients can answer an elicitation (a task asks one), choosing the
// first interpretation offered; elicited counts the requests and keeps the
// related task each carried.
async function open(command, args, env, elicited) {
  const transport = new StdioClientTransport({ command, args, env: { ...process.env, ...env }, stderr: 'pipe' });
  const client = new Client({ name: 'mcpmon-differential', version: '1.0.0' }, { capabilities: { elicitation: { form: {} } } });
  client.setRequestHandler(ElicitRequestSchema, async (req) => {
    elicited.push(req.params._meta?.['io.modelcontextprotocol/related-task']?.taskId ?? null);
    const prop = req.params.requestedSchema.properties.interpretation;
    return { action: 'accept', content: { interpretation: prop.oneOf[0].const } };
  });
  await withTimeout(client.connect(transport), T, `connect ${command}`);
  return client;
}

// Every page of a list (the SDK returns one page per call).
async function all(client, method, key) {
  const out = [];
  let cursor;
  do {
    const r = await client[method](cursor ? { cursor } : undefined);
    out.push(...r[key]);
    cursor = r.nextCursor;
  } while (cursor);
  return out;
}

function withoutPrefix(item) {
  assert(item.name.startsWith(P), `${item.name} lacks the ${P} prefix`);
  return { ...item, name: item.name.slice(P.length) };
}

async function main() {
  if (!MCPMON) {
    log('differential.mjs: MCPMON is not set');
    return 1;
  }
  const work = mkdtempSync(join(tmpdir(), 'mcpmon-diff-'));
  const config = writeGatewayConfig(work, PKG);
  let direct = null;
  let gw = null;
  try {
    const directAsked = [];
    const gwAsked = [];
    direct = await open('node', [join(PKG, 'server-everything', 'dist', 'index.js')], {}, directAsked);
    gw = await open(MCPMON, ['--config', config, '--no-tui'], {}, gwAsked);

    await check('initialize: instructions under a heading, capabilities a union', async () => {
      const di = direct.getInstructions() ?? '';
      const gi = gw.getInstructions() ?? '';
      assert(di.length > 0, 'server-everything gave no instructions');
      assert(gi.startsWith(`## everything (${P}*)\n\n${di}`), `instructions: ${JSON.stringify(gi.slice(0, 120))}`);
      assertEq(gw.getServerVersion().name, 'mcpmon', 'serverInfo.name');
      const dc = direct.getServerCapabilities();
      const gc = gw.getServerCapabilities();
      assertEq(gc.tasks, dc.tasks, 'capabilities.tasks');
      for (const [k, v] of Object.entries(dc)) {
        assert(k in gc, `capability ${k} of the server is missing`);
        for (const [sk, sv] of Object.entries(v ?? {})) {
          if (sv === true) assert(gc[k][sk] === true, `${k}.${sk} lost`);
        }
      }
      for (const k of ['tools', 'prompts', 'resources']) {
        if (k in gc) assertEq(gc[k].listChanged, true, `${k}.listChanged`);
      }
    });

    await check('tools: every tool of the server, prefixed, each field as the server gives it', async () => {
      const dt = await all(direct, 'listTools', 'tools');
      const gt = (await all(gw, 'listTools', 'tools')).filter((t) => t.name.startsWith(P));
      assertEq(gt.map(withoutPrefix), dt, 'tools');
    });

    await check('prompts: prefixed, fields unchanged; prompts/get the same', async () => {
      const dp = await all(direct, 'listPrompts', 'prompts');
      const gp = (await all(gw, 'listPrompts', 'prompts')).filter((p) => p.name.startsWith(P));
      assertEq(gp.map(withoutPrefix), dp, 'prompts');
      const simple = dp.find((p) => !p.arguments || p.arguments.length === 0);
      assert(simple, 'no prompt without arguments');
      const a = await direct.getPrompt({ name: simple.name });
      const b = await gw.getPrompt({ name: P + simple.name });
      assertEq(b, a, 'prompts/get');
    });

    await check('resources and templates: the same items, URIs untouched; a read the same', async () => {
      const dr = await all(direct, 'listResources', 'resources');
      const gr = await all(gw, 'listResources', 'resources');
      assertEq(gr.filter((r) => dr.some((x) => x.uri === r.uri)), dr, 'resources');
      const dtp = await all(direct, 'listResourceTemplates', 'resourceTemplates');
      const gtp = await all(gw, 'listResourceTemplates', 'resourceTemplates');
      assertEq(gtp.filter((t) => dtp.some((x) => x.uriTemplate === t.uriTemplate)), dtp, 'templates');
      const uri = dr[0].uri;
      assertEq(await gw.readResource({ uri }), await direct.readResource({ uri }), `read ${uri}`);
    });

    await check('tools/call: the same result', async () => {
      const args = { name: 'echo', arguments: { message: 'différent \u0000 12345678901234567890' } };
      const a = await direct.callTool(args);
      const b = await gw.callTool({ ...args, name: P + 'echo' });
      assertEq(b, a, 'echo');
    });

    await check('logging/setLevel: accepted by both; an invalid level refused by the gateway', async () => {
      assertEq(await gw.setLoggingLevel('warning'), await direct.setLoggingLevel('warning'), 'setLevel');
      let err = null;
      try {
        await gw.setLoggingLevel('loud');
      } catch (e) {
        err = e;
      }
      assert(err && err.code === -32602, `invalid level: ${err}`);
    });

    await check('tasks: a task-only tool, its elicitation and its result the same; the id prefixed (TASK-3)', async () => {
      // simulate-research-query is taskSupport "required"; ambiguous makes
      // it ask the client (elicitation/create with the related task) while
      // the client waits in tasks/result. Both run at once (about 4 s).
      const run = async (client, name, prefix) => {
        const seen = [];
        let taskId = null;
        let result = null;
        const stream = client.experimental.tasks.callToolStream(
          { name, arguments: { topic: 'python', ambiguous: true } }, undefined, { timeout: T });
        for await (const msg of stream) {
          seen.push(msg.type);
          if (msg.type === 'taskCreated') taskId = msg.task.taskId;
          if (msg.type === 'result') result = msg.result;
          if (msg.type === 'error') throw msg.error;
        }
        assert(taskId && taskId.startsWith(prefix), `task id ${taskId} lacks ${JSON.stringify(prefix)}`);
        const got = await client.experimental.tasks.getTask(taskId);
        assertEq(got.status, 'completed', `tasks/get ${taskId}`);
        assertEq(got.taskId, taskId, 'tasks/get taskId');
        const listed = await client.experimental.tasks.listTasks();
        assert(listed.tasks.some((t) => t.taskId === taskId), `tasks/list lacks ${taskId}: ${JSON.stringify(listed)}`);
        return { seen, taskId, result };
      };
      const [a, b] = await Promise.all([
        run(direct, 'simulate-research-query', ''),
        run(gw, P + 'simulate-research-query', P),
      ]);
      // The result names its task: each its own id.
      const REL = 'io.modelcontextprotocol/related-task';
      assertEq(a.result._meta?.[REL]?.taskId, a.taskId, 'the direct result\'s related task');
      assertEq(b.result._meta?.[REL]?.taskId, b.taskId, 'the gateway result\'s related task');
      const bare = (r) => ({ ...r, _meta: { ...r._meta, [REL]: null } });
      assertEq(bare(b.result), bare(a.result), 'the task\'s result');
      assertEq(b.seen, a.seen, 'what the stream saw');
      assertEq(directAsked, [a.taskId], 'elicitation of the direct task');
      assertEq(gwAsked, [b.taskId], 'elicitation through the gateway, with the prefixed task id');
      let err = null;
      try {
        await gw.experimental.tasks.getTask(P + 'no-such-task');
      } catch (e) {
        err = e;
      }
      assert(err && err.code === -32602, `unknown task: ${err}`);
    });
  } catch (e) {
    log(`not ok - setup: ${e?.stack ?? e}`);
    tally.failed++;
  } finally {
    await direct?.close().catch(() => {});
    await gw?.close().catch(() => {});
    rmSync(work, { recursive: true, force: true });
  }
  log(`${tally.passed} passed, ${tally.failed} failed`);
  return tally.failed === 0 ? 0 : 1;
}

process.exit(await main());
