// hearth's page script: hand-written ES modules, no build step. Every page works without
// them; with them, the page is live: new messages, edits, reactions and thread replies
// appear as they happen (grouped, with day dividers), the sidebar keeps its unread badges,
// people's typing and presence show, messages post without a reload and drafts are kept,
// and mentions raise a notification when the tab is hidden. Beside this module: actions on
// messages (actions.js), files (files.js), getting around (navigation.js), people
// (people.js), and, loaded when first used, the emoji picker and the quick switcher.

import { icon, wireMessageActions } from "./actions.js";
import { wireUploads } from "./files.js";
import { wireNavigation } from "./navigation.js";
import { wireProfiles } from "./people.js";

const body = document.body;
const csrf = document.querySelector('meta[name="csrf-token"]')?.content ?? "";
const me = Number(body.dataset.user) || 0;
const ws = body.dataset.ws ?? "";
const conversation = document.querySelector(".conversation[data-channel]");
const channelId = Number(conversation?.dataset.channel) || 0;
const list = document.querySelector("[data-messages]");
const threadPane = document.querySelector(".thread-pane[data-thread]");
const threadRoot = Number(threadPane?.dataset.thread) || 0;
const baseTitle = document.title;

/** Sends JSON with the session cookie and the CSRF token; returns the parsed answer.
 * `keepalive` lets a request outlive the page (a delete sent as it is left). */
export async function api(method, url, payload, { keepalive = false } = {}) {
  const res = await fetch(url, {
    method,
    headers: { "content-type": "application/json", "x-csrf-token": csrf },
    body: payload === undefined ? undefined : JSON.stringify(payload),
    credentials: "same-origin",
    keepalive,
  });
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (!res.ok) throw Object.assign(new Error(data?.error?.message ?? `${res.status}`), { status: res.status, data });
  return data;
}

// ---------------------------------------------------------------------------------------
// Times, scrolling

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" });
const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: "long", month: "long", day: "numeric", year: "numeric" });

const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** The day a message was posted, in the reader's own time zone, as its divider says it. */
function dayOf(article) {
  const at = new Date(article.dataset.at);
  return Number.isNaN(at.getTime()) ? "" : dayFormat.format(at);
}

function divider(day) {
  const d = Object.assign(document.createElement("div"), { className: "day", textContent: day });
  d.setAttribute("role", "separator");
  return d;
}

/** Day dividers in the reader's time zone (the page draws them by UTC days, which is what
 * it shows without scripts). */
function redrawDays(container) {
  if (!container) return;
  for (const d of container.querySelectorAll(":scope > .day")) d.remove();
  let last = "";
  for (const a of container.querySelectorAll(":scope > article.msg[data-at]")) {
    const day = dayOf(a);
    if (day && day !== last) a.before(divider(day));
    last = day || last;
  }
}

/** Shows every `<time datetime>` in the reader's own time zone: a message's time of day, or
 * with `data-format="datetime"` (an expiry, a last use) the date and the time. */
function localiseTimes(root = document) {
  for (const t of root.querySelectorAll("time[datetime]")) {
    const when = new Date(t.getAttribute("datetime"));
    if (Number.isNaN(when.getTime())) continue;
    t.textContent = t.dataset.format === "datetime" ? dateTimeFormat.format(when) : timeFormat.format(when);
    t.title = `${dayFormat.format(when)} ${timeFormat.format(when)}`;
  }
}

/** Gives integrations' attachments their exact colour (the page itself has the nearest
 * named one: its policy allows no inline style, but a script may set one). */
function paintAttachments(root = document) {
  for (const a of root.querySelectorAll(".attachment[data-color]")) {
    const color = a.dataset.color;
    if (/^#[0-9a-f]{6}$/.test(color)) a.style.borderLeftColor = color;
  }
}

const nearBottom = (el) => el.scrollHeight - el.scrollTop - el.clientHeight < 80;

/** Opens the list at the message a permalink names, else where the unread messages begin
 * (with a way to jump there while it is out of sight), else at the newest. */
function scrollMessages() {
  if (!list) return;
  // A permalink's message, named by its hash (or by its path, for a link copied without one).
  const path = location.pathname.match(/\/m\/(\d+)$/);
  const named = location.hash.slice(1) || (path ? `m${path[1]}` : "");
  const target = named ? document.getElementById(named) : null;
  target?.classList.add("focused");
  const line = list.querySelector(".unread-line");
  if (target) target.scrollIntoView({ block: "center" });
  else list.scrollTop = list.scrollHeight;
  if (!target && line && line.offsetTop < list.scrollTop) {
    list.scrollTop = Math.max(0, line.offsetTop - 40);
  }
  if (line) {
    const jump = Object.assign(document.createElement("button"), { type: "button", className: "jump-unread", textContent: "Jump to new messages ↑" });
    jump.hidden = true;
    jump.addEventListener("click", () => {
      list.scrollTop = Math.max(0, line.offsetTop - 40);
      line.focus?.();
    });
    list.before(jump);
    const update = () => {
      jump.hidden = line.offsetTop >= list.scrollTop;
    };
    list.addEventListener("scroll", update, { passive: true });
    update();
  }
}

// ---------------------------------------------------------------------------------------
// Read markers, badges, the title

let newestShown = Number(conversation?.dataset.newest) || 0;
let markTimer = 0;
let hiddenUnread = 0;

/** Marks the open channel read up to the newest message shown, once things settle. */
let readHeld = false;
/** After "mark unread", the channel is not marked read again until one posts or comes back. */
function holdRead() {
  readHeld = true;
  clearTimeout(markTimer);
}

function markRead(force = false) {
  if (force) readHeld = false;
  if (!conversation || !conversation.dataset.markRead || !csrf || document.hidden || readHeld) return;
  clearTimeout(markTimer);
  markTimer = setTimeout(async () => {
    try {
      await api("POST", conversation.dataset.markRead, newestShown ? { message_id: newestShown } : {});
      clearBadge(channelId);
    } catch {
      // The next view tries again; nothing is lost.
    }
  }, 300);
}

function sidebarEntry(id) {
  return document.querySelector(`.sidebar [data-channel="${id}"]`);
}

function clearBadge(id) {
  const entry = sidebarEntry(id);
  entry?.classList.remove("unread");
  entry?.querySelector(".badge-count")?.remove();
}

function bumpBadge(id) {
  const entry = sidebarEntry(id);
  if (!entry) return;
  let badge = entry.querySelector(".badge-count");
  if (!badge) {
    badge = document.createElement("span");
    badge.className = "badge-count";
    entry.append(badge);
  }
  const n = badge.textContent === "99+" ? 100 : Number(badge.textContent) || 0;
  badge.textContent = n + 1 > 99 ? "99+" : String(n + 1);
}

function updateTitle() {
  document.title = hiddenUnread > 0 ? `(${hiddenUnread > 99 ? "99+" : hiddenUnread}) ${baseTitle}` : baseTitle;
}

document.addEventListener("visibilitychange", () => {
  if (!document.hidden) {
    hiddenUnread = 0;
    updateTitle();
    markRead();
  }
});

// ---------------------------------------------------------------------------------------
// Notifications, asked for politely: a button, never a prompt on load

function offerNotifications() {
  if (!("Notification" in window) || Notification.permission !== "default") return;
  const nav = document.querySelector(".sidebar .bottom");
  if (!nav) return;
  const box = document.createElement("div");
  box.className = "notify-ask";
  box.innerHTML = '<button type="button" class="secondary">Enable notifications</button>';
  box.querySelector("button").addEventListener("click", async () => {
    await Notification.requestPermission();
    box.remove();
  });
  nav.prepend(box);
}

function notify(message, isDm) {
  if (!document.hidden || !("Notification" in window) || Notification.permission !== "granted") return;
  const text = message.text.length > 140 ? `${message.text.slice(0, 140)}…` : message.text;
  // An integration's message is shown as the integration, never as the member behind it.
  const from = message.bot ? `${message.bot.name} (app)` : message.user.display_name;
  const n = new Notification(isDm ? from : `${from} mentioned you`, { body: text, tag: `m${message.id}` });
  n.onclick = () => {
    window.focus();
    location.href = `/w/${ws}/c/${message.channel_id}/m/${message.id}#m${message.id}`;
  };
}

// ---------------------------------------------------------------------------------------
// Message fragments

function fragment(html) {
  const t = document.createElement("template");
  t.innerHTML = html.trim();
  const el = t.content.firstElementChild;
  if (el) {
    localiseTimes(el);
    paintAttachments(el);
  }
  return el;
}

/** Replaces every copy of a message (channel list and thread pane) with fresh HTML. */
function replaceMessage(id, html) {
  for (const old of document.querySelectorAll(`article.msg[data-id="${id}"]`)) {
    const fresh = fragment(html);
    if (!fresh) continue;
    if (old.classList.contains("continued")) continueMessage(fresh);
    // A message waiting out its undo stays hidden.
    fresh.hidden = old.hidden;
    old.replaceWith(fresh);
  }
}

/** Tells screen readers what arrived, once, in the page's live region. */
function announce(text) {
  const region = document.querySelector("[data-announce]");
  if (region) region.textContent = text;
}

/** Shows a message as following the one above it: no author line, the time on hover. */
function continueMessage(el) {
  el.classList.add("continued");
  el.querySelector(".msg-head")?.remove();
  const gutter = el.querySelector(".msg-gutter");
  const at = el.dataset.at;
  if (gutter && at) {
    const t = Object.assign(document.createElement("time"), { className: "msg-time-hover" });
    t.setAttribute("datetime", at);
    gutter.replaceChildren(t);
    localiseTimes(gutter);
  }
}

/** The last message shown in a list, pending and ephemeral ones aside. */
function lastShown(container) {
  const all = container.querySelectorAll("article.msg[data-id]:not(.pending):not(.ephemeral)");
  return all[all.length - 1] ?? null;
}

/** Groups a new message under the one above it as the page does: the same speaker within
 * five minutes on the same day. Answers the divider a new day needs before it, if any. */
function placeMessage(container, el) {
  const before = lastShown(container);
  const day = dayOf(el);
  if (!day) return null;
  if (!before || dayOf(before) !== day) return divider(day);
  if (before.dataset.speaker === el.dataset.speaker && !before.classList.contains("deleted") && new Date(el.dataset.at) - new Date(before.dataset.at) < 5 * 60 * 1000) {
    continueMessage(el);
  }
  return null;
}

/** Appends a message to a list, unless it is there already (replay, or a reload race). */
function appendMessage(container, id, html) {
  if (!container) return;
  if (container.querySelector(`article.msg[data-id="${id}"]`)) {
    replaceMessage(id, html);
    return;
  }
  const stick = nearBottom(container);
  const el = fragment(html);
  if (!el) return;
  container.querySelector(".empty-state")?.remove();
  const who = el.querySelector(".msg-author")?.textContent ?? "";
  const day = placeMessage(container, el);
  // Pending copies stay last until their own event arrives.
  const firstPending = container.querySelector("article.msg.pending");
  if (firstPending) firstPending.before(el);
  else container.append(el);
  if (day) el.before(day);
  if (Number(el.dataset.author) !== me) announce(`${who}: ${el.querySelector(".msg-text")?.textContent.trim().slice(0, 200) ?? ""}`);
  if (stick) container.scrollTop = container.scrollHeight;
}

function removePending(clientId) {
  if (clientId) document.querySelector(`article.msg.pending[data-client-id="${CSS.escape(clientId)}"]`)?.remove();
}

function onMessage(frame) {
  const m = frame.data.message;
  const mine = m.user.id === me;
  if (m.channel_id === channelId) stopTyping(m.user.id);
  if (m.channel_id === channelId && frame.html) {
    removePending(m.client_msg_id);
    if (m.thread_root_id === null || m.also_send_to_channel) {
      if (!conversation.hasAttribute("data-history")) appendMessage(list, m.id, frame.html);
      if (m.id > newestShown) newestShown = m.id;
      markRead();
    }
    if (threadRoot && m.thread_root_id === threadRoot) {
      appendMessage(threadPane.querySelector(".messages"), m.id, frame.html);
    }
    if (frame.thread_root_html) replaceMessage(m.thread_root_id, frame.thread_root_html);
  }
  if (mine) return;
  const entry = sidebarEntry(m.channel_id);
  const isDm = entry?.classList.contains("dm") ?? false;
  const mentioned = m.mentioned_user_ids.includes(me) || m.mentions_everyone;
  const visible = m.channel_id === channelId && !document.hidden;
  if (!visible && (m.thread_root_id === null || m.also_send_to_channel)) {
    entry?.classList.add("unread");
    if (mentioned || isDm) bumpBadge(m.channel_id);
  }
  if (document.hidden) {
    hiddenUnread += 1;
    updateTitle();
  }
  if (mentioned || isDm) notify(m, isDm);
}

/** Adds a conversation the viewer just joined, or was just messaged in, to the sidebar. */
function addToSidebar(channel) {
  if (!ws || sidebarEntry(channel.id) || channel.workspace_id === undefined) return;
  const isDm = !channel.name;
  const anchor = document.querySelector(isDm ? "[data-add-dms]" : "[data-add-channels]");
  if (!anchor) return;
  const a = document.createElement("a");
  a.href = `/w/${ws}/c/${channel.id}`;
  a.className = isDm ? "chan dm" : "chan";
  a.dataset.channel = channel.id;
  const sigil = document.createElement("span");
  sigil.className = "sigil";
  const people = (channel.dm_members ?? []).filter((u) => u.id !== me);
  if (isDm) {
    // A one-to-one conversation shows the other person's presence, as the page does.
    const dot = Object.assign(document.createElement("span"), { className: "presence" });
    const peer = people.length === 1 ? people[0].id : 0;
    dot.dataset.presence = peer;
    sigil.append(dot);
    if (peer && socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "presence_sub", user_ids: [peer] }));
  } else {
    sigil.textContent = channel.kind === "private" ? "🔒" : "#";
  }
  a.append(sigil, document.createTextNode(isDm ? people.map((u) => u.display_name).join(", ") || "Just you" : channel.name));
  anchor.before(a);
}

// ---------------------------------------------------------------------------------------
// Typing and presence

const typing = new Map();
const typingLine = document.querySelector("[data-typing]");

function renderTyping() {
  if (!typingLine) return;
  const names = [...typing.values()].map((t) => t.name);
  typingLine.textContent =
    names.length === 0 ? "" : names.length === 1 ? `${names[0]} is typing…` : names.length === 2 ? `${names[0]} and ${names[1]} are typing…` : "Several people are typing…";
}

/** Someone's message arrived: they are no longer typing it. */
function stopTyping(userId) {
  const t = typing.get(userId);
  if (!t) return;
  clearTimeout(t.timer);
  typing.delete(userId);
  renderTyping();
}

function onTyping(frame) {
  if (frame.channel_id !== channelId || frame.user_id === me) return;
  clearTimeout(typing.get(frame.user_id)?.timer);
  const timer = setTimeout(() => {
    typing.delete(frame.user_id);
    renderTyping();
  }, 6000);
  typing.set(frame.user_id, { name: frame.display_name, timer });
  renderTyping();
}

function showPresence(userId, status) {
  for (const dot of document.querySelectorAll(`[data-presence="${userId}"]`)) {
    dot.classList.remove("online", "away");
    if (status !== "offline") dot.classList.add(status);
    dot.title = status;
  }
}

// ---------------------------------------------------------------------------------------
// The connection: hello, replay, live; reconnect with back-off and `since`

let socket = null;
let lastSeq = Number(body.dataset.seq) || 0;
let backoff = 1000;
let lastTypingSent = 0;

function connect() {
  if (!me) return;
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${scheme}://${location.host}/api/v1/ws?html=1&since=${lastSeq}`);
  socket.addEventListener("message", (e) => {
    const frame = JSON.parse(e.data);
    if (typeof frame.seq === "number" && frame.type !== "hello") {
      if (frame.seq <= lastSeq) return;
      lastSeq = frame.seq;
    }
    handle(frame);
  });
  socket.addEventListener("open", () => {
    backoff = 1000;
    body.dataset.live = "1";
  });
  socket.addEventListener("close", (e) => {
    socket = null;
    delete body.dataset.live;
    if (e.code === 4009) return location.reload();
    if (e.code === 4001 || e.code === 4003) return location.assign("/login");
    const wait = e.code === 4008 ? 0 : backoff;
    backoff = Math.min(backoff * 2, 30000);
    setTimeout(connect, wait + Math.random() * 250);
  });
}

function handle(frame) {
  switch (frame.type) {
    case "hello": {
      const watched = [...new Set([...document.querySelectorAll("[data-presence]")].map((d) => Number(d.dataset.presence)).filter((id) => id > 0))];
      if (watched.length) socket.send(JSON.stringify({ type: "presence_sub", user_ids: watched }));
      break;
    }
    case "resync":
      location.reload();
      break;
    case "message.created":
      onMessage(frame);
      break;
    case "message.edited":
    case "message.deleted":
    case "reaction.added":
    case "reaction.removed":
    case "pin.added":
    case "pin.removed":
      if (frame.html) replaceMessage(frame.data.message.id, frame.html);
      break;
    case "channel.created":
      if (frame.data.channel.dm_members?.some((u) => u.id === me) || frame.data.channel.created_by === me) addToSidebar(frame.data.channel);
      break;
    case "channel.member_added":
      if (frame.data.user?.id === me) addToSidebar(frame.data.channel);
      break;
    case "channel.read":
      if (frame.data.membership?.unread_count === 0) clearBadge(frame.channel_id);
      break;
    case "channel.updated":
      if (frame.channel_id === channelId) {
        const topic = document.querySelector("[data-topic]");
        if (topic) {
          // The server's sanitised rendering (emoji, links), as every message's is.
          if (typeof frame.topic_html === "string") topic.innerHTML = frame.topic_html;
          else topic.textContent = frame.data.channel.topic;
          topic.title = frame.data.channel.topic;
        }
      }
      break;
    case "channel.archived":
    case "channel.unarchived":
      if (frame.channel_id === channelId) location.reload();
      break;
    case "channel.member_removed":
      if (frame.channel_id === channelId && frame.data.user?.id === me) location.reload();
      break;
    case "typing":
      onTyping(frame);
      break;
    case "presence":
      showPresence(frame.user_id, frame.status);
      break;
    case "message.ephemeral":
      showEphemeral(frame.message);
      break;
  }
}

// ---------------------------------------------------------------------------------------
// Slash commands: their answers for the reader alone are shown where they were typed, marked
// "Only visible to you", never stored; /away and /active set one's presence until changed.

/** Shows an ephemeral message (from the command's answer or the live connection, once). */
function showEphemeral(e) {
  if (!e || e.channel_id !== channelId) return;
  if (document.querySelector(`[data-ephemeral-id="${CSS.escape(e.id)}"]`)) return;
  const inThread = e.thread_root_id && threadPane && e.thread_root_id === threadRoot;
  const target = inThread ? threadPane.querySelector(".messages") : list;
  if (!target) return;
  // The html is the server's sanitised rendering, as every message's is.
  const el = fragment(
    `<article class="msg ephemeral" data-ephemeral-id="${escapeHtml(e.id)}"><div class="msg-gutter"></div><div class="msg-body"><div class="msg-head"><span class="author">${escapeHtml(e.from)}</span> <span class="only-you">Only visible to you</span> <button type="button" class="dismiss" aria-label="Dismiss">×</button></div><div class="msg-text">${e.html}</div></div></article>`,
  );
  el.querySelector(".dismiss").addEventListener("click", () => el.remove());
  target.append(el);
  target.scrollTop = target.scrollHeight;
}

let manualAway = false;
function setPresence(status) {
  manualAway = status === "away";
  away = manualAway;
  if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "presence", status }));
}

/** Whether composer text runs a command (`//` posts a leading slash). */
function isCommand(text) {
  return /^\/[^\s\/]/.test(text);
}

async function runCommand(form, text, payload) {
  const area = form.querySelector("textarea[name=text]");
  area.value = "";
  try {
    const r = await api("POST", `/api/v1/channels/${channelId}/commands`, { text, thread_root_id: payload.thread_root_id });
    for (const e of r?.ephemeral ?? []) showEphemeral(e);
    if (r?.presence) setPresence(r.presence);
  } catch (err) {
    area.value = text;
    showEphemeral({ id: `error-${Date.now()}`, channel_id: channelId, thread_root_id: payload.thread_root_id ?? null, from: "hearth", html: `<p>${escapeHtml(err.message)}</p>` });
  }
}

// ---------------------------------------------------------------------------------------
// The composer: Enter sends, Shift+Enter adds a line; posting is optimistic

function escapeHtml(s) {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

function pendingMessage(text, clientId) {
  const el = fragment(
    `<article class="msg pending" data-client-id="${escapeHtml(clientId)}" data-author="${me}"><div class="msg-gutter"></div><div class="msg-body"><div class="msg-text"><p>${escapeHtml(text)}</p></div></div></article>`,
  );
  return el;
}

/** Shows how much room is left once a message nears the limit, and refuses, saying why,
 * what is over it: nothing typed or pasted is ever cut. */
function checkLength(area) {
  const max = Number(area.dataset.max) || 0;
  const form = area.form;
  let counter = form.querySelector("[data-counter]");
  if (!max) return true;
  const length = [...area.value].length;
  if (length < max * 0.9) {
    counter?.remove();
    area.removeAttribute("aria-invalid");
    return true;
  }
  if (!counter) {
    counter = Object.assign(document.createElement("span"), { className: "counter" });
    counter.dataset.counter = "";
    counter.setAttribute("aria-live", "polite");
    form.querySelector(".row-end")?.prepend(counter);
  }
  const over = length - max;
  counter.classList.toggle("over", over > 0);
  counter.textContent = over > 0 ? `${over.toLocaleString()} characters over the limit of ${max.toLocaleString()}: shorten it, or share it as a file` : `${(max - length).toLocaleString()} characters left`;
  if (over > 0) area.setAttribute("aria-invalid", "true");
  else area.removeAttribute("aria-invalid");
  return over <= 0;
}

/** A message that could not be sent says why beside it, with a way to try again. */
function showFailure(pending, why, retry, discarded) {
  pending.classList.add("failed");
  pending.querySelector(".send-error")?.remove();
  const note = Object.assign(document.createElement("div"), { className: "send-error" });
  note.setAttribute("role", "alert");
  const again = Object.assign(document.createElement("button"), { type: "button", className: "link", textContent: "Try again" });
  again.addEventListener("click", retry);
  const drop = Object.assign(document.createElement("button"), { type: "button", className: "link", textContent: "Discard" });
  drop.addEventListener("click", () => {
    pending.remove();
    discarded?.();
  });
  note.append(`Not sent: ${why} `, again, " · ", drop);
  pending.querySelector(".msg-body")?.append(note);
}

async function send(form) {
  const area = form.querySelector("textarea[name=text]");
  const text = area.value;
  if (!checkLength(area)) return;
  if (form.uploads?.queued.length) return form.uploads.send(text);
  if (text.trim() === "") return;
  const idField = form.querySelector("input[name=client_msg_id]");
  const clientId = idField.value;
  const rootField = form.querySelector("input[name=thread_root_id]");
  const alsoField = form.querySelector("input[name=also_send_to_channel]");
  const payload = { text, client_msg_id: clientId };
  if (rootField) payload.thread_root_id = Number(rootField.value);
  if (alsoField?.checked) payload.also_send_to_channel = true;
  if (isCommand(text)) return runCommand(form, text, payload);
  const target = rootField ? threadPane.querySelector(".messages") : list;
  const pending = pendingMessage(text.startsWith("//") ? text.slice(1) : text, clientId);
  target?.append(pending);
  if (target) target.scrollTop = target.scrollHeight;
  area.value = "";
  readHeld = false;
  if (alsoField) alsoField.checked = false;
  idField.value = crypto.randomUUID();
  forgetDraft(area);
  const attempt = async () => {
    pending.classList.remove("failed");
    pending.querySelector(".send-error")?.remove();
    try {
      const m = await api("POST", `/api/v1/channels/${channelId}/messages`, payload);
      // The event may have arrived first; otherwise the pending copy waits for it.
      if (document.querySelector(`article.msg[data-id="${m.id}"]`)) pending.remove();
      else pending.dataset.id = m.id;
      forgetDraftOf(area, text);
    } catch (e) {
      // The same client_msg_id: trying again never posts twice. Until it is sent, the text
      // is kept as the draft if the composer has nothing newer.
      if (!area.value) rememberDraft(area, text);
      showFailure(pending, e.message, attempt, () => forgetDraftOf(area, text));
    }
  };
  await attempt();
}

// Autocomplete in the composer: commands at the start (name, usage, description), @people
// and #channels anywhere; arrows move, Enter or Tab picks, Escape closes.
const sources = {};
function source(kind) {
  sources[kind] ??= (async () => {
    if (kind === "/") {
      const hints = await api("GET", `/api/v1/workspaces/${ws}/command-hints`);
      return hints.map((c) => ({ insert: `/${c.name} `, label: `/${c.name}`, hint: [c.usage_hint, c.description].filter(Boolean).join(" — ") }));
    }
    if (kind === ":") {
      // The picker's catalogue: every emoji the renderer knows, by shortcode.
      const { catalogue } = await import("./picker.js");
      const data = await catalogue(emojiData);
      return data.groups.flatMap((g) => g.emoji.map((e) => ({ insert: `:${e.shortcode}: `, label: `:${e.shortcode}:`, glyph: e.glyph, hint: e.name })));
    }
    if (kind === "@") {
      const page = await members();
      return (page.members ?? []).filter((m) => !m.deactivated).map((m) => ({ insert: `@${m.user.username} `, label: `@${m.user.username}`, hint: m.user.display_name + (m.user.is_bot ? " · app" : "") }));
    }
    const list = await api("GET", `/api/v1/workspaces/${ws}/channels`);
    return (list.channels ?? []).filter((c) => c.name).map((c) => ({ insert: `#${c.name} `, label: `#${c.name}`, hint: c.topic }));
  })().catch(() => {
    delete sources[kind];
    return [];
  });
  return sources[kind];
}

function wireSuggestions(area) {
  const box = document.createElement("ul");
  box.className = "suggestions";
  box.setAttribute("role", "listbox");
  box.hidden = true;
  area.form.style.position = "relative";
  area.form.prepend(box);
  let items = [];
  let chosen = 0;
  let word = null;
  const close = () => {
    box.hidden = true;
    items = [];
    word = null;
  };
  const paint = () => {
    box.replaceChildren(
      ...items.map((it, i) => {
        const li = document.createElement("li");
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", String(i === chosen));
        if (it.glyph) li.append(`${it.glyph} `);
        li.append(it.label);
        const hint = document.createElement("span");
        hint.className = "hint";
        hint.textContent = it.hint ?? "";
        li.append(hint);
        li.addEventListener("mousedown", (e) => {
          e.preventDefault();
          chosen = i;
          pick();
        });
        return li;
      }),
    );
    box.hidden = items.length === 0;
  };
  const pick = () => {
    if (!word || !items[chosen]) return close();
    const { start, end } = word;
    area.value = area.value.slice(0, start) + items[chosen].insert + area.value.slice(end);
    const at = start + items[chosen].insert.length;
    area.setSelectionRange(at, at);
    close();
  };
  area.addEventListener("input", async () => {
    const end = area.selectionStart;
    const before = area.value.slice(0, end);
    // Commands at the start; @people and #channels anywhere; :emoji: after two letters (so
    // that a time such as 10:30 suggests nothing).
    const m = before.match(/^\/[\w-]*$/) ?? before.match(/(?:^|\s)([@#][\w.-]*)$/) ?? before.match(/(?:^|\s)(:[\w+-]{2,})$/);
    if (!m || !ws) return close();
    const typed = m[1] ?? m[0];
    const kind = typed[0];
    const found = await source(kind);
    if (area.value.slice(0, area.selectionStart) !== before) return;
    const q = typed.slice(1).toLowerCase();
    const prefix = found.filter((it) => it.label.slice(1).toLowerCase().startsWith(q));
    // Emoji are many: those whose shortcode has the letters elsewhere come after.
    const inside = kind === ":" && prefix.length < 8 ? found.filter((it) => !it.label.slice(1).toLowerCase().startsWith(q) && it.label.includes(q)) : [];
    items = [...prefix, ...inside].slice(0, 8);
    chosen = 0;
    word = { start: end - typed.length, end };
    paint();
  });
  area.addEventListener(
    "keydown",
    (e) => {
      if (box.hidden) return;
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        chosen = (chosen + (e.key === "ArrowDown" ? 1 : items.length - 1)) % items.length;
        paint();
      } else if (e.key === "Enter" || e.key === "Tab") {
        e.preventDefault();
        e.stopImmediatePropagation();
        pick();
      } else if (e.key === "Escape") {
        e.preventDefault();
        close();
      }
    },
    true,
  );
  area.addEventListener("blur", () => setTimeout(close, 150));
}

// ---------------------------------------------------------------------------------------
// Drafts: what is typed in a composer is kept on this device per conversation (and per
// thread) until it is sent, across reloads and navigation.

function draftKey(area) {
  const root = area.form.querySelector("input[name=thread_root_id]")?.value;
  return `hearth.draft.${ws}.${channelId}${root ? `.t${root}` : ""}`;
}

function rememberDraft(area, text = area.value) {
  try {
    if (text.trim()) localStorage.setItem(draftKey(area), text);
    else localStorage.removeItem(draftKey(area));
  } catch {
    // No storage: drafts live only as long as the page.
  }
}

function forgetDraft(area) {
  try {
    localStorage.removeItem(draftKey(area));
  } catch {}
}

/** Forgets the draft if it is the text just sent (not something typed since). */
function forgetDraftOf(area, text) {
  try {
    if (localStorage.getItem(draftKey(area)) === text) forgetDraft(area);
  } catch {}
}

function restoreDraft(area) {
  try {
    const kept = localStorage.getItem(draftKey(area));
    if (kept && !area.value) area.value = kept;
  } catch {}
}

/** Where the emoji catalogue is, beside this release's scripts. */
const emojiData = new URL("./emoji.json", import.meta.url).href;

/** The emoji picker, loaded the first time it is opened. */
async function pickEmoji(anchor, onPick) {
  const { openPicker } = await import("./picker.js");
  openPicker(anchor, onPick, { dataUrl: emojiData });
}

/** Inserts text at the caret of a text area. */
function insertAtCaret(area, text) {
  const { selectionStart: start, selectionEnd: end, value } = area;
  area.value = value.slice(0, start) + text + value.slice(end);
  area.setSelectionRange(start + text.length, start + text.length);
  area.dispatchEvent(new Event("input"));
  area.focus();
}

let messageActions = null;

function wireComposers() {
  for (const area of document.querySelectorAll("textarea[data-composer]")) {
    const form = area.form;
    wireSuggestions(area);
    if (channelId) {
      restoreDraft(area);
      let saving = 0;
      area.addEventListener("input", () => {
        clearTimeout(saving);
        saving = setTimeout(() => rememberDraft(area), 250);
        checkLength(area);
      });
      window.addEventListener("pagehide", () => rememberDraft(area));
      checkLength(area);
    }
    const emoji = Object.assign(document.createElement("button"), { type: "button", className: "tool emoji-button", innerHTML: icon("smile") });
    emoji.setAttribute("aria-label", "Insert an emoji");
    emoji.title = "Insert an emoji";
    emoji.addEventListener("click", () => pickEmoji(emoji, ({ glyph }) => insertAtCaret(area, glyph)));
    let tools = form.querySelector(".row-end .tools");
    if (!tools) {
      tools = Object.assign(document.createElement("span"), { className: "tools" });
      form.querySelector(".row-end")?.prepend(tools);
    }
    tools.prepend(emoji);
    // Up arrow in an empty composer edits one's last message there.
    area.addEventListener("keydown", (e) => {
      if (e.key !== "ArrowUp" || area.value !== "" || e.altKey || e.shiftKey || !messageActions) return;
      const container = area.closest(".thread-pane")?.querySelector(".messages") ?? list;
      const own = [...(container?.querySelectorAll(`article.msg[data-author="${me}"][data-id]:not(.deleted):not(.pending)`) ?? [])].pop();
      if (!own) return;
      e.preventDefault();
      messageActions.startEditing(own);
    });
    area.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        if (area.value.trim() !== "" || form.uploads?.queued.length) form.requestSubmit();
      }
    });
    area.addEventListener("input", () => {
      const now = Date.now();
      if (socket?.readyState === WebSocket.OPEN && now - lastTypingSent > 3000) {
        lastTypingSent = now;
        socket.send(JSON.stringify({ type: "typing", channel_id: channelId }));
      }
    });
    if (form.action.endsWith("/messages") && channelId) {
      form.addEventListener("submit", (e) => {
        e.preventDefault();
        send(form);
      });
    }
  }
}

// Idle for five minutes: away; back: online.
let idleTimer = 0;
let away = false;
function activity() {
  if (manualAway) return;
  if (away && socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "presence", status: "online" }));
  away = false;
  clearTimeout(idleTimer);
  idleTimer = setTimeout(() => {
    away = true;
    if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "presence", status: "away" }));
  }, 5 * 60 * 1000);
}
for (const e of ["keydown", "pointerdown", "focus"]) window.addEventListener(e, activity, { passive: true });

// ---------------------------------------------------------------------------------------
// Search as you type: suggestions under the box for every keystroke (debounced, the out of
// date answers dropped), arrows to move, Enter to open, Escape to close; Ctrl/Cmd+G focuses.

function wireSearch() {
  const box = document.querySelector("[data-search]");
  const panel = document.querySelector("[data-suggest]");
  if (!box || !panel || !ws) return;
  let timer = 0;
  let pending = null;
  let active = -1;
  const items = () => [...panel.querySelectorAll("a")];
  const close = () => {
    panel.hidden = true;
    active = -1;
  };
  const pick = (n) => {
    const all = items();
    if (all.length === 0) return;
    active = (n + all.length) % all.length;
    all.forEach((a, i) => a.classList.toggle("active", i === active));
  };
  const link = (href, html, text) => {
    const a = document.createElement("a");
    a.href = href;
    a.setAttribute("role", "option");
    if (html !== undefined) a.innerHTML = html; // escaped by the server, <mark> only
    else a.textContent = text;
    return a;
  };
  const heading = (text) => Object.assign(document.createElement("div"), { className: "suggest-head", textContent: text });
  const render = (s, q) => {
    panel.replaceChildren();
    if (s.channels.length) panel.append(heading("Channels"));
    for (const c of s.channels) panel.append(link(`/w/${ws}/c/${c.id}`, undefined, `#${c.name}`));
    if (s.people.length) panel.append(heading("People"));
    for (const p of s.people) panel.append(link(`/w/${ws}/search?q=${encodeURIComponent(`from:@${p.username}`)}`, undefined, `${p.display_name} @${p.username}`));
    if (s.messages.length) panel.append(heading("Messages"));
    for (const m of s.messages) panel.append(link(`/w/${ws}/c/${m.message.channel_id}/m/${m.message.id}#m${m.message.id}`, m.highlight));
    if (s.incomplete && !s.messages.length) panel.append(heading("Keep typing…"));
    panel.append(link(`/w/${ws}/search?q=${encodeURIComponent(q)}`, undefined, `Search for “${q}”`));
    panel.hidden = false;
    active = -1;
  };
  box.addEventListener("input", () => {
    clearTimeout(timer);
    const q = box.value;
    if (q.trim() === "") return close();
    timer = setTimeout(async () => {
      pending?.abort();
      pending = new AbortController();
      try {
        const res = await fetch(`/api/v1/workspaces/${ws}/search/suggest?q=${encodeURIComponent(q)}`, { credentials: "same-origin", signal: pending.signal });
        if (res.ok && box.value === q) render(await res.json(), q);
      } catch (e) {
        if (e.name !== "AbortError") close();
      }
    }, 120);
  });
  box.addEventListener("keydown", (e) => {
    if (e.key === "ArrowDown") pick(active + 1);
    else if (e.key === "ArrowUp") pick(active - 1);
    else if (e.key === "Escape") close();
    else if (e.key === "Enter" && active >= 0) items()[active].click();
    else return;
    e.preventDefault();
  });
  box.addEventListener("blur", () => setTimeout(close, 150));
  window.addEventListener("keydown", (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "g") {
      e.preventDefault();
      box.focus();
      box.select();
    }
  });
}

// ---------------------------------------------------------------------------------------
// Toasts: short notes at the bottom of the window, with an action (Undo) when there is one.

function toast(text, { action, onAction, seconds = 4 } = {}) {
  let shelf = document.querySelector(".toasts");
  if (!shelf) {
    shelf = Object.assign(document.createElement("div"), { className: "toasts" });
    shelf.setAttribute("role", "status");
    document.body.append(shelf);
  }
  const note = Object.assign(document.createElement("div"), { className: "toast" });
  note.append(text);
  const close = () => note.remove();
  if (action) {
    const b = Object.assign(document.createElement("button"), { type: "button", className: "link", textContent: action });
    b.addEventListener("click", () => {
      onAction?.();
      close();
    });
    note.append(" ", b);
  }
  shelf.append(note);
  setTimeout(close, seconds * 1000);
}

/** The workspace's members (the first 200), fetched once per page and shared by who
 * reacted, @-completion and the quick switcher; a failure is forgotten, to try again. */
let membersPage = null;
function members() {
  membersPage ??= api("GET", `/api/v1/workspaces/${ws}/members?limit=200`).catch((e) => {
    membersPage = null;
    throw e;
  });
  return membersPage;
}

/** Members' names by id (for who reacted). */
async function names() {
  try {
    return new Map(((await members()).members ?? []).map((m) => [m.user.id, m.user.display_name]));
  } catch {
    return new Map();
  }
}

/** A form's error goes beside the field it is about (the page puts it at the top, where it
 * is without scripts), and that field is marked invalid and focused. */
function placeFieldError() {
  const banner = document.querySelector(".error[data-field]");
  if (!banner) return;
  const field = banner.dataset.field
    .split(" ")
    .map((name) => document.querySelector(`main [name="${CSS.escape(name)}"]:not([type=hidden])`))
    .find(Boolean);
  if (!field) return;
  const note = Object.assign(document.createElement("p"), { className: "field-error", id: `${field.name}-error`, textContent: banner.textContent });
  note.setAttribute("role", "alert");
  field.after(note);
  field.setAttribute("aria-invalid", "true");
  field.setAttribute("aria-describedby", [field.getAttribute("aria-describedby"), note.id].filter(Boolean).join(" "));
  banner.remove();
  field.focus();
}

/** The reader's time zone, told to hearth once per browser if their account has none but
 * the default (UTC): local times, "today" and daily digests then follow where they are. A
 * zone chosen on the account page is never changed. */
async function tellTimeZone() {
  if (!me || !csrf) return;
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const key = `hearth.zone.${me}`;
  try {
    if (!zone || zone === "UTC" || localStorage.getItem(key)) return;
    localStorage.setItem(key, zone);
    const prefs = await api("GET", "/api/v1/me/preferences");
    if (prefs.time_zone === "UTC") await api("PATCH", "/api/v1/me/preferences", { time_zone: zone });
  } catch {
    // No storage, or the zone is one the server does not know: UTC stays.
  }
}

/** On a channel, the composer has the focus (not on a touch screen: no keyboard pops up). */
function focusComposer() {
  const area = document.querySelector(".conversation textarea[data-composer]");
  if (!area || location.hash || matchMedia("(pointer: coarse)").matches) return;
  area.focus();
  area.setSelectionRange(area.value.length, area.value.length);
}

localiseTimes();
paintAttachments();
scrollMessages();
wireSearch();
wireComposers();
wireUploads({ conversation, channelId, csrf, forgetDraftOf });
messageActions = wireMessageActions({ me, api, pickEmoji, names, toast, holdRead });
redrawDays(list);
redrawDays(threadPane?.querySelector(".messages"));
wireNavigation({ ws, me, api, channelId, threadPane, list, clearBadge, markRead, localiseTimes, paintAttachments, redrawDays, members });
focusComposer();
placeFieldError();
wireProfiles({ api });
tellTimeZone();
offerNotifications();
markRead();
activity();
connect();
