// hearth's page script: a hand-written ES module, no build step. Every page works without
// it; with it, the page is live: new messages, edits, reactions and thread replies appear
// as they happen, the sidebar keeps its unread badges, people's typing and presence show,
// messages post without a reload, files go up with a progress bar (attached, dropped,
// pasted or recorded), and mentions raise a notification when the tab is hidden.

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

/** Sends JSON with the session cookie and the CSRF token; returns the parsed answer. */
export async function api(method, url, payload) {
  const res = await fetch(url, {
    method,
    headers: { "content-type": "application/json", "x-csrf-token": csrf },
    body: payload === undefined ? undefined : JSON.stringify(payload),
    credentials: "same-origin",
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

/** Shows every `<time datetime>` in the reader's own time zone. */
function localiseTimes(root = document) {
  for (const t of root.querySelectorAll("time[datetime]")) {
    const when = new Date(t.getAttribute("datetime"));
    if (Number.isNaN(when.getTime())) continue;
    t.textContent = timeFormat.format(when);
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

/** Opens the list at the newest message, or at the message a permalink names. */
function scrollMessages() {
  if (!list) return;
  const target = location.hash && document.getElementById(location.hash.slice(1));
  if (target) target.scrollIntoView({ block: "center" });
  else list.scrollTop = list.scrollHeight;
}

// ---------------------------------------------------------------------------------------
// Read markers, badges, the title

let newestShown = Number(conversation?.dataset.newest) || 0;
let markTimer = 0;
let hiddenUnread = 0;

/** Marks the open channel read up to the newest message shown, once things settle. */
function markRead() {
  if (!conversation || !conversation.dataset.markRead || !csrf || document.hidden) return;
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
    location.href = `/w/${ws}/c/${message.channel_id}/m/${message.id}`;
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
    if (old.classList.contains("continued")) {
      fresh.classList.add("continued");
    }
    old.replaceWith(fresh);
  }
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
  container.append(el);
  if (stick) container.scrollTop = container.scrollHeight;
}

function removePending(clientId) {
  if (clientId) document.querySelector(`article.msg.pending[data-client-id="${CSS.escape(clientId)}"]`)?.remove();
}

function onMessage(frame) {
  const m = frame.data.message;
  const mine = m.user.id === me;
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
  sigil.textContent = isDm ? "●" : channel.kind === "private" ? "🔒" : "#";
  const others = (channel.dm_members ?? []).filter((u) => u.id !== me).map((u) => u.display_name);
  a.append(sigil, document.createTextNode(isDm ? others.join(", ") || "Just you" : channel.name));
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
        const topic = document.querySelector(".conv-head .topic");
        if (topic) topic.textContent = frame.data.channel.topic;
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

async function send(form) {
  const area = form.querySelector("textarea[name=text]");
  const text = area.value;
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
  idField.value = crypto.randomUUID();
  try {
    const m = await api("POST", `/api/v1/channels/${channelId}/messages`, payload);
    // The event may have arrived first; otherwise the pending copy waits for it.
    if (document.querySelector(`article.msg[data-id="${m.id}"]`)) pending.remove();
    else pending.dataset.id = m.id;
  } catch (e) {
    pending.classList.add("failed");
    pending.title = e.message;
    area.value = text;
    idField.value = clientId;
  }
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
    if (kind === "@") {
      const page = await api("GET", `/api/v1/workspaces/${ws}/members?limit=200`);
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
    const m = before.match(/^\/[\w-]*$/) ?? before.match(/(?:^|\s)([@#][\w.-]*)$/);
    if (!m || !ws) return close();
    const typed = m[1] ?? m[0];
    const kind = typed[0];
    const found = await source(kind);
    if (area.value.slice(0, area.selectionStart) !== before) return;
    const q = typed.slice(1).toLowerCase();
    items = found.filter((it) => it.label.slice(1).toLowerCase().startsWith(q)).slice(0, 8);
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
        close();
      }
    },
    true,
  );
  area.addEventListener("blur", () => setTimeout(close, 150));
}

function wireComposers() {
  for (const area of document.querySelectorAll("textarea[data-composer]")) {
    const form = area.form;
    wireSuggestions(area);
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

// ---------------------------------------------------------------------------------------
// Files: an attach button, drag and drop onto the conversation, pasted images and voice
// messages put files in a tray above the composer; sending posts them with the text in one
// upload, each file with its progress bar, and a cancel button that stops it all.

function humanSize(n) {
  const units = ["bytes", "KB", "MB", "GB"];
  let unit = 0;
  while (n >= 1024 && unit < units.length - 1) {
    n /= 1024;
    unit += 1;
  }
  return `${unit && n < 10 ? n.toFixed(1) : Math.round(n)} ${units[unit]}`;
}

class Uploads {
  constructor(form) {
    this.form = form;
    this.queued = [];
    this.request = null;
    this.tray = Object.assign(document.createElement("ul"), { className: "uploads", hidden: true });
    this.tray.setAttribute("aria-label", "Files to send");
    this.tray.dataset.uploads = "";
    form.prepend(this.tray);
  }

  add(files) {
    for (const file of files) {
      const item = document.createElement("li");
      item.className = "upload";
      const name = Object.assign(document.createElement("span"), { className: "file-name", textContent: file.name });
      const size = Object.assign(document.createElement("span"), { className: "muted", textContent: humanSize(file.size) });
      const bar = Object.assign(document.createElement("progress"), { max: 1, value: 0 });
      const cancel = Object.assign(document.createElement("button"), { type: "button", className: "upload-cancel", textContent: "×" });
      cancel.setAttribute("aria-label", `Remove ${file.name}`);
      const entry = { file, item, bar };
      cancel.addEventListener("click", () => this.cancel(entry));
      item.append(name, " ", size, bar, cancel);
      this.tray.append(item);
      this.queued.push(entry);
    }
    this.changed();
    this.form.querySelector("textarea")?.focus();
  }

  /** Files alone may be sent: the text is needed only when there are none. */
  changed() {
    this.tray.hidden = this.queued.length === 0;
    const area = this.form.querySelector("textarea[name=text]");
    if (area) area.required = this.queued.length === 0;
  }

  /** Before sending, takes one file out; while sending, stops the whole upload. */
  cancel(entry) {
    if (this.request) {
      this.request.abort();
      return;
    }
    this.queued = this.queued.filter((e) => e !== entry);
    entry.item.remove();
    this.changed();
  }

  send(text) {
    if (this.request) return;
    const area = this.form.querySelector("textarea[name=text]");
    const idField = this.form.querySelector("input[name=client_msg_id]");
    const rootField = this.form.querySelector("input[name=thread_root_id]");
    const data = new FormData();
    data.append("text", text);
    data.append("client_msg_id", idField.value);
    if (rootField) data.append("thread_root_id", rootField.value);
    if (this.form.querySelector("input[name=also_send_to_channel]")?.checked) data.append("also_send_to_channel", "true");
    // What goes in this upload; files added meanwhile wait for the next one.
    const sending = [...this.queued];
    for (const { file } of sending) data.append("file", file, file.name);
    const sizes = sending.map((e) => e.file.size);
    const total = sizes.reduce((a, b) => a + b, 0) || 1;
    const xhr = new XMLHttpRequest();
    this.request = xhr;
    this.tray.classList.add("sending");
    area.value = "";
    xhr.upload.addEventListener("progress", (e) => {
      // The body is the files in order (and a little form around them).
      let before = 0;
      const sent = (e.loaded / (e.total || e.loaded || 1)) * total;
      sending.forEach((entry, i) => {
        entry.bar.value = Math.max(0, Math.min(1, (sent - before) / (sizes[i] || 1)));
        before += sizes[i];
      });
    });
    const done = (ok, why) => {
      this.request = null;
      this.tray.classList.remove("sending");
      if (ok) {
        this.queued = this.queued.filter((e) => !sending.includes(e));
        for (const entry of sending) entry.item.remove();
        this.changed();
        idField.value = crypto.randomUUID();
        return;
      }
      area.value = text;
      for (const entry of sending) entry.bar.value = 0;
      this.tray.dataset.error = why;
      this.tray.title = why;
    };
    xhr.addEventListener("load", () => {
      let why = `${xhr.status}`;
      try {
        why = JSON.parse(xhr.responseText)?.error?.message ?? why;
      } catch {}
      done(xhr.status >= 200 && xhr.status < 300, why);
    });
    xhr.addEventListener("error", () => done(false, "The upload was cut off; try again."));
    xhr.addEventListener("abort", () => done(false, "Upload cancelled."));
    xhr.open("POST", `/api/v1/channels/${channelId}/files`);
    xhr.setRequestHeader("x-csrf-token", csrf);
    delete this.tray.dataset.error;
    xhr.send(data);
  }
}

const icons = {
  attach: '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" aria-hidden="true"><path d="M21 11.5 12.6 19.9a5.5 5.5 0 0 1-7.8-7.8l8.5-8.5a3.7 3.7 0 0 1 5.2 5.2l-8.5 8.5a1.8 1.8 0 0 1-2.6-2.6L15 7"/></svg>',
  mic: '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" aria-hidden="true"><rect x="9" y="3" width="6" height="11" rx="3"/><path d="M5 11a7 7 0 0 0 14 0M12 18v3"/></svg>',
};

/** Records a voice message: click to start and again to stop, or hold and let go. */
function voiceButton(uploads) {
  const button = Object.assign(document.createElement("button"), { type: "button", className: "record", innerHTML: icons.mic });
  button.setAttribute("aria-label", "Record a voice message");
  let recorder = null;
  let started = 0;
  let ticker = 0;
  let pressed = 0;
  const stop = () => {
    if (recorder?.state === "recording") recorder.stop();
  };
  let starting = false;
  const start = async () => {
    // A second press while the browser asks for the microphone starts nothing more.
    if (starting) return;
    starting = true;
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (e) {
      button.title = `The microphone is not available: ${e.message}`;
      return;
    } finally {
      starting = false;
    }
    const type = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/mp4"].find((t) => MediaRecorder.isTypeSupported(t)) ?? "";
    recorder = new MediaRecorder(stream, type ? { mimeType: type } : {});
    const chunks = [];
    recorder.addEventListener("dataavailable", (e) => chunks.push(e.data));
    recorder.addEventListener("stop", () => {
      stream.getTracks().forEach((t) => t.stop());
      clearInterval(ticker);
      button.classList.remove("recording");
      button.innerHTML = icons.mic;
      const kind = recorder.mimeType.split(";")[0] || "audio/webm";
      const extension = { "audio/webm": "weba", "audio/ogg": "ogg", "audio/mp4": "m4a" }[kind] ?? "weba";
      const stamp = new Date().toISOString().slice(0, 19).replace(/[T:]/g, "-");
      if (chunks.length) uploads.add([new File(chunks, `voice-message-${stamp}.${extension}`, { type: kind })]);
      recorder = null;
    });
    recorder.start();
    started = Date.now();
    button.classList.add("recording");
    const tick = () => {
      const s = Math.floor((Date.now() - started) / 1000);
      button.textContent = `● ${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
    };
    tick();
    ticker = setInterval(tick, 500);
  };
  // Press: starts, unless recording. Let go after a long press: stops (hold to record);
  // after a short one: goes on until the next press (click to record).
  let startedNow = false;
  button.addEventListener("pointerdown", () => {
    pressed = Date.now();
    startedNow = !recorder;
    if (startedNow) start();
  });
  button.addEventListener("pointerup", () => {
    if (!startedNow || Date.now() - pressed > 600) stop();
  });
  button.addEventListener("keydown", (e) => {
    if (e.key !== "Enter" && e.key !== " ") return;
    e.preventDefault();
    if (recorder) stop();
    else start();
  });
  return button;
}

function wireUploads() {
  const form = document.querySelector(".conversation > form.composer[action$='/messages']");
  const plain = document.querySelector(".conversation > form.attach");
  if (!form || !channelId) return;
  const uploads = new Uploads(form);
  form.uploads = uploads;
  if (plain) plain.hidden = true;
  const picker = Object.assign(document.createElement("input"), { type: "file", multiple: true, hidden: true });
  picker.dataset.attach = "";
  picker.addEventListener("change", () => {
    uploads.add(picker.files);
    picker.value = "";
  });
  const attach = Object.assign(document.createElement("button"), { type: "button", className: "attach-button", innerHTML: icons.attach });
  attach.setAttribute("aria-label", "Attach files");
  attach.addEventListener("click", () => picker.click());
  const tools = Object.assign(document.createElement("span"), { className: "tools" });
  tools.append(attach, picker, ...(window.MediaRecorder && navigator.mediaDevices ? [voiceButton(uploads)] : []));
  form.querySelector(".row-end")?.prepend(tools);
  form.querySelector("textarea")?.addEventListener("paste", (e) => {
    const files = [...(e.clipboardData?.files ?? [])];
    if (files.length === 0) return;
    e.preventDefault();
    uploads.add(files.map((f, i) => (f.name && f.name !== "image.png" ? f : new File([f], `pasted-${Date.now()}-${i + 1}.${(f.type.split("/")[1] || "png").replace("jpeg", "jpg")}`, { type: f.type }))));
  });
  let depth = 0;
  conversation.addEventListener("dragenter", (e) => {
    if (![...e.dataTransfer.types].includes("Files")) return;
    depth += 1;
    conversation.classList.add("dropping");
  });
  conversation.addEventListener("dragleave", () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) conversation.classList.remove("dropping");
  });
  conversation.addEventListener("dragover", (e) => {
    if ([...e.dataTransfer.types].includes("Files")) e.preventDefault();
  });
  conversation.addEventListener("drop", (e) => {
    depth = 0;
    conversation.classList.remove("dropping");
    if (!e.dataTransfer.files.length) return;
    e.preventDefault();
    uploads.add(e.dataTransfer.files);
  });
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
    for (const m of s.messages) panel.append(link(`/w/${ws}/c/${m.message.channel_id}/m/${m.message.id}`, m.highlight));
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

localiseTimes();
paintAttachments();
scrollMessages();
wireSearch();
wireComposers();
wireUploads();
offerNotifications();
markRead();
activity();
connect();
