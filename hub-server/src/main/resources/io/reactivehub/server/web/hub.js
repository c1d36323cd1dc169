/**
 * Reactive Hub browser client: the hub protocol (version 1) over one WebSocket, reconnecting and
 * recovering. One ES module, no dependencies; types in hub.d.ts. Works in browsers and in
 * Node >= 20 given a WebSocket implementation (option `WebSocket`).
 *
 *   import { Hub } from '/hub.js';
 *   const hub = new Hub(['wss://a.example/hub', 'wss://b.example/hub'], { getToken });
 *   hub.on('state', s => console.log(s.state));
 *   hub.subscribe('chat:lobby').on('publication', p => console.log(p.offset, p.data));
 *   hub.connect();
 *   await hub.publish('chat:lobby', { text: 'hi' });
 *
 * The semantics are those of the Java HubProtocolClient: URLs tried in turn, exponential backoff
 * with full jitter, every subscription resubscribed with `recover` after a reconnect, `resync`
 * when the hub cannot recover (never a silent gap), duplicates dropped.
 * @module hub
 */

/** The hub protocol's error codes (README, "Hub protocol"), and the client's own. */
export const ErrorCode = Object.freeze({
  INTERNAL: 100, MALFORMED: 101, UNKNOWN_OP: 102, MISSING_FIELD: 103, INVALID_FIELD: 104,
  INVALID_CHANNEL: 105, ALREADY_SUBSCRIBED: 106, NOT_SUBSCRIBED: 107, HUB_CLOSED: 109,
  LIMIT_EXCEEDED: 110, RATE_LIMITED: 111, PERMISSION_DENIED: 112, INVALID_TOKEN: 113,
  UNAVAILABLE: 114, NOT_ENABLED: 115, TOO_LARGE: 116, TOO_MANY_FAILURES: 117, UNKNOWN_OUTCOME: 118,
  // Client-side: no reply in time, connection lost or absent, client closed, too much waiting.
  TIMEOUT: 'timeout', DISCONNECTED: 'disconnected', CLOSED: 'closed', OVERLOADED: 'overloaded',
});

/** A command refused by the hub (`code` a number) or failed on the client (`code` a string). */
export class HubError extends Error {
  /** @param {number|string} code @param {string} message */
  constructor(code, message) {
    super(message);
    this.name = 'HubError';
    this.code = code;
  }
}

/** No reply within the request timeout. */
export class TimeoutError extends HubError {
  /** @param {string} message */
  constructor(message) {
    super(ErrorCode.TIMEOUT, message);
    this.name = 'TimeoutError';
  }
}

/** Codes of a close that retrying cannot fix: 1008 and the 4xxx auth codes. */
const RETRYABLE_4XXX = new Set([4001, 4002, 4003]);
/** Subscribe refusals that are only for now: internal, hub closing, broker unavailable. */
const TRANSIENT = new Set([ErrorCode.INTERNAL, ErrorCode.HUB_CLOSED, ErrorCode.UNAVAILABLE, ErrorCode.RATE_LIMITED]);
const OPEN = 1;

/** A tiny event emitter: `on` returns the function that removes the listener. */
class Emitter {
  #listeners = new Map();

  /** @param {string} type @param {(event: any) => void} fn @returns {() => void} */
  on(type, fn) {
    if (!this.#listeners.has(type)) this.#listeners.set(type, new Set());
    this.#listeners.get(type).add(fn);
    return () => this.off(type, fn);
  }

  /** @param {string} type @param {(event: any) => void} fn */
  off(type, fn) {
    this.#listeners.get(type)?.delete(fn);
  }

  /** A throwing listener does not stop the others; its error is rethrown asynchronously. */
  emit(type, event) {
    for (const fn of [...(this.#listeners.get(type) ?? [])]) {
      try {
        fn(event);
      } catch (e) {
        setTimeout(() => { throw e; });
      }
    }
  }
}

/** Milliseconds until the JWT's `exp`, or null when it has none (or is not a JWT). */
function msUntilExpiry(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const claims = JSON.parse(atob(part + '='.repeat((4 - (part.length % 4)) % 4)));
    return typeof claims.exp === 'number' ? claims.exp * 1000 - Date.now() : null;
  } catch {
    return null;
  }
}

/** A path (`/hub`) becomes a URL on the page's origin, ws: or wss: as the page is http: or https:. */
function absolute(url) {
  if (url.startsWith('/') && globalThis.location) {
    const scheme = globalThis.location.protocol === 'https:' ? 'wss:' : 'ws:';
    return `${scheme}//${globalThis.location.host}${url}`;
  }
  return url;
}

/**
 * One channel of a Hub, resubscribed (recovering) after every reconnect. Events: `subscribed`,
 * `publication`, `resync`, `join`, `leave`, `error`, `unsubscribed`. Create it with
 * `hub.subscribe(channel)`.
 */
export class Subscription extends Emitter {
  #hub;
  #sentOn = null;
  #retry = null;
  /** @type {{offset: number, epoch: string} | null} the last message delivered, or the top at the last subscribe */
  #position = null;

  /** @internal */
  constructor(channel, options, internals) {
    super();
    this.#hub = internals;
    this.channel = channel;
    this.joinLeave = !!options.joinLeave;
    /** @type {'subscribing' | 'subscribed' | 'unsubscribed'} */
    this.state = 'subscribing';
    if (options.since) this.#position = { offset: options.since.offset, epoch: options.since.epoch };
  }

  /** The position of the last message delivered (or of the channel at subscribe time), or null. */
  get position() {
    return this.#position && { ...this.#position };
  }

  /** Stops the subscription; the hub is told if connected. */
  unsubscribe() {
    if (this.state === 'unsubscribed') return;
    this.#hub.remove(this);
    if (this.#sentOn && this.#hub.ws() === this.#sentOn) {
      this.#hub.request('unsubscribe', { channel: this.channel }, false).catch(() => {});
    }
    this.end({ channel: this.channel, code: 0, reason: 'unsubscribed by the application' });
  }

  /** @internal Subscribes on `ws` unless already done there, recovering from the last position. */
  send(ws) {
    if (this.state === 'unsubscribed' || this.#sentOn === ws) return;
    this.#sentOn = ws;
    this.state = 'subscribing';
    const from = this.#position;
    const fields = { channel: this.channel };
    if (from) fields.recover = { offset: from.offset, epoch: from.epoch };
    if (this.joinLeave) fields.joinLeave = true;
    this.#hub.command('subscribe', fields, false,
      (reply) => this.#subscribed(from, reply),
      (error) => this.#refused(ws, error));
  }

  /** @internal The hub dropped the subscription (push code 4004): subscribe again, recovering. */
  resend(ws) {
    if (this.#sentOn === ws) this.#sentOn = null;
    this.send(ws);
  }

  #subscribed(from, reply) {
    if (this.state === 'unsubscribed') return;
    const top = { offset: reply.offset, epoch: reply.epoch };
    const recovered = from !== null && reply.recovered === true;
    // Recovered: the missed messages follow as publications and move the position.
    if (!recovered) this.#position = top;
    this.state = 'subscribed';
    this.emit('subscribed', { channel: this.channel, ...top, recovered });
    if (from !== null && !recovered) this.emit('resync', { channel: this.channel, ...top });
  }

  #refused(ws, error) {
    if (this.state === 'unsubscribed') return;
    const code = error.code;
    if (code === ErrorCode.ALREADY_SUBSCRIBED) {
      // The hub still holds a subscription this client gave up: drop it, then subscribe again.
      this.#hub.request('unsubscribe', { channel: this.channel }, false)
        .then(() => this.resend(ws), () => this.#retryLater(ws));
    } else if (TRANSIENT.has(code) || code === ErrorCode.TIMEOUT || code === ErrorCode.OVERLOADED) {
      this.#retryLater(ws);
    } else if (typeof code === 'number') {
      // Refused for good: bad channel, permission, limit.
      this.#hub.remove(this);
      this.emit('error', { channel: this.channel, error });
      this.end({ channel: this.channel, code, reason: error.message });
    }
    // 'disconnected' or 'closed': the next connection subscribes again (or the hub is gone).
  }

  #retryLater(ws) {
    clearTimeout(this.#retry);
    const min = this.#hub.options.minBackoff;
    const pause = min + Math.random() * Math.max(0, Math.max(min, 1000) - min);
    this.#retry = setTimeout(() => {
      if (this.#hub.ws() === ws) this.resend(ws);
    }, pause);
  }

  /** @internal */
  publication(offset, data) {
    const p = this.#position;
    if (this.state === 'unsubscribed' || p === null || offset <= p.offset) return; // not ours yet, or a duplicate
    this.#position = { offset, epoch: p.epoch };
    this.emit('publication', { channel: this.channel, offset, epoch: p.epoch, data });
  }

  /** @internal */
  end(event) {
    if (this.state === 'unsubscribed') return;
    this.state = 'unsubscribed';
    clearTimeout(this.#retry);
    this.emit('unsubscribed', event);
  }
}

/**
 * A connection to a hub (one of several URLs) that reconnects by itself. Events: `state`.
 * Nothing happens until `connect()`.
 */
export class Hub extends Emitter {
  #urls;
  #options;
  #state = { state: 'idle' };
  #ws = null;
  /** The token the current connection was opened with (for its refresh). */
  #token = null;
  #nextUrl = 0;
  #attempt = 0;
  #openedAt = 0;
  #started = false;
  #closed = false;
  #closing = null;
  #ids = 0;
  #pending = new Map();
  #queue = [];
  #subs = new Map();
  #timers = { retry: null, connect: null, silence: null, refresh: null };
  #unlisten = [];
  #internals;

  /**
   * @param {string | string[]} urls hub URLs (`ws://host:8080/hub`; a path such as `/hub` is on the page's origin)
   * @param {import('./hub').HubOptions} [options]
   */
  constructor(urls, options = {}) {
    super();
    this.#urls = (Array.isArray(urls) ? urls : [urls]).map(absolute);
    if (this.#urls.length === 0) throw new TypeError('no hub URL');
    const WS = options.WebSocket ?? globalThis.WebSocket;
    if (typeof WS !== 'function') throw new TypeError('no WebSocket implementation: pass options.WebSocket');
    this.#options = {
      minBackoff: 100, maxBackoff: 10_000, timeout: 10_000, maxPendingRequests: 1000,
      maxQueuedPublishes: 100, pingInterval: 25_000, pingTimeout: 15_000, ...options, WebSocket: WS,
    };
    this.#options.stableAfter ??= this.#options.maxBackoff;
    const hub = this;
    this.#internals = {
      options: this.#options,
      ws: () => (this.#ws?.readyState === OPEN ? this.#ws : null),
      request: (op, fields, capped) => this.#request(op, fields, capped),
      command: (op, fields, capped, resolve, reject) => this.#command(op, fields, capped, resolve, reject),
      remove: (sub) => { if (hub.#subs.get(sub.channel) === sub) hub.#subs.delete(sub.channel); },
    };
  }

  /** The current state: idle, connecting, connected, disconnected or closed. */
  get state() {
    return this.#state;
  }

  /** Starts connecting (to the first URL, then the next ones in turn). Calling it again does nothing. */
  connect() {
    if (this.#closed) throw new HubError(ErrorCode.CLOSED, 'the hub client is closed');
    if (this.#started) return this;
    this.#started = true;
    this.#listenToBrowser();
    this.#connectNext();
    return this;
  }

  /**
   * Subscribes to a channel, now (if connected) and after every reconnect, recovering what was
   * missed. One subscription per channel.
   * @param {string} channel
   * @param {{joinLeave?: boolean, since?: {offset: number, epoch: string}}} [options]
   */
  subscribe(channel, options = {}) {
    if (this.#closed) throw new HubError(ErrorCode.CLOSED, 'the hub client is closed');
    if (this.#subs.has(channel)) throw new Error(`already subscribed to ${channel}`);
    const sub = new Subscription(channel, options, this.#internals);
    this.#subs.set(channel, sub);
    const ws = this.#internals.ws();
    if (ws) sub.send(ws);
    return sub;
  }

  /**
   * Publishes one JSON value; resolves with the reply `{offset, epoch, subscribers}`. While
   * disconnected, up to `maxQueuedPublishes` wait for the next connection.
   */
  publish(channel, data) {
    if (data === undefined) return Promise.reject(new TypeError('data is undefined'));
    if (this.#closed) return Promise.reject(new HubError(ErrorCode.CLOSED, 'the hub client is closed'));
    if (this.#internals.ws()) return this.#request('publish', { channel, data }, true).then(reply);
    if (this.#queue.length >= this.#options.maxQueuedPublishes) {
      return Promise.reject(new HubError(ErrorCode.OVERLOADED,
        `not connected and ${this.#queue.length} publishes already wait`));
    }
    return new Promise((resolve, reject) => this.#queue.push({ channel, data, resolve, reject }));
  }

  /**
   * The channel's kept messages: the latest `limit`, or those after `since`. `truncated` is true
   * when the reply hit the hub's size bound: ask again with `since` = the last offset.
   */
  history(channel, { limit, since } = {}) {
    const fields = { channel };
    if (limit !== undefined) fields.limit = limit;
    if (since !== undefined) fields.since = since;
    return this.#request('history', fields, true)
      .then((r) => ({ offset: r.offset, epoch: r.epoch, messages: r.messages, truncated: r.truncated === true }));
  }

  /** Who is subscribed to the channel, on every node. */
  presence(channel) {
    return this.#request('presence', { channel }, true).then((r) => r.clients);
  }

  /** Closes for good; resolves once the close handshake is over (or after `timeout`). */
  close() {
    if (this.#closing) return this.#closing;
    const ws = this.#ws;
    this.#stop('closed by the application', null);
    this.#closing = new Promise((resolve) => {
      if (!ws || typeof ws.close !== 'function' || ws.readyState > OPEN) return resolve();
      const done = setTimeout(resolve, this.#options.timeout);
      ws.onclose = () => { clearTimeout(done); resolve(); };
      ws.close(1000, 'bye');
    });
    return this.#closing;
  }

  #setState(state) {
    if (this.#state.state === 'closed') return;
    this.#state = Object.freeze(state);
    this.emit('state', this.#state);
  }

  async #connectNext() {
    clearTimeout(this.#timers.retry);
    this.#timers.retry = null;
    if (this.#closed || this.#ws) return; // never two sockets at once
    this.#attempt++;
    const url = this.#urls[this.#nextUrl++ % this.#urls.length];
    this.#setState({ state: 'connecting', url, attempt: this.#attempt });
    let target = url;
    const placeholder = {}; // holds the slot while the token is fetched
    this.#ws = placeholder;
    try {
      if (this.#options.getToken) {
        const token = await this.#options.getToken();
        const u = new URL(url);
        u.searchParams.set('token', token);
        target = u.toString();
        this.#token = token;
      }
    } catch (e) {
      if (this.#ws === placeholder) this.#ws = null;
      return this.#lost(null, 1006, `getToken failed: ${e?.message ?? e}`);
    }
    if (this.#ws !== placeholder || this.#closed) return;
    let ws;
    try {
      ws = new this.#options.WebSocket(target);
    } catch (e) {
      this.#ws = null;
      return this.#lost(null, 1006, String(e?.message ?? e));
    }
    this.#ws = ws;
    this.#timers.connect = setTimeout(() => this.#drop(ws, 'no answer to the upgrade'), this.#options.timeout);
    ws.onopen = () => this.#opened(ws, url);
    ws.onmessage = (e) => this.#onMessage(ws, e.data);
    ws.onclose = (e) => this.#lost(ws, e.code, e.reason || (e.code === 1006 ? 'connection lost' : ''));
    ws.onerror = () => {}; // a close event follows
  }

  #opened(ws, url) {
    if (this.#ws !== ws) return;
    clearTimeout(this.#timers.connect);
    this.#openedAt = Date.now();
    this.#setState({ state: 'connected', url });
    this.#touch(ws);
    this.#scheduleRefresh(ws, this.#token);
    for (const sub of this.#subs.values()) sub.send(ws);
    const queued = this.#queue.splice(0);
    for (const p of queued) this.#request('publish', { channel: p.channel, data: p.data }, true).then(reply).then(p.resolve, p.reject);
  }

  #onMessage(ws, text) {
    if (this.#ws !== ws || typeof text !== 'string') return;
    this.#touch(ws);
    let m;
    try {
      m = JSON.parse(text);
    } catch {
      return;
    }
    if (m === null || typeof m !== 'object') return;
    if (m.id !== undefined && m.id !== null) {
      const p = this.#pending.get(m.id);
      if (!p) return;
      this.#pending.delete(m.id);
      clearTimeout(p.timer);
      if (m.error) p.reject(new HubError(m.error.code, m.error.message));
      else p.resolve(m);
      return;
    }
    const sub = this.#subs.get(m.channel);
    if (!sub) return;
    if (m.unsubscribed && m.unsubscribed.code === 4005) {
      // Permission withdrawn by a token refresh: subscribing again would be refused.
      this.#subs.delete(m.channel);
      const error = new HubError(ErrorCode.PERMISSION_DENIED, m.unsubscribed.reason);
      sub.emit('error', { channel: m.channel, error });
      sub.end({ channel: m.channel, code: 4005, reason: m.unsubscribed.reason });
    } else if (m.unsubscribed) sub.resend(ws);
    else if (m.join) sub.emit('join', { channel: m.channel, ...m.join });
    else if (m.leave) sub.emit('leave', { channel: m.channel, ...m.leave });
    else if (typeof m.offset === 'number' && 'data' in m) sub.publication(m.offset, m.data);
  }

  /** Sends a command; resolves with the reply. `capped`: counts against maxPendingRequests. */
  #request(op, fields, capped) {
    return new Promise((resolve, reject) => this.#command(op, fields, capped, resolve, reject));
  }

  /**
   * Sends a command; `resolve` or `reject` is called synchronously with the reply, before the
   * next frame is handled (a subscribe reply must be seen before the pushes that follow it, and
   * Node's WebSockets may dispatch several frames without running promise jobs in between).
   */
  #command(op, fields, capped, resolve, reject) {
    const ws = this.#internals.ws();
    if (this.#closed) return reject(new HubError(ErrorCode.CLOSED, 'the hub client is closed'));
    if (!ws) return reject(new HubError(ErrorCode.DISCONNECTED, 'not connected'));
    if (capped && this.#pending.size >= this.#options.maxPendingRequests) {
      return reject(new HubError(ErrorCode.OVERLOADED,
        `more than ${this.#options.maxPendingRequests} requests wait for a reply`));
    }
    const id = ++this.#ids;
    const timer = setTimeout(() => {
      this.#pending.delete(id);
      reject(new TimeoutError(`no reply to ${op} within ${this.#options.timeout} ms`));
    }, op === 'ping' ? this.#options.pingTimeout : this.#options.timeout);
    this.#pending.set(id, { resolve, reject, timer });
    ws.send(JSON.stringify({ id, op, ...fields }));
  }

  /** Any frame from the hub is a sign of life; after `pingInterval` of silence, ask. */
  #touch(ws) {
    clearTimeout(this.#timers.silence);
    this.#timers.silence = setTimeout(() => this.#probe(ws), this.#options.pingInterval);
  }

  #probe(ws) {
    if (this.#ws !== ws) return;
    this.#request('ping', {}, false).catch((e) => {
      if (e.code === ErrorCode.TIMEOUT) this.#drop(ws, 'no answer to ping');
    });
  }

  /** Gives up on a socket that stopped answering, without waiting for its close handshake. */
  #drop(ws, reason) {
    if (this.#ws !== ws) return;
    this.#lost(ws, 1006, reason);
    ws.onclose = ws.onmessage = ws.onopen = null;
    try { ws.close(); } catch { /* already closing */ }
  }

  /** Refreshes the token before its `exp`; `floor`: wait at least that long (a retry). */
  #scheduleRefresh(ws, token, floor = 0) {
    clearTimeout(this.#timers.refresh);
    const left = token && this.#options.getToken ? msUntilExpiry(token) : null;
    if (left === null || left <= 0) return;
    // At 80% of its life, at least 10 s before exp; a token with under 20 s left: at half of it.
    const delay = Math.max(floor, Math.min(left * 0.8, Math.max(left - 10_000, left / 2)));
    this.#timers.refresh = setTimeout(async () => {
      if (this.#ws !== ws) return;
      try {
        const fresh = await this.#options.getToken();
        await this.#request('refresh', { token: fresh }, false);
        this.#token = fresh;
        this.#scheduleRefresh(ws, fresh);
      } catch (e) {
        if (this.#ws !== ws) return;
        if (e.code === ErrorCode.INVALID_TOKEN) {
          this.#drop(ws, 'token refresh refused: reconnecting with a new token');
        } else {
          this.#scheduleRefresh(ws, token, 1000); // again in a while; the hub closes 4003 at worst
        }
      }
    }, delay);
  }

  /**
   * The socket `ws` (null: an attempt that never made one) ended with `code`. Fails what waits
   * for a reply, then reconnects after a backoff, or stops for a reason retrying cannot fix.
   */
  #lost(ws, code, reason) {
    if (ws !== null && this.#ws !== ws) return;
    this.#ws = null;
    for (const t of ['connect', 'silence', 'refresh']) clearTimeout(this.#timers[t]);
    for (const [id, p] of this.#pending) {
      this.#pending.delete(id);
      clearTimeout(p.timer);
      p.reject(new HubError(ErrorCode.DISCONNECTED, `connection lost (${code})`));
    }
    if (this.#closed) return;
    if (this.#openedAt && Date.now() - this.#openedAt >= this.#options.stableAfter) this.#attempt = 0;
    this.#openedAt = 0;
    if (code === 1008 || (code >= 4000 && code < 5000 && !RETRYABLE_4XXX.has(code))) {
      const text = `${code} ${reason}`.trim();
      return this.#stop(text, new HubError(code, text));
    }
    // Shutdown, try-again-later and an expired token mean "reconnect now": once per URL a round.
    const now = (code === 1001 || code === 1013 || code === 4003) && this.#attempt < this.#urls.length;
    const cap = Math.min(this.#options.maxBackoff, this.#options.minBackoff * 2 ** Math.min(20, Math.max(0, this.#attempt - 1)));
    const retryIn = now ? 0 : Math.floor(Math.random() * (cap + 1));
    this.#setState({ state: 'disconnected', code, reason, retryIn });
    this.#schedule(retryIn);
  }

  /** At most one reconnect timer. */
  #schedule(delay) {
    clearTimeout(this.#timers.retry);
    this.#timers.retry = setTimeout(() => this.#connectNext(), delay);
  }

  /** Stops for good: every subscription, pending request and queued publish ends. */
  #stop(reason, error) {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of Object.keys(this.#timers)) clearTimeout(this.#timers[t]);
    this.#unlisten.forEach((f) => f());
    const ws = this.#ws;
    this.#ws = null;
    if (ws && ws.close) {
      ws.onmessage = ws.onopen = ws.onclose = null;
      if (error) try { ws.close(); } catch { /* closing */ }
    }
    const gone = () => new HubError(ErrorCode.CLOSED, `the hub client is closed: ${reason}`);
    for (const [id, p] of this.#pending) {
      this.#pending.delete(id);
      clearTimeout(p.timer);
      p.reject(gone());
    }
    this.#queue.splice(0).forEach((p) => p.reject(gone()));
    this.#setState({ state: 'closed', reason });
    for (const sub of [...this.#subs.values()]) {
      if (error) sub.emit('error', { channel: sub.channel, error });
      sub.end({ channel: sub.channel, code: error ? error.code : 0, reason });
    }
    this.#subs.clear();
  }

  /** Browsers: react to the network coming and going and to the tab waking up. */
  #listenToBrowser() {
    const w = globalThis.window;
    if (!w || typeof w.addEventListener !== 'function') return;
    const on = (target, type, fn) => {
      target.addEventListener(type, fn);
      this.#unlisten.push(() => target.removeEventListener(type, fn));
    };
    on(w, 'online', () => {
      if (this.#ws || this.#closed) return;
      this.#attempt = 0; // the network is back: start the backoff again, once
      this.#connectNext();
    });
    on(w, 'offline', () => {
      const ws = this.#internals.ws();
      if (ws) this.#drop(ws, 'the browser went offline');
    });
    if (globalThis.document) {
      on(globalThis.document, 'visibilitychange', () => {
        if (globalThis.document.visibilityState !== 'visible' || this.#closed) return;
        const ws = this.#internals.ws();
        if (ws) this.#probe(ws); // a tab that slept may hold a dead socket: ask now
        else if (!this.#ws && this.#timers.retry) this.#connectNext(); // waiting for a retry: now
      });
    }
  }
}

/** A publish reply as the API gives it. */
function reply(r) {
  return { offset: r.offset, epoch: r.epoch, subscribers: r.subscribers };
}
