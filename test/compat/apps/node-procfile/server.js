// The web process: plain node:http on $PORT, as Heroku's Node.js getting-started app does without Express.
const http = require('node:http');

const port = Number(process.env.PORT || 5000);
http.createServer((req, res) => {
  res.setHeader('content-type', 'text/plain');
  res.end(`Hello from node-procfile, ${process.env.RELEASE_VERSION || 'unknown release'}\n`);
}).listen(port, () => console.log(`node-procfile web listening on ${port}`));
