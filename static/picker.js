// hearth's emoji picker: a hand-written ES module, no build step, no third-party code. A
// panel next to the button that opened it (a sheet along the bottom on a phone): a search
// box, a skin-tone chooser, the emoji used lately and then every group. Arrows move through
// the grid, Enter or a click picks, Escape or a click elsewhere closes. The emoji data comes
// from the server once per page; every text is set with textContent.
//
//   import { openPicker } from "/static/picker.js";
//   button.addEventListener("click", () => openPicker(button, ({ glyph, shortcode }) => …, { dataUrl }));

const TONE_KEY = "hearth.skinTone";
const RECENT_KEY = "hearth.recentEmoji";
const MAX_RECENT = 24;
const MAX_RESULTS = 80;
const COLUMNS = 8; // emoji in a row of picker.css's grid: the arrows count on it
const NARROW = 600; // narrower windows get the sheet
const TONES = ["default", "light", "medium-light", "medium", "medium-dark", "dark"];
const HANDS = ["✋", "✋🏻", "✋🏼", "✋🏽", "✋🏾", "✋🏿"];
const ARROWS = { ArrowLeft: "left", ArrowRight: "right", ArrowUp: "up", ArrowDown: "down" };

let data = null; // the promise of the indexed emoji data, fetched once per page
let current = null; // the picker on screen, if any
let uid = 0; // for the ids the listbox's options and groups need

// ---------------------------------------------------------------------------------------
// The data, the preferences

/** Fetches the emoji data once per page; a failure is forgotten, so the next open retries. */
function load(url) {
  if (!data) {
    data = fetch(url, { credentials: "same-origin" })
      .then((res) => {
        if (!res.ok) throw new Error(`emoji data: ${res.status}`);
        return res.json();
      })
      .then(indexData);
    data.catch(() => {
      data = null;
    });
  }
  return data;
}

/** Checks the server's data and indexes it: the groups, every emoji by shortcode, and the
 * lower-cased words each is found by (split at spaces, and at punctuation too, so that
 * "shirt" finds "t-shirt"). */
function indexData(raw) {
  const groups = [];
  const byCode = new Map();
  for (const group of Array.isArray(raw?.groups) ? raw.groups : []) {
    const emoji = [];
    for (const item of Array.isArray(group?.emoji) ? group.emoji : []) {
      const [glyph, shortcode, name, tones] = Array.isArray(item) ? item : [];
      if (typeof glyph !== "string" || typeof shortcode !== "string" || !shortcode || byCode.has(shortcode)) continue;
      const label = typeof name === "string" && name ? name : shortcode;
      const lower = label.toLowerCase();
      const e = {
        glyph,
        shortcode,
        name: label,
        tones: Array.isArray(tones) && tones.length === 5 && tones.every((t) => typeof t === "string") ? tones : null,
        code: shortcode.toLowerCase(),
        words: [...new Set([...lower.split(/\s+/), ...lower.split(/[^\p{L}\p{N}]+/u)])].filter(Boolean),
      };
      byCode.set(shortcode, e);
      emoji.push(e);
    }
    if (emoji.length) groups.push({ name: String(group.name ?? ""), emoji });
  }
  return { groups, byCode };
}

/** The skin tone chosen, 0 (none) to 5 (dark); anything else stored counts as none. */
function storedTone() {
  try {
    const n = Number(localStorage.getItem(TONE_KEY));
    return Number.isInteger(n) && n >= 0 && n <= 5 ? n : 0;
  } catch {
    return 0;
  }
}

/** The shortcodes picked lately, most recent first, as picked (so with "::skin-tone-N"
 * when a tone was applied); an empty list when the store holds anything else. */
export function recentEmoji() {
  try {
    const list = JSON.parse(localStorage.getItem(RECENT_KEY) ?? "[]");
    return Array.isArray(list) ? list.filter((c) => typeof c === "string" && c).slice(0, MAX_RECENT) : [];
  } catch {
    return [];
  }
}

const baseCode = (shortcode) => shortcode.split("::")[0];

/** Puts a pick first in the recent list, replacing the same emoji in any other tone. */
function remember(shortcode) {
  const base = baseCode(shortcode);
  const list = [shortcode, ...recentEmoji().filter((c) => baseCode(c) !== base)].slice(0, MAX_RECENT);
  try {
    localStorage.setItem(RECENT_KEY, JSON.stringify(list));
  } catch {
    // Storage refused (private mode, full): the pick still counts, it is just not kept.
  }
}

const glyphOf = (e, tone) => (tone > 0 && e.tones ? e.tones[tone - 1] : e.glyph);

/** What a pick gives the caller: the toned glyph and Slack's "::skin-tone-N" (2 light … 6
 * dark) when a tone is chosen and the emoji has tones, else the plain ones. */
function picked(e, tone) {
  if (tone > 0 && e.tones) return { glyph: e.tones[tone - 1], shortcode: `${e.shortcode}::skin-tone-${tone + 1}` };
  return { glyph: e.glyph, shortcode: e.shortcode };
}

/** The emoji a query finds: every word of it must begin a word of the name or appear in the
 * shortcode (colons around it are ignored, as in ":smile:"). The shortcode equal to the
 * query comes first, then those that begin with its first word, then the rest, each in the
 * data's order; at most MAX_RESULTS. */
function find(index, query) {
  const words = query
    .toLowerCase()
    .split(/\s+/)
    .map((w) => w.replace(/^:+|:+$/g, ""))
    .filter(Boolean);
  if (!words.length) return [];
  const whole = words.join("_");
  const ranked = [[], [], []];
  for (const group of index.groups) {
    for (const e of group.emoji) {
      if (!words.every((w) => e.code.includes(w) || e.words.some((x) => x.startsWith(w)))) continue;
      ranked[e.code === whole ? 0 : e.code.startsWith(words[0]) ? 1 : 2].push(e);
    }
  }
  return ranked.flat().slice(0, MAX_RESULTS);
}

// ---------------------------------------------------------------------------------------
// The panel

function emojiButton(e, tone) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = "picker-emoji";
  b.id = `picker-${++uid}`;
  b.tabIndex = -1; // the grid has one tab stop: the highlighted emoji
  b.setAttribute("role", "option");
  b.title = `:${e.shortcode}:`;
  b.setAttribute("aria-label", e.name);
  b.dataset.shortcode = e.shortcode;
  b.textContent = glyphOf(e, tone);
  return b;
}

/** One section of the grid: a sticky heading (which labels the group) and its emoji. */
function section(title, emoji, tone) {
  const box = document.createElement("div");
  box.className = "picker-section";
  box.setAttribute("role", "group");
  const head = document.createElement("div");
  head.className = "picker-heading";
  head.id = `picker-${++uid}`;
  head.setAttribute("aria-hidden", "true"); // read as the group's name, not as an option
  head.textContent = title;
  box.setAttribute("aria-labelledby", head.id);
  const grid = document.createElement("div");
  grid.className = "picker-grid";
  const buttons = emoji.map((e) => emojiButton(e, tone));
  grid.append(...buttons);
  box.append(head, grid);
  return { box, buttons };
}

/** The panel's frame: the search box, the tone chooser, and the (still empty) list. */
function createPanel(anchor, onPick) {
  const el = document.createElement("div");
  el.className = "picker";
  el.setAttribute("role", "dialog");
  el.setAttribute("aria-label", "Emoji picker");
  el.tabIndex = -1;

  const search = document.createElement("input");
  search.type = "search";
  search.className = "picker-search";
  search.placeholder = "Search emoji";
  search.autocomplete = "off";
  search.spellcheck = false;
  search.setAttribute("aria-label", "Search emoji");
  search.setAttribute("role", "combobox");
  search.setAttribute("aria-expanded", "true");
  search.setAttribute("aria-autocomplete", "list");

  const tone = storedTone();
  const toneRow = document.createElement("div");
  toneRow.className = "picker-tones";
  toneRow.setAttribute("role", "group");
  toneRow.setAttribute("aria-label", "Skin tone");
  const tones = HANDS.map((hand, i) => {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "picker-tone";
    b.textContent = hand;
    b.title = `Skin tone: ${TONES[i]}`;
    b.setAttribute("aria-label", b.title);
    b.setAttribute("aria-pressed", String(i === tone));
    toneRow.append(b);
    return b;
  });

  const top = document.createElement("div");
  top.className = "picker-top";
  top.append(search, toneRow);

  const empty = document.createElement("p");
  empty.className = "picker-empty";
  empty.setAttribute("role", "status");
  empty.textContent = "Loading emoji…";

  const list = document.createElement("div");
  list.className = "picker-list";
  list.id = `picker-${++uid}`;
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", "Emoji");
  list.hidden = true;
  search.setAttribute("aria-controls", list.id);

  el.append(top, empty, list);
  return {
    el, anchor, onPick, search, tones, list, empty, tone,
    index: null, // the data, once loaded
    browse: [], // the sections shown with no query: recent, then every group
    results: null, // the "Results" section while searching
    view: [], // the buttons of the sections shown, one array per section
    where: new Map(), // button → { g, i }: its section in view and place in it
    active: null, // the highlighted button
    navigating: false, // the arrows have gone into the grid since the last keystroke
    rect: null, // the anchor's last known place
    cleanup: null,
  };
}

/** Fills the list once the data is there: recent emoji, then every group, in one go. */
function fill(p, index) {
  p.index = index;
  const recent = [...new Set(recentEmoji().map(baseCode))].map((c) => index.byCode.get(c)).filter(Boolean);
  p.browse = [...(recent.length ? [section("Recently used", recent, p.tone)] : []), ...index.groups.map((g) => section(g.name, g.emoji, p.tone))];
  const fragment = document.createDocumentFragment();
  for (const s of p.browse) fragment.append(s.box);
  p.list.append(fragment);
  update(p);
  place(p);
}

/** Shows what the search box asks for: every section, or the results (or that there are
 * none); the first emoji shown is highlighted, so Enter picks it. */
function update(p) {
  if (!p.index) return;
  const query = p.search.value.trim();
  p.results?.box.remove();
  p.results = query ? section("Results", find(p.index, query), p.tone) : null;
  for (const s of p.browse) s.box.hidden = p.results !== null;
  if (p.results) p.list.append(p.results.box);
  const none = p.results?.buttons.length === 0;
  p.list.hidden = none;
  p.empty.hidden = !none;
  p.empty.textContent = none ? `No emoji match “${query}”` : "";
  p.view = (p.results ? [p.results] : p.browse).map((s) => s.buttons).filter((row) => row.length);
  p.where = new Map();
  p.view.forEach((row, g) => row.forEach((b, i) => p.where.set(b, { g, i })));
  p.navigating = false;
  p.list.scrollTop = 0;
  activate(p, p.view.length ? { g: 0, i: 0 } : null, false);
}

/** Moves the highlight (and the grid's one tab stop) to a button, scrolled into view. */
function activate(p, at, focus) {
  const old = p.active;
  if (old) {
    old.classList.remove("active");
    old.removeAttribute("aria-selected");
    old.tabIndex = -1;
  }
  const b = at ? p.view[at.g][at.i] : null;
  p.active = b;
  if (!b) {
    p.search.removeAttribute("aria-activedescendant");
    return;
  }
  b.classList.add("active");
  b.setAttribute("aria-selected", "true");
  b.tabIndex = 0;
  p.search.setAttribute("aria-activedescendant", b.id);
  reveal(p.list, b);
  if (focus) b.focus({ preventScroll: true });
}

/** Scrolls the list just enough to show a button, below its section's sticky heading. */
function reveal(list, b) {
  const head = b.closest(".picker-section")?.querySelector(".picker-heading")?.offsetHeight ?? 0;
  const top = b.offsetTop; // the list is the buttons' offset parent (position: relative)
  const bottom = top + b.offsetHeight;
  if (top - head < list.scrollTop) list.scrollTop = top - head;
  else if (bottom > list.scrollTop + list.clientHeight) list.scrollTop = bottom - list.clientHeight;
}

/** One arrow's step through the grid: rows of COLUMNS within a section; past its edge into
 * the next or previous section, in the same column where there is one. */
function move(p, dir, focus) {
  const at = p.where.get(p.active);
  if (!at) {
    activate(p, p.view.length ? { g: 0, i: 0 } : null, focus);
    return;
  }
  let { g, i } = at;
  const n = p.view[g].length;
  const col = i % COLUMNS;
  if (dir === "right") {
    if (i + 1 < n) i += 1;
    else if (g + 1 < p.view.length) {
      g += 1;
      i = 0;
    }
  } else if (dir === "left") {
    if (i > 0) i -= 1;
    else if (g > 0) {
      g -= 1;
      i = p.view[g].length - 1;
    }
  } else if (dir === "down") {
    if (i + COLUMNS < n) i += COLUMNS;
    else if (i - col + COLUMNS < n) i = n - 1; // the row below is shorter
    else if (g + 1 < p.view.length) {
      g += 1;
      i = Math.min(col, p.view[g].length - 1);
    }
  } else if (i >= COLUMNS) {
    i -= COLUMNS;
  } else if (g > 0) {
    g -= 1;
    const m = p.view[g].length;
    i = Math.min(m - 1 - ((m - 1) % COLUMNS) + col, m - 1);
  }
  activate(p, { g, i }, focus);
}

/** Places the panel by its anchor: above it when there is room, else below, kept inside
 * the window; a full-width sheet along the bottom of a narrow window. */
function place(p) {
  const { el, anchor } = p;
  const r = anchor.getBoundingClientRect();
  // A hidden anchor (a toolbar shown only on hover) has no box: keep the last one.
  if (r.width || r.height || !p.rect) p.rect = r;
  const narrow = window.innerWidth < NARROW;
  el.classList.toggle("picker-sheet", narrow);
  el.style.left = el.style.top = el.style.bottom = "";
  if (narrow) {
    el.style.left = "0px";
    el.style.bottom = "0px";
    return;
  }
  const vw = document.documentElement.clientWidth;
  const vh = document.documentElement.clientHeight;
  const gap = 6;
  const margin = 8;
  const clamp = (x, lo, hi) => Math.max(lo, Math.min(x, hi));
  el.style.left = `${clamp(p.rect.left, margin, vw - el.offsetWidth - margin)}px`;
  // Above, it hangs from its bottom edge, so it stays by the anchor whatever its height.
  if (p.rect.top - gap - el.offsetHeight >= margin) el.style.bottom = `${vh - p.rect.top + gap}px`;
  else el.style.top = `${clamp(p.rect.bottom + gap, margin, vh - el.offsetHeight - margin)}px`;
}

function setTone(p, tone) {
  p.tone = tone;
  try {
    localStorage.setItem(TONE_KEY, String(tone));
  } catch {
    // Not kept past this page; still applied.
  }
  p.tones.forEach((b, i) => b.setAttribute("aria-pressed", String(i === tone)));
  if (!p.index) return;
  for (const b of p.list.querySelectorAll(".picker-emoji")) {
    const e = p.index.byCode.get(b.dataset.shortcode);
    if (e?.tones) b.textContent = glyphOf(e, tone);
  }
}

function choose(p, b) {
  const e = p.index?.byCode.get(b.dataset.shortcode);
  if (!e) return;
  const pick = picked(e, p.tone);
  remember(pick.shortcode);
  // Closed first, focus back on the anchor, so that onPick may move it elsewhere.
  if (p !== current) return;
  close(true, p);
  p.onPick(pick);
}

/** The keys: Escape closes; Enter in the search box picks the highlighted emoji; arrows
 * move through the grid (in the search box, left and right move the caret while there is
 * text, until up or down has gone into the grid). Enter on an emoji clicks it. */
function onKey(p, e) {
  if (e.key === "Escape") {
    e.preventDefault();
    e.stopPropagation();
    close(true);
    return;
  }
  if (e.isComposing || e.altKey || e.ctrlKey || e.metaKey) return;
  const inSearch = e.target === p.search;
  if (e.key === "Enter" && inSearch) {
    e.preventDefault();
    if (p.active) choose(p, p.active);
    return;
  }
  const dir = ARROWS[e.key];
  if (!dir || !(inSearch || e.target === p.el || p.where.has(e.target))) return;
  if (inSearch && (dir === "left" || dir === "right") && p.search.value !== "" && !p.navigating) return;
  e.preventDefault();
  if (inSearch) p.navigating = true;
  move(p, dir, !inSearch);
}

/** Wires the panel, and the page-wide listeners that p.cleanup takes away again. */
function listen(p) {
  const { el, anchor } = p;
  p.search.addEventListener("input", () => update(p));
  p.tones.forEach((b, i) => b.addEventListener("click", () => setTone(p, i)));
  p.list.addEventListener("click", (e) => {
    const b = e.target.closest(".picker-emoji");
    if (b) choose(p, b);
  });
  p.list.addEventListener("focusin", (e) => {
    if (p.where.has(e.target) && e.target !== p.active) activate(p, p.where.get(e.target), false);
  });
  // Focus gone elsewhere on the page (Tab past either end) closes it, leaving focus there.
  el.addEventListener("focusout", (e) => {
    if (e.relatedTarget && !el.contains(e.relatedTarget) && !anchor.contains(e.relatedTarget)) close(false, p);
  });

  // A press outside closes it; a click on the anchor only closes it (and is not passed on,
  // or the anchor's own handler would open it again).
  const onPress = (e) => {
    if (!el.contains(e.target) && !anchor.contains(e.target)) close(false);
  };
  const onClick = (e) => {
    if (!anchor.contains(e.target)) return;
    e.preventDefault();
    e.stopPropagation();
    close(true);
  };
  // Keys are heard page-wide: a click in the panel may leave focus on the body (Safari
  // does not focus buttons), and Escape should still close it.
  const onKeydown = (e) => {
    if (el.contains(e.target) || (e.key === "Escape" && (e.target === document.body || anchor.contains(e.target)))) onKey(p, e);
  };
  let frame = 0;
  const onMove = (e) => {
    if (e.type === "scroll" && el.contains(e.target)) return;
    cancelAnimationFrame(frame);
    frame = requestAnimationFrame(() => place(p));
  };
  document.addEventListener("keydown", onKeydown);
  document.addEventListener("pointerdown", onPress, true);
  document.addEventListener("click", onClick, true);
  document.addEventListener("scroll", onMove, true);
  window.addEventListener("resize", onMove);
  p.cleanup = () => {
    cancelAnimationFrame(frame);
    document.removeEventListener("keydown", onKeydown);
    document.removeEventListener("pointerdown", onPress, true);
    document.removeEventListener("click", onClick, true);
    document.removeEventListener("scroll", onMove, true);
    window.removeEventListener("resize", onMove);
  };
}

/** Takes the picker away (the one open, or only if it still is `p`); focus goes back to the
 * anchor when asked, or (left unsaid) when it was inside the picker, which would otherwise
 * drop it on the page's body. */
function close(restore, p = current) {
  if (!p || p !== current) return;
  current = null;
  p.cleanup();
  const inside = p.el.contains(document.activeElement);
  p.el.remove();
  p.anchor.setAttribute("aria-expanded", "false");
  if ((restore ?? inside) && p.anchor.isConnected) p.anchor.focus({ preventScroll: true });
}

// ---------------------------------------------------------------------------------------
// The API

/** Opens the picker next to `anchor` (closing any other first); `onPick({ glyph,
 * shortcode })` is called with the emoji chosen, once the picker has closed. Call it from
 * the anchor's click handler: a later click on the anchor closes the picker. */
export function openPicker(anchor, onPick, { dataUrl } = {}) {
  close(false);
  const p = createPanel(anchor, onPick);
  current = p;
  anchor.setAttribute("aria-haspopup", "dialog");
  anchor.setAttribute("aria-expanded", "true");
  document.body.append(p.el);
  place(p);
  listen(p);
  // On a touch screen the search box is not focused: the keyboard would cover the sheet.
  if (matchMedia("(pointer: coarse)").matches) p.el.focus({ preventScroll: true });
  else p.search.focus({ preventScroll: true });
  load(dataUrl).then(
    (index) => {
      if (current === p) fill(p, index);
    },
    () => {
      if (current === p) p.empty.textContent = "The emoji could not be loaded.";
    },
  );
}

/** The emoji catalogue, fetched and indexed once per page (for `:emoji:` completion too):
 * `{groups: [{name, emoji: [{glyph, shortcode, name, tones}]}], byCode}`. */
export function catalogue(dataUrl) {
  return load(dataUrl);
}

/** Closes the picker, if open; focus goes back to its anchor if it was inside it. */
export function closePicker() {
  close();
}
