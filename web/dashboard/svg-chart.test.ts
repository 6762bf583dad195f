// web/dashboard/svg-chart.test.ts — the SVG renderer: escaped text, round axes, gaps as breaks in the line, deploy
// markers and bars; nothing in its output that the strict CSP would block.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { barChart, lineChart, niceTop, timeTicks } from './svg-chart.ts';

const times = Array.from({ length: 6 }, (_, i) => new Date(Date.UTC(2026, 0, 2, 3, 0, i * 10)));

test('axes round up to 1, 2, 2.5 or 5 times a power of ten (of 1024 for bytes) with even gridlines', () => {
  assert.deepEqual([0, 0.3, 1, 7, 12, 230, 0.045].map((v) => niceTop(v).top), [1, 0.5, 1, 10, 20, 250, 0.05]);
  assert.deepEqual(niceTop(12), { top: 20, divisions: 4 });
  assert.deepEqual(niceTop(110 * 2 ** 20, 'bytes'), { top: 200 * 2 ** 20, divisions: 4 });
  assert.deepEqual(niceTop(Number.NaN), { top: 1, divisions: 4 });
  const hour = timeTicks(Date.UTC(2026, 0, 2, 2, 4, 10), Date.UTC(2026, 0, 2, 3, 4));
  assert.deepEqual(hour.map((t) => new Date(t).toISOString().slice(11, 16)), ['02:10', '02:20', '02:30', '02:40', '02:50', '03:00']);
  assert.equal(timeTicks(0, 86_400_000 - 60_000).length, 6, 'every 4 hours over a day');
});

test('text is escaped, null values break the line, and deploys are dashed lines with their version', () => {
  const svg = lineChart({
    id: 'c"1', title: 'Req <s> & "q"', description: "it's <b>", times, format: (v) => `${v}<u>`,
    series: [{ name: 'a', tone: 'ok', values: [1, 2, null, 3, 4, null] }, { name: 'b', tone: '2', values: [null, null, null, null, null, 5] }],
    markers: [{ at: times[1]!, label: 'v1<x>', note: 'v1 <ok>', failed: true }, { at: new Date(0), label: 'v0', note: 'outside' }],
  });
  assert.match(svg, /^<svg class="chart-svg" viewBox="0 0 560 220" role="img" aria-labelledby="c&quot;1-t c&quot;1-d"/);
  assert.ok(svg.includes('<title id="c&quot;1-t">Req &lt;s&gt; &amp; &quot;q&quot;</title><desc id="c&quot;1-d">it&#39;s &lt;b&gt;</desc>'));
  assert.doesNotMatch(svg.replace(/<\/?(svg|title|desc|line|text|path|circle|rect|g)\b/g, ''), /<[a-z]/i, 'no element but the chart\'s own');
  assert.doesNotMatch(svg, /style=|on[a-z]+=|href/i);
  assert.equal(svg.match(/class="line tone-ok"/g)?.length, 2, 'two runs of a');
  assert.equal(svg.match(/class="area /g)?.length, 2, 'an area under the first series only');
  assert.equal(svg.match(/<circle class="dot tone-2"/g)?.length, 1, 'a lone point is a dot');
  assert.match(svg, /<g class="marker marker-failed"><title>v1 &lt;ok&gt;<\/title><line [^>]+\/><text [^>]+>v1&lt;x&gt;<\/text><\/g>/);
  assert.doesNotMatch(svg, /outside/, 'a deploy before the axis is not drawn');
  const now = lineChart({ id: 'n', title: 't', description: 'd', times, format: String, series: [],
    markers: [{ at: new Date(times[5]!.getTime() + 7000), label: 'v9', note: 'in the bucket being sampled' }, { at: new Date(times[5]!.getTime() + 10_000), label: 'v10', note: 'next bucket' }] });
  assert.match(now, /<line x1="546" x2="546" y1="16" y2="194"\/><text x="546" y="13" text-anchor="end">v9<\/text>/, 'at the right edge');
  assert.doesNotMatch(now, /v10/);
  assert.match(svg, />5&lt;u&gt;<\/text>/, 'the axis top is the peak 5, labelled through the formatter, escaped');
});

test('deploy labels closer than 24 px keep the newest only; bars carry their note', () => {
  const close = lineChart({
    id: 'm', title: 't', description: 'd', times, format: String, series: [{ name: 'a', tone: 'ok', values: [0, 0, 0, 0, 0, 0] }],
    markers: [{ at: times[2]!, label: 'v1', note: 'n1' }, { at: new Date(times[2]!.getTime() + 1000), label: 'v2', note: 'n2' }, { at: times[5]!, label: 'v3', note: 'n3' }],
  });
  assert.deepEqual([...close.matchAll(/<text x="[\d.]+" y="13" text-anchor="\w+">(v\d)<\/text>/g)].map((m) => m[1]), ['v2', 'v3']);
  assert.equal(close.match(/<g class="marker">/g)?.length, 3, 'every deploy keeps its line');
  const bars = barChart({ id: 'b', title: 'Builds', description: 'd', format: String, bars: [
    { label: '#1', value: 30, tone: 'ok', note: 'Build 1 <succeeded>' }, { label: '#2', value: 90, tone: 'bad', note: 'Build 2 failed' },
  ] });
  assert.equal(bars.match(/<rect class="bar tone-/g)?.length, 2);
  assert.match(bars, /<rect class="bar tone-bad"[^>]*><title>Build 2 failed<\/title><\/rect>/);
  assert.ok(bars.includes('Build 1 &lt;succeeded&gt;'));
});

test('a day of minutes is thinned to each plot column\'s lowest and highest point, keeping a one-minute spike', () => {
  const day = Array.from({ length: 1440 }, (_, i) => new Date(Date.UTC(2026, 0, 2) + i * 60_000));
  const values = day.map((_, i) => (i === 700 ? 100 : 1 + (i % 3)));
  const svg = lineChart({ id: 'd', title: 't', description: 'd', times: day, format: String, series: [{ name: 'a', tone: 'ok', values }] });
  const line = /<path class="line tone-ok" d="([^"]+)"/.exec(svg)![1]!;
  const points = line.split(/[ML]/).filter(Boolean);
  assert.ok(points.length < 1100 && points.length > 488, `${points.length} points`);
  assert.ok(points.some((p) => p.endsWith(' 20')), 'the spike reaches the top of the axis');
  assert.ok(points.some((p) => p.endsWith(' 192.3')) && points.some((p) => p.endsWith(' 188.8')), 'the 1s and the 3s are both kept');
});

test('100 series of a day of minutes draw without overflowing the stack, and the axis fits their peak', () => {
  const day = Array.from({ length: 1440 }, (_, i) => new Date(Date.UTC(2026, 0, 2) + i * 60_000));
  const series = Array.from({ length: 100 }, (_, k) => ({ name: `t${k}`, tone: '1' as const, values: day.map((_, i) => (k === 42 && i === 700 ? 9 : 1)) }));
  const svg = lineChart({ id: 'c', title: 'Many', description: 'd', times: day, series, format: String });
  assert.match(svg, />10<\/text>/, 'the axis tops at 10, above the one peak of 9');
  const bars = barChart({ id: 'b', title: 'B', description: 'd', format: String, bars: Array.from({ length: 200_000 }, (_, i) => ({ label: `${i}`, value: i === 7 ? 4 : 1, tone: 'ok' as const, note: '' })) });
  assert.match(bars, />5<\/text>/);
});
