// Drives hearth's Slack-compatible Web API with Slack's own Node SDK (@slack/web-api's
// WebClient), changing nothing but its base URL, and prints one JSON object per line:
// {"case", "ok", "error", "value"}. The Node client form-encodes every call (structured
// arguments as JSON strings) and retries non-200 answers: this checks both paths. Run by
// tests/api/slack_api.rs with the server's address, a bot token and a channel id;
// HEARTH_TEST_SLACK_NODE_MODULES names the node_modules holding the SDK.
import { createRequire } from "node:module";

const require = createRequire(`${process.env.HEARTH_TEST_SLACK_NODE_MODULES}/`);
const { WebClient } = require("@slack/web-api");

const [address, token, channel] = process.argv.slice(2);
const client = new WebClient(token, { slackApiUrl: `${address}/api/slack/`, retryConfig: { retries: 0 } });

async function report(name, call, value = () => null) {
  try {
    const r = await call();
    console.log(JSON.stringify({ case: name, ok: true, error: null, value: value(r) }));
    return r;
  } catch (e) {
    console.log(JSON.stringify({ case: name, ok: false, error: e.data?.error ?? String(e), value: null }));
    return null;
  }
}

await report("auth.test", () => client.auth.test(), (r) => [r.user, r.bot_id.startsWith("BU")]);
await report("join", () => client.conversations.join({ channel }), (r) => r.channel.id);
const posted = await report(
  "post",
  () => client.chat.postMessage({ channel, text: "From Node", blocks: [{ type: "section", text: { type: "mrkdwn", text: "*From* Node" } }] }),
  (r) => r.message.subtype,
);
await report("react", () => client.reactions.add({ channel, timestamp: posted.ts, name: "wave" }));
await report("thread", () => client.chat.postMessage({ channel, text: "a reply", thread_ts: posted.ts, reply_broadcast: true }), (r) => r.message.thread_ts === posted.ts);
const texts = [];
for await (const page of client.paginate("conversations.history", { channel, limit: 1 })) {
  texts.push(...page.messages.map((m) => m.text));
}
console.log(JSON.stringify({ case: "history", ok: true, error: null, value: texts }));
await report("upload", () => client.files.uploadV2({ channel_id: channel, content: "node notes", filename: "node.txt", initial_comment: "From Node too" }), (r) => r.ok);
await report("missing", () => client.chat.postMessage({ channel: "C99999", text: "nowhere" }));
await report("long", () => client.chat.postMessage({ channel, text: "y".repeat(40001) }));
