// Building and reading Switchboard frames (schema/ipc.fbs, docs/protocol/README.md).
//
// Everything FlatBuffers-specific stays in this module: the rest of the editor
// works with the plain objects defined here.

import * as flatbuffers from 'flatbuffers';
import * as ipc from './generated/switchboard/ipc';

/** The protocol versions this editor speaks. */
export const PROTOCOL_VERSIONS = [1];

/** The file identifier every frame carries at bytes 4..8. */
const FILE_IDENTIFIER = 'SWBD';

export type Delivery = 'reliable' | 'latest';
export type Publishers = 'agents' | 'clients-and-agents';

/** A channel as advertised by the host (`ChannelInfo`). */
export interface Channel {
  id: number;
  name: string;
  encoding: string;
  schemaName: string;
  delivery: Delivery;
  publishers: Publishers;
  description: string;
}

export interface Limits {
  maxMessageSize: bigint;
  maxPendingRequests: number;
  requestTimeoutMs: number;
}

export interface Welcome {
  kind: 'welcome';
  clientId: number;
  hostName: string;
  hostVersion: string;
  protocolVersion: number;
  capabilities: string[];
  sessionId: string;
  channels: Channel[];
  limits: Limits;
}

export interface Advertise {
  kind: 'advertise';
  channels: Channel[];
}

export interface Unadvertise {
  kind: 'unadvertise';
  channelIds: number[];
}

export interface DataMessage {
  kind: 'data';
  channel: number;
  /** Non-zero: a request from the game that wants a `Response`. */
  requestId: bigint;
  /** Position in the channel's stream; 0 for a message to this client only. */
  sequence: bigint;
  /** Nanoseconds since the Unix epoch, 0 when unknown. */
  timestampNs: bigint;
  content: Uint8Array;
}

export interface ResponseMessage {
  kind: 'response';
  requestId: bigint;
  channel: number;
  ok: boolean;
  content: Uint8Array;
  error: string;
}

export interface ErrorMessage {
  kind: 'error';
  code: number;
  /** The `ErrorCode` name, e.g. "NotAllowed" (or the number if unknown). */
  codeName: string;
  message: string;
  requestId: bigint;
  channel: number;
}

/** A frame this editor has no use for (a union member it does not know). */
export interface Ignored {
  kind: 'ignored';
  bodyType: number;
}

export type Incoming =
  | Welcome
  | Advertise
  | Unadvertise
  | DataMessage
  | ResponseMessage
  | ErrorMessage
  | Ignored;

/** Thrown for bytes that are not a frame. */
export class FrameError extends globalThis.Error {}

// ---------------------------------------------------------------------------
// Building (client -> host)

function finish(builder: flatbuffers.Builder, type: ipc.Body, body: flatbuffers.Offset): Uint8Array {
  const frame = ipc.Frame.createFrame(builder, type, body);
  builder.finish(frame, FILE_IDENTIFIER);
  return builder.asUint8Array();
}

export function encodeHello(clientName: string, versions: number[] = PROTOCOL_VERSIONS, token?: string): Uint8Array {
  const b = new flatbuffers.Builder(128);
  const name = b.createString(clientName);
  const versionVector = ipc.Hello.createProtocolVersionsVector(b, versions);
  const tokenOffset = token ? b.createString(token) : 0;
  ipc.Hello.startHello(b);
  ipc.Hello.addClientName(b, name);
  ipc.Hello.addProtocolVersions(b, versionVector);
  if (tokenOffset) ipc.Hello.addToken(b, tokenOffset);
  return finish(b, ipc.Body.Hello, ipc.Hello.endHello(b));
}

export function encodeSubscribe(requestId: bigint, channelIds: number[], patterns: string[]): Uint8Array {
  const b = new flatbuffers.Builder(128);
  const ids = ipc.Subscribe.createChannelIdsVector(b, channelIds);
  const pats = ipc.Subscribe.createPatternsVector(b, patterns.map((p) => b.createString(p)));
  ipc.Subscribe.startSubscribe(b);
  ipc.Subscribe.addRequestId(b, requestId);
  ipc.Subscribe.addChannelIds(b, ids);
  ipc.Subscribe.addPatterns(b, pats);
  return finish(b, ipc.Body.Subscribe, ipc.Subscribe.endSubscribe(b));
}

export interface DataArgs {
  channel: number;
  /** 0n for a one-way message. */
  requestId?: bigint;
  sequence?: bigint;
  timestampNs?: bigint;
  content: Uint8Array;
}

export function encodeData(args: DataArgs): Uint8Array {
  const b = new flatbuffers.Builder(64 + args.content.length);
  const content = ipc.Data.createContentVector(b, args.content);
  const body = ipc.Data.createData(
    b,
    args.channel,
    args.requestId ?? 0n,
    args.sequence ?? 0n,
    args.timestampNs ?? 0n,
    content,
  );
  return finish(b, ipc.Body.Data, body);
}

/** The answer to a request from the game. */
export function encodeResponse(requestId: bigint, channel: number, result: { ok: true; content: Uint8Array } | { ok: false; error: string }): Uint8Array {
  const b = new flatbuffers.Builder(128);
  const content = result.ok ? ipc.Response.createContentVector(b, result.content) : 0;
  const error = result.ok ? 0 : b.createString(result.error);
  ipc.Response.startResponse(b);
  ipc.Response.addRequestId(b, requestId);
  ipc.Response.addChannel(b, channel);
  ipc.Response.addStatus(b, result.ok ? ipc.ResponseStatus.Ok : ipc.ResponseStatus.Failed);
  if (content) ipc.Response.addContent(b, content);
  if (error) ipc.Response.addError(b, error);
  return finish(b, ipc.Body.Response, ipc.Response.endResponse(b));
}

/** Milliseconds since the epoch as the protocol's nanosecond timestamp. */
export function nowNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}

// ---------------------------------------------------------------------------
// Reading (host -> client)

const EMPTY = new Uint8Array(0);

/** Copies a vector out of the frame, so the result outlives the message buffer. */
function bytes(view: Uint8Array | null): Uint8Array {
  return view ? view.slice() : EMPTY;
}

function channelFrom(info: ipc.ChannelInfo): Channel {
  return {
    id: info.id(),
    name: info.name() ?? '',
    encoding: info.encoding() ?? '',
    schemaName: info.schemaName() ?? '',
    delivery: info.delivery() === ipc.DeliveryPolicy.Latest ? 'latest' : 'reliable',
    publishers: info.publishers() === ipc.Publishers.ClientsAndAgents ? 'clients-and-agents' : 'agents',
    description: info.description() ?? '',
  };
}

function channelsFrom(length: number, get: (i: number) => ipc.ChannelInfo | null): Channel[] {
  const out: Channel[] = [];
  for (let i = 0; i < length; i++) {
    const info = get(i);
    if (info) out.push(channelFrom(info));
  }
  return out;
}

/** Reads one WebSocket binary message. Throws `FrameError` for non-frames. */
export function decodeFrame(message: ArrayBuffer | Uint8Array): Incoming {
  const data = message instanceof Uint8Array ? message : new Uint8Array(message);
  if (data.length < 8) throw new FrameError(`frame too short (${data.length} bytes)`);
  const bb = new flatbuffers.ByteBuffer(data);
  if (!ipc.Frame.bufferHasIdentifier(bb)) throw new FrameError('missing file identifier SWBD');
  const frame = ipc.Frame.getRootAsFrame(bb);
  const type = frame.bodyType();
  switch (type) {
    case ipc.Body.Welcome: {
      const w: ipc.Welcome = frame.body(new ipc.Welcome());
      const limits = w.limits();
      const capabilities: string[] = [];
      for (let i = 0; i < w.capabilitiesLength(); i++) capabilities.push(w.capabilities(i));
      return {
        kind: 'welcome',
        clientId: w.clientId(),
        hostName: w.hostName() ?? '',
        hostVersion: w.hostVersion() ?? '',
        protocolVersion: w.protocolVersion(),
        capabilities,
        sessionId: w.sessionId() ?? '',
        channels: channelsFrom(w.channelsLength(), (i) => w.channels(i)),
        limits: {
          maxMessageSize: limits?.maxMessageSize() ?? 0n,
          maxPendingRequests: limits?.maxPendingRequests() ?? 0,
          requestTimeoutMs: limits?.requestTimeoutMs() ?? 0,
        },
      };
    }
    case ipc.Body.Advertise: {
      const a: ipc.Advertise = frame.body(new ipc.Advertise());
      return { kind: 'advertise', channels: channelsFrom(a.channelsLength(), (i) => a.channels(i)) };
    }
    case ipc.Body.Unadvertise: {
      const u: ipc.Unadvertise = frame.body(new ipc.Unadvertise());
      return { kind: 'unadvertise', channelIds: Array.from(u.channelIdsArray() ?? []) };
    }
    case ipc.Body.Data: {
      const d: ipc.Data = frame.body(new ipc.Data());
      return {
        kind: 'data',
        channel: d.channel(),
        requestId: d.requestId(),
        sequence: d.sequence(),
        timestampNs: d.timestampNs(),
        content: bytes(d.contentArray()),
      };
    }
    case ipc.Body.Response: {
      const r: ipc.Response = frame.body(new ipc.Response());
      return {
        kind: 'response',
        requestId: r.requestId(),
        channel: r.channel(),
        ok: r.status() === ipc.ResponseStatus.Ok,
        content: bytes(r.contentArray()),
        error: r.error() ?? '',
      };
    }
    case ipc.Body.Error: {
      const e: ipc.Error = frame.body(new ipc.Error());
      const code = e.code();
      return {
        kind: 'error',
        code,
        codeName: ipc.ErrorCode[code] ?? String(code),
        message: e.message() ?? '',
        requestId: e.requestId(),
        channel: e.channel(),
      };
    }
    default:
      return { kind: 'ignored', bodyType: type };
  }
}

// ---------------------------------------------------------------------------
// Content helpers

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function textContent(text: string): Uint8Array {
  return encoder.encode(text);
}

export function contentText(content: Uint8Array): string {
  return decoder.decode(content);
}

export function jsonContent(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

export function contentJson(content: Uint8Array): unknown {
  return JSON.parse(decoder.decode(content));
}
