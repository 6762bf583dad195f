// Serves the multi-line config var MOTD exactly as the app's environment holds it (a certificate or a key would be
// set the same way, with config:set --encoded).
const http = require('node:http');

const port = Number(process.env.PORT || 5000);
http.createServer((req, res) => res.end(process.env.MOTD ?? '(MOTD is not set)\n'))
  .listen(port, () => console.log(`config-encoded web listening on ${port}`));
