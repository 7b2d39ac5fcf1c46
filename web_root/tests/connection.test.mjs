// Unit tests of src/connection.ts against a scripted fake WebSocket: the
// handshake, the channel list, requests, refusals, requests from the game and
// reconnecting with backoff.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { importSchema, importTs } from './bundle.mjs';

let ipc;
let Connection;

/** A WebSocket whose other end the test plays. */
class FakeSocket {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSED = 3;
  static all = [];

  constructor(url) {
    this.url = url;
    this.readyState = FakeSocket.CONNECTING;
    this.sent = [];
    FakeSocket.all.push(this);
  }
  send(bytes) {
    this.sent.push(new Uint8Array(bytes));
  }
  close() {
    this.drop(1000, '');
  }
  // The host's side:
  accept() {
    this.readyState = FakeSocket.OPEN;
    this.onopen?.({});
  }
  deliver(frame) {
    const data = frame.buffer.slice(frame.byteOffset, frame.byteOffset + frame.byteLength);
    this.onmessage?.({ data });
  }
  drop(code, reason) {
    if (this.readyState === FakeSocket.CLOSED) return;
    this.readyState = FakeSocket.CLOSED;
    this.onclose?.({ code, reason });
  }
  /** The last frame the client sent, as [body type name, body table]. */
  last() {
    const bb = new ipc.ByteBuffer(this.sent[this.sent.length - 1]);
    assert.ok(ipc.Frame.bufferHasIdentifier(bb));
    const frame = ipc.Frame.getRootAsFrame(bb);
    const type = ipc.Body[frame.bodyType()];
    return [type, frame.body(new ipc[type]())];
  }
}

// --- host frames -----------------------------------------------------------

function frame(build, type) {
  const b = new ipc.Builder(256);
  const body = build(b);
  b.finish(ipc.Frame.createFrame(b, ipc.Body[type], body), 'SWBD');
  return b.asUint8Array();
}

function channelInfo(b, { id, name, latest = false, clients = false }) {
  const n = b.createString(name);
  const e = b.createString('json');
  ipc.ChannelInfo.startChannelInfo(b);
  ipc.ChannelInfo.addId(b, id);
  ipc.ChannelInfo.addName(b, n);
  ipc.ChannelInfo.addEncoding(b, e);
  ipc.ChannelInfo.addDelivery(b, latest ? ipc.DeliveryPolicy.Latest : ipc.DeliveryPolicy.Reliable);
  ipc.ChannelInfo.addPublishers(b, clients ? ipc.Publishers.ClientsAndAgents : ipc.Publishers.AgentsOnly);
  return ipc.ChannelInfo.endChannelInfo(b);
}

const welcome = (clientId, sessionId, channels) =>
  frame((b) => {
    const infos = ipc.Welcome.createChannelsVector(b, channels.map((c) => channelInfo(b, c)));
    const session = b.createString(sessionId);
    const limits = ipc.Limits.createLimits(b, 1024n, 16, 200);
    ipc.Welcome.startWelcome(b);
    ipc.Welcome.addClientId(b, clientId);
    ipc.Welcome.addProtocolVersion(b, 1);
    ipc.Welcome.addSessionId(b, session);
    ipc.Welcome.addChannels(b, infos);
    ipc.Welcome.addLimits(b, limits);
    return ipc.Welcome.endWelcome(b);
  }, 'Welcome');

const advertise = (channels) =>
  frame((b) => ipc.Advertise.createAdvertise(b, ipc.Advertise.createChannelsVector(b, channels.map((c) => channelInfo(b, c)))), 'Advertise');

const unadvertise = (ids) =>
  frame((b) => ipc.Unadvertise.createUnadvertise(b, ipc.Unadvertise.createChannelIdsVector(b, ids)), 'Unadvertise');

const response = (requestId, channel, text) =>
  frame((b) => {
    const content = ipc.Response.createContentVector(b, new TextEncoder().encode(text));
    return ipc.Response.createResponse(b, requestId, channel, ipc.ResponseStatus.Ok, content, 0);
  }, 'Response');

const failed = (requestId, channel, reason) =>
  frame((b) => ipc.Response.createResponse(b, requestId, channel, ipc.ResponseStatus.Failed, 0, b.createString(reason)), 'Response');

const error = (code, message, requestId, channel) =>
  frame((b) => ipc.Error.createError(b, code, b.createString(message), requestId, channel), 'Error');

const data = (channel, requestId, sequence, text) =>
  frame((b) => {
    const content = ipc.Data.createContentVector(b, new TextEncoder().encode(text));
    return ipc.Data.createData(b, channel, requestId, sequence, 0n, content);
  }, 'Data');

// ---------------------------------------------------------------------------

const CHANNELS = [
  { id: 1, name: 'echo', clients: true },
  { id: 2, name: 'telemetry/fps', latest: true },
  { id: 3, name: 'scene/command' },
];

before(async () => {
  ipc = await importSchema();
  ({ Connection } = await importTs('src/connection.ts'));
  globalThis.WebSocket = FakeSocket;
});

after(() => {
  delete globalThis.WebSocket;
});

/** A connection with recorders on every event. */
function connect() {
  FakeSocket.all = [];
  const connection = new Connection({
    url: 'ws://127.0.0.1:1/',
    clientName: 'editor',
    patterns: ['telemetry/**'],
    minBackoffMs: 5,
    maxBackoffMs: 20,
  });
  const seen = { states: [], channels: [], data: [], notices: [] };
  connection.stateChanged.on((s) => seen.states.push(s));
  connection.channelsChanged.on((c) => seen.channels.push(c.map((x) => x.name)));
  connection.data.on((d) => seen.data.push(d));
  connection.notice.on((n) => seen.notices.push(n));
  connection.start();
  return { connection, seen, socket: FakeSocket.all[0] };
}

function handshake(socket, sessionId = 'aaaaaaaaaaaaaaaa') {
  socket.accept();
  const [type, hello] = socket.last();
  assert.equal(type, 'Hello');
  assert.equal(hello.clientName(), 'editor');
  assert.deepEqual(Array.from(hello.protocolVersionsArray()), [1]);
  socket.deliver(welcome(7, sessionId, CHANNELS));
  const [subType, subscribe] = socket.last();
  assert.equal(subType, 'Subscribe');
  assert.equal(subscribe.patterns(0), 'telemetry/**');
  return subscribe.requestId();
}

const tick = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

test('handshake, subscription and the channel list', () => {
  const { connection, seen, socket } = connect();
  assert.equal(socket.url, 'ws://127.0.0.1:1/');
  assert.deepEqual(seen.states[0], { state: 'connecting', attempt: 1 });
  const subscribeId = handshake(socket);
  assert.equal(seen.states[1].state, 'connected');
  assert.equal(seen.states[1].welcome.clientId, 7);
  assert.equal(seen.states[1].welcome.limits.requestTimeoutMs, 200);
  assert.deepEqual(seen.channels.at(-1), ['echo', 'scene/command', 'telemetry/fps']);
  socket.deliver(response(subscribeId, 0, ''));
  assert.deepEqual(seen.notices, []);

  socket.deliver(advertise([{ id: 4, name: 'telemetry/gpu/load', latest: true }]));
  assert.deepEqual(seen.channels.at(-1), ['echo', 'scene/command', 'telemetry/fps', 'telemetry/gpu/load']);
  assert.equal(connection.channelByName('telemetry/gpu/load').delivery, 'latest');
  socket.deliver(unadvertise([2, 4]));
  assert.deepEqual(seen.channels.at(-1), ['echo', 'scene/command']);
  assert.equal(connection.channelByName('telemetry/fps'), undefined);
  connection.stop();
});

test('a refused subscription is reported', () => {
  const { connection, seen, socket } = connect();
  const subscribeId = handshake(socket);
  socket.deliver(error(ipc.ErrorCode.BadFrame, 'patterns refused: ...', subscribeId, 0));
  assert.deepEqual(seen.notices, ['subscribe failed: patterns refused: ...']);
  connection.stop();
});

test('requests resolve on Response and reject on Failed or Error', async () => {
  const { connection, socket } = connect();
  handshake(socket);

  const ok = connection.request('scene/command', new TextEncoder().encode('{"op":"list"}'));
  const [type, request] = socket.last();
  assert.equal(type, 'Data');
  assert.equal(request.channel(), 3);
  assert.notEqual(request.requestId(), 0n);
  socket.deliver(response(request.requestId(), 3, '{"entities":[]}'));
  assert.equal(new TextDecoder().decode((await ok).content), '{"entities":[]}');

  const refused = connection.request('scene/command', new Uint8Array([1]));
  socket.deliver(failed(socket.last()[1].requestId(), 3, 'bad scene command'));
  await assert.rejects(refused, { code: 'Failed', message: 'bad scene command' });

  const timedOut = connection.request('scene/command', new Uint8Array([1]));
  socket.deliver(error(ipc.ErrorCode.Timeout, 'no agent answered', socket.last()[1].requestId(), 3));
  await assert.rejects(timedOut, { code: 'Timeout', message: 'no agent answered' });

  await assert.rejects(connection.request('nope', new Uint8Array()), { code: 'UnknownChannel' });
  connection.stop();
});

test('one-way messages, data and notices', () => {
  const { connection, seen, socket } = connect();
  handshake(socket);
  connection.publish('echo', new TextEncoder().encode('hi'));
  const [type, sent] = socket.last();
  assert.equal(type, 'Data');
  assert.equal(sent.requestId(), 0n);
  assert.equal(sent.channel(), 1);

  socket.deliver(data(1, 0n, 0n, 'hi'));
  assert.equal(seen.data.length, 1);
  assert.equal(seen.data[0].channel.name, 'echo');
  assert.equal(new TextDecoder().decode(seen.data[0].message.content), 'hi');

  socket.deliver(error(ipc.ErrorCode.NotAllowed, 'only agents publish on "telemetry/fps"', 0n, 2));
  assert.deepEqual(seen.notices, ['NotAllowed: only agents publish on "telemetry/fps"']);
  connection.stop();
});

test('a request from the game is answered with Failed', () => {
  const { connection, seen, socket } = connect();
  handshake(socket);
  socket.deliver(data(1, 41n, 0n, 'are you there?'));
  const [type, answer] = socket.last();
  assert.equal(type, 'Response');
  assert.equal(answer.requestId(), 41n);
  assert.equal(answer.channel(), 1);
  assert.equal(answer.status(), ipc.ResponseStatus.Failed);
  assert.ok(answer.error());
  assert.equal(seen.data.length, 1);
  connection.stop();
});

test('a close is reported, pending requests fail, and it reconnects with backoff', async () => {
  const { connection, seen, socket } = connect();
  handshake(socket);
  const pending = connection.request('scene/command', new Uint8Array([1]));
  socket.drop(1001, 'host shutting down');
  await assert.rejects(pending, { code: 'Closed' });
  assert.deepEqual(seen.states.at(-1), { state: 'closed', code: 1001, reason: 'host shutting down', retryInMs: 5 });

  await tick(30);
  assert.equal(FakeSocket.all.length, 2);
  assert.deepEqual(seen.states.at(-1), { state: 'connecting', attempt: 2 });
  // A failed attempt doubles the delay.
  FakeSocket.all[1].drop(1006, '');
  assert.equal(seen.states.at(-1).retryInMs, 10);
  await tick(40);
  const socket3 = FakeSocket.all[2];
  assert.ok(socket3);
  handshake(socket3, 'bbbbbbbbbbbbbbbb');
  const connected = seen.states.at(-1);
  assert.equal(connected.state, 'connected');
  assert.equal(connected.sessionChanged, true);

  // Welcome resets the backoff.
  socket3.drop(1006, '');
  assert.equal(seen.states.at(-1).retryInMs, 5);
  connection.stop();
  await tick(30);
  assert.equal(FakeSocket.all.length, 3, 'no reconnect after stop()');
});
