//! The hub's caches about people and places: each connected user's `Viewer` (the same
//! visibility context replay uses), refreshed by the events that change memberships, and
//! the workspace slugs and display names that frames carry.

use super::hub::State;
use std::collections::HashSet;

use crate::domain::channels::ChannelKind;
use crate::domain::events::Viewer;
use crate::domain::workspaces::Role;
use crate::error::AppError;
use crate::events::{self, Event, EventData};

impl State {
    pub(super) async fn reload_viewer(&mut self, user_id: i64) -> Result<(), AppError> {
        let viewer = self.db.read(move |conn| events::viewer(conn, user_id)).await?;
        self.set_viewer(user_id, Some(viewer));
        Ok(())
    }

    /// Puts in (or, with `None`, takes out) a user's viewer, and keeps the channels'
    /// audiences current with it: every change of a viewer passes here.
    pub(super) fn set_viewer(&mut self, user_id: i64, viewer: Option<Viewer>) {
        let old = match viewer {
            Some(v) => {
                for (channel, users) in &mut self.audiences {
                    if v.channels.contains(channel) {
                        users.insert(user_id);
                    } else {
                        users.remove(&user_id);
                    }
                }
                self.viewers.insert(user_id, v)
            }
            None => self.viewers.remove(&user_id),
        };
        if let (Some(old), false) = (old, self.viewers.contains_key(&user_id)) {
            for channel in &old.channels {
                if let Some(users) = self.audiences.get_mut(channel) {
                    users.remove(&user_id);
                }
            }
        }
    }

    /// The connected users who are members of a channel (worked out once, then kept).
    pub(super) fn audience(&mut self, channel: i64) -> &HashSet<i64> {
        let viewers = &self.viewers;
        self.audiences
            .entry(channel)
            .or_insert_with(|| viewers.iter().filter(|(_, v)| v.channels.contains(&channel)).map(|(u, _)| *u).collect())
    }

    pub(super) async fn slug(&mut self, workspace_id: i64) -> Option<String> {
        if let Some(s) = self.slugs.get(&workspace_id) {
            return Some(s.clone());
        }
        let found = self
            .db
            .read(move |conn| Ok(crate::db::workspaces::WorkspaceRow::find(conn, workspace_id)?.slug))
            .await
            .ok()?;
        self.slugs.insert(workspace_id, found.clone());
        Some(found)
    }

    /// Reloads the viewers whose memberships an event changes.
    pub(super) async fn refresh(&mut self, event: &Event) {
        match &event.data {
            EventData::ChannelMemberAdded { .. }
            | EventData::ChannelMemberRemoved { .. }
            | EventData::WorkspaceMemberAdded { .. }
            | EventData::WorkspaceMemberUpdated { .. }
            | EventData::WorkspaceMemberDeactivated { .. }
            | EventData::WorkspaceCreated { .. } => {
                if let Some(u) = event.user_id.filter(|u| self.viewers.contains_key(u)) {
                    if let Err(e) = self.reload_viewer(u).await {
                        tracing::warn!(error = %e, "could not refresh a viewer");
                    }
                }
            }
            EventData::ChannelCreated { channel } => {
                let members: Vec<i64> = match &channel.dm_members {
                    // A direct message: its people are in it from the start.
                    Some(people) => people.iter().map(|u| u.id).collect(),
                    // A channel: its creator is its first member (#general's is the owner).
                    None => vec![channel.created_by],
                };
                for u in members {
                    if let Some(v) = self.viewers.get_mut(&u) {
                        v.channels.insert(channel.id);
                    }
                }
                // Worked out afresh when first asked.
                self.audiences.remove(&channel.id);
                // Everyone but guests may browse a public channel of their workspace.
                if channel.kind == ChannelKind::Public {
                    for v in self.viewers.values_mut() {
                        if v.workspaces.get(&channel.workspace_id).is_some_and(|r| *r != Role::Guest) {
                            v.browsable_channels.insert(channel.id);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    pub(super) async fn display_name(&mut self, user_id: i64) -> String {
        if let Some(n) = self.names.get(&user_id) {
            return n.clone();
        }
        let name = self
            .db
            .read(move |conn| Ok(crate::db::users::UserRow::find(conn, user_id)?.display_name))
            .await
            .unwrap_or_default();
        self.names.insert(user_id, name.clone());
        name
    }
}
