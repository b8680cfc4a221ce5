// Files: an attach button, drag and drop onto the conversation, pasted images and voice
// messages put files in a tray above the composer; sending posts them with the text in one
// upload, each file with its progress bar, and a cancel button that stops it all.

import { icon } from "./actions.js";

let conversation = null;
let channelId = 0;
let csrf = "";
let forgetDraftOf = () => {};

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
        forgetDraftOf(area, text);
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

const icons = { attach: icon("attach"), mic: icon("mic") };

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

/** Wires uploads into the page's composer. */
export function wireUploads(page) {
  ({ conversation, channelId, csrf, forgetDraftOf } = page);
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
  let tools = form.querySelector(".row-end .tools");
  if (!tools) {
    tools = Object.assign(document.createElement("span"), { className: "tools" });
    form.querySelector(".row-end")?.prepend(tools);
  }
  tools.append(attach, picker, ...(window.MediaRecorder && navigator.mediaDevices ? [voiceButton(uploads)] : []));
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
