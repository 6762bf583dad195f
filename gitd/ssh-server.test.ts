// gitd/ssh-server.test.ts — the host key (every generated pair reads back, a start reuses the stored key), and a
// channel's input kept until its command reads it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ssh2 from 'ssh2';
import { PassThrough } from 'node:stream';
import { generateHostKey, loadHostKey, tapInput } from './ssh-server.ts';

test('every generated host key pair parses (ssh2 alone fails about one in 256)', () => {
  // 3,000 draws: with ssh2's generator alone, all of them parsing has odds of about 1 in 100,000.
  for (let i = 0; i < 3000; i++) {
    const pair = generateHostKey();
    for (const text of [pair.private, pair.public]) {
      const parsed = ssh2.utils.parseKey(text);
      assert.ok(!(parsed instanceof Error), `draw ${i}: ${String(parsed)}`);
    }
  }
});

test('the host key is made once, 0600, and the next start reads the same one', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-hostkey-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const first = loadHostKey(dir);
  assert.equal(fs.statSync(path.join(dir, 'ssh_host_ed25519_key')).mode & 0o777, 0o600);
  assert.match(first.fingerprint, /^SHA256:/);
  assert.equal(loadHostKey(dir).fingerprint, first.fingerprint);
});

test('input that arrives before a command reads it is kept, and counted as traffic', async () => {
  const channel = new PassThrough();
  let touched = 0;
  const input = tapInput(channel as never, () => { touched++; });
  channel.end('ssh-ed25519 AAAA key\n'); // the client sends its key and EOF at once; the command reads later
  await new Promise((resolve) => setImmediate(resolve));
  let read = '';
  for await (const chunk of input) read += chunk;
  assert.equal(read, 'ssh-ed25519 AAAA key\n');
  assert.equal(touched, 1);
});
