//! Who may do what in a channel: the facts the rules read (`Access`), every rule as a
//! function of them, and their answers gathered once (`Rights`, `MessageRights`) for pages
//! and API answers.

use super::channels::ChannelKind;
use super::workspaces::Role;
use super::{Code, Denied};

/// What the rules need to know about a person and a channel.
#[derive(Debug, Clone, Copy)]
pub struct Access {
    pub role: Role,
    pub kind: ChannelKind,
    pub is_member: bool,
    pub is_creator: bool,
    pub archived: bool,
    pub is_default: bool,
    /// A bot user: it sees only the channels it was added to (or joined).
    pub is_bot: bool,
}

impl Access {
    /// Can this person see the channel at all (read it, find it)? Private channels and
    /// direct messages exist only for their members; guests and bots see only what they are
    /// in.
    pub fn can_see(&self) -> bool {
        self.is_member || (self.kind == ChannelKind::Public && self.role != Role::Guest && !self.is_bot)
    }

    /// Can this person read the messages? Public history is open to non-guest members of the
    /// workspace, as in Slack.
    pub fn can_read(&self) -> bool {
        self.can_see()
    }

    pub fn may_join(&self) -> Result<(), Denied> {
        if self.kind != ChannelKind::Public || self.role == Role::Guest {
            return Err(Denied::new(
                Code::CannotJoin,
                "Only public channels can be joined freely; ask a member to add you.",
            ));
        }
        if self.archived {
            return Err(Denied::new(Code::ChannelArchived, "This channel is archived."));
        }
        Ok(())
    }

    pub fn may_post(&self) -> Result<(), Denied> {
        if !self.is_member {
            return Err(Denied::new(Code::NotInChannel, "Join the channel to post in it."));
        }
        if self.archived {
            return Err(Denied::new(
                Code::ChannelArchived,
                "This channel is archived: it can be read but not written to.",
            ));
        }
        Ok(())
    }

    /// Channel admins: the creator, and the workspace's owners and admins. A direct message
    /// has none: its opener and any admin in it are just participants.
    pub fn is_channel_admin(&self) -> bool {
        !self.kind.is_dm() && (self.role.is_admin() || (self.is_creator && self.is_member))
    }

    /// Renaming, archiving and removing people.
    pub fn may_manage(&self, what: &str) -> Result<(), Denied> {
        if self.kind.is_dm() {
            return Err(Denied::new(Code::NotForDms, format!("Direct messages cannot be {what}.")));
        }
        if !self.is_channel_admin() {
            return Err(Denied::new(
                Code::NotChannelAdmin,
                "Only the channel's creator and workspace admins can do that.",
            ));
        }
        Ok(())
    }

    /// Topic and purpose: any member who may post.
    pub fn may_set_topic(&self) -> Result<(), Denied> {
        if self.kind.is_dm() {
            return Err(Denied::new(Code::NotForDms, "Direct messages have no topic."));
        }
        self.may_post()
    }

    pub fn may_add_members(&self) -> Result<(), Denied> {
        if self.kind.is_dm() {
            return Err(Denied::new(Code::NotForDms, "People cannot be added to a direct message; start a new one."));
        }
        if self.role == Role::Guest {
            return Err(Denied::new(Code::GuestCannotInvite, "Guests cannot add people to channels."));
        }
        self.may_post()
    }

    /// Renaming: channel admins, while the channel is not archived.
    pub fn may_rename(&self) -> Result<(), Denied> {
        self.may_manage("renamed")?;
        if self.archived {
            return Err(Denied::new(Code::ChannelArchived, "Unarchive the channel to rename it."));
        }
        Ok(())
    }

    /// Removing someone else: channel admins, never from a default channel.
    pub fn may_remove_member(&self) -> Result<(), Denied> {
        self.may_manage("changed")?;
        self.not_archived()?;
        if self.is_default {
            return Err(Denied::new(Code::CannotLeaveDefault, "Everyone stays in the workspace's default channels."));
        }
        Ok(())
    }

    /// A read marker, and so unread counts and "mark unread": members only.
    pub fn may_keep_read_marker(&self) -> Result<(), Denied> {
        if self.is_member {
            Ok(())
        } else {
            Err(Denied::new(Code::NotInChannel, "Join the channel to keep a read marker in it."))
        }
    }

    /// Notification level and mute: members only.
    pub fn may_set_notify(&self) -> Result<(), Denied> {
        if self.is_member {
            Ok(())
        } else {
            Err(Denied::new(Code::NotInChannel, "Join the channel to set its notifications."))
        }
    }

    /// Reacting to and pinning messages: whoever may post.
    pub fn may_interact(&self) -> Result<(), Denied> {
        self.may_post()
    }

    pub fn may_leave(&self) -> Result<(), Denied> {
        if self.kind.is_dm() {
            return Err(Denied::new(Code::NotForDms, "You cannot leave a direct message."));
        }
        if self.is_default {
            return Err(Denied::new(Code::CannotLeaveDefault, "Everyone stays in the workspace's default channels."));
        }
        if !self.is_member {
            return Err(Denied::new(Code::NotInChannel, "You are not in this channel."));
        }
        Ok(())
    }

    pub fn may_archive(&self) -> Result<(), Denied> {
        self.may_manage("archived")?;
        if self.is_default {
            return Err(Denied::new(
                Code::CannotArchiveDefault,
                "The workspace's default channels cannot be archived.",
            ));
        }
        Ok(())
    }

    /// Deleting a message: its author, or a channel admin.
    /// In a direct message only the author deletes; an archived channel keeps everything.
    pub fn may_delete_message(&self, is_author: bool) -> Result<(), Denied> {
        if !is_author && !self.is_channel_admin() {
            let why = if self.kind.is_dm() {
                "Only the author can delete a message in a direct message."
            } else {
                "Only the author and channel admins can delete a message."
            };
            return Err(Denied::new(Code::CannotDelete, why));
        }
        self.not_archived()
    }

    /// Deleting a shared file: who shared it, or an admin of its channel.
    pub fn may_delete_file(&self, is_uploader: bool) -> Result<(), Denied> {
        if !is_uploader && !self.is_channel_admin() {
            return Err(Denied::new(Code::CannotDelete, "Only who shared a file and channel admins can delete it."));
        }
        self.not_archived()
    }

    /// Everything but reading and unarchiving stops in an archived channel.
    fn not_archived(self) -> Result<(), Denied> {
        if self.archived {
            return Err(Denied::new(
                Code::ChannelArchived,
                "This channel is archived: it can be read but not written to.",
            ));
        }
        Ok(())
    }

    /// Editing a message: its author, while still in the channel, and not in an archived
    /// channel.
    pub fn may_edit_message(&self, is_author: bool) -> Result<(), Denied> {
        if !is_author {
            return Err(Denied::new(Code::NotAuthor, "Only the author can edit a message."));
        }
        if !self.is_member {
            return Err(Denied::new(Code::NotInChannel, "Only members of the channel can edit their messages in it."));
        }
        self.not_archived()
    }

    /// Everything this person may do here, worked out once for pages and API answers.
    pub fn rights(&self) -> Rights {
        Rights {
            post: self.may_post().is_ok(),
            join: !self.is_member && self.may_join().is_ok(),
            leave: self.may_leave().is_ok(),
            set_topic: self.may_set_topic().is_ok(),
            rename: self.may_rename().is_ok(),
            archive: !self.archived && self.may_archive().is_ok(),
            unarchive: self.archived && self.may_archive().is_ok(),
            add_members: self.may_add_members().is_ok(),
            remove_members: self.may_remove_member().is_ok(),
            interact: self.may_interact().is_ok(),
            moderate: self.is_channel_admin(),
            keep_read_marker: self.may_keep_read_marker().is_ok(),
            set_notify: self.may_set_notify().is_ok(),
        }
    }

    /// What this person may do to one message.
    pub fn message_rights(&self, is_author: bool, deleted: bool) -> MessageRights {
        MessageRights {
            edit: !deleted && self.may_edit_message(is_author).is_ok(),
            delete: !deleted && self.may_delete_message(is_author).is_ok(),
            interact: !deleted && self.may_interact().is_ok(),
        }
    }
}

/// What someone may do in a channel: the rules of `Access`, answered once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rights {
    pub post: bool,
    pub join: bool,
    pub leave: bool,
    pub set_topic: bool,
    pub rename: bool,
    pub archive: bool,
    pub unarchive: bool,
    pub add_members: bool,
    pub remove_members: bool,
    /// React to and pin messages.
    pub interact: bool,
    /// Delete anyone's messages (channel admins).
    pub moderate: bool,
    pub keep_read_marker: bool,
    pub set_notify: bool,
}

/// What someone may do to one message.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MessageRights {
    pub edit: bool,
    pub delete: bool,
    /// React and pin.
    pub interact: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access(role: Role, kind: ChannelKind) -> Access {
        Access { role, kind, is_member: true, is_creator: false, archived: false, is_default: false, is_bot: false }
    }

    /// One rule, asked of one person.
    type Rule = fn(&Access) -> bool;

    #[test]
    fn who_may_do_what_in_a_channel() {
        use ChannelKind::{Direct, Group, Private, Public};
        use Role::{Admin, Guest, Member, Owner};
        let outsider = Access { is_member: false, ..access(Member, Public) };
        let archived = Access { archived: true, ..access(Member, Public) };
        let creator = Access { is_creator: true, ..access(Member, Private) };
        let default = Access { is_default: true, ..access(Admin, Public) };
        #[rustfmt::skip]
        let cases: [(&str, Access, Rule, bool); 32] = [
            ("a member posts", access(Member, Public), |a| a.may_post().is_ok(), true),
            ("an outsider cannot post", outsider, |a| a.may_post().is_ok(), false),
            ("nobody posts in an archived channel", archived, |a| a.may_post().is_ok(), false),
            ("an outsider joins a public channel", outsider, |a| a.may_join().is_ok(), true),
            ("a guest cannot join freely", Access { is_member: false, ..access(Guest, Public) }, |a| a.may_join().is_ok(), false),
            ("nobody joins a private channel", Access { is_member: false, ..access(Owner, Private) }, |a| a.may_join().is_ok(), false),
            ("a member leaves", access(Member, Public), |a| a.may_leave().is_ok(), true),
            ("nobody leaves a default channel", default, |a| a.may_leave().is_ok(), false),
            ("nobody leaves a DM", access(Member, Direct), |a| a.may_leave().is_ok(), false),
            ("a member sets the topic", access(Member, Public), |a| a.may_set_topic().is_ok(), true),
            ("a DM has no topic", access(Member, Direct), |a| a.may_set_topic().is_ok(), false),
            ("a member cannot rename", access(Member, Public), |a| a.may_rename().is_ok(), false),
            ("the creator renames", creator, |a| a.may_rename().is_ok(), true),
            ("a workspace admin renames", access(Admin, Public), |a| a.may_rename().is_ok(), true),
            ("nobody renames an archived channel", Access { archived: true, ..access(Owner, Public) }, |a| a.may_rename().is_ok(), false),
            ("an admin archives", access(Admin, Public), |a| a.may_archive().is_ok(), true),
            ("nobody archives a default channel", default, |a| a.may_archive().is_ok(), false),
            ("a member adds people", access(Member, Private), |a| a.may_add_members().is_ok(), true),
            ("a guest cannot add people", access(Guest, Private), |a| a.may_add_members().is_ok(), false),
            ("a member cannot remove people", access(Member, Public), |a| a.may_remove_member().is_ok(), false),
            ("the creator removes people", creator, |a| a.may_remove_member().is_ok(), true),
            ("nobody is removed from a default channel", default, |a| a.may_remove_member().is_ok(), false),
            ("an author edits", access(Member, Public), |a| a.may_edit_message(true).is_ok(), true),
            ("an admin cannot edit others' words", access(Owner, Public), |a| a.may_edit_message(false).is_ok(), false),
            ("an admin deletes anyone's message", access(Admin, Public), |a| a.may_delete_message(false).is_ok(), true),
            ("a member deletes only their own", access(Member, Public), |a| a.may_delete_message(false).is_ok(), false),
            ("a DM's opener deletes only their own", Access { is_creator: true, ..access(Member, Direct) }, |a| a.may_delete_message(false).is_ok(), false),
            ("an admin in a DM deletes only their own", access(Owner, Group), |a| a.may_delete_message(false).is_ok(), false),
            ("the author deletes in a DM", access(Member, Direct), |a| a.may_delete_message(true).is_ok(), true),
            ("nothing is deleted in an archived channel", Access { archived: true, ..access(Owner, Public) }, |a| a.may_delete_message(true).is_ok(), false),
            ("nobody is removed from an archived channel", Access { archived: true, ..access(Owner, Private) }, |a| a.may_remove_member().is_ok(), false),
            ("a former member cannot edit", Access { is_member: false, ..access(Member, Public) }, |a| a.may_edit_message(true).is_ok(), false),
        ];
        for (why, access, rule, expected) in cases {
            assert_eq!(rule(&access), expected, "{why}");
        }
    }

    #[test]
    fn rights_answer_the_rules() {
        let member = access(Role::Member, ChannelKind::Public).rights();
        assert!(member.post && member.leave && member.set_topic && member.interact);
        assert!(!member.rename && !member.archive && !member.remove_members && !member.moderate && !member.join);
        let archived = Access { archived: true, ..access(Role::Admin, ChannelKind::Public) }.rights();
        assert!(archived.unarchive && !archived.archive && !archived.post && !archived.rename);
        let on_deleted = access(Role::Owner, ChannelKind::Public).message_rights(true, true);
        assert_eq!(on_deleted, MessageRights::default(), "nothing is done to a deleted message");
    }

    #[test]
    fn guests_see_only_what_they_were_added_to() {
        let a = |role, kind, is_member| Access {
            role,
            kind,
            is_member,
            is_creator: false,
            archived: false,
            is_default: false,
            is_bot: false,
        };
        assert!(a(Role::Member, ChannelKind::Public, false).can_see());
        assert!(!a(Role::Guest, ChannelKind::Public, false).can_see());
        assert!(a(Role::Guest, ChannelKind::Public, true).can_see());
        assert!(!a(Role::Admin, ChannelKind::Private, false).can_see());
        assert!(!a(Role::Owner, ChannelKind::Direct, false).can_see());
    }

    #[test]
    fn bots_see_only_the_channels_they_are_in() {
        let bot = |kind, is_member| Access { is_member, is_bot: true, ..access(Role::Member, kind) };
        assert!(!bot(ChannelKind::Public, false).can_see());
        assert!(bot(ChannelKind::Public, true).can_see());
        assert!(bot(ChannelKind::Private, true).can_see());
        assert!(bot(ChannelKind::Public, false).may_join().is_ok(), "a bot may still join a public channel");
    }
}
