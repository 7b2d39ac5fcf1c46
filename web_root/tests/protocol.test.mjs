// Unit tests of src/protocol.ts: frames built here read back as built, with
// the layout docs/protocol/transport-and-lifecycle.md fixes (identifier, union tags, 64-bit ids).

import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { importTs } from './bundle.mjs';

let protocol;

before(async () => {
  protocol = await importTs('src/protocol.ts');
});

const identifier = (frame) => new TextDecoder().decode(frame.subarray(4, 8));

test('Hello carries the file identifier and the Hello union tag', () => {
  const frame = protocol.encodeHello('editor');
  assert.equal(identifier(frame), 'SWBD');
  // Decoding a client-to-host body is not something the editor needs, so it is ignored.
  assert.deepEqual(protocol.decodeFrame(frame), { kind: 'ignored', bodyType: 1 });
});

test('Data round-trips, 64-bit fields included', () => {
  const content = protocol.textContent('héllo');
  const frame = protocol.encodeData({
    channel: 7,
    requestId: 0xffff_ffff_ffff_fffen,
    sequence: 42n,
    timestampNs: 1_767_225_600_123_456_789n,
    content,
  });
  assert.equal(identifier(frame), 'SWBD');
  const data = protocol.decodeFrame(frame);
  assert.equal(data.kind, 'data');
  assert.equal(data.channel, 7);
  assert.equal(data.requestId, 0xffff_ffff_ffff_fffen);
  assert.equal(data.sequence, 42n);
  assert.equal(data.timestampNs, 1_767_225_600_123_456_789n);
  assert.equal(protocol.contentText(data.content), 'héllo');
});

test('Response round-trips, Ok and Failed', () => {
  const ok = protocol.decodeFrame(protocol.encodeResponse(3n, 2, { ok: true, content: protocol.jsonContent({ id: 1 }) }));
  assert.equal(ok.kind, 'response');
  assert.equal(ok.ok, true);
  assert.deepEqual(protocol.contentJson(ok.content), { id: 1 });
  const failed = protocol.decodeFrame(protocol.encodeResponse(4n, 2, { ok: false, error: 'no entity 9' }));
  assert.equal(failed.ok, false);
  assert.equal(failed.error, 'no entity 9');
  assert.equal(failed.requestId, 4n);
});

test('Subscribe is a Subscribe frame', () => {
  const frame = protocol.encodeSubscribe(1n, [3], ['telemetry/**']);
  assert.equal(identifier(frame), 'SWBD');
  assert.deepEqual(protocol.decodeFrame(frame), { kind: 'ignored', bodyType: 5 });
});

test('non-frames are refused', () => {
  assert.throws(() => protocol.decodeFrame(new Uint8Array([1, 2, 3])), protocol.FrameError);
  assert.throws(() => protocol.decodeFrame(new Uint8Array(16)), protocol.FrameError);
});
