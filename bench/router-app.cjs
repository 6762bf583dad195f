// bench/router-app.cjs — the app bench/router.ts loads: no dependencies, a short text body, prints its port once listening.
const http = require('node:http');

const body = 'hello from the bench app\n';
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
// Node's default (5 s) would close keep-alive sockets between the bench's rounds; nginx and the router pool them.
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => console.log(String(server.address().port)));
process.on('SIGTERM', () => process.exit(0));
