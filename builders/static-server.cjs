// builders/static-server.cjs — zero-dependency file server copied into static apps as .paas/static-server.cjs; it is their web process.
'use strict';

const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const root = fs.realpathSync(path.resolve(process.argv[2] || '.'));
const port = Number(process.env.PORT || 5000);

const contentTypes = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

function isInside(full) {
  return full === root || full.startsWith(root + path.sep);
}

/**
 * Maps a request path to a file under root, or null.
 * Security boundary: refuses `..`, dotfiles and dot-directories (.git, .paas, .env) at any depth,
 * and symlinks that resolve outside root.
 */
function resolveFile(urlPath) {
  let decoded;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const segments = decoded.split('/').filter((s) => s !== '');
  if (segments.some((s) => s.startsWith('.'))) return null;
  let full = path.join(root, ...segments);
  if (!isInside(full)) return null;
  try {
    full = fs.realpathSync(full);
    if (!isInside(full)) return null;
    let stat = fs.statSync(full);
    const isDirectory = stat.isDirectory();
    if (isDirectory) {
      full = fs.realpathSync(path.join(full, 'index.html'));
      if (!isInside(full)) return null;
      stat = fs.statSync(full);
    }
    return stat.isFile() ? { full, size: stat.size, isDirectory } : null;
  } catch {
    return null; // missing or unreadable: answered as 404
  }
}

function send(res, status, text) {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function handle(req, res) {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    return send(res, 405, 'Method Not Allowed\n');
  }
  const urlPath = (req.url || '/').split('?')[0];
  const file = resolveFile(urlPath);
  if (!file) return send(res, 404, 'Not Found\n');
  if (file.isDirectory && !urlPath.endsWith('/')) {
    // A directory without its trailing slash: redirect, so relative links in its index.html resolve.
    // Leading slashes are collapsed so `//host` can never become an off-site redirect.
    res.writeHead(301, { location: '/' + urlPath.replace(/^\/+/, '') + '/' });
    return res.end();
  }
  const type = contentTypes[path.extname(file.full).toLowerCase()] || 'application/octet-stream';
  res.writeHead(200, { 'content-type': type, 'content-length': file.size, 'x-content-type-options': 'nosniff' });
  if (req.method === 'HEAD') return res.end();
  fs.createReadStream(file.full)
    .on('error', () => res.destroy())
    .pipe(res);
}

const server = http.createServer(handle);
server.listen(port, () => {
  console.log(`static server: serving ${root} on port ${server.address().port}`);
});

function stop() {
  server.close(() => process.exit(0));
  server.closeAllConnections();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
