// gitd/pkt-line.test.ts — the pkt-line head check and the side-band annotation of the push-size limit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { checkPktHead, pkt, PackLimitAnnotator } from './pkt-line.ts';

test('a well-formed head is complete at its flush; a short one is incomplete', () => {
  const head = Buffer.concat([pkt('want ' + 'a'.repeat(40) + '\n'), Buffer.from('0000'), Buffer.from('PACK...')]);
  assert.deepEqual(checkPktHead(head), { kind: 'complete', length: head.length - 'PACK...'.length });
  assert.deepEqual(checkPktHead(head.subarray(0, 10)), { kind: 'incomplete' });
  assert.deepEqual(checkPktHead(Buffer.concat([pkt('have x\n'), pkt('done\n')])), { kind: 'complete', length: 20 });
});

test('a length that is not hex, too long or below 4 is malformed', () => {
  assert.equal(checkPktHead(Buffer.from('zzzz')).kind, 'malformed');
  assert.equal(checkPktHead(Buffer.from('ffffxx')).kind, 'malformed');
  assert.equal(checkPktHead(Buffer.from('0003')).kind, 'malformed');
  assert.equal(checkPktHead(Buffer.from('0001')).kind, 'incomplete'); // a delim-pkt, then more to come
});

test('the annotator adds its line right after git\'s size message, even when the packets arrive split', async () => {
  const sideband = (band: number, text: string | Buffer) => pkt(Buffer.concat([Buffer.from([band]), Buffer.from(text)]));
  const out = Buffer.concat([sideband(2, 'fatal: pack exceeds maximum allowed size\n'), sideband(1, pkt('unpack failed\n')), Buffer.from('0000')]);
  const chunks = [out.subarray(0, 3), out.subarray(3, 20), out.subarray(20)];
  const got: Buffer[] = [];
  for await (const c of Readable.from(chunks).pipe(new PackLimitAnnotator(' !     too big'))) got.push(c as Buffer);
  const text = Buffer.concat(got).toString('latin1');
  assert.equal(text, Buffer.concat([sideband(2, 'fatal: pack exceeds maximum allowed size\n'), sideband(2, ' !     too big\n'), sideband(1, pkt('unpack failed\n')), Buffer.from('0000')]).toString('latin1'));
});
