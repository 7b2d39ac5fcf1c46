// One Switchboard connection that keeps itself alive: handshake, channel list,
// subscriptions, requests, and reconnecting with backoff when the host goes
// away.

import {
  Channel,
  DataMessage,
  ErrorMessage,
  Incoming,
  ResponseMessage,
  Welcome,
  decodeFrame,
  encodeData,
  encodeHello,
  encodeResponse,
  encodeSubscribe,
  nowNs,
} from './protocol';

export type ConnectionState =
  | { state: 'connecting'; attempt: number }
  | { state: 'connected'; welcome: Welcome; sessionChanged: boolean }
  | { state: 'closed'; code: number; reason: string; retryInMs: number | null };

export interface ConnectionOptions {
  url: string;
  clientName: string;
  /** Subscribed (again) after every Welcome. */
  patterns: string[];
  /** Shared secret, when the host is configured with one. */
  token?: string;
  /** First reconnect delay; doubles per failed attempt up to `maxBackoffMs`. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

/** A request that failed: refused by the host (`Error`) or by the game (`Failed`). */
export class RequestError extends Error {
  constructor(
    message: string,
    /** The `ErrorCode` name, "Failed" for a failed `Response`, or "Closed". */
    readonly code: string,
  ) {
    super(message);
  }
}

interface Pending {
  resolve: (response: ResponseMessage) => void;
  reject: (error: RequestError) => void;
  timer: ReturnType<typeof setTimeout>;
}

type Listener<T> = (value: T) => void;

class Emitter<T> {
  private listeners: Listener<T>[] = [];
  on(listener: Listener<T>): void {
    this.listeners.push(listener);
  }
  emit(value: T): void {
    for (const listener of this.listeners) listener(value);
  }
}

/** How long past the host's own request timeout we give up locally. */
const REQUEST_GRACE_MS = 5000;

export class Connection {
  readonly stateChanged = new Emitter<ConnectionState>();
  readonly channelsChanged = new Emitter<Channel[]>();
  /** Every Data frame, with its channel (undefined if not advertised). */
  readonly data = new Emitter<{ message: DataMessage; channel: Channel | undefined }>();
  /** Errors not tied to one of our requests (e.g. a refused one-way message). */
  readonly notice = new Emitter<string>();

  private socket: WebSocket | null = null;
  private channels = new Map<number, Channel>();
  private pending = new Map<bigint, Pending>();
  private nextRequestId = 1n;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private welcome: Welcome | null = null;
  private lastSessionId: string | null = null;
  private stopped = false;
  /**
   * Prepended to the channel names given to `publish` and `request`: on a
   * fleet gateway, `fleet/<instance>/` sends them to that instance.
   */
  scope = '';

  constructor(private readonly options: ConnectionOptions) {}

  start(): void {
    this.stopped = false;
    this.open();
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.socket?.close(1000, 'editor closed');
  }

  get connected(): boolean {
    return this.welcome !== null;
  }

  channelList(): Channel[] {
    return [...this.channels.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  channelByName(name: string): Channel | undefined {
    for (const channel of this.channels.values()) if (channel.name === name) return channel;
    return undefined;
  }

  /** Sends a one-way message (the channel must let clients publish). */
  publish(channelName: string, content: Uint8Array): void {
    const channel = this.requireChannel(channelName);
    this.send(encodeData({ channel: channel.id, content, timestampNs: nowNs() }));
  }

  /** Sends a request and resolves with the game's `Response` (status Ok). */
  request(channelName: string, content: Uint8Array): Promise<ResponseMessage> {
    let channel: Channel;
    try {
      channel = this.requireChannel(channelName);
    } catch (e) {
      return Promise.reject(e);
    }
    const requestId = this.takeRequestId();
    const timeoutMs = (this.welcome?.limits.requestTimeoutMs || 10000) + REQUEST_GRACE_MS;
    return new Promise<ResponseMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        reject(new RequestError(`no answer within ${timeoutMs} ms`, 'Timeout'));
      }, timeoutMs);
      this.pending.set(requestId, { resolve, reject, timer });
      this.send(encodeData({ channel: channel.id, requestId, content, timestampNs: nowNs() }));
    });
  }

  /**
   * Subscribes to more patterns on the current connection (those in the
   * options are renewed after every Welcome; these are not). Resolves once
   * the host confirmed, so every later publish is routed to this page.
   */
  subscribe(patterns: string[]): Promise<void> {
    const requestId = this.takeRequestId();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        reject(new RequestError('the host did not confirm the subscription', 'Timeout'));
      }, REQUEST_GRACE_MS);
      this.pending.set(requestId, { resolve: () => resolve(), reject, timer });
      try {
        this.send(encodeSubscribe(requestId, [], patterns));
      } catch (e) {
        this.settle(requestId, () => {});
        reject(e);
      }
    });
  }

  // -------------------------------------------------------------------------

  private requireChannel(name: string): Channel {
    if (!this.welcome) throw new RequestError('not connected', 'Closed');
    const channel = this.channelByName(this.scope + name);
    if (!channel) {
      throw new RequestError(`no channel ${JSON.stringify(this.scope + name)} is advertised`, 'UnknownChannel');
    }
    return channel;
  }

  private takeRequestId(): bigint {
    const id = this.nextRequestId;
    this.nextRequestId = id >= 0xffff_ffff_ffff_ffffn ? 1n : id + 1n;
    return id;
  }

  private send(frame: Uint8Array): void {
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN) {
      throw new RequestError('not connected', 'Closed');
    }
    this.socket.send(frame);
  }

  private open(): void {
    this.retryTimer = null;
    this.stateChanged.emit({ state: 'connecting', attempt: this.attempt + 1 });
    let socket: WebSocket;
    try {
      socket = new WebSocket(this.options.url);
    } catch (e) {
      this.closed(1006, String(e));
      return;
    }
    socket.binaryType = 'arraybuffer';
    this.socket = socket;
    socket.onopen = () => {
      socket.send(encodeHello(this.options.clientName, undefined, this.options.token));
    };
    socket.onmessage = (event: MessageEvent) => {
      if (!(event.data instanceof ArrayBuffer)) {
        this.notice.emit('ignored a text message from the host');
        return;
      }
      let frame: Incoming;
      try {
        frame = decodeFrame(event.data);
      } catch (e) {
        this.notice.emit(`bad frame from host: ${(e as Error).message}`);
        return;
      }
      this.handle(frame);
    };
    socket.onclose = (event: CloseEvent) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.closed(event.code, event.reason);
    };
    // onerror is always followed by onclose, which carries the details.
    socket.onerror = () => {};
  }

  private closed(code: number, reason: string): void {
    this.welcome = null;
    for (const [, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(new RequestError('connection closed', 'Closed'));
    }
    this.pending.clear();
    if (this.stopped) {
      this.stateChanged.emit({ state: 'closed', code, reason, retryInMs: null });
      return;
    }
    const min = this.options.minBackoffMs ?? 500;
    const max = this.options.maxBackoffMs ?? 10000;
    const delay = Math.min(max, min * 2 ** Math.min(this.attempt, 16));
    this.attempt++;
    this.stateChanged.emit({ state: 'closed', code, reason, retryInMs: delay });
    this.retryTimer = setTimeout(() => this.open(), delay);
  }

  private handle(frame: Incoming): void {
    switch (frame.kind) {
      case 'welcome':
        this.onWelcome(frame);
        break;
      case 'advertise':
        for (const channel of frame.channels) this.channels.set(channel.id, channel);
        this.channelsChanged.emit(this.channelList());
        break;
      case 'unadvertise':
        for (const id of frame.channelIds) this.channels.delete(id);
        this.channelsChanged.emit(this.channelList());
        break;
      case 'data':
        if (frame.requestId !== 0n) {
          // A request from the game: answer it, never leave it hanging.
          const refusal = { ok: false as const, error: 'the browser editor answers no requests' };
          this.send(encodeResponse(frame.requestId, frame.channel, refusal));
        }
        this.data.emit({ message: frame, channel: this.channels.get(frame.channel) });
        break;
      case 'response':
        this.settle(frame.requestId, (p) => {
          if (frame.ok) p.resolve(frame);
          else p.reject(new RequestError(frame.error || 'request failed', 'Failed'));
        });
        break;
      case 'error':
        this.onError(frame);
        break;
      case 'ignored':
        break;
    }
  }

  private onWelcome(welcome: Welcome): void {
    const sessionChanged = this.lastSessionId !== null && this.lastSessionId !== welcome.sessionId;
    this.lastSessionId = welcome.sessionId;
    this.welcome = welcome;
    this.attempt = 0;
    this.channels = new Map(welcome.channels.map((c) => [c.id, c]));
    this.stateChanged.emit({ state: 'connected', welcome, sessionChanged });
    this.channelsChanged.emit(this.channelList());
    if (this.options.patterns.length > 0) {
      // Subscription ids come from the request counter too, but are answered
      // at once and never recorded as pending requests by the host.
      const requestId = this.takeRequestId();
      const timer = setTimeout(() => this.pending.delete(requestId), REQUEST_GRACE_MS);
      this.pending.set(requestId, {
        resolve: () => {},
        reject: (e) => this.notice.emit(`subscribe failed: ${e.message}`),
        timer,
      });
      this.send(encodeSubscribe(requestId, [], this.options.patterns));
    }
  }

  private onError(error: ErrorMessage): void {
    const text = `${error.codeName}: ${error.message}`;
    // UnknownRequest names one of the host's request ids (it refuses a
    // Response this page sent), never one of ours.
    const ours = error.codeName !== 'UnknownRequest';
    if (ours && error.requestId !== 0n && this.pending.has(error.requestId)) {
      this.settle(error.requestId, (p) => p.reject(new RequestError(error.message, error.codeName)));
    } else {
      this.notice.emit(text);
    }
  }

  private settle(requestId: bigint, action: (pending: Pending) => void): void {
    const pending = this.pending.get(requestId);
    if (!pending) return;
    this.pending.delete(requestId);
    clearTimeout(pending.timer);
    action(pending);
  }
}

/** A one-line description of a failure, for the page. */
export function describeError(e: unknown): string {
  if (e instanceof RequestError) return `${e.code}: ${e.message}`;
  return e instanceof Error ? e.message : String(e);
}
