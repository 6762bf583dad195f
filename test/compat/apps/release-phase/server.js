// The web says whether the release phase's file is here. On Heroku it never is (the release phase runs in its own
// dyno); the tests report what each mode does but rely only on the release command succeeding.
const fs = require('node:fs');
const http = require('node:http');

const port = Number(process.env.PORT || 5000);
http.createServer((req, res) => {
  const seen = fs.existsSync('/app/release.test') ? 'present' : 'absent';
  res.end(`release-phase web: /app/release.test is ${seen}\n`);
}).listen(port, () => console.log(`release-phase web listening on ${port}`));
