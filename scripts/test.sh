#!/bin/sh
# scripts/test.sh — `npm test` after the type check: every test file, in two runs of node's test runner. The files
# whose path says `kubernetes` run second, so a test cluster still coming up in the background (.ci/run) has the
# whole first run to get ready. (One run cannot order them: node --test sorts the files it is given.) Exits non-zero
# when either run failed.
set -u
files() {
  find core builders gitd services runtime cli web controller test -name '*.test.ts' -not -path 'test/fixtures/*' | sort
}
# shellcheck disable=SC2046 # one argument per file: the paths have no spaces
node --import tsx --test --test-concurrency=1 --test-reporter=spec $(files | grep -v kubernetes)
first=$?
# shellcheck disable=SC2046
node --import tsx --test --test-concurrency=1 --test-reporter=spec $(files | grep kubernetes)
second=$?
[ "$first" -eq 0 ] && [ "$second" -eq 0 ]
