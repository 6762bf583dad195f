// runtime/router/table.test.ts — the router engine's route table on its own: hosts to apps, the platform's hosts,
// custom domains, round-robin, routed ports and certificate lookup (exact, then wildcard one label up).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lookupByHost, RouteTable } from './table.ts';

test('hosts resolve to the platform first, then <app>.<base domain>, then custom domains; IP literals never', () => {
  const table = new RouteTable('Example.com');
  table.setRoute('shop', [1001, 1002]);
  table.setDomains('shop', ['WWW.Shop.test', '127.0.0.1']);
  table.setPlatformRoute(['paas.example.com'], 3000, 'c'.repeat(64));
  assert.deepEqual(table.resolve('paas.example.com'), { kind: 'platform', port: 3000 });
  assert.equal(table.resolve('shop.example.com').kind, 'app');
  assert.equal(table.resolve('www.shop.test').kind, 'app');
  assert.deepEqual(table.resolve('127.0.0.1'), { kind: 'none' });
  assert.deepEqual(table.resolve('a.shop.example.com'), { kind: 'none' });
  const other = table.resolve('other.example.com');
  assert.ok(other.kind === 'app' && other.route === undefined, 'a name under the base domain is an app, routed or not');
  assert.deepEqual([...table.routedPorts()].sort(), [1001, 1002, 3000]);
  table.removeRoute('shop');
  assert.deepEqual([...table.routedPorts()], [3000]);
  table.setRoute('shop', [1003]);
  assert.equal(table.resolve('www.shop.test').kind, 'app', 'domains outlive removeRoute');
});

test('round-robin walks the backends and keeps its place across setRoute', () => {
  const table = new RouteTable('localhost');
  table.setRoute('a', [1, 2, 3]);
  const route = () => table.routes.get('a')!;
  assert.deepEqual([table.nextBackend(route()), table.nextBackend(route()), table.nextBackend(route()), table.nextBackend(route())], [1, 2, 3, 1]);
  table.setRoute('a', [4, 5]);
  assert.equal(table.nextBackend(route()), 5, 'the cursor (2) carries over, modulo the new list');
});

test('certificates are found for the exact host first, then the wildcard one label up, never deeper', () => {
  const certs = new Map([['shop.test', 'exact'], ['*.shop.test', 'wild']]);
  assert.equal(lookupByHost(certs, 'shop.test'), 'exact');
  assert.equal(lookupByHost(certs, 'www.shop.test'), 'wild');
  assert.equal(lookupByHost(certs, 'a.b.shop.test'), undefined);
  assert.equal(lookupByHost(certs, 'other.test'), undefined);
});
