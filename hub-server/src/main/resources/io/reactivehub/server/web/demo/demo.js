// The chat demo: hub.js on one channel with presence and join/leave. User text is only ever set
// with textContent.
import { Hub, ErrorCode } from '/hub.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const servers = (params.get('servers') || '/hub').split(',').map((s) => s.trim()).filter(Boolean);
const token = params.get('token');
$('name').value = params.get('name') || '';
$('channel').value = params.get('channel') || 'chat:lobby';

let hub = null;
let sub = null;
let channel = null;
let me = { name: '', client: null };
/** client id → name, learned from messages (open hubs have no user names in presence). */
const names = new Map();
let lastOffset = 0;
let node = '';
let countdown = null;
let presenceTimer = null;

/** The JWT's subject: presence lists it as this connection's user. */
function tokenSubject(jwt) {
  try {
    const part = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(part + '='.repeat((4 - (part.length % 4)) % 4))).sub ?? null;
  } catch {
    return null;
  }
}

function host(url) {
  try { return new URL(url).host; } catch { return url; }
}

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

function scrollToEnd() {
  const list = $('messages');
  list.scrollTop = list.scrollHeight;
}

/** A system line (join/leave, reconnect, errors) at the end of the list. */
function note(text, kind = 'info') {
  $('empty').hidden = true;
  const li = el('li', `note note-${kind}`, text);
  $('messages').append(li);
  scrollToEnd();
}

/** A message, in offset order; a duplicate offset is ignored. */
function addMessage(offset, data) {
  const list = $('messages');
  if (list.querySelector(`li.msg[data-offset="${offset}"]`)) return;
  $('empty').hidden = true;
  const body = data && typeof data === 'object' ? data : { text: String(data) };
  if (body.client && body.name) names.set(String(body.client), String(body.name));
  const li = el('li', 'msg');
  li.dataset.offset = String(offset);
  if (body.name === me.name && body.client && body.client === me.client) li.classList.add('mine');
  li.append(el('span', 'offset', `#${offset}`), el('span', 'who', String(body.name ?? 'someone')),
    el('span', 'text', String(body.text ?? JSON.stringify(data))));
  const later = [...list.querySelectorAll('li.msg')].find((m) => Number(m.dataset.offset) > offset);
  if (later) list.insertBefore(li, later); else list.append(li);
  lastOffset = Math.max(lastOffset, offset);
  $('fact-offset').textContent = String(lastOffset);
  scrollToEnd();
}

function label(entry) {
  const name = entry.user ?? names.get(entry.client) ?? `guest ${String(entry.client).slice(-4)}`;
  return entry.client === me.client ? `${name} (you)` : name;
}

function renderPresence(clients) {
  const list = $('presence');
  list.replaceChildren(...clients.map((c) => {
    const li = el('li', c.client === me.client ? 'me' : '');
    li.append(el('span', 'dot'), el('span', 'who', label(c)));
    li.title = `connection ${c.client}`;
    return li;
  }));
  $('presence-count').textContent = `(${clients.length})`;
}

function refreshPresence() {
  clearTimeout(presenceTimer);
  presenceTimer = setTimeout(() => {
    if (!hub || !channel) return;
    hub.presence(channel).then((clients) => {
      $('presence-note').textContent = '';
      renderPresence(clients);
    }, (e) => {
      if (e.code === ErrorCode.NOT_ENABLED) {
        $('presence-note').textContent = 'This channel keeps no presence. Start the hub with '
          + "--channel-options 'chat:*=history:100,ttl:10m,presence,join-leave' to see who is here.";
      }
    });
  }, 50);
}

function renderState(s) {
  const wasConnected = $('state').dataset.state === 'connected';
  const badge = $('state');
  badge.dataset.state = s.state;
  clearInterval(countdown);
  switch (s.state) {
    case 'connecting':
      me.client = null; // a new connection has a new id: learnt again from its own join
      badge.textContent = s.attempt > 1 ? `connecting (attempt ${s.attempt})` : 'connecting';
      $('node').textContent = `to ${host(s.url)}`;
      break;
    case 'connected':
      node = host(s.url);
      badge.textContent = 'connected';
      $('node').textContent = `to ${node}`;
      break;
    case 'disconnected': {
      badge.textContent = `disconnected (${s.code})`;
      if (wasConnected && sub) note(`lost the connection to ${node} (${s.code}${s.reason ? `: ${s.reason}` : ''}), reconnecting…`, 'warn');
      const until = Date.now() + s.retryIn;
      const tick = () => {
        const left = Math.max(0, until - Date.now());
        $('node').textContent = `${s.reason || 'connection lost'}; retrying in ${(left / 1000).toFixed(1)} s`;
      };
      tick();
      countdown = setInterval(tick, 100);
      break;
    }
    case 'closed':
      badge.textContent = 'closed';
      $('node').textContent = s.reason;
      break;
    default:
      badge.textContent = 'not connected';
  }
  const usable = s.state !== 'closed' && sub !== null;
  $('text').disabled = !usable;
  $('send').disabled = !usable;
}

function loadHistory(top) {
  hub.history(channel, { limit: 50 }).then((h) => {
    if (h.epoch !== top.epoch) return;
    for (const m of h.messages) if (m.offset <= top.offset) addMessage(m.offset, m.data);
  }, () => { /* no history on this channel: live messages only */ });
}

function subscribe(name) {
  channel = name;
  lastOffset = 0;
  $('messages').replaceChildren();
  $('presence').replaceChildren();
  $('fact-channel').textContent = name;
  let first = true;
  sub = hub.subscribe(name, { joinLeave: true });
  sub.on('subscribed', (e) => {
    $('fact-epoch').textContent = e.epoch;
    if (first) {
      first = false;
      lastOffset = e.offset;
      $('fact-offset').textContent = String(e.offset);
      note(`joined ${name} on ${node}`);
      loadHistory(e);
    } else if (e.recovered) {
      const missed = Math.max(0, e.offset - lastOffset);
      note(`reconnected to ${node}, ${missed} missed message${missed === 1 ? '' : 's'} recovered`, 'ok');
    }
    refreshPresence();
  });
  sub.on('resync', (e) => {
    lastOffset = e.offset;
    note(`reconnected to ${node}, but missed messages could not be recovered: continuing from offset ${e.offset}`, 'warn');
  });
  sub.on('publication', (p) => addMessage(p.offset, p.data));
  sub.on('join', (e) => {
    // Our own join comes right after our subscribe: that is how an open hub tells us our id.
    if (me.client === null && e.user === (me.user ?? null)) me.client = e.client;
    else note(`${label(e)} joined`, 'presence');
    refreshPresence();
  });
  sub.on('leave', (e) => {
    note(`${label(e)} left`, 'presence');
    refreshPresence();
  });
  sub.on('error', (e) => note(`cannot subscribe to ${name}: ${e.error.message}`, 'error'));
}

$('join').addEventListener('submit', (event) => {
  event.preventDefault();
  const name = $('name').value.trim();
  const wanted = $('channel').value.trim();
  if (!name || !wanted) return;
  me = { name, client: hub ? me.client : null, user: tokenSubject(token) }; // a new name keeps the connection
  if (!hub) {
    hub = new Hub(servers, token ? { getToken: () => token } : {});
    hub.on('state', renderState);
    hub.connect();
  }
  if (sub && channel !== wanted) {
    sub.unsubscribe();
    sub = null;
  }
  if (!sub) subscribe(wanted);
  renderState(hub.state);
  $('text').focus();
});

$('composer').addEventListener('submit', (event) => {
  event.preventDefault();
  const text = $('text').value.trim();
  if (!text || !hub || !channel) return;
  const message = { name: me.name, text };
  if (me.client) message.client = me.client;
  hub.publish(channel, message).catch((e) => note(`not sent (${e.code}): ${e.message}`, 'error'));
  $('text').value = '';
});

window.demo = { get hub() { return hub; } }; // for the console (and tests)
