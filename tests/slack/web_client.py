"""Drives hearth's Slack-compatible Web API with Slack's own Python SDK (slack_sdk's
WebClient), changing nothing but its base URL, as a bot written for Slack would run, and
prints one JSON object per line: {"case", "ok", "error", "value"}. Run by
tests/api/slack_api.rs with the server's address, a bot token, and two channel ids: one
the bot is not yet in, one private channel it is not in."""

import json
import sys

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import SectionBlock

address, token, public, private = sys.argv[1:5]
client = WebClient(token=token, base_url=f"{address}/api/slack/")


def report(case, call, value=lambda r: None):
    try:
        response = call()
        print(json.dumps({"case": case, "ok": True, "error": None, "value": value(response)}), flush=True)
        return response
    except SlackApiError as e:
        print(json.dumps({"case": case, "ok": False, "error": e.response["error"], "value": None}), flush=True)
        return None


report("auth.test", lambda: client.auth_test(), lambda r: [r["user"], r["bot_id"].startswith("BU")])
report("join", lambda: client.conversations_join(channel=public), lambda r: r["channel"]["id"])
posted = report(
    "post",
    lambda: client.chat_postMessage(
        channel=public, text="Build *passed*", blocks=[SectionBlock(text="Build *passed* :tada:")]
    ),
    lambda r: r["message"]["subtype"],
)
ts = posted["ts"]
report("reply", lambda: client.chat_postMessage(channel=public, text="details", thread_ts=ts, reply_broadcast=True),
       lambda r: r["message"]["thread_ts"] == ts)
report("update", lambda: client.chat_update(channel=public, ts=ts, text="Build passed again"), lambda r: r["text"])
report("react", lambda: client.reactions_add(channel=public, timestamp=ts, name="tada"))
report("pin", lambda: client.pins_add(channel=public, timestamp=ts))
for i in range(3):
    client.chat_postMessage(channel=public, text=f"n{i}")
# The SDK's own paginator follows response_metadata.next_cursor to the end.
texts = []
for page in client.conversations_history(channel=public, limit=2):
    texts.extend(m["text"] for m in page["messages"])
print(json.dumps({"case": "history", "ok": True, "error": None, "value": texts}), flush=True)
report("replies", lambda: client.conversations_replies(channel=public, ts=ts), lambda r: len(r["messages"]))
report("list", lambda: client.conversations_list(types="public_channel"),
       lambda r: sorted(c["name"] for c in r["channels"]))
report("users", lambda: client.users_list(), lambda r: sorted((u["name"], u["is_bot"]) for u in r["members"]))
report(
    "upload",
    lambda: client.files_upload_v2(
        channel=public, content="release notes\n", filename="notes.txt", title="notes", initial_comment="Here they are"
    ),
    lambda r: [r["file"]["name"], r["file"]["size"]],
)
report("private", lambda: client.chat_postMessage(channel=private, text="let me in"))
report("too_long", lambda: client.chat_postMessage(channel=public, text="y" * 40001))
report("unknown", lambda: client.api_call("chat.teleport"))
report("revoked", lambda: WebClient(token="xoxb-revoked", base_url=f"{address}/api/slack/").auth_test())
