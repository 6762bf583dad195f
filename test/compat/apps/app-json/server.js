// The web: / shows the GREETING default from app.json and whether the required SECRET_TOKEN is set; /health is
// what app.json's startup check reads.
const http = require('node:http');

const port = Number(process.env.PORT || 5000);
http.createServer((req, res) => {
  if (req.url === '/health') return res.end('ok\n');
  const token = process.env.SECRET_TOKEN ? 'set' : 'missing';
  res.end(`${process.env.GREETING}; SECRET_TOKEN is ${token}\n`);
}).listen(port, () => console.log(`app-json web listening on ${port}`));
