"""A Slack app written with Slack's own Bolt for Python, as it would run against Slack, in
HTTP mode, with only the Web API's base URL pointed at hearth: it answers "ping" with
"pong", a mention with a greeting, and a reaction with thanks. Prints "ready <port>" once
listening. Run by tests/api/bot_events.rs with the server's address, the bot's token and its
signing secret."""

import sys

from slack_bolt import App
from slack_bolt.app.app import SlackAppDevelopmentServer
from slack_sdk import WebClient

address, token, signing_secret = sys.argv[1:4]
app = App(
    signing_secret=signing_secret,
    client=WebClient(token=token, base_url=f"{address}/api/slack/"),
)


@app.message("ping")
def pong(say):
    say("pong")


@app.event("app_mention")
def greet(event, say):
    say(f"hello <@{event['user']}>")


@app.event("reaction_added")
def thank(event, client):
    client.chat_postMessage(channel=event["item"]["channel"], text=f"thanks for the :{event['reaction']}:")


@app.event("message")
def anything_else():
    pass


@app.event("member_joined_channel")
def joined():
    pass


server = SlackAppDevelopmentServer(port=0, path="/slack/events", app=app)
print("ready", server._server.server_port, flush=True)
server.start()
