// inspector.mjs - issue 13: the MCP Inspector CLI (`mcp-inspector --cli`,
// locked in package-lock.json) as a second real client of the gateway,
// each call a fresh session: mcpmon --config with server-everything and
// server-memory. The first request of a fresh session is the case the
// Inspector hit (a resources/read routed before the lists had arrived
// failed in 5 of 7 sessions); a task-only tool runs as a task through it.
//   MCPMON=/path/to/mcpmon node inspector.mjs   (run.sh --inspector)
// Every check prints "ok - ..." or "not ok - ..."; the last line is
// "N passed, N failed"; the exit status is 1 on any failure.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assert, check, log, tally, writeGatewayConfig } from './harness.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const MCPMON = process.env.MCPMON;
const PKG = join(HERE, 'node_modules', '@modelcontextprotocol');
const INSPECTOR = join(HERE, 'node_modules', '.bin', 'mcp-inspector');
const DOC = 'demo://resource/static/document/architecture.md';

let inspectorConfig = null;

// One fresh Inspector session: its JSON output.
function inspect(args) {
  return new Promise((resolve, reject) => {
    execFile(INSPECTOR, ['--cli', '--config', inspectorConfig, '--server', 'gw', ...args],
      { timeout: 60000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
        if (err) {
          reject(new Error(`${args.join(' ')}: ${err.message}\n${stderr}`));
          return;
        }
        try {
          resolve(JSON.parse(stdout));
        } catch {
          reject(new Error(`${args.join(' ')}: not JSON: ${stdout.slice(0, 300)}`));
        }
      });
  });
}

async function main() {
  if (!MCPMON) {
    log('inspector.mjs: MCPMON is not set');
    return 1;
  }
  const work = mkdtempSync(join(tmpdir(), 'mcpmon-inspector-'));
  const config = writeGatewayConfig(work, PKG);
  inspectorConfig = join(work, 'inspector.json');
  writeFileSync(inspectorConfig, JSON.stringify({
    mcpServers: { gw: { command: MCPMON, args: ['--config', config, '--no-tui'] } },
  }));
  try {
    await check('tools/list: both servers, prefixed', async () => {
      const r = await inspect(['--method', 'tools/list']);
      const names = r.tools.map((t) => t.name);
      assert(names.includes('everything__echo'), names.join(','));
      assert(names.some((n) => n.startsWith('memory__')), names.join(','));
    });
    for (let i = 1; i <= 3; i++) {
      await check(`resources/read as the first request of fresh session ${i}`, async () => {
        const r = await inspect(['--method', 'resources/read', '--uri', DOC]);
        assert(r.contents[0].uri === DOC, JSON.stringify(r).slice(0, 200));
      });
    }
    await check('tools/call as the first request of a fresh session', async () => {
      const r = await inspect(['--method', 'tools/call', '--tool-name', 'everything__echo',
        '--tool-arg', 'message=inspected']);
      assert(JSON.stringify(r.content).includes('inspected'), JSON.stringify(r));
    });
    await check('prompts/list and prompts/get', async () => {
      const l = await inspect(['--method', 'prompts/list']);
      const names = l.prompts.map((p) => p.name);
      assert(names.includes('everything__simple-prompt'), names.join(','));
      const g = await inspect(['--method', 'prompts/get', '--prompt-name', 'everything__simple-prompt']);
      assert(Array.isArray(g.messages) && g.messages.length > 0, JSON.stringify(g));
    });
    await check('tools/call of a task-only tool: the Inspector runs the task to its result (TASK-3)', async () => {
      // simulate-research-query is taskSupport "required": the Inspector
      // calls it as a task, polls tasks/get and reads tasks/result, all
      // routed by the task's prefixed id (about 4 s).
      const r = await inspect(['--method', 'tools/call', '--tool-name', 'everything__simulate-research-query',
        '--tool-arg', 'topic=gateways']);
      const text = JSON.stringify(r.content);
      assert(text.includes('Research Report: gateways'), text.slice(0, 300));
      const tid = r._meta?.['io.modelcontextprotocol/related-task']?.taskId ?? '';
      assert(tid.startsWith('everything__'), `related task ${JSON.stringify(tid)}`);
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  log(`${tally.passed} passed, ${tally.failed} failed`);
  return tally.failed === 0 ? 0 : 1;
}

process.exit(await main());
