//! Channels and direct messages: kinds, names, topics, who is in a direct message, and
//! notification levels. Who may do what in them is `access`.

use super::Code;
use super::{Invalid, parse_label};

/// What kind of conversation a channel is. On the wire and in the database: `public`,
/// `private`, `dm` or `group_dm`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum ChannelKind {
    #[serde(rename = "public")]
    Public,
    #[serde(rename = "private")]
    Private,
    /// A direct message between two people.
    #[serde(rename = "dm")]
    Direct,
    /// A direct message among three to eight people.
    #[serde(rename = "group_dm")]
    Group,
}

/// A stored kind (the database holds the names `as_str` writes).
impl TryFrom<String> for ChannelKind {
    type Error = Invalid;

    fn try_from(stored: String) -> Result<ChannelKind, Invalid> {
        ChannelKind::parse(&stored)
            .ok_or_else(|| Invalid::new(Code::InvalidChannelKind, format!("\"{stored}\" is not a kind of channel.")))
    }
}

impl ChannelKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Public => "public",
            ChannelKind::Private => "private",
            ChannelKind::Direct => "dm",
            ChannelKind::Group => "group_dm",
        }
    }

    pub fn parse(raw: &str) -> Option<ChannelKind> {
        match raw {
            "public" => Some(ChannelKind::Public),
            "private" => Some(ChannelKind::Private),
            "dm" => Some(ChannelKind::Direct),
            "group_dm" => Some(ChannelKind::Group),
            _ => None,
        }
    }

    pub fn is_dm(self) -> bool {
        matches!(self, ChannelKind::Direct | ChannelKind::Group)
    }
}

/// A channel's name: 1–80 characters, lowercase letters (any script), digits, `-` and `_`;
/// unique in the workspace. As in Slack, a name is written the way people type it and made
/// into one: "Launch Team" is `launch-team` (lowercased, spaces and periods made hyphens).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ChannelName(String);

impl ChannelName {
    pub const MAX_CHARS: usize = 80;

    pub fn parse(raw: &str) -> Result<ChannelName, Invalid> {
        let code = Code::InvalidChannelName;
        let typed = raw.trim().trim_start_matches('#').to_lowercase();
        let mut name = String::with_capacity(typed.len());
        for c in typed.chars() {
            let c = if c.is_whitespace() || c == '.' { '-' } else { c };
            if !(c == '-' && name.ends_with('-')) {
                name.push(c);
            }
        }
        let name = name.trim_matches('-');
        if name.is_empty() {
            return Err(Invalid::new(code, "A channel needs a name."));
        }
        if name.chars().count() > Self::MAX_CHARS {
            return Err(Invalid::new(
                code,
                format!("A channel name can be at most {} characters long.", Self::MAX_CHARS),
            ));
        }
        if let Some(bad) = name.chars().find(|&c| !(c.is_alphanumeric() || c == '-' || c == '_')) {
            return Err(Invalid::new(
                code,
                format!("Channel names can only contain letters, digits, '-' and '_', not '{bad}'."),
            ));
        }
        Ok(ChannelName(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A channel topic or purpose: up to 250 printable characters; empty clears it.
pub fn parse_topic(raw: &str, what: &str) -> Result<String, Invalid> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Ok(String::new());
    }
    parse_label(trimmed, 250, Code::InvalidTopic, what)
}

/// Whether a message is news to a member whose read marker is `marker`: after it, not
/// deleted, and written by someone else — or by an integration, even one they made. (The
/// sidebar's counts in `db::channels` apply the same rule in SQL.)
pub fn is_unread(message_id: i64, author: i64, by_integration: bool, deleted: bool, marker: i64, viewer: i64) -> bool {
    message_id > marker && !deleted && (author != viewer || by_integration)
}

/// The most people in a group direct message, the sender included.
pub const MAX_GROUP_DM: usize = 8;

/// The members of a direct message: the sender and others, deduplicated and sorted, so that
/// one set of people has exactly one conversation.
pub fn dm_members(me: i64, others: &[i64]) -> Result<Vec<i64>, Invalid> {
    let mut ids: Vec<i64> = others.iter().copied().chain(std::iter::once(me)).collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.len() < 2 {
        return Err(Invalid::new(Code::InvalidDmMembers, "Name at least one other person to message."));
    }
    if ids.len() > MAX_GROUP_DM {
        return Err(Invalid::new(
            Code::TooManyDmMembers,
            format!("A group message can include at most {MAX_GROUP_DM} people, you included."),
        ));
    }
    Ok(ids)
}

/// The key that makes a set of people's direct message unique in a workspace.
pub fn dm_key(workspace_id: i64, members: &[i64]) -> String {
    let ids: Vec<String> = members.iter().map(i64::to_string).collect();
    format!("{workspace_id}:{}", ids.join(","))
}

/// How loudly a channel may call for attention.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NotifyLevel {
    #[default]
    All,
    Mentions,
    Nothing,
}

impl NotifyLevel {
    pub fn parse(raw: &str) -> Result<NotifyLevel, Invalid> {
        match raw {
            "all" => Ok(NotifyLevel::All),
            "mentions" => Ok(NotifyLevel::Mentions),
            "nothing" => Ok(NotifyLevel::Nothing),
            other => Err(Invalid::new(
                Code::InvalidNotifyLevel,
                format!("\"{other}\" is not a level; use all, mentions or nothing."),
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            NotifyLevel::All => "all",
            NotifyLevel::Mentions => "mentions",
            NotifyLevel::Nothing => "nothing",
        }
    }
}

/// A stored level (the database holds the names `as_str` writes).
impl TryFrom<String> for NotifyLevel {
    type Error = Invalid;

    fn try_from(stored: String) -> Result<NotifyLevel, Invalid> {
        NotifyLevel::parse(&stored)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_names_follow_the_rules() {
        assert_eq!(ChannelName::parse("#design-team_2").unwrap().as_str(), "design-team_2");
        assert!(ChannelName::parse("équipe").is_ok(), "any script, lowercase");
        for (typed, name) in [("Launch Team", "launch-team"), ("  Q3  plans. ", "q3-plans"), ("#Ops", "ops")] {
            assert_eq!(ChannelName::parse(typed).unwrap().as_str(), name, "{typed:?}");
        }
        for bad in ["", "bang!", "a/b", &"x".repeat(81), "#", " - "] {
            assert!(ChannelName::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn dm_members_are_a_sorted_set_of_two_to_eight() {
        assert_eq!(dm_members(5, &[3, 5, 3]).unwrap(), vec![3, 5]);
        assert!(dm_members(5, &[5]).is_err(), "yourself only");
        assert!(dm_members(1, &[2, 3, 4, 5, 6, 7, 8]).is_ok());
        assert!(dm_members(1, &[2, 3, 4, 5, 6, 7, 8, 9]).is_err());
        assert_eq!(dm_key(1, &[3, 5]), "1:3,5");
    }
}
