//! Search, through the API as a person would use it: what is found, what is never shown to
//! whom, the filters, paging, suggestions, and bad input.
//!
//! The index is one ordered follower of the event log, so once a message posted later is
//! found, everything before it is indexed too: absence is proved after such a sentinel.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::channels::{channel_id, create_channel};
use crate::helpers::{TestApp, TestUser, assert_error, eventually, spawn_app};
use crate::pages::Browser;

async fn say(app: &TestApp, user: &TestUser, channel: i64, text: &str) -> i64 {
    let (status, m) =
        app.post(&format!("/api/v1/channels/{channel}/messages"), &user.token, json!({ "text": text })).await;
    assert_eq!(status, StatusCode::CREATED, "{m}");
    m["id"].as_i64().unwrap()
}

fn encode(q: &str) -> String {
    q.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn search(app: &TestApp, user: &TestUser, query: &str) -> (StatusCode, Value) {
    app.get(&format!("/api/v1/workspaces/acme/search?q={}", encode(query)), &user.token).await
}

async fn ids(app: &TestApp, user: &TestUser, query: &str) -> Vec<i64> {
    let (status, body) = search(app, user, query).await;
    assert_eq!(status, StatusCode::OK, "{query}: {body}");
    body["results"].as_array().unwrap().iter().map(|r| r["message"]["id"].as_i64().unwrap()).collect()
}

/// Posts a message with a word of its own to #general and waits until it is found: the
/// index has then taken in everything posted before it.
async fn settle(app: &TestApp, admin: &TestUser) {
    let general = channel_id(app, admin, "general").await;
    let word = format!("sentinel{}", uuid_like());
    let id = say(app, admin, general, &word).await;
    eventually("the sentinel is searchable", async || ids(app, admin, &word).await.contains(&id).then_some(())).await;
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    format!("{}x{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed))
}

#[tokio::test]
async fn a_posted_message_is_found_by_its_words_their_parts_and_their_beginnings() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let general = channel_id(&app, &admin, "general").await;
    let deploy =
        say(&app, &admin, general, "Deployed the build to https://ci.example.com/job/deploy-prod/42 at last").await;
    let code = say(&app, &admin, general, "call getUserById from user_service.rs, not foo::bar").await;
    let cafe = say(&app, &admin, general, "On se voit au Café de Flore?").await;
    let cjk = say(&app, &admin, general, "明日は東京都に行きます").await;
    let mail = say(&app, &admin, general, "write to ops-team@example.org about 10.0.0.12").await;
    settle(&app, &admin).await;

    let cases: &[(&str, i64, &str)] = &[
        ("deployed", deploy, "a word"),
        ("DEPLOYED", deploy, "in any case"),
        ("deplo", deploy, "the beginning of a word"),
        ("deploying", deploy, "another English form of the word"),
        ("ci.example.com", deploy, "a host inside a URL"),
        ("deploy-prod", deploy, "a piece of a path"),
        ("https://ci.example.com/job/deploy-prod/42", deploy, "the whole URL"),
        ("\"to https\"", deploy, "a phrase across punctuation"),
        ("getuserbyid", code, "an identifier typed in lower case"),
        ("getUserById", code, "an identifier as written"),
        ("user", code, "a part of a camelCase identifier"),
        ("user_service", code, "a part of a file name"),
        ("foo::bar", code, "a path of a language"),
        ("cafe", cafe, "accents fold"),
        ("café", cafe, "and match with them"),
        ("東京", cjk, "two CJK characters"),
        ("京都", cjk, "two CJK characters across words"),
        ("東", cjk, "one CJK character"),
        ("ops-team@example.org", mail, "an address"),
        ("10.0.0.12", mail, "a number with dots"),
    ];
    for (query, id, why) in cases {
        assert!(ids(&app, &admin, query).await.contains(id), "{why}: {query}");
    }
    let (_, body) = search(&app, &admin, "deploy").await;
    let first = &body["results"][0];
    assert_eq!(first["message"]["id"], deploy);
    assert_eq!(first["channel"]["name"], "general");
    assert!(first["highlight"].as_str().unwrap().contains("<mark>Deploy</mark>ed"), "{first}");
    assert_eq!(body["total"], 1);
}

#[tokio::test]
async fn nobody_finds_what_they_may_not_read() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let carol = app.join(&admin, "acme", "carol", "member").await;
    let guest = app.join(&admin, "acme", "gus", "guest").await;
    let open = create_channel(&app, &admin, "open", false).await;
    let secret = create_channel(&app, &admin, "secret", true).await;
    let (_, dm) = app.post("/api/v1/workspaces/acme/dms", &admin.token, json!({ "user_ids": [bob.id] })).await;
    let dm = dm["id"].as_i64().unwrap();
    let (_, group) =
        app.post("/api/v1/workspaces/acme/dms", &admin.token, json!({ "user_ids": [bob.id, guest.id] })).await;
    let group = group["id"].as_i64().unwrap();
    let in_open = say(&app, &admin, open, "zebra in the open").await;
    let in_secret = say(&app, &admin, secret, "zebra in the secret").await;
    let in_dm = say(&app, &admin, dm, "zebra in a direct message").await;
    let in_group = say(&app, &admin, group, "zebra in a group").await;
    // Another workspace on the same server.
    let (status, _) = app.post("/api/v1/workspaces", &admin.token, json!({ "slug": "other", "name": "Other" })).await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, others) = app.get("/api/v1/workspaces/other/channels", &admin.token).await;
    let elsewhere = say(&app, &admin, others["channels"][0]["id"].as_i64().unwrap(), "zebra elsewhere").await;
    settle(&app, &admin).await;

    let mut everything = ids(&app, &admin, "zebra").await;
    everything.sort_unstable();
    assert_eq!(everything, [in_open, in_secret, in_dm, in_group], "the admin is in all four; not the other workspace");
    assert!(!everything.contains(&elsewhere));
    let mut bobs = ids(&app, &bob, "zebra").await;
    bobs.sort_unstable();
    assert_eq!(bobs, [in_open, in_dm, in_group], "a public channel he is not in, his DMs; no private channel");
    assert_eq!(ids(&app, &carol, "zebra").await, [in_open], "only the public channel");
    assert_eq!(ids(&app, &guest, "zebra").await, [in_group], "a guest: only what he was added to");
    assert!(ids(&app, &carol, "zebra in:#secret").await.is_empty(), "naming a channel she cannot see reveals nothing");
    let (_, answer) = search(&app, &carol, "in:#secret").await;
    assert_eq!(answer["total"], 0);

    // Added to a private channel, she finds it; removed, no longer; archived, it is still
    // searchable by its members.
    let add = async || {
        let (status, body) =
            app.post(&format!("/api/v1/channels/{secret}/members"), &admin.token, json!({ "user_id": carol.id })).await;
        assert!(status.is_success(), "{body}");
    };
    add().await;
    assert!(ids(&app, &carol, "zebra").await.contains(&in_secret));
    let (status, _) = app.delete(&format!("/api/v1/channels/{secret}/members/{}", carol.id), &admin.token).await;
    assert!(status.is_success(), "{status}");
    assert!(!ids(&app, &carol, "zebra").await.contains(&in_secret), "removed: no longer found");
    add().await;
    let (status, _) = app.post(&format!("/api/v1/channels/{secret}/archive"), &admin.token, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert!(ids(&app, &carol, "zebra").await.contains(&in_secret), "archived, still searchable by members");
    let (status, _) = app.post(&format!("/api/v1/channels/{secret}/leave"), &carol.token, json!({})).await;
    assert!(status.is_success(), "{status}");
    assert!(!ids(&app, &carol, "zebra").await.contains(&in_secret), "left: no longer found");

    // A deactivated member searches nothing.
    let (status, _) = app
        .patch(&format!("/api/v1/workspaces/acme/members/{}", bob.id), &admin.token, json!({ "deactivated": true }))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_error(&search(&app, &bob, "zebra").await, StatusCode::NOT_FOUND, "workspace_not_found");
}

#[tokio::test]
async fn an_edit_is_found_by_its_new_words_and_a_deletion_vanishes_at_once() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let general = channel_id(&app, &admin, "general").await;
    let id = say(&app, &admin, general, "the old wording").await;
    settle(&app, &admin).await;
    let (status, _) =
        app.patch(&format!("/api/v1/messages/{id}"), &admin.token, json!({ "text": "the fresh phrasing" })).await;
    assert_eq!(status, StatusCode::OK);
    settle(&app, &admin).await;
    assert_eq!(ids(&app, &admin, "fresh").await, [id]);
    assert!(ids(&app, &admin, "wording").await.is_empty(), "the old words are gone");

    // Deleted: gone from results before the index has even heard of it.
    let (status, _) = app.delete(&format!("/api/v1/messages/{id}"), &admin.token).await;
    assert!(status.is_success());
    assert!(ids(&app, &admin, "fresh").await.is_empty());
}

#[tokio::test]
async fn filters_narrow_by_author_place_mentions_facts_and_dates() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let general = channel_id(&app, &admin, "general").await;
    let ops = create_channel(&app, &admin, "ops", false).await;
    app.post(&format!("/api/v1/channels/{ops}/join"), &bob.token, json!({})).await;
    let (_, dm) = app.post("/api/v1/workspaces/acme/dms", &admin.token, json!({ "user_ids": [bob.id] })).await;
    let dm = dm["id"].as_i64().unwrap();
    let mine = say(&app, &admin, general, "apple pie with a link https://example.com").await;
    let bobs = say(&app, &bob, ops, "apple crumble for @admin").await;
    let in_dm = say(&app, &bob, dm, "apple juice").await;
    let everyone = say(&app, &bob, general, "apple tart @channel").await;
    let (_, reply) = app
        .post(
            &format!("/api/v1/channels/{general}/messages"),
            &bob.token,
            json!({ "text": "apple reply", "thread_root_id": mine }),
        )
        .await;
    let reply = reply["id"].as_i64().unwrap();
    app.post(&format!("/api/v1/messages/{bobs}/reactions"), &admin.token, json!({ "emoji": "tada" })).await;
    app.post(&format!("/api/v1/messages/{in_dm}/pin"), &admin.token, json!({})).await;
    settle(&app, &admin).await;

    let sorted = |mut v: Vec<i64>| {
        v.sort_unstable();
        v
    };
    let cases: &[(&str, &[i64])] = &[
        ("apple from:@bob", &[bobs, in_dm, everyone, reply]),
        ("apple from:me", &[mine]),
        ("apple from:@admin from:@bob", &[mine, bobs, in_dm, everyone, reply]),
        ("apple -from:@bob", &[mine]),
        ("apple in:#ops", &[bobs]),
        ("apple in:@bob", &[in_dm]),
        ("apple in:#ops in:#general", &[mine, bobs, everyone, reply]),
        ("apple to:me", &[bobs, everyone]),
        ("apple @me", &[bobs, everyone]),
        ("apple has:link", &[mine]),
        ("apple has:reaction", &[bobs]),
        ("apple has:pin", &[in_dm]),
        ("apple is:thread", &[mine, reply]),
        ("apple -is:thread", &[bobs, in_dm, everyone]),
        ("apple on:today", &[mine, bobs, in_dm, everyone, reply]),
        ("apple before:today", &[]),
        ("apple after:yesterday", &[mine, bobs, in_dm, everyone, reply]),
        ("apple during:2020", &[]),
        ("pie OR crumble", &[mine, bobs]),
        ("apple -pie -\"apple juice\"", &[bobs, everyone, reply]),
        ("apple in:#nowhere", &[]),
        ("apple from:@nobody", &[]),
        ("from:@bob has:reaction", &[bobs]),
    ];
    for (query, want) in cases {
        assert_eq!(sorted(ids(&app, &admin, query).await), sorted(want.to_vec()), "{query}");
    }
}

#[tokio::test]
async fn results_page_by_cursor_without_repeats_in_either_order() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let general = channel_id(&app, &admin, "general").await;
    let mut posted = Vec::new();
    for n in 0..25 {
        posted.push(say(&app, &admin, general, &format!("walrus number {n}")).await);
    }
    settle(&app, &admin).await;
    for sort in ["date", "relevance"] {
        let (mut seen, mut cursor) = (Vec::new(), String::new());
        loop {
            let (status, page) = app
                .get(
                    &format!("/api/v1/workspaces/acme/search?q=walrus&sort={sort}&limit=10&cursor={cursor}"),
                    &admin.token,
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{page}");
            assert_eq!(page["total"], 25, "{sort}");
            seen.extend(page["results"].as_array().unwrap().iter().map(|r| r["message"]["id"].as_i64().unwrap()));
            match page["next_cursor"].as_str() {
                Some(next) => cursor = next.to_owned(),
                None => break,
            }
        }
        if sort == "date" {
            let newest_first: Vec<i64> = posted.iter().rev().copied().collect();
            assert_eq!(seen, newest_first, "newest first");
        }
        seen.sort_unstable();
        assert_eq!(seen, posted, "{sort}: every result once");
    }
}

#[tokio::test]
async fn suggestions_offer_channels_people_and_messages_as_you_type() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let _bob = app.join(&admin, "acme", "deb", "member").await;
    create_channel(&app, &admin, "deploys", false).await;
    let general = channel_id(&app, &admin, "general").await;
    let id = say(&app, &admin, general, "deployment finished").await;
    settle(&app, &admin).await;
    let (status, s) = app.get("/api/v1/workspaces/acme/search/suggest?q=de", &admin.token).await;
    assert_eq!(status, StatusCode::OK, "{s}");
    assert_eq!(s["channels"][0]["name"], "deploys");
    assert_eq!(s["people"][0]["username"], "deb");
    // Two letters begin too much to suggest messages for: they wait for a third.
    assert_eq!((s["incomplete"].as_bool(), s["messages"].as_array().map(Vec::len)), (Some(true), Some(0)));
    let (_, s) = app.get("/api/v1/workspaces/acme/search/suggest?q=dep", &admin.token).await;
    assert_eq!(s["channels"][0]["name"], "deploys");
    assert_eq!(s["messages"][0]["message"]["id"], id);
    assert!(s["messages"][0]["highlight"].as_str().unwrap().contains("<mark>dep</mark>loyment"));
    assert_eq!(s["incomplete"], false);
    let (_, one) = app.get("/api/v1/workspaces/acme/search/suggest?q=d", &admin.token).await;
    assert_eq!((one["incomplete"].as_bool(), one["messages"].as_array().map(Vec::len)), (Some(true), Some(0)));
    let (_, empty) = app.get("/api/v1/workspaces/acme/search/suggest?q=", &admin.token).await;
    assert_eq!(empty["messages"], json!([]));
}

#[tokio::test]
async fn bad_searches_get_a_clear_answer_and_change_nothing() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let path = |query: &str| format!("/api/v1/workspaces/acme/search?{query}");
    let (_, first) = app.get(&path("q=walrus&limit=1"), &admin.token).await;
    assert!(first["next_cursor"].is_null());
    let long = "x".repeat(1001);
    let cases: &[(&str, StatusCode, &str, &str)] = &[
        ("q=", StatusCode::BAD_REQUEST, "empty_query", "an empty query"),
        ("", StatusCode::BAD_REQUEST, "empty_query", "no query at all"),
        ("q=OR%20-%20%22%22", StatusCode::BAD_REQUEST, "empty_query", "only operators"),
        ("q=on%3A2026-02-30", StatusCode::BAD_REQUEST, "invalid_query", "a date that does not exist"),
        ("q=walrus&limit=0", StatusCode::BAD_REQUEST, "invalid_query", "a limit of nothing"),
        ("q=walrus&limit=101", StatusCode::BAD_REQUEST, "invalid_query", "a limit too high"),
        ("q=walrus&limit=ten", StatusCode::BAD_REQUEST, "invalid_query", "a limit that is not a number"),
        ("q=walrus&sort=loudest", StatusCode::BAD_REQUEST, "invalid_query", "an unknown order"),
        ("q=walrus&cursor=bm9wZQ", StatusCode::BAD_REQUEST, "invalid_cursor", "a cursor that is not one"),
    ];
    for (query, status, code, why) in cases {
        let answer = app.get(&path(query), &admin.token).await;
        assert_eq!(answer.0, *status, "{why}: {}", answer.1);
        assert_error(&answer, *status, code);
    }
    assert_error(&app.get(&path(&format!("q={long}")), &admin.token).await, StatusCode::BAD_REQUEST, "query_too_long");
    // A cursor from another search does not fit this one.
    let general = channel_id(&app, &admin, "general").await;
    for n in 0..3 {
        say(&app, &admin, general, &format!("walrus {n}")).await;
    }
    settle(&app, &admin).await;
    let (_, page) = app.get(&path("q=walrus&limit=1"), &admin.token).await;
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();
    assert_error(
        &app.get(&path(&format!("q=penguin&limit=1&cursor={cursor}")), &admin.token).await,
        StatusCode::BAD_REQUEST,
        "invalid_cursor",
    );
    assert_error(
        &app.get(&path(&format!("q=walrus&sort=date&limit=1&cursor={cursor}")), &admin.token).await,
        StatusCode::BAD_REQUEST,
        "invalid_cursor",
    );
    // Signed out, or in a workspace that is not yours.
    assert_eq!(app.get(&path("q=walrus"), "").await.0, StatusCode::UNAUTHORIZED);
    assert_error(
        &app.get("/api/v1/workspaces/nope/search?q=walrus", &admin.token).await,
        StatusCode::NOT_FOUND,
        "workspace_not_found",
    );
}

#[tokio::test]
async fn the_index_survives_a_restart_and_catches_up_from_where_it_was() {
    let mut app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let general = channel_id(&app, &admin, "general").await;
    let before = say(&app, &admin, general, "narwhal before").await;
    settle(&app, &admin).await;
    app.stop().await;
    // Posted while this node is down (through the use case, as another node would): its
    // event lies past the index's last commit, and the restarted indexer must catch up.
    let user_id = admin.id;
    let user = app.state.db.read(move |c| Ok(hearth::db::users::UserRow::find(c, user_id)?)).await.unwrap();
    let actor = hearth::app::Actor { user, credential: hearth::app::Credential::Operator };
    let form = hearth::app::messages::PostForm { text: "narwhal while down".into(), ..Default::default() };
    let during = hearth::app::messages::post(&app.state, &actor, general, form).await.unwrap().message.id;
    app.start().await;
    let after = say(&app, &admin, general, "narwhal after").await;
    settle(&app, &admin).await;
    let mut found = ids(&app, &admin, "narwhal").await;
    found.sort_unstable();
    assert_eq!(found, [before, during, after]);
}

#[tokio::test]
async fn reindexing_rebuilds_from_the_database_while_the_server_answers() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let general = channel_id(&app, &admin, "general").await;
    let id = say(&app, &admin, general, "okapi in the forest").await;
    settle(&app, &admin).await;
    let out = crate::cli::hearth(&app, &["reindex"], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let said = crate::cli::stdout(&out);
    assert!(said.contains("indexed 2 messages"), "{said}");
    // The server takes the new index up, and keeps following the log with it.
    let later = say(&app, &admin, general, "okapi again").await;
    settle(&app, &admin).await;
    let mut found = ids(&app, &admin, "okapi").await;
    found.sort_unstable();
    assert_eq!(found, [id, later]);
    let generations: Vec<_> = std::fs::read_dir(app.data_dir.path().join("search"))
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_dir())
        .collect();
    assert_eq!(generations.len(), 1, "the old index is removed once nobody uses it");
}

#[tokio::test]
async fn a_message_posted_on_one_node_is_found_on_another() {
    if std::env::var("HEARTH_TEST_DATABASE_URL").is_err() {
        eprintln!("two nodes need PostgreSQL: this test runs in .ci/run");
        return;
    }
    let app = spawn_app().await;
    let node_b = app.second_node().await;
    let admin = app.admin_with_workspace().await;
    let general = channel_id(&app, &admin, "general").await;
    let id = say(&app, &admin, general, "capybara on node a").await;
    eventually("node B finds it", async || ids(&node_b, &admin, "capybara").await.contains(&id).then_some(())).await;
}

#[tokio::test]
async fn the_results_page_shows_snippets_links_and_an_empty_state_without_javascript() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let general = channel_id(&app, &admin, "general").await;
    let id = say(&app, &admin, general, "the <quokka> smiles").await;
    settle(&app, &admin).await;
    let browser = Browser::new(&app);
    browser.sign_in("admin").await;
    let page = browser.get("/w/acme/search?q=quokka").await.body;
    assert!(page.contains("&lt;<mark>quokka</mark>&gt;"), "escaped and marked: {page}");
    assert!(page.contains(&format!("/w/acme/c/{general}/m/{id}")), "a link to the message in its channel");
    assert!(page.contains("1 result"), "a count");
    let none = browser.get("/w/acme/search?q=unicorn").await.body;
    assert!(none.contains("No messages match"), "an empty state: {none}");
    let blank = browser.get("/w/acme/search").await;
    assert_eq!(blank.status, StatusCode::OK);
    assert!(blank.body.contains("name=\"q\""), "the form to search with");
    let bad = browser.get("/w/acme/search?q=on%3A2026-02-30").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("is not a date"), "the reason, on the page");
}

#[tokio::test]
async fn shared_files_are_found_by_their_names_and_by_has_file() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let general = channel_id(&app, &admin, "general").await;
    let (status, shared) = crate::files::upload(
        &app,
        &admin,
        general,
        "numbers for the board",
        &[("quarterly-forecast_2027.xlsx", b"PK\x03\x04 not really a spreadsheet")],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{shared}");
    let shared = shared["id"].as_i64().unwrap();
    let only_text = say(&app, &admin, general, "numbers without a file").await;
    settle(&app, &admin).await;
    assert_eq!(ids(&app, &admin, "quarterly").await, [shared], "by a word of its name");
    assert_eq!(ids(&app, &admin, "forecast_2027").await, [shared], "by a part of its name");
    assert_eq!(ids(&app, &admin, "forec").await, [shared], "by the beginning of a word of its name");
    assert_eq!(ids(&app, &admin, "numbers has:file").await, [shared]);
    let mut both = ids(&app, &admin, "numbers").await;
    both.sort_unstable();
    assert_eq!(both, [shared, only_text]);
}
