// differential.mjs - issue 13: the gateway compared with the same backend
// directly. Two official-SDK clients make the same calls, one to
// server-everything directly and one through `mcpmon --config` (with
// server-everything and server-memory behind it); the results are compared
// field by field. The differences mcpmon intends are the only ones allowed:
//   - names of tools and prompts carry the "everything__" prefix;
//   - serverInfo is mcpmon's; instructions are under a heading per server;
//   - capabilities are the union of both servers', without tasks (the
//     gateway does not route tasks), with listChanged where mcpmon sends it;
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
import { assert, assertEq, check, log, tally, withTimeout, writeGatewayConfig } from './harness.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const MCPMON = process.env.MCPMON;
const PKG = join(HERE, 'node_modules', '@modelcontextprotocol');
const P = 'everything__';
const T = 20000;

async function open(command, args, env) {
  const transport = new StdioClientTransport({ command, args, env: { ...process.env, ...env }, stderr: 'pipe' });
  const client = new Client({ name: 'mcpmon-differential', version: '1.0.0' }, { capabilities: {} });
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
    direct = await open('node', [join(PKG, 'server-everything', 'dist', 'index.js')], {});
    gw = await open(MCPMON, ['--config', config, '--no-tui'], {});

    await check('initialize: instructions under a heading, capabilities a union without tasks', async () => {
      const di = direct.getInstructions() ?? '';
      const gi = gw.getInstructions() ?? '';
      assert(di.length > 0, 'server-everything gave no instructions');
      assert(gi.startsWith(`## everything (${P}*)\n\n${di}`), `instructions: ${JSON.stringify(gi.slice(0, 120))}`);
      assertEq(gw.getServerVersion().name, 'mcpmon', 'serverInfo.name');
      const dc = direct.getServerCapabilities();
      const gc = gw.getServerCapabilities();
      for (const [k, v] of Object.entries(dc)) {
        if (k === 'tasks') {
          assert(!('tasks' in gc), 'tasks offered though not routed');
          continue;
        }
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
