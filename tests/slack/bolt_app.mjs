// A Slack app written with Slack's own Bolt for JavaScript, in HTTP mode, with only the Web
// API's base URL pointed at hearth: it answers "ping" with "pong", a mention with a
// greeting, and a reaction with thanks. Prints "ready <port>" once listening. Run by tests/api/bot_events.rs with the
// server's address, the bot's token and its signing secret; HEARTH_TEST_SLACK_NODE_MODULES
// names the node_modules holding Bolt.
import { createRequire } from "node:module";

const require = createRequire(`${process.env.HEARTH_TEST_SLACK_NODE_MODULES}/`);
const { App } = require("@slack/bolt");

const [address, token, signingSecret] = process.argv.slice(2);
const app = new App({ token, signingSecret, clientOptions: { slackApiUrl: `${address}/api/slack/` } });

app.message("ping", async ({ say }) => {
  await say("pong from node");
});
app.event("app_mention", async ({ event, say }) => {
  await say(`hello <@${event.user}> from node`);
});
app.event("reaction_added", async ({ event, client }) => {
  await client.chat.postMessage({ channel: event.item.channel, text: `thanks for the :${event.reaction}: from node` });
});

const server = await app.start(0);
console.log(`ready ${server.address().port}`);
