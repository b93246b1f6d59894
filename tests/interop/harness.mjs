// harness.mjs - what the interop scripts (client.mjs, gateway.mjs) share:
// counted assertion groups, assertions, bounded waits. Every wait here has
// a deadline; nothing sleeps as synchronization.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { McpError } from '@modelcontextprotocol/sdk/types.js';

// A gateway config in work/.mcpmon.yaml over server-everything (watching
// work/ev) and server-memory (work/mem, its graph in work/memory.json);
// pkg: node_modules/@modelcontextprotocol. Returns the config's path.
export function writeGatewayConfig(work, pkg) {
  mkdirSync(join(work, 'ev'), { recursive: true });
  mkdirSync(join(work, 'mem'), { recursive: true });
  const config = join(work, '.mcpmon.yaml');
  writeFileSync(config, [
    'servers:',
    '  everything:',
    '    command: node',
    `    args: [${JSON.stringify(join(pkg, 'server-everything', 'dist', 'index.js'))}]`,
    `    watch: ${JSON.stringify(join(work, 'ev'))}`,
    '  memory:',
    '    command: node',
    `    args: [${JSON.stringify(join(pkg, 'server-memory', 'dist', 'index.js'))}]`,
    `    watch: ${JSON.stringify(join(work, 'mem'))}`,
    `    env: {MEMORY_FILE_PATH: ${JSON.stringify(join(work, 'memory.json'))}}`,
    '',
  ].join('\n'));
  return config;
}

// The counts behind the closing "N passed, N failed" line.
export const tally = { passed: 0, failed: 0 };

export function log(line) {
  process.stdout.write(`${line}\n`);
}

export function describe(err) {
  if (err instanceof McpError) {
    const data = err.data === undefined ? '' : ` data=${JSON.stringify(err.data)}`;
    return `McpError code ${err.code}: ${err.message}${data}`;
  }
  return err && err.message ? err.message : String(err);
}

// One assertion group: counts once, passes if fn resolves.
export async function check(name, fn) {
  try {
    const note = await fn();
    tally.passed++;
    log(`ok - ${name}${note ? ` (${note})` : ''}`);
    return true;
  } catch (err) {
    tally.failed++;
    log(`not ok - ${name}: ${describe(err)}`);
    return false;
  }
}

export function assert(cond, message) {
  if (!cond) throw new Error(message);
}

export function assertEq(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`);
}

// Resolves to {ok, value, error, ms}; never rejects.
export async function settle(promise) {
  const t0 = Date.now();
  try {
    return { ok: true, value: await promise, ms: Date.now() - t0 };
  } catch (error) {
    return { ok: false, error, ms: Date.now() - t0 };
  }
}

export function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// Polls until cond() (sync or async) is true; bounded.
export async function waitUntil(cond, ms, what, intervalMs = 20) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await cond()) return;
    if (Date.now() >= deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
