// The quick switcher: one box that jumps to any conversation in the sidebar, any channel
// one could join, or anyone in the workspace (opening, or starting, the direct message).
// With nothing typed it offers what was visited last, then what is unread. The caller wires
// the shortcut (Ctrl/Cmd+K); visits are remembered by navigation.js. No build step, no
// dependencies; labels are only ever put in the page as text.

import { readRecent } from "./navigation.js";

const SHOWN = 12;
const LIST_ID = "switcher-list";
const SIGILS = { channel: "#", private: "🔒", dm: "@", person: "@" };
const KINDS = { channel: "channel", private: "private channel", dm: "direct message", person: "person" };

/** The switcher on screen, if any: there is only ever one. */
let current = null;

// ---------------------------------------------------------------------------------------
// Matching: the query's characters in order within the label

const fold = (s) => Array.from(s, (c) => c.toLowerCase());
const isWordChar = (c) => /[\p{L}\p{N}]/u.test(c);
const span = (from, length) => Array.from({ length }, (_, i) => from + i);

function runsAt(q, t, at) {
  for (let i = 0; i < q.length; i++) if (t[at + i] !== q[i]) return false;
  return true;
}

/** The query's characters scattered through the text with the fewest gaps (breaks between
 * matched characters), and where they fell; null when they are not all there in order. */
function scattered(q, t) {
  const m = q.length;
  const n = t.length;
  if (m === 0 || m > n) return null;
  // gaps[j]: the fewest breaks placing q[0..i] with q[i] at t[j]; back[i][j]: where q[i-1] sat.
  let gaps = t.map((c) => (c === q[0] ? 0 : Infinity));
  const back = [];
  for (let i = 1; i < m; i++) {
    const row = new Array(n).fill(Infinity);
    const from = new Array(n).fill(-1);
    let best = Infinity;
    let bestAt = -1;
    for (let j = 1; j < n; j++) {
      // The best place for q[i-1] at least two characters back (the latest of equals: tighter).
      if (j >= 2 && gaps[j - 2] !== Infinity && gaps[j - 2] <= best) {
        best = gaps[j - 2];
        bestAt = j - 2;
      }
      if (t[j] !== q[i]) continue;
      if (gaps[j - 1] <= best + 1) {
        row[j] = gaps[j - 1];
        from[j] = j - 1;
      } else {
        row[j] = best + 1;
        from[j] = bestAt;
      }
    }
    back.push(from);
    gaps = row;
  }
  let end = -1;
  for (let j = 0; j < n; j++) if (gaps[j] !== Infinity && (end < 0 || gaps[j] < gaps[end])) end = j;
  if (end < 0) return null;
  const positions = [end];
  for (let i = m - 1; i > 0; i--) positions.unshift(back[i - 1][positions[0]]);
  return { gaps: gaps[end], positions };
}

/** How well `query` matches `text`, and which characters (by code point) it matched; null
 * for no match. The text starting with it beats a word starting with it, which beats it
 * inside a word, which beats its characters scattered (fewer gaps first). */
function match(query, text) {
  const q = fold(query);
  const t = fold(text);
  const runs = [];
  for (let i = 0; i + q.length <= t.length; i++) if (runsAt(q, t, i)) runs.push(i);
  if (runs.length) {
    if (runs[0] === 0) return { score: 4000, positions: span(0, q.length) };
    const word = runs.find((i) => !isWordChar(t[i - 1]));
    if (word !== undefined) return { score: 3000, positions: span(word, q.length) };
    return { score: 2000, positions: span(runs[0], q.length) };
  }
  // Scattered, a space in the query may stand for anything ("gen ch" finds "general-chat").
  const found = scattered(q.filter((c) => !/\s/u.test(c)), t);
  return found && { score: 1000 - found.gaps, positions: found.positions };
}

/** A candidate's best match: its label, or for a person their username as well. */
function bestMatch(query, c) {
  let hit = match(query, c.label);
  if (hit) hit.field = "label";
  if (c.username) {
    const byName = match(query, c.username);
    if (byName && (!hit || byName.score > hit.score)) hit = { ...byName, field: "username" };
  }
  return hit;
}

// ---------------------------------------------------------------------------------------
// Candidates: the sidebar at once; channels to join and people when they arrive

/** Every conversation in the sidebar, in its order. */
function sidebarCandidates() {
  return [...document.querySelectorAll(".sidebar a.chan[data-channel]")].map((a) => {
    const bare = a.cloneNode(true);
    for (const extra of bare.querySelectorAll(".badge-count, .sigil")) extra.remove();
    const dm = a.classList.contains("dm");
    const unread = a.classList.contains("unread");
    const locked = a.querySelector(".sigil")?.textContent.trim() === "🔒";
    return {
      key: `c${a.dataset.channel}`,
      channelId: Number(a.dataset.channel),
      kind: dm ? "dm" : locked ? "private" : "channel",
      label: bare.textContent.trim().replace(/\s+/g, " "),
      hint: unread ? "unread" : "",
      href: a.getAttribute("href") || a.href,
      unread,
      sidebar: true,
      open: a.classList.contains("active"),
    };
  });
}

/** The workspace's channels that are not in the sidebar (the ones one may join). */
async function loadChannels(s) {
  const base = `/api/v1/workspaces/${s.ws}/channels`;
  let page;
  try {
    page = await s.api("GET", `${base}?browse=true&limit=200`);
  } catch {
    return;
  }
  if (s.closed) return;
  const ids = new Set(s.sidebar.map((c) => c.channelId));
  const names = new Set(s.sidebar.filter((c) => c.kind !== "dm").map((c) => c.label.toLowerCase()));
  s.channels = (page?.channels ?? [])
    .filter((c) => c?.name && !c.archived && !ids.has(Number(c.id)) && !names.has(c.name.toLowerCase()))
    .map((c) => ({
      key: `c${c.id}`,
      channelId: Number(c.id),
      kind: c.kind === "private" ? "private" : "channel",
      label: c.name,
      hint: c.membership ? "" : "not joined",
      href: `/w/${s.ws}/c/${c.id}`,
      unread: false,
      sidebar: false,
    }));
  render(s, true);
}

/** The workspace's people (not oneself, apps or the deactivated), unless the sidebar has
 * a direct message with them already. */
async function loadPeople(s) {
  let page;
  try {
    page = await s.members();
  } catch {
    return;
  }
  if (s.closed) return;
  const dms = new Set(s.sidebar.filter((c) => c.kind === "dm").map((c) => c.label.toLowerCase()));
  s.people = (page?.members ?? [])
    .filter((m) => m?.user && !m.deactivated && !m.user.is_bot && Number(m.user.id) !== s.me)
    .map((m) => m.user)
    .filter((u) => !dms.has((u.display_name || u.username || "").toLowerCase()) && !dms.has((u.username || "").toLowerCase()))
    .map((u) => ({
      key: `u${u.id}`,
      userId: Number(u.id),
      kind: "person",
      label: u.display_name || u.username,
      username: u.username || "",
      hint: u.username ? `@${u.username}` : "",
      unread: false,
      sidebar: false,
    }));
  render(s, true);
}

// ---------------------------------------------------------------------------------------
// Ordering

/** Nothing typed: recently visited, then unread, then the rest of the sidebar; the
 * conversation already open goes last, as there is no jumping to it. */
function defaultOrder(s, recent) {
  const all = [...s.sidebar, ...s.channels];
  const visited = all.filter((c) => recent.has(c.channelId)).sort((a, b) => recent.get(a.channelId) - recent.get(b.channelId));
  const unread = s.sidebar.filter((c) => c.unread && !recent.has(c.channelId));
  const rest = s.sidebar.filter((c) => !c.unread && !recent.has(c.channelId));
  const order = [...visited, ...unread, ...rest];
  return [...order.filter((c) => !c.open), ...order.filter((c) => c.open)].map((c) => ({ c, hit: null }));
}

/** Something typed: the best matches, ties broken by recency, then unread, then label. */
function rankedOrder(s, query, recent) {
  const rank = (c) => recent.get(c.channelId) ?? REMEMBERED;
  const hits = [];
  for (const c of [...s.sidebar, ...s.channels, ...s.people]) {
    const hit = bestMatch(query, c);
    if (hit) hits.push({ c, hit });
  }
  return hits.sort(
    (a, b) =>
      b.hit.score - a.hit.score ||
      rank(a.c) - rank(b.c) ||
      Number(b.c.unread) - Number(a.c.unread) ||
      a.c.label.localeCompare(b.c.label, undefined, { sensitivity: "base" }),
  );
}

/** The query as matched: trimmed, a leading `#` or `@` dropped. */
const cleanQuery = (raw) => raw.trim().replace(/^[#@]/, "").trim();

// ---------------------------------------------------------------------------------------
// The dialog

/** Text with the matched characters (code point positions) in `<mark>`, built as nodes. */
function marked(text, positions) {
  const chars = Array.from(text);
  const hit = new Set(positions);
  const out = document.createDocumentFragment();
  for (let i = 0; i < chars.length; ) {
    const on = hit.has(i);
    let j = i;
    while (j < chars.length && hit.has(j) === on) j++;
    const piece = chars.slice(i, j).join("");
    if (on) out.append(Object.assign(document.createElement("mark"), { textContent: piece }));
    else out.append(piece);
    i = j;
  }
  return out;
}

const make = (tag, className) => Object.assign(document.createElement(tag), { className });

/** One option: sigil, label and a muted hint, the matched characters marked. */
function option({ c, hit }, i) {
  const li = make("li", "switcher-option");
  li.id = `switcher-option-${i}`;
  li.dataset.index = String(i);
  li.setAttribute("role", "option");
  li.setAttribute("aria-selected", "false");
  li.setAttribute("aria-label", [c.label, KINDS[c.kind], c.hint].filter(Boolean).join(", "));
  const sigil = make("span", "switcher-sigil");
  sigil.setAttribute("aria-hidden", "true");
  sigil.textContent = SIGILS[c.kind];
  const label = make("span", "switcher-label");
  label.append(marked(c.label, hit?.field === "label" ? hit.positions : []));
  li.append(sigil, label);
  if (c.hint) {
    const hint = make("span", "switcher-hint");
    // A person's hint is "@username": a match on the username shows there.
    hint.append(marked(c.hint, hit?.field === "username" ? hit.positions.map((p) => p + 1) : []));
    li.append(hint);
  }
  return li;
}

/** Moves the active option, telling assistive technology through the box. */
function setActive(s, i, scroll) {
  s.active = i;
  const items = [...s.list.children];
  items.forEach((li, n) => li.setAttribute("aria-selected", String(n === i)));
  const li = items[i];
  if (!li) {
    s.input.removeAttribute("aria-activedescendant");
    return;
  }
  s.input.setAttribute("aria-activedescendant", li.id);
  if (scroll) li.scrollIntoView?.({ block: "nearest" });
}

/** Shows the options for what is typed; `keep` holds on to the active option if it is
 * still there (candidates arriving must not move the reader's place). */
function render(s, keep = false) {
  if (s.closed) return;
  const raw = s.input.value.trim();
  const query = cleanQuery(raw);
  const recent = new Map(readRecent(s.ws).map((id, i) => [id, i]));
  const was = s.shown[s.active]?.c.key;
  s.shown = (query ? rankedOrder(s, query, recent) : defaultOrder(s, recent)).slice(0, SHOWN);
  s.list.replaceChildren(...s.shown.map(option));
  const at = keep ? s.shown.findIndex((e) => e.c.key === was) : -1;
  setActive(s, at >= 0 ? at : 0, true);
  s.input.setAttribute("aria-expanded", String(s.shown.length > 0));
  s.list.hidden = s.shown.length === 0;
  s.note.hidden = s.shown.length > 0;
  s.note.textContent = s.shown.length ? "" : raw ? `No conversations match “${raw}”` : "No conversations yet";
}

/** Goes to the chosen conversation; for a person, opens (or starts) the direct message. */
async function choose(s, entry) {
  if (!entry || s.busy) return;
  const { c } = entry;
  if (c.kind !== "person") {
    close(s);
    location.assign(c.href);
    return;
  }
  s.busy = true;
  try {
    const dm = await s.api("POST", `/api/v1/workspaces/${s.ws}/dms`, { user_ids: [c.userId] });
    close(s);
    location.assign(`/w/${s.ws}/c/${dm.id}`);
  } catch (e) {
    if (s.closed) return;
    s.note.textContent = `The conversation with ${c.label} could not be opened: ${e.message}`;
    s.note.hidden = false;
  } finally {
    s.busy = false;
  }
}

/** Takes the switcher away and gives focus back to what had it. */
function close(s) {
  if (s.closed) return;
  s.closed = true;
  s.backdrop.remove();
  s.dialog.remove();
  if (current === s) current = null;
  if (s.returnTo?.isConnected) s.returnTo.focus?.();
}

function onKey(s, e) {
  if (e.isComposing) return;
  const count = s.shown.length;
  switch (e.key) {
    case "ArrowDown":
      if (count) setActive(s, (s.active + 1) % count, true);
      break;
    case "ArrowUp":
      if (count) setActive(s, (s.active - 1 + count) % count, true);
      break;
    case "Enter":
      choose(s, s.shown[s.active]);
      break;
    case "Escape":
      e.stopPropagation();
      close(s);
      break;
    case "Tab":
      // The box is the dialog's one stop: focus stays in it.
      break;
    default:
      return;
  }
  e.preventDefault();
}

/** Builds the dialog and puts it on the page. */
function build(s) {
  s.backdrop = make("div", "switcher-backdrop");
  s.dialog = make("div", "switcher-dialog");
  s.dialog.setAttribute("role", "dialog");
  s.dialog.setAttribute("aria-modal", "true");
  s.dialog.setAttribute("aria-label", "Jump to a conversation");
  s.input = make("input", "switcher-input");
  Object.assign(s.input, { autocomplete: "off", spellcheck: false, placeholder: "Jump to a channel, a direct message or a person…" });
  for (const [name, value] of [
    ["role", "combobox"],
    ["aria-autocomplete", "list"],
    ["aria-expanded", "false"],
    ["aria-controls", LIST_ID],
    ["aria-label", "Jump to a conversation"],
  ])
    s.input.setAttribute(name, value);
  s.list = make("ul", "switcher-list");
  s.list.id = LIST_ID;
  s.list.setAttribute("role", "listbox");
  s.list.setAttribute("aria-label", "Conversations");
  s.note = make("p", "switcher-note");
  s.note.setAttribute("role", "status");
  s.note.hidden = true;
  s.dialog.append(s.input, s.list, s.note);

  s.input.addEventListener("input", () => render(s));
  s.input.addEventListener("keydown", (e) => onKey(s, e));
  s.backdrop.addEventListener("click", () => close(s));
  // Clicks inside the dialog leave the focus in the box.
  s.dialog.addEventListener("mousedown", (e) => {
    if (e.target !== s.input) e.preventDefault();
  });
  s.list.addEventListener("click", (e) => {
    const li = e.target.closest?.("[role=option]");
    if (li) choose(s, s.shown[Number(li.dataset.index)]);
  });
  s.list.addEventListener("pointermove", (e) => {
    const li = e.target.closest?.("[role=option]");
    if (li && Number(li.dataset.index) !== s.active) setActive(s, Number(li.dataset.index), false);
  });
  document.body.append(s.backdrop, s.dialog);
}

/** Opens the quick switcher, or, when it is open, puts the focus back in its box. */
export function openSwitcher({ ws, me, api, members }) {
  if (current) {
    current.input.focus();
    return;
  }
  const s = { ws, me: Number(me) || 0, api, members, sidebar: sidebarCandidates(), channels: [], people: [], shown: [], active: 0, busy: false, closed: false, returnTo: document.activeElement };
  current = s;
  build(s);
  render(s);
  s.input.focus();
  loadChannels(s);
  loadPeople(s);
}
