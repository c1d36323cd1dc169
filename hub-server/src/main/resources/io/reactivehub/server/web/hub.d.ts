/**
 * Reactive Hub browser client (hub protocol version 1): types of hub.js.
 * Served by the hub at /hub.d.ts beside /hub.js.
 */

/** The hub protocol's error codes, and the client's own (strings). */
export declare const ErrorCode: Readonly<{
  INTERNAL: 100;
  MALFORMED: 101;
  UNKNOWN_OP: 102;
  MISSING_FIELD: 103;
  INVALID_FIELD: 104;
  INVALID_CHANNEL: 105;
  ALREADY_SUBSCRIBED: 106;
  NOT_SUBSCRIBED: 107;
  HUB_CLOSED: 109;
  LIMIT_EXCEEDED: 110;
  RATE_LIMITED: 111;
  PERMISSION_DENIED: 112;
  INVALID_TOKEN: 113;
  UNAVAILABLE: 114;
  NOT_ENABLED: 115;
  /** No reply within `timeout` (a {@link TimeoutError}). */
  TIMEOUT: 'timeout';
  /** Not connected (a request other than publish), or the connection was lost before the reply. */
  DISCONNECTED: 'disconnected';
  /** The client was closed (by `close()`, or for good by the hub). */
  CLOSED: 'closed';
  /** Too many requests wait for a reply, or too many publishes wait for a connection. */
  OVERLOADED: 'overloaded';
}>;

/** A hub error code (a number, README "Hub protocol") or a client-side one. */
export type HubErrorCode = number | 'timeout' | 'disconnected' | 'closed' | 'overloaded';

/** A command refused by the hub, or failed on the client. */
export declare class HubError extends Error {
  constructor(code: HubErrorCode, message: string);
  readonly name: 'HubError' | 'TimeoutError';
  /** E.g. 105 invalid channel, 112 permission denied, 115 not enabled, or 'timeout'. */
  readonly code: HubErrorCode;
}

/** No reply within the request timeout; `code` is 'timeout'. */
export declare class TimeoutError extends HubError {
  constructor(message: string);
  readonly name: 'TimeoutError';
  readonly code: 'timeout';
}

/** What `new WebSocket(url)` gives: the browser's WebSocket, or e.g. the `ws` package in Node. */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((event: any) => void) | null;
  onmessage: ((event: { data: any }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: any) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export interface HubOptions {
  /** A WebSocket constructor; default `globalThis.WebSocket` (browsers, Node >= 22). */
  WebSocket?: new (url: string) => WebSocketLike;
  /**
   * Supplies the JWT, called before every connection attempt and before the token's `exp`
   * (at 80% of its life, at least 10 s before) to send a `refresh`. The token travels as
   * `?token=` on the URL (browsers cannot set headers).
   */
  getToken?: () => Promise<string> | string;
  /** The first reconnect waits up to this long, in ms (full jitter). Default 100. */
  minBackoff?: number;
  /** No reconnect waits longer, in ms. Default 10000. */
  maxBackoff?: number;
  /** A connection that lasted this long (ms) starts the backoff again. Default `maxBackoff`. */
  stableAfter?: number;
  /** Request timeout, also the longest wait for an upgrade and for the close handshake, in ms. Default 10000. */
  timeout?: number;
  /** Requests waiting for a reply; more are rejected with 'overloaded'. Default 1000. */
  maxPendingRequests?: number;
  /** Publishes that wait for a connection while disconnected; more are rejected. Default 100. */
  maxQueuedPublishes?: number;
  /** After this long (ms) without a frame from the hub, the client sends a ping. Default 25000. */
  pingInterval?: number;
  /** A ping not answered within this long (ms) means the connection is dead. Default 15000. */
  pingTimeout?: number;
}

/** Before `connect()`. */
export interface IdleState {
  readonly state: 'idle';
}
/** Opening a connection to `url` (the `attempt`-th since the last one that lasted). */
export interface ConnectingState {
  readonly state: 'connecting';
  readonly url: string;
  readonly attempt: number;
}
export interface ConnectedState {
  readonly state: 'connected';
  readonly url: string;
}
/** Lost (code 1006 when there was no close frame); the next attempt is in `retryIn` ms. */
export interface DisconnectedState {
  readonly state: 'disconnected';
  readonly code: number;
  readonly reason: string;
  readonly retryIn: number;
}
/** Stopped for good: closed by the application, or refused (1008, an auth code 4xxx). */
export interface ClosedState {
  readonly state: 'closed';
  readonly reason: string;
}
export type HubState = IdleState | ConnectingState | ConnectedState | DisconnectedState | ClosedState;

/** A position in a channel's stream. */
export interface StreamPosition {
  readonly offset: number;
  readonly epoch: string;
}

export interface SubscribeOptions {
  /** Ask for `join`/`leave` events (channels with the `join-leave` option). */
  joinLeave?: boolean;
  /** Start after this position (e.g. one kept from an earlier page), recovering what came after. */
  since?: StreamPosition;
}

/** The hub answered a (re)subscribe: the channel's top, and whether missed messages follow. */
export interface SubscribedEvent extends StreamPosition {
  readonly channel: string;
  readonly recovered: boolean;
}
/** A message of the channel; offsets only grow (duplicates are dropped). */
export interface PublicationEvent<T = unknown> extends StreamPosition {
  readonly channel: string;
  readonly data: T;
}
/** Missed messages are gone (history too short, or a new epoch): reload from your own source. */
export interface ResyncEvent extends StreamPosition {
  readonly channel: string;
}
export interface PresenceEvent {
  readonly channel: string;
  /** The connection's id, unique across nodes. */
  readonly client: string;
  /** The token's subject, null when the hub runs open. */
  readonly user: string | null;
}
export interface SubscriptionErrorEvent {
  readonly channel: string;
  readonly error: HubError;
}
/** The subscription ended: `code` 0 when by the application or a closed client. */
export interface UnsubscribedEvent {
  readonly channel: string;
  readonly code: number | string;
  readonly reason: string;
}

export interface SubscriptionEvents<T = unknown> {
  subscribed: SubscribedEvent;
  publication: PublicationEvent<T>;
  resync: ResyncEvent;
  join: PresenceEvent;
  leave: PresenceEvent;
  error: SubscriptionErrorEvent;
  unsubscribed: UnsubscribedEvent;
}

/** One channel, resubscribed with recovery after every reconnect. */
export declare class Subscription<T = unknown> {
  private constructor();
  readonly channel: string;
  readonly joinLeave: boolean;
  readonly state: 'subscribing' | 'subscribed' | 'unsubscribed';
  /** The last message delivered (or the channel's top at the last subscribe), or null before the first reply. */
  readonly position: StreamPosition | null;
  /** Adds a listener; returns the function that removes it. */
  on<K extends keyof SubscriptionEvents<T>>(type: K, listener: (event: SubscriptionEvents<T>[K]) => void): () => void;
  off<K extends keyof SubscriptionEvents<T>>(type: K, listener: (event: SubscriptionEvents<T>[K]) => void): void;
  unsubscribe(): void;
}

export interface PublishReply {
  readonly offset: number;
  readonly epoch: string;
  /** Local subscribers that got it (one node), or hub nodes that received it (Redis). */
  readonly subscribers: number;
}
export interface HistoryReply<T = unknown> extends StreamPosition {
  readonly messages: ReadonlyArray<{ readonly offset: number; readonly data: T }>;
  /** The reply hit the hub's size bound: ask again with `since` = the last offset. */
  readonly truncated: boolean;
}
export interface PresenceClient {
  readonly client: string;
  readonly user: string | null;
}

export interface HubEvents {
  state: HubState;
}

/** A reconnecting, recovering hub-protocol connection. */
export declare class Hub {
  /** @param urls hub URLs, tried in turn; a path (`/hub`) is on the page's origin. */
  constructor(urls: string | readonly string[], options?: HubOptions);
  readonly state: HubState;
  /** Starts connecting; a second call does nothing. Throws once closed. */
  connect(): this;
  on<K extends keyof HubEvents>(type: K, listener: (event: HubEvents[K]) => void): () => void;
  off<K extends keyof HubEvents>(type: K, listener: (event: HubEvents[K]) => void): void;
  /** Throws if the channel already has a subscription or the client is closed. */
  subscribe<T = unknown>(channel: string, options?: SubscribeOptions): Subscription<T>;
  /** Queued while disconnected (up to `maxQueuedPublishes`); rejects with a {@link HubError}. */
  publish(channel: string, data: unknown): Promise<PublishReply>;
  /** The latest `limit` kept messages, or those after `since`; needs a connection. */
  history<T = unknown>(channel: string, options?: { limit?: number; since?: number }): Promise<HistoryReply<T>>;
  /** Who is subscribed, on every node; needs a connection. 115 when the channel keeps no presence. */
  presence(channel: string): Promise<PresenceClient[]>;
  /** Closes for good; resolves after the close handshake (or the timeout). */
  close(): Promise<void>;
}
