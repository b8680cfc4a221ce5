"""Posts to a hearth incoming webhook with Slack's own Python SDK (slack_sdk's
WebhookClient), as a Slack integration would, and prints what each call answered as one
JSON object per line: {"case", "status", "body"}. Run by tests/api/webhooks.rs."""

import json
import sys

from slack_sdk.models.blocks import DividerBlock, HeaderBlock, SectionBlock
from slack_sdk.models.attachments import Attachment
from slack_sdk.webhook import WebhookClient

url = sys.argv[1]
client = WebhookClient(url)


def report(case, response):
    print(json.dumps({"case": case, "status": response.status_code, "body": response.body}), flush=True)


report("text", client.send(text="Deployed *web* to <https://prod.example.com|production>"))
report(
    "blocks",
    client.send(
        text="Review posted",
        blocks=[
            HeaderBlock(text="New review"),
            SectionBlock(text="Danny left *five stars*", fields=["*Product*\nhearth", "*Score*\n5"]),
            DividerBlock(),
        ],
    ),
)
report(
    "attachments",
    client.send(
        text="Build finished",
        attachments=[
            Attachment(
                text="All 312 tests passed",
                fallback="Build 41 passed",
                color="good",
                title="Build 41",
                title_link="https://ci.example.com/41",
                footer="ci",
            )
        ],
    ),
)
report("dict", client.send_dict({"text": "a reply", "thread_ts": sys.argv[2]} if len(sys.argv) > 2 else {"text": "plain dict"}))
report("empty", client.send(text=""))
# An empty dict is sent as the JSON `null`.
report("null", client.send_dict({}))
report("wrong_url", WebhookClient(url + "x").send(text="nobody"))
