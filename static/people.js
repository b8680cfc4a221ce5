// People: pointing at an author's name tells their title and local time; clicking it (or
// Enter on it) shows their card: picture, title, status, local time.

let api = null;

const profiles = new Map();
function profileOf(id) {
  if (!profiles.has(id)) profiles.set(id, api("GET", `/api/v1/users/${id}`).catch(() => (profiles.delete(id), null)));
  return profiles.get(id);
}

function localTime(zone) {
  try {
    return new Intl.DateTimeFormat(undefined, { timeStyle: "short", timeZone: zone }).format(new Date());
  } catch {
    return "";
  }
}

function profileCard(p, anchor) {
  document.querySelector(".profile-card")?.remove();
  const card = Object.assign(document.createElement("div"), { className: "profile-card" });
  card.setAttribute("role", "dialog");
  card.setAttribute("aria-label", `${p.user.display_name}'s profile`);
  const picture = p.user.avatar_url
    ? Object.assign(document.createElement("img"), { src: p.user.avatar_url, alt: "", width: 72, height: 72, className: "avatar-large" })
    : Object.assign(document.createElement("span"), { className: "avatar-large initials", textContent: ([...p.user.display_name][0] ?? "?").toUpperCase() });
  const name = Object.assign(document.createElement("strong"), { textContent: p.user.display_name });
  const lines = [name, Object.assign(document.createElement("span"), { className: "muted", textContent: `@${p.user.username}` })];
  if (p.user.title) lines.push(Object.assign(document.createElement("span"), { textContent: p.user.title }));
  if (p.user.status) lines.push(Object.assign(document.createElement("span"), { className: "profile-status", textContent: `${p.user.status.glyph} ${p.user.status.text}`.trim() }));
  lines.push(Object.assign(document.createElement("span"), { className: "muted", textContent: `${localTime(p.time_zone)} local time (${p.time_zone})` }));
  const text = Object.assign(document.createElement("div"), { className: "profile-lines" });
  text.append(...lines);
  card.append(picture, text);
  document.body.append(card);
  const box = anchor.getBoundingClientRect();
  card.style.left = `${Math.min(box.left, innerWidth - card.offsetWidth - 8)}px`;
  card.style.top = `${box.bottom + card.offsetHeight + 8 < innerHeight ? box.bottom + 4 : box.top - card.offsetHeight - 4}px`;
  const close = (e) => {
    if (e.type === "keydown" ? e.key === "Escape" : !card.contains(e.target)) {
      if (e.type === "keydown") e.preventDefault();
      card.remove();
      document.removeEventListener("pointerdown", close, true);
      document.removeEventListener("keydown", close, true);
    }
  };
  document.addEventListener("pointerdown", close, true);
  document.addEventListener("keydown", close, true);
}

/** Wires authors' names into the page. */
export function wireProfiles(page) {
  ({ api } = page);
  document.addEventListener("mouseover", async (e) => {
    const author = e.target.closest?.(".msg-author[data-user]");
    if (!author || author.dataset.described) return;
    author.dataset.described = "1";
    const p = await profileOf(Number(author.dataset.user));
    if (p) author.title = [p.user.title, `${localTime(p.time_zone)} local time`].filter(Boolean).join(" · ");
  });
  document.addEventListener("click", async (e) => {
    const author = e.target.closest?.(".msg-author[data-user]");
    if (!author) return;
    const p = await profileOf(Number(author.dataset.user));
    if (p) profileCard(p, author);
  });
  document.addEventListener("keydown", (e) => {
    const author = e.target.closest?.(".msg-author[data-user]");
    if (author && (e.key === "Enter" || e.key === " ")) {
      e.preventDefault();
      author.click();
    }
  });
  // Authors' names are buttons for keyboards too.
  const mark = (root) => {
    for (const a of root.querySelectorAll(".msg-author[data-user]:not([tabindex])")) {
      a.tabIndex = 0;
      a.setAttribute("role", "button");
    }
  };
  mark(document);
  new MutationObserver((changes) => changes.forEach((c) => c.addedNodes.forEach((n) => n.nodeType === 1 && mark(n)))).observe(document.body, { childList: true, subtree: true });
}
