// ${{ values.name }}: generated from the Kestrel "Node.js service" template.
import { createServer } from 'node:http';

const port = Number(process.env.PORT ?? ${{ values.port | default(8080) }});
const startedAt = new Date();

function sendJson(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');

  if (req.method === 'GET' && url.pathname === '/healthz') {
    return sendJson(res, 200, { status: 'ok', startedAt: startedAt.toISOString() });
  }

  if (req.method === 'GET' && url.pathname === '/hello') {
    const name = url.searchParams.get('name') ?? 'world';
    return sendJson(res, 200, { message: 'Hello, ' + name + '!' });
  }

  return sendJson(res, 404, { error: 'not found', path: url.pathname });
});

server.listen(port, () => {
  console.log('${{ values.name }} listening on http://localhost:' + port);
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
