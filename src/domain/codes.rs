//! Every error code hearth answers with, in one list: the stable, `snake_case` names that
//! clients match on (`{"error": {"code": "channel_name_taken", …}}`), the Slack-style
//! API will answer with, and the tests assert. A code is a variant here or it does not exist.

macro_rules! codes {
    ($($variant:ident => $name:literal,)*) => {
        /// A stable error code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Code {
            $($variant,)*
        }

        impl Code {
            /// Every code, in the order listed.
            pub const ALL: &[Code] = &[$(Code::$variant,)*];

            /// The code as clients see it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $name,)*
                }
            }
        }
    };
}

codes! {
    AccountDeactivated => "account_deactivated",
    AlreadyArchived => "already_archived",
    AlreadyInChannel => "already_in_channel",
    AlreadyMember => "already_member",
    CannotArchiveDefault => "cannot_archive_default",
    CannotDeactivateSelf => "cannot_deactivate_self",
    CannotDelete => "cannot_delete",
    CannotJoin => "cannot_join",
    CannotLeaveDefault => "cannot_leave_default",
    ChannelArchived => "channel_archived",
    ChannelNameTaken => "channel_name_taken",
    ChannelNotFound => "channel_not_found",
    ChannelNotPublic => "channel_not_public",
    ClientMsgIdReused => "client_msg_id_reused",
    Conflict => "conflict",
    CsrfTokenInvalid => "csrf_token_invalid",
    EmailTaken => "email_taken",
    EmptyMessage => "empty_message",
    GuestCannotCreate => "guest_cannot_create",
    GuestCannotInvite => "guest_cannot_invite",
    InternalError => "internal_error",
    InvalidBody => "invalid_body",
    InvalidCallbackUrl => "invalid_callback_url",
    InvalidChannelKind => "invalid_channel_kind",
    InvalidChannelName => "invalid_channel_name",
    InvalidClientMsgId => "invalid_client_msg_id",
    InvalidDisplayName => "invalid_display_name",
    InvalidDigestHour => "invalid_digest_hour",
    InvalidDmMembers => "invalid_dm_members",
    InvalidEmail => "invalid_email",
    InvalidEmailNotifications => "invalid_email_notifications",
    InvalidEmoji => "invalid_emoji",
    InvalidForm => "invalid_form",
    InvalidIconUrl => "invalid_icon_url",
    InvalidInvitationRole => "invalid_invitation_role",
    InvalidJson => "invalid_json",
    InvalidLogin => "invalid_login",
    InvalidNotifyLevel => "invalid_notify_level",
    InvalidPassword => "invalid_password",
    InvalidPath => "invalid_path",
    InvalidQuery => "invalid_query",
    InvalidRequest => "invalid_request",
    InvalidRole => "invalid_role",
    InvalidSignupDomains => "invalid_signup_domains",
    InvalidTimeZone => "invalid_time_zone",
    InvalidTitle => "invalid_title",
    InvalidStatus => "invalid_status",
    InvalidAvatar => "invalid_avatar",
    Overloaded => "overloaded",
    InvalidTopic => "invalid_topic",
    InvalidTokenName => "invalid_token_name",
    InvalidTrigger => "invalid_trigger",
    InvalidUnsubscribeLink => "invalid_unsubscribe_link",
    InvalidUsername => "invalid_username",
    InvalidWebhookName => "invalid_webhook_name",
    InvalidWorkspaceName => "invalid_workspace_name",
    InvalidWorkspaceSlug => "invalid_workspace_slug",
    InvitationEmailMismatch => "invitation_email_mismatch",
    InvitationExpired => "invitation_expired",
    InvitationNotFound => "invitation_not_found",
    InvitationUsed => "invitation_used",
    LastOwner => "last_owner",
    MemberNotFound => "member_not_found",
    MessageDeleted => "message_deleted",
    MessageNotFound => "message_not_found",
    NotASession => "not_a_session",
    NotArchived => "not_archived",
    NotAuthenticated => "not_authenticated",
    NotAuthor => "not_author",
    NotChannelAdmin => "not_channel_admin",
    NotForDms => "not_for_dms",
    NotFound => "not_found",
    NotInChannel => "not_in_channel",
    NotWorkspaceAdmin => "not_workspace_admin",
    NothingToChange => "nothing_to_change",
    OriginNotAllowed => "origin_not_allowed",
    OwnerRequired => "owner_required",
    PayloadTooLarge => "payload_too_large",
    RateLimited => "rate_limited",
    ResetExpired => "reset_expired",
    ResetNotFound => "reset_not_found",
    ResetUsed => "reset_used",
    ResyncRequired => "resync_required",
    ServiceUnavailable => "service_unavailable",
    SignupRequiresInvitation => "signup_requires_invitation",
    TextTooLong => "text_too_long",
    ThreadNotFound => "thread_not_found",
    ThreadRootDeleted => "thread_root_deleted",
    TokenNotFound => "token_not_found",
    TooManyDmMembers => "too_many_dm_members",
    TooManyTokens => "too_many_tokens",
    TooManyIntegrations => "too_many_integrations",
    NotCreator => "not_creator",
    BotNotFound => "bot_not_found",
    InvalidBotDescription => "invalid_bot_description",
    InvalidRequestUrl => "invalid_request_url",
    CommandNotFound => "command_not_found",
    InvalidCommand => "invalid_command",
    CommandNameTaken => "command_name_taken",
    InvalidReminder => "invalid_reminder",
    ReminderNotFound => "reminder_not_found",
    UnsupportedMediaType => "unsupported_media_type",
    UserNotFound => "user_not_found",
    UsernameTaken => "username_taken",
    WeakPassword => "weak_password",
    WebhookNotFound => "webhook_not_found",
    WebsocketRequired => "websocket_required",
    WorkspaceCreationRestricted => "workspace_creation_restricted",
    WorkspaceNotFound => "workspace_not_found",
    WorkspaceSlugTaken => "workspace_slug_taken",
    WrongPassword => "wrong_password",
    NotServerAdmin => "not_server_admin",
    InvalidJobState => "invalid_job_state",
    JobNotFound => "job_not_found",
    JobNotFailed => "job_not_failed",
    TooManyReactions => "too_many_reactions",
    VerificationNotFound => "verification_not_found",
    VerificationUsed => "verification_used",
    VerificationExpired => "verification_expired",
    EmptyQuery => "empty_query",
    InvalidCursor => "invalid_cursor",
    QueryTooLong => "query_too_long",
    FileNotFound => "file_not_found",
    FileTooLarge => "file_too_large",
    NoFile => "no_file",
    TooManyFiles => "too_many_files",
    RangeNotSatisfiable => "range_not_satisfiable",
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_snake_case_names() {
        let mut seen = std::collections::HashSet::new();
        for code in Code::ALL {
            let name = code.as_str();
            assert!(seen.insert(name), "{name} is listed twice");
            assert!(name.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{name} is not snake_case");
        }
    }
}
