// server_template.mjs - the MCP server that the interop test runs behind mcpmon.
//
// An official-SDK McpServer on stdio. client.mjs copies this file into a
// temporary directory and rewrites it there to simulate a developer's edits:
//   - the '@modelcontextprotocol/sdk/...' specifiers become absolute file://
//     URLs into tests/interop/node_modules (ESM ignores NODE_PATH, and the copy
//     lives outside this directory);
//   - the three constants below (VERSION, WITH_GOODBYE, MARKER_DIR) get the
//     values of the version being written.
// Keep each of those constants on one line of the form `const NAME = value;`:
// client.mjs refuses to run if it cannot find them.
//
// Run as is (node server_template.mjs) it is the v1 server.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';

const VERSION = 'v1';
const WITH_GOODBYE = false;
const MARKER_DIR = '';

const text = (s) => ({ content: [{ type: 'text', text: s }] });

const server = new McpServer({ name: 'mcpmon-interop-server', version: '1.0.0' });

server.registerTool('hello', { description: 'Says which version of the code answered.' },
  async () => text(`hello from ${VERSION}`));

server.registerTool('pid', { description: 'Returns the process id of this server.' },
  async () => text(String(process.pid)));

// Takes one second. When MARKER_DIR is set it first drops a file named
// slow-<pid> there, so the test knows the call is in flight in this process.
server.registerTool('slow', { description: 'Answers after one second.' },
  async () => {
    if (MARKER_DIR) writeFileSync(join(MARKER_DIR, `slow-${process.pid}`), VERSION);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    return text(`slow from ${VERSION}`);
  });

if (WITH_GOODBYE) {
  server.registerTool('goodbye', { description: 'Exists only in some versions.' },
    async () => text(`goodbye from ${VERSION}`));
}

// McpServer declares tools.listChanged: true on its own. Declare false, as
// many servers do (the Python SDK's default), so that the test sees mcpmon
// turn it into true in the initialize result (LIFE-3 in mcp-protocol.md).
server.server.registerCapabilities({ tools: { listChanged: false } });

await server.connect(new StdioServerTransport());
