// Listens on $PORT when the platform sets it, else on the port the Dockerfile EXPOSEs, as such apps are written.
const http = require('node:http');

const port = Number(process.env.PORT || 3000);
http.createServer((req, res) => res.end('Hello from a Dockerfile app\n'))
  .listen(port, () => console.log(`dockerfile app listening on ${port}`));
