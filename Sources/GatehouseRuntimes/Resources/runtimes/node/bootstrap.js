// Gatehouse's node worker: loads the function's handler and serves it over HTTP/1.1 on the Unix
// socket named by GATEHOUSE_SOCKET, one request at a time. Node's own http module only.
//
//     node bootstrap.js MODULE FUNCTION    (handler "main.handle" -> ./main.js, export handle)
//
// http mode:      handle(request) -> string | Buffer | object (JSON) | {status, headers, body} | undefined
// envelope mode:  handle(context, payload) -> any JSON-serialisable value
// Handlers may be async. A throw answers 500 with `x-gatehouse-function-error`; the stack goes to
// stderr, which Gatehouse records in the run's logs.
'use strict';
const http = require('http');
const path = require('path');

const [moduleName, functionName] = process.argv.slice(2);
const loaded = require(path.join(process.cwd(), moduleName));
const handler = loaded[functionName];
if (typeof handler !== 'function') {
  console.error(`handler ${moduleName}.${functionName} is not a function`);
  process.exit(2);
}

function shape(result) {
  if (result && typeof result === 'object' && !Buffer.isBuffer(result) && 'status' in result && 'body' in result) {
    const inner = shape(result.body);
    return { status: result.status, headers: { ...inner.headers, ...(result.headers || {}) }, body: inner.body };
  }
  if (result === undefined || result === null) return { status: 200, headers: {}, body: Buffer.alloc(0) };
  if (Buffer.isBuffer(result)) return { status: 200, headers: { 'content-type': 'application/octet-stream' }, body: result };
  if (typeof result === 'string') return { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: Buffer.from(result) };
  return { status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(result)) };
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    const body = Buffer.concat(chunks);
    let out;
    try {
      if (req.headers['x-gatehouse-mode'] === 'envelope') {
        const envelope = JSON.parse(body.toString('utf8'));
        const value = await handler(envelope.context, envelope.payload);
        out = { status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(value ?? null)) };
      } else {
        const [p, q] = req.url.split('?', 2);
        const request = {
          method: req.method, path: p, query: q || '', headers: req.headers, body,
          text() { return body.toString('utf8'); }, json() { return JSON.parse(body.toString('utf8') || 'null'); },
        };
        out = shape(await handler(request));
      }
    } catch (error) {
      console.error(error && error.stack ? error.stack : String(error));
      const message = String(error && error.message ? `${error.name}: ${error.message}` : error).replace(/[\r\n]/g, ' ').slice(0, 500);
      out = { status: 500, headers: { 'x-gatehouse-function-error': message }, body: Buffer.alloc(0) };
    }
    const headers = {};
    for (const [k, v] of Object.entries(out.headers)) {
      if (!['content-length', 'transfer-encoding', 'connection'].includes(k.toLowerCase())) headers[k] = String(v).replace(/[\r\n]/g, ' ');
    }
    headers['content-length'] = out.body.length;
    // stdout/stderr writes to pipes are synchronous in node: whatever the handler printed is
    // in the pipes before this response leaves, so Gatehouse records it with this invocation.
    res.writeHead(out.status, headers);
    res.end(out.body);
  });
});
server.keepAliveTimeout = 0;
server.listen(process.env.GATEHOUSE_SOCKET);
