// Getting around: Ctrl/Cmd+K to jump anywhere, Alt+arrows between conversations, ? for the
// shortcuts, Escape to mark read and close; older history as one scrolls up; the theme.

import { icon } from "./actions.js";

const REMEMBERED = 30;
const recentKey = (ws) => `hearth.recent.${ws}`;

/** The channel ids visited in this workspace, most recent first; nothing if storage is
 * missing, refused or holds something else. */
export function readRecent(ws) {
  try {
    const ids = JSON.parse(localStorage.getItem(recentKey(ws)) ?? "[]");
    return Array.isArray(ids) ? ids.map(Number).filter((id) => Number.isInteger(id) && id > 0) : [];
  } catch {
    return [];
  }
}

/** Records that a channel was opened, so that the switcher offers it first next time. */
export function rememberVisit(ws, channelId) {
  const id = Number(channelId);
  if (!ws || !Number.isInteger(id) || id <= 0) return;
  try {
    const ids = [id, ...readRecent(ws).filter((other) => other !== id)].slice(0, REMEMBERED);
    localStorage.setItem(recentKey(ws), JSON.stringify(ids));
  } catch {
    // Private browsing or a full storage: the switcher just has no memory.
  }
}

/** What this module needs of the page, given by app.js. */
let ws = "";
let me = 0;
let api = null;
let channelId = 0;
let threadPane = null;
let list = null;
let clearBadge = () => {};
let markRead = () => {};
let localiseTimes = () => {};
let paintAttachments = () => {};
let redrawDays = () => {};
let members = null;

/** Wires the keyboard, older history on scroll and the theme switch into the page. */
export function wireNavigation(page) {
  ({ ws, me, api, channelId, threadPane, list, clearBadge, markRead, localiseTimes, paintAttachments, redrawDays, members } = page);
  if (ws && channelId) rememberVisit(ws, channelId);
  wireKeyboard();
  wireInfiniteScroll();
  wireTheme();
}

// Keyboard: Ctrl/Cmd+K jumps anywhere, Alt+Up/Down moves between conversations (with Shift,
// between unread ones), Escape marks read and closes the thread, ? lists the shortcuts.

const SHORTCUTS = [
  ["Ctrl/⌘ K", "Jump to a conversation"],
  ["Ctrl/⌘ G", "Search"],
  ["Alt ↑ / Alt ↓", "Previous / next conversation"],
  ["Alt Shift ↑ / ↓", "Previous / next unread conversation"],
  ["↑ in an empty composer", "Edit your last message"],
  ["Enter / Shift Enter", "Send / new line"],
  ["Escape", "Mark read, close the thread or a dialog"],
  ["?", "Show these shortcuts"],
];

async function openSwitcherDialog() {
  if (!ws) return;
  const { openSwitcher } = await import("./switcher.js");
  openSwitcher({ ws, me, api, members });
}

function showShortcuts() {
  if (document.querySelector("dialog.shortcuts")) return;
  const dialog = Object.assign(document.createElement("dialog"), { className: "shortcuts" });
  dialog.setAttribute("aria-labelledby", "shortcuts-title");
  const title = Object.assign(document.createElement("h2"), { id: "shortcuts-title", textContent: "Keyboard shortcuts" });
  const table = document.createElement("dl");
  for (const [keys, what] of SHORTCUTS) {
    const dt = document.createElement("dt");
    dt.append(Object.assign(document.createElement("kbd"), { textContent: keys }));
    table.append(dt, Object.assign(document.createElement("dd"), { textContent: what }));
  }
  const close = Object.assign(document.createElement("button"), { type: "button", className: "secondary", textContent: "Close" });
  close.addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => dialog.remove());
  dialog.append(title, table, close);
  document.body.append(dialog);
  dialog.showModal();
  close.focus();
}

function moveConversation(step, unreadOnly) {
  const entries = [...document.querySelectorAll(".sidebar a.chan[data-channel]")];
  const here = entries.findIndex((a) => a.classList.contains("active"));
  for (let i = 1; i <= entries.length; i += 1) {
    const next = entries[(here + step * i + entries.length * i) % entries.length];
    if (!unreadOnly || next.classList.contains("unread")) return location.assign(next.href);
  }
}

function typingInField(e) {
  const t = e.target;
  return t instanceof HTMLElement && (t.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName));
}

function wireKeyboard() {
  window.addEventListener("keydown", (e) => {
    if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === "k") {
      e.preventDefault();
      openSwitcherDialog();
    } else if (e.altKey && !e.ctrlKey && !e.metaKey && (e.key === "ArrowUp" || e.key === "ArrowDown")) {
      e.preventDefault();
      moveConversation(e.key === "ArrowUp" ? -1 : 1, e.shiftKey);
    } else if (e.key === "?" && !typingInField(e) && !e.ctrlKey && !e.metaKey) {
      e.preventDefault();
      showShortcuts();
    } else if (e.key === "Escape" && !e.defaultPrevented && !document.querySelector("dialog[open], .picker, .switcher-dialog")) {
      if (threadPane) {
        const close = threadPane.querySelector(".conv-head nav a");
        if (close && (threadPane.contains(document.activeElement) || !typingInField(e))) return location.assign(close.href);
      }
      clearBadge(channelId);
      markRead(true);
    }
  });
}

// ---------------------------------------------------------------------------------------
// Older history as one scrolls up, keeping the place; the link stays for no-JavaScript.

function wireInfiniteScroll() {
  const older = list?.querySelector(".older a[href*='before=']");
  if (!older) return;
  let loading = false;
  let next = older.href;
  const load = async () => {
    if (loading || !next || list.scrollTop > 300) return;
    loading = true;
    try {
      const res = await fetch(next, { credentials: "same-origin", headers: { accept: "text/html" } });
      // Signed out meanwhile, or the channel gone: stop asking (the link stays).
      const page = res.ok && !res.redirected ? new DOMParser().parseFromString(await res.text(), "text/html") : null;
      const fresh = page?.querySelector("[data-messages]");
      if (!fresh) {
        next = null;
        return;
      }
      const more = fresh.querySelector(".older a[href*='before=']");
      fresh.querySelector(".older a[href*='before=']")?.closest(".older")?.remove();
      for (const p of fresh.querySelectorAll(".older")) p.remove();
      const known = new Set([...list.querySelectorAll("article.msg[data-id]")].map((a) => a.dataset.id));
      // Messages only: the days are drawn again over the whole list.
      const nodes = [...fresh.children].filter((n) => n.matches("article.msg") && !known.has(n.dataset.id));
      const height = list.scrollHeight;
      const anchor = list.querySelector(".older");
      const bits = document.createDocumentFragment();
      for (const n of nodes) bits.append(document.adoptNode(n));
      localiseTimes(bits);
      paintAttachments(bits);
      anchor.after(bits);
      redrawDays(list);
      list.scrollTop += list.scrollHeight - height;
      if (more) {
        next = more.href;
        older.href = next;
      } else {
        next = null;
        anchor.remove();
      }
    } finally {
      loading = false;
    }
  };
  list.addEventListener("scroll", load, { passive: true });
  load();
}

// ---------------------------------------------------------------------------------------
// Theme: light, dark, or the system's; chosen per device.

function wireTheme() {
  const bottom = document.querySelector(".sidebar .bottom");
  if (!bottom) return;
  const button = Object.assign(document.createElement("button"), { type: "button", className: "link side-note theme-toggle" });
  const system = matchMedia("(prefers-color-scheme: dark)");
  const isDark = () => document.documentElement.dataset.theme === "dark" || (!document.documentElement.dataset.theme && system.matches);
  const paint = () => {
    const dark = isDark();
    button.innerHTML = icon(dark ? "sun" : "moon");
    button.append(dark ? " Light theme" : " Dark theme");
  };
  button.addEventListener("click", () => {
    document.documentElement.dataset.theme = isDark() ? "light" : "dark";
    try {
      localStorage.setItem("hearth.theme", document.documentElement.dataset.theme);
    } catch {}
    paint();
  });
  system.addEventListener("change", paint);
  paint();
  bottom.append(button);
}

