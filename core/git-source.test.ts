// core/git-source.test.ts — the repository URL and branch boundary: the allowed transports pass, everything git could
// read as an option, a local path, a helper program or a credential is refused, and each length limit at its edge.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_BRANCH_LENGTH, MAX_URL_LENGTH, parseBranch, parseRepoUrl } from './git-source.ts';

const refused = (fn: () => unknown, what: string) => assert.throws(fn, (e: { code?: string }) => e.code === 'E_SOURCE_URL_INVALID', what);

test('allowed: https, http (loopback tests), ssh, git and scp-style user@host:path', () => {
  const cases: Array<[string, string, string, number]> = [
    ['https://github.com/me/app.git', 'https', 'github.com', 443], ['http://127.0.0.1:3000/me/app', 'http', '127.0.0.1', 3000],
    ['ssh://git@github.com/me/app.git', 'ssh', 'github.com', 22], ['ssh://git@[::1]:2222/app.git', 'ssh', '::1', 2222],
    ['git://127.0.0.1:9418/app.git', 'git', '127.0.0.1', 9418], ['git://git.example.com/app.git', 'git', 'git.example.com', 9418],
    ['git@github.com:me/app.git', 'ssh', 'github.com', 22], ['deploy@git.example.com:group/sub/app.git', 'ssh', 'git.example.com', 22],
    ['http://example.com/a', 'http', 'example.com', 80],
  ];
  for (const [url, protocol, host, port] of cases) assert.deepEqual(parseRepoUrl(url), { url, protocol, host, port }, url);
});

test('refused: local paths, file://, helpers, options, credentials, control characters, odd hosts, non-strings', () => {
  const hostile: unknown[] = [
    '/srv/repo.git', './repo', '../repo', '~/repo', 'repo', 'file:///etc/passwd', 'FILE:///x', 'ext::sh -c id', 'fd::0', 'transport::x',
    '-oProxyCommand=id', '--upload-pack=id', 'git@-oProxyCommand=id:x', 'git@host:-x', 'https://-oProxy/app', 'https://a_b.example/app',
    'https://u:p@github.com/a.git', 'https://tok@github.com/a.git', 'http://x@127.0.0.1/a', 'ftp://host/a.git', 'javascript:alert(1)',
    'https://github.com/a b', 'https://github.com/a\tb', 'https://github.com/a\u0000', 'https://github.com/a\nb', 'https://github.com/a\\b',
    'https://github.com', 'https://github.com/', 'https://github.com/a?x=1', 'ssh://git@host:0/a', 'https://github.com/a#x', 'C:\\repo', 'c:/repo', 'host:repo',
    '', 42, null, undefined, ['https://github.com/a'],
  ];
  for (const url of hostile) refused(() => parseRepoUrl(url), JSON.stringify(url));
});

test('URL length limit at its edge', () => {
  const at = (n: number) => `https://github.com/${'a'.repeat(n - 'https://github.com/'.length)}`;
  assert.equal(parseRepoUrl(at(MAX_URL_LENGTH)).url.length, MAX_URL_LENGTH);
  refused(() => parseRepoUrl(at(MAX_URL_LENGTH + 1)), 'one over');
});

test('branch names: git\'s rules, stricter; the length limit at its edge', () => {
  for (const ok of ['main', 'release/v1.2', 'feature_x-1', 'a'.repeat(MAX_BRANCH_LENGTH)]) assert.equal(parseBranch(ok), ok);
  for (const bad of ['', '-x', '/x', 'x/', 'x.', 'x.lock', 'a..b', 'a//b', 'a/.b', '.a', 'HEAD', 'a b', 'a~1', 'a^', 'a:b', 'a*', 'a?', 'a[', 'a\\b', 'a@{1}', 'a'.repeat(MAX_BRANCH_LENGTH + 1), 7]) {
    refused(() => parseBranch(bad), JSON.stringify(bad));
  }
});
