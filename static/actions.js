// Actions where the message is: a toolbar on hover, focus or long press — react, reply in
// thread, edit in place, pin, copy link, mark unread, delete with a confirmation and a few
// seconds to undo — and reaction pills that add or remove one's own. Every action also has
// its plain page (the message's "More…" link), which is what works without JavaScript.

const UNDO_SECONDS = 6;
const QUICK = [
  ["+1", "👍"],
  ["white_check_mark", "✅"],
  ["eyes", "👀"],
  ["tada", "🎉"],
];

/** Wires the toolbar, the pills and editing into every message list of the page. */
export function wireMessageActions({ me, api, pickEmoji, names, toast, holdRead }) {
  const lists = [...document.querySelectorAll(".conversation .messages, .thread-pane .messages")];
  if (!me || lists.length === 0) return;
  // What the viewer may do here, as the page says (the server checks again).
  const may = document.querySelector(".conversation")?.dataset ?? {};
  const mine = (article) => Number(article.dataset.author) === me && !(article.dataset.speaker ?? "").includes("/");
  const mayEdit = (article) => mine(article) && "editOwn" in may;
  const mayDelete = (article) => mayEdit(article) || "moderate" in may;

  const react = async (article, emoji) => {
    const pill = [...article.querySelectorAll(".reaction")].find((p) => p.dataset.emoji === emoji);
    const have = pill && pill.dataset.users.split(" ").includes(String(me));
    try {
      await api(have ? "DELETE" : "POST", `/api/v1/messages/${article.dataset.id}/reactions`, { emoji });
    } catch (e) {
      toast(e.message);
    }
  };

  const button = (label, icon, onClick, extra = "") => {
    const b = Object.assign(document.createElement("button"), { type: "button", className: `tool ${extra}`.trim() });
    b.setAttribute("aria-label", label);
    b.title = label;
    b.innerHTML = icon; // the app's own sprite references, never text from elsewhere
    b.addEventListener("click", (e) => {
      e.preventDefault();
      onClick(e.currentTarget);
    });
    return b;
  };

  /** A link of the plain toolbar (the path without scripts) as one of the tools. */
  const asTool = (link, label, name) => {
    link.className = "tool";
    link.setAttribute("aria-label", label);
    link.title = label;
    link.innerHTML = icon(name);
    return link;
  };

  /** The toolbar, built the first time a message is pointed at or focused. */
  const toolbar = (article) => {
    const nav = article.querySelector(".msg-actions");
    if (!nav || nav.dataset.ready || article.classList.contains("deleted")) return;
    nav.dataset.ready = "1";
    const id = article.dataset.id;
    const tools = [];
    const interact = "interact" in may;
    for (const [code, glyph] of interact ? QUICK : []) {
      const b = button(`React with :${code}:`, "", () => react(article, code), "quick");
      b.textContent = glyph;
      tools.push(b);
    }
    if (interact) tools.push(button("Add a reaction", icon("smile"), (b) => pickEmoji(b, ({ shortcode }) => react(article, shortcode))));
    const reply = nav.querySelector("a[href*='/t/']");
    if (reply) tools.push(asTool(reply, "Reply in thread", "thread"));
    if (mayEdit(article)) tools.push(button("Edit", icon("edit"), () => startEditing(article)));
    const pinned = article.classList.contains("pinned");
    if (interact) {
      tools.push(
        button(pinned ? "Unpin from channel" : "Pin to channel", icon("pin"), async () => {
          try {
            await api(article.classList.contains("pinned") ? "DELETE" : "POST", `/api/v1/messages/${id}/pin`);
          } catch (e) {
            toast(e.message);
          }
        }),
      );
    }
    tools.push(
      button("Copy link", icon("link"), async () => {
        const link = new URL(article.dataset.permalink ?? `#m${id}`, location.href).href;
        try {
          await navigator.clipboard.writeText(link);
          toast("Link copied.");
        } catch {
          toast(link);
        }
      }),
    );
    tools.push(
      button("Mark unread from here", icon("unread"), async () => {
        try {
          await api("POST", `/api/v1/messages/${id}/unread`);
          holdRead();
          toast("Marked unread from this message.");
        } catch (e) {
          toast(e.message);
        }
      }),
    );
    if (mayDelete(article)) tools.push(button("Delete", icon("trash"), () => confirmDelete(article), "danger"));
    const more = nav.querySelector("a[href*='/m/']");
    if (more) tools.push(asTool(more, "More actions", "more"));
    nav.replaceChildren(...tools);
    nav.setAttribute("role", "toolbar");
  };

  /** Deleting asks first, then hides the message and waits a few seconds for an undo
   * before the server is told; leaving the page meanwhile still deletes it. */
  const confirmDelete = (article) => {
    const dialog = document.createElement("dialog");
    dialog.className = "confirm";
    dialog.setAttribute("aria-labelledby", "confirm-title");
    const title = Object.assign(document.createElement("h2"), { id: "confirm-title", textContent: "Delete this message?" });
    const text = Object.assign(document.createElement("p"), { textContent: "Everyone in the conversation will see that a message was deleted." });
    const row = Object.assign(document.createElement("div"), { className: "confirm-buttons" });
    const cancel = Object.assign(document.createElement("button"), { type: "button", className: "secondary", textContent: "Cancel" });
    const ok = Object.assign(document.createElement("button"), { type: "button", className: "danger", textContent: "Delete" });
    row.append(cancel, ok);
    dialog.append(title, text, row);
    document.body.append(dialog);
    const close = () => {
      dialog.close();
      dialog.remove();
    };
    cancel.addEventListener("click", close);
    dialog.addEventListener("cancel", close);
    ok.addEventListener("click", () => {
      close();
      deleteWithUndo(article);
    });
    dialog.showModal();
    ok.focus();
  };

  const deleteWithUndo = (article) => {
    const id = article.dataset.id;
    // Every copy (the channel's and the thread pane's), found afresh: live events redraw them.
    const copies = (hidden) => {
      for (const a of document.querySelectorAll(`article.msg[data-id="${id}"]`)) a.hidden = hidden;
    };
    copies(true);
    let done = false;
    const commit = async () => {
      if (done) return;
      done = true;
      window.removeEventListener("pagehide", commit);
      try {
        await api("DELETE", `/api/v1/messages/${id}`, undefined, { keepalive: true });
      } catch (e) {
        if (e.status !== 404) {
          copies(false);
          toast(`The message could not be deleted: ${e.message}`);
        }
      }
    };
    const timer = setTimeout(commit, UNDO_SECONDS * 1000);
    window.addEventListener("pagehide", commit);
    toast("Message deleted.", {
      action: "Undo",
      seconds: UNDO_SECONDS,
      onAction: () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        window.removeEventListener("pagehide", commit);
        copies(false);
      },
    });
  };

  /** Edits a message where it is: Enter saves, Shift+Enter adds a line, Escape cancels. */
  const startEditing = async (article) => {
    if (article.querySelector(".edit-box")) return article.querySelector(".edit-box textarea").focus();
    const id = article.dataset.id;
    let message;
    try {
      message = await api("GET", `/api/v1/messages/${id}`);
    } catch (e) {
      return toast(e.message);
    }
    const shown = article.querySelector(".msg-text");
    if (!shown) return;
    const box = Object.assign(document.createElement("form"), { className: "edit-box" });
    const area = Object.assign(document.createElement("textarea"), { value: message.text, rows: Math.min(10, message.text.split("\n").length + 1) });
    area.setAttribute("aria-label", "Edit message");
    const hint = Object.assign(document.createElement("div"), { className: "edit-hint" });
    const save = Object.assign(document.createElement("button"), { type: "submit", textContent: "Save" });
    const cancel = Object.assign(document.createElement("button"), { type: "button", className: "secondary", textContent: "Cancel" });
    hint.append("Escape to ", cancel, " · Enter to ", save);
    const error = Object.assign(document.createElement("div"), { className: "field-error" });
    error.setAttribute("role", "alert");
    error.hidden = true;
    box.append(area, error, hint);
    shown.hidden = true;
    shown.after(box);
    area.focus();
    area.setSelectionRange(area.value.length, area.value.length);
    const stop = () => {
      box.remove();
      shown.hidden = false;
    };
    cancel.addEventListener("click", stop);
    area.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        e.preventDefault();
        e.stopPropagation();
        stop();
      } else if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        box.requestSubmit();
      }
    });
    box.addEventListener("submit", async (e) => {
      e.preventDefault();
      if (area.value === message.text) return stop();
      save.disabled = true;
      try {
        await api("PATCH", `/api/v1/messages/${id}`, { text: area.value });
        // The edit event redraws the message; until it comes, show the box gone.
        stop();
      } catch (err) {
        error.textContent = err.message;
        error.hidden = false;
        save.disabled = false;
      }
    });
  };

  for (const list of lists) {
    list.addEventListener("mouseover", (e) => {
      const article = e.target.closest?.("article.msg[data-id]");
      if (article) toolbar(article);
    });
    list.addEventListener("focusin", (e) => {
      const article = e.target.closest?.("article.msg[data-id]");
      if (article) toolbar(article);
    });
    // A long press on a touch screen shows the toolbar of that message.
    let press = 0;
    list.addEventListener("pointerdown", (e) => {
      if (e.pointerType !== "touch") return;
      const article = e.target.closest("article.msg[data-id]");
      if (!article) return;
      clearTimeout(press);
      press = setTimeout(() => {
        toolbar(article);
        for (const open of document.querySelectorAll("article.msg.show-actions")) open.classList.remove("show-actions");
        article.classList.add("show-actions");
      }, 500);
    });
    for (const end of ["pointerup", "pointercancel", "pointermove"]) list.addEventListener(end, () => clearTimeout(press));
    // Reaction pills: a click adds or removes one's own; pointing at one says who reacted.
    list.addEventListener("click", (e) => {
      const pill = e.target.closest?.("a.reaction");
      if (!pill) return;
      e.preventDefault();
      react(pill.closest("article.msg"), pill.dataset.emoji);
    });
    const describe = async (e) => {
      const pill = e.target.closest?.("a.reaction");
      if (!pill || pill.dataset.described === pill.dataset.users) return;
      pill.dataset.described = pill.dataset.users;
      const ids = pill.dataset.users.split(" ").filter(Boolean).map(Number);
      const known = await names();
      const who = ids.map((id) => (id === me ? "You" : (known.get(id) ?? "someone")));
      const list = who.length <= 3 ? joinNames(who) : `${who.slice(0, 3).join(", ")} and ${who.length - 3} more`;
      pill.title = `${list} reacted with :${pill.dataset.emoji}:`;
      pill.setAttribute("aria-label", pill.title);
    };
    list.addEventListener("mouseover", describe);
    list.addEventListener("focusin", describe);
  }

  return { startEditing };
}

function joinNames(names) {
  if (names.length <= 1) return names.join("");
  return `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}

/** An icon from the app's sprite. */
export function icon(name) {
  return `<svg class="icon" aria-hidden="true"><use href="${document.body.dataset.sprite ?? ""}#${name}"></use></svg>`;
}
