// hearth's page script: a hand-written ES module, no build step. Every page works without
// it; with it, the composer sends on Enter, times show in local time, the message list
// opens at the newest message, and viewing a channel marks it read.

const csrf = document.querySelector('meta[name="csrf-token"]')?.content ?? "";

/** POSTs JSON with the session cookie and the CSRF token. */
export async function post(url, body = {}) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", "x-csrf-token": csrf },
    body: JSON.stringify(body),
    credentials: "same-origin",
  });
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  return res.json();
}

/** Enter sends; Shift+Enter starts a new line. */
function wireComposers(root = document) {
  for (const area of root.querySelectorAll("textarea[data-composer]")) {
    area.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        if (area.value.trim() !== "") area.form.requestSubmit();
      }
    });
  }
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" });
const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: "long", month: "long", day: "numeric", year: "numeric" });

/** Shows every `<time datetime>` in the reader's own time zone. */
export function localiseTimes(root = document) {
  for (const t of root.querySelectorAll("time[datetime]")) {
    const when = new Date(t.getAttribute("datetime"));
    if (Number.isNaN(when.getTime())) continue;
    t.textContent = timeFormat.format(when);
    t.title = `${dayFormat.format(when)} ${timeFormat.format(when)}`;
  }
}

/** Opens the list at the newest message, or at the message a permalink names. */
function scrollMessages() {
  const list = document.querySelector("[data-messages]");
  if (!list) return;
  const target = location.hash && document.getElementById(location.hash.slice(1));
  if (target) target.scrollIntoView({ block: "center" });
  else list.scrollTop = list.scrollHeight;
}

/** Viewing the newest messages of a channel marks it read. */
async function markRead() {
  const main = document.querySelector("[data-mark-read]");
  if (!main || !csrf) return;
  try {
    await post(main.dataset.markRead, { message_id: Number(main.dataset.newest) || undefined });
    const entry = document.querySelector(`.sidebar [data-channel="${main.dataset.channel}"]`);
    entry?.classList.remove("unread");
    entry?.querySelector(".badge-count")?.remove();
  } catch {
    // The next visit tries again; nothing is lost.
  }
}

wireComposers();
localiseTimes();
scrollMessages();
markRead();
