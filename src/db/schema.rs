//! The tables, written by hand so that ids are `BigInt` on both backends.

diesel::table! {
    server_settings (key) {
        key -> Text,
        value -> Text,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        username -> Text,
        email -> Text,
        display_name -> Text,
        password_hash -> Text,
        is_server_admin -> Bool,
        deactivated_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        is_bot -> Bool,
        title -> Text,
        status_emoji -> Text,
        status_text -> Text,
        status_expires_at -> Nullable<Timestamp>,
        avatar_key -> Nullable<Text>,
    }
}

diesel::table! {
    sessions (id) {
        id -> BigInt,
        user_id -> BigInt,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        user_agent -> Nullable<Text>,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> BigInt,
        user_id -> BigInt,
        name -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    workspaces (id) {
        id -> BigInt,
        slug -> Text,
        name -> Text,
        created_by -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        signup_domains -> Text,
        members_add_integrations -> Bool,
    }
}

diesel::table! {
    workspace_members (workspace_id, user_id) {
        workspace_id -> BigInt,
        user_id -> BigInt,
        role -> Text,
        joined_at -> Timestamp,
        deactivated_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    invitations (id) {
        id -> BigInt,
        workspace_id -> BigInt,
        email -> Text,
        role -> Text,
        token_hash -> Text,
        invited_by -> BigInt,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        accepted_at -> Nullable<Timestamp>,
        accepted_by -> Nullable<BigInt>,
    }
}

diesel::table! {
    email_verifications (id) {
        id -> BigInt,
        user_id -> BigInt,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    password_resets (id) {
        id -> BigInt,
        user_id -> BigInt,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    login_failures (id) {
        id -> BigInt,
        login_key -> Text,
        ip -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    events (seq) {
        seq -> BigInt,
        workspace_id -> Nullable<BigInt>,
        channel_id -> Nullable<BigInt>,
        user_id -> Nullable<BigInt>,
        kind -> Text,
        payload -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    follower_cursors (name) {
        name -> Text,
        seq -> BigInt,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    channels (id) {
        id -> BigInt,
        workspace_id -> BigInt,
        kind -> Text,
        name -> Nullable<Text>,
        topic -> Text,
        purpose -> Text,
        is_default -> Bool,
        dm_key -> Nullable<Text>,
        created_by -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        archived_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    channel_members (channel_id, user_id) {
        channel_id -> BigInt,
        user_id -> BigInt,
        joined_at -> Timestamp,
        last_read_message_id -> BigInt,
        notify_level -> Text,
        muted -> Bool,
    }
}

diesel::table! {
    messages (id) {
        id -> BigInt,
        channel_id -> BigInt,
        user_id -> BigInt,
        text -> Text,
        html -> Text,
        thread_root_id -> Nullable<BigInt>,
        in_channel -> Bool,
        reply_count -> BigInt,
        last_reply_at -> Nullable<Timestamp>,
        client_msg_id -> Nullable<Text>,
        created_at -> Timestamp,
        edited_at -> Nullable<Timestamp>,
        deleted_at -> Nullable<Timestamp>,
        pinned_at -> Nullable<Timestamp>,
        pinned_by -> Nullable<BigInt>,
        bot -> Nullable<Text>,
    }
}

diesel::table! {
    reactions (message_id, user_id, emoji) {
        message_id -> BigInt,
        user_id -> BigInt,
        emoji -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    mentions (id) {
        id -> BigInt,
        message_id -> BigInt,
        channel_id -> BigInt,
        user_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    files (id) {
        id -> BigInt,
        workspace_id -> BigInt,
        channel_id -> BigInt,
        message_id -> Nullable<BigInt>,
        user_id -> BigInt,
        name -> Text,
        content_type -> Text,
        size -> BigInt,
        sha256 -> Text,
        storage_key -> Text,
        width -> Nullable<Integer>,
        height -> Nullable<Integer>,
        created_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
        thumbnail_key -> Nullable<Text>,
    }
}

diesel::table! {
    incoming_webhooks (id) {
        id -> BigInt,
        workspace_id -> BigInt,
        channel_id -> BigInt,
        created_by -> BigInt,
        name -> Text,
        icon_url -> Nullable<Text>,
        token_hash -> Text,
        channel_locked -> Bool,
        disabled -> Bool,
        last_used_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    outgoing_webhooks (id) {
        id -> BigInt,
        workspace_id -> BigInt,
        channel_id -> Nullable<BigInt>,
        created_by -> BigInt,
        name -> Text,
        trigger_words -> Text,
        trigger_when -> Text,
        callback_urls -> Text,
        content_type -> Text,
        token_generation -> Integer,
        disabled -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    integration_log (id) {
        id -> BigInt,
        integration -> Text,
        integration_id -> BigInt,
        at -> Timestamp,
        ok -> Bool,
        status -> Nullable<Integer>,
        detail -> Text,
        latency_ms -> Nullable<BigInt>,
    }
}

diesel::joinable!(files -> messages (message_id));
diesel::joinable!(channels -> workspaces (workspace_id));
diesel::joinable!(channel_members -> channels (channel_id));
diesel::joinable!(channel_members -> users (user_id));
diesel::joinable!(messages -> channels (channel_id));
diesel::joinable!(reactions -> messages (message_id));
diesel::joinable!(mentions -> messages (message_id));

diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(api_tokens -> users (user_id));
diesel::joinable!(workspace_members -> users (user_id));
diesel::joinable!(workspace_members -> workspaces (workspace_id));
diesel::joinable!(invitations -> workspaces (workspace_id));
diesel::joinable!(password_resets -> users (user_id));
diesel::joinable!(email_verifications -> users (user_id));

diesel::table! {
    bots (id) {
        id -> BigInt,
        workspace_id -> BigInt,
        user_id -> BigInt,
        created_by -> BigInt,
        description -> Text,
        icon_url -> Nullable<Text>,
        token_hash -> Nullable<Text>,
        secret_generation -> Integer,
        request_url -> Nullable<Text>,
        system -> Bool,
        last_used_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    commands (id) {
        id -> BigInt,
        workspace_id -> BigInt,
        name -> Text,
        url -> Text,
        method -> Text,
        description -> Text,
        usage_hint -> Text,
        autocomplete -> Bool,
        secret_generation -> Integer,
        created_by -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    command_responses (id) {
        id -> BigInt,
        token_hash -> Text,
        command_id -> BigInt,
        user_id -> BigInt,
        channel_id -> BigInt,
        thread_root_id -> Nullable<BigInt>,
        uses -> Integer,
        last_message_id -> Nullable<BigInt>,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    reminders (id) {
        id -> BigInt,
        workspace_id -> BigInt,
        created_by -> BigInt,
        for_user_id -> Nullable<BigInt>,
        channel_id -> Nullable<BigInt>,
        what -> Text,
        due_at -> Timestamp,
        created_at -> Timestamp,
        delivered_at -> Nullable<Timestamp>,
        cancelled_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    slack_uploads (id) {
        id -> BigInt,
        token_hash -> Text,
        user_id -> BigInt,
        workspace_id -> BigInt,
        filename -> Text,
        length -> BigInt,
        stored -> Nullable<Text>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    notification_preferences (user_id) {
        user_id -> BigInt,
        email_notifications -> Text,
        digest_hour -> Integer,
        time_zone -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    notifications (id) {
        id -> BigInt,
        user_id -> BigInt,
        message_id -> BigInt,
        channel_id -> BigInt,
        thread_root_id -> Nullable<BigInt>,
        reason -> Text,
        created_at -> Timestamp,
        due_at -> Timestamp,
        done_at -> Nullable<Timestamp>,
        outcome -> Nullable<Text>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    notification_preferences,
    notifications,
    bots,
    slack_uploads,
    reminders,
    commands,
    command_responses,
    server_settings,
    users,
    sessions,
    api_tokens,
    workspaces,
    workspace_members,
    invitations,
    password_resets,
    email_verifications,
    login_failures,
    events,
    follower_cursors,
    channels,
    channel_members,
    messages,
    reactions,
    mentions,
    files,
    presence,
    jobs,
    incoming_webhooks,
    outgoing_webhooks,
    integration_log,
);

diesel::table! {
    presence (user_id, node) {
        user_id -> BigInt,
        node -> BigInt,
        status -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    jobs (id) {
        id -> BigInt,
        kind -> Text,
        payload -> Text,
        attempts -> Integer,
        max_attempts -> Integer,
        run_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        claimed_by -> Nullable<Text>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        done_at -> Nullable<Timestamp>,
        failed_at -> Nullable<Timestamp>,
    }
}
