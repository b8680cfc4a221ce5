//! Email notifications: who a new message may call for a mail, when that mail is due, and
//! whether, when it is due, it is still worth sending.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

use super::channels::NotifyLevel;
use super::{Code, Invalid};

/// How often a person wants mail about what they missed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EmailNotifications {
    /// A mail once something has stayed unread for the notification delay; what else came
    /// meanwhile goes in the same mail.
    #[default]
    Immediately,
    /// At most one mail an hour, at the top of the hour.
    Hourly,
    /// One digest a day, at the chosen hour in the person's time zone.
    Daily,
    Never,
}

impl EmailNotifications {
    pub fn parse(raw: &str) -> Result<EmailNotifications, Invalid> {
        match raw {
            "immediately" => Ok(EmailNotifications::Immediately),
            "hourly" => Ok(EmailNotifications::Hourly),
            "daily" => Ok(EmailNotifications::Daily),
            "never" => Ok(EmailNotifications::Never),
            other => Err(Invalid::new(
                Code::InvalidEmailNotifications,
                format!("\"{other}\" is not a choice; use immediately, hourly, daily or never."),
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            EmailNotifications::Immediately => "immediately",
            EmailNotifications::Hourly => "hourly",
            EmailNotifications::Daily => "daily",
            EmailNotifications::Never => "never",
        }
    }
}

/// A person's email preferences.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preferences {
    pub email: EmailNotifications,
    /// The hour (0–23, in `time_zone`) daily digests go out.
    pub digest_hour: u32,
    pub time_zone: Tz,
}

impl Default for Preferences {
    fn default() -> Preferences {
        Preferences { email: EmailNotifications::Immediately, digest_hour: 9, time_zone: Tz::UTC }
    }
}

/// Reads an hour of the day.
pub fn parse_digest_hour(hour: i64) -> Result<u32, Invalid> {
    u32::try_from(hour).ok().filter(|h| *h < 24).ok_or_else(|| {
        Invalid::new(Code::InvalidDigestHour, format!("{hour} is not an hour of the day; give 0 to 23."))
    })
}

/// Reads an IANA time zone name (`Europe/Berlin`, `UTC`).
pub fn parse_time_zone(raw: &str) -> Result<Tz, Invalid> {
    raw.parse::<Tz>().map_err(|_| {
        Invalid::new(
            Code::InvalidTimeZone,
            format!("\"{raw}\" is not a time zone; give an IANA name such as Europe/Berlin or UTC."),
        )
    })
}

impl Preferences {
    /// When a mail about something that happened at `at` (UTC) is due: after the delay,
    /// then at the next full hour for hourly mail, or at the next digest hour in the
    /// person's zone for daily digests.
    pub fn due_at(self, at: NaiveDateTime, delay: Duration) -> NaiveDateTime {
        let earliest = at + delay;
        match self.email {
            EmailNotifications::Immediately | EmailNotifications::Never => earliest,
            EmailNotifications::Hourly => {
                let hour = earliest.with_minute(0).and_then(|t| t.with_second(0)).and_then(|t| t.with_nanosecond(0));
                match hour {
                    Some(hour) if hour == earliest => hour,
                    Some(hour) => hour + Duration::hours(1),
                    None => earliest,
                }
            }
            EmailNotifications::Daily => self.next_digest(earliest),
        }
    }

    /// The first digest hour in the person's zone at or after `earliest` (UTC).
    fn next_digest(self, earliest: NaiveDateTime) -> NaiveDateTime {
        let local = Utc.from_utc_datetime(&earliest).with_timezone(&self.time_zone);
        for day in 0..3 {
            let date = local.date_naive() + Duration::days(day);
            let Some(wall) = date.and_hms_opt(self.digest_hour, 0, 0) else { continue };
            // A wall-clock hour skipped by a change to summer time comes an hour late; one
            // that happens twice counts the first time.
            let at = self
                .time_zone
                .from_local_datetime(&wall)
                .earliest()
                .or_else(|| self.time_zone.from_local_datetime(&(wall + Duration::hours(1))).earliest());
            if let Some(at) = at.map(|t| t.with_timezone(&Utc)) {
                if at.naive_utc() >= earliest {
                    return at.naive_utc();
                }
            }
        }
        earliest
    }

    /// A UTC time as the person reads it: `14:05 CET`, with the date when it is not `today`.
    pub fn local_time(self, at: NaiveDateTime, today: NaiveDateTime) -> String {
        let local: DateTime<Tz> = Utc.from_utc_datetime(&at).with_timezone(&self.time_zone);
        let now: DateTime<Tz> = Utc.from_utc_datetime(&today).with_timezone(&self.time_zone);
        if local.date_naive() == now.date_naive() {
            local.format("%H:%M %Z").to_string()
        } else {
            local.format("%b %-d, %H:%M %Z").to_string()
        }
    }
}

/// Why a message may call for a mail to someone, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reason {
    /// A direct or group message to them.
    Direct,
    /// They are mentioned by name.
    Mention,
    /// `@channel`, `@here` or `@everyone`.
    Everyone,
    /// A reply in a thread they started or replied in.
    Thread,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Direct => "direct",
            Reason::Mention => "mention",
            Reason::Everyone => "everyone",
            Reason::Thread => "thread",
        }
    }

    pub fn parse(raw: &str) -> Reason {
        match raw {
            "direct" => Reason::Direct,
            "mention" => Reason::Mention,
            "everyone" => Reason::Everyone,
            _ => Reason::Thread,
        }
    }
}

/// What a new message is, for deciding whom it may call for a mail.
#[derive(Debug, Clone, Default)]
pub struct Posted<'a> {
    pub author_id: i64,
    /// In a direct or group conversation.
    pub direct: bool,
    pub mentioned: &'a [i64],
    pub everyone: bool,
    /// For a thread reply: who started the thread or replied in it before.
    pub thread_people: &'a [i64],
}

/// Who a new message may call for a mail, and why: of `people` (the channel's members who
/// are people, not bots, and not deactivated), everyone it is addressed to but its author.
/// Whether the mail is sent is decided when it is due (`verdict`).
pub fn recipients(posted: &Posted<'_>, people: &[i64]) -> BTreeMap<i64, Reason> {
    let mut out = BTreeMap::new();
    for &person in people {
        if person == posted.author_id {
            continue;
        }
        let reason = if posted.direct {
            Reason::Direct
        } else if posted.mentioned.contains(&person) {
            Reason::Mention
        } else if posted.everyone {
            Reason::Everyone
        } else if posted.thread_people.contains(&person) {
            Reason::Thread
        } else {
            continue;
        };
        out.insert(person, reason);
    }
    out
}

/// How a person stands in the channel when a mail is due.
#[derive(Debug, Clone, Copy)]
pub struct Standing {
    pub level: NotifyLevel,
    pub muted: bool,
    /// Their read marker: messages up to it are read.
    pub last_read_message_id: i64,
}

/// Why a due notification is not mailed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// They are no longer in the channel, or no longer have an account.
    Left,
    /// The message was deleted.
    Deleted,
    /// They switched email notifications off.
    Never,
    /// The channel is muted, or set to notify of nothing.
    Muted,
    /// They read it in time.
    Read,
    /// They are active in a browser: the app tells them.
    Active,
}

impl Skip {
    pub fn as_str(self) -> &'static str {
        match self {
            Skip::Left => "left",
            Skip::Deleted => "deleted",
            Skip::Never => "never",
            Skip::Muted => "muted",
            Skip::Read => "read",
            Skip::Active => "active",
        }
    }
}

/// Whether a due notification of message `message_id` is mailed: not when the person left
/// the channel, the message is gone, they want no mail, the channel is muted or set to
/// nothing, they have read it, or they are active in a browser.
pub fn verdict(
    email: EmailNotifications,
    standing: Option<Standing>,
    message_id: i64,
    deleted: bool,
    active: bool,
) -> Result<(), Skip> {
    let standing = standing.ok_or(Skip::Left)?;
    if deleted {
        return Err(Skip::Deleted);
    }
    if email == EmailNotifications::Never {
        return Err(Skip::Never);
    }
    if standing.muted || standing.level == NotifyLevel::Nothing {
        return Err(Skip::Muted);
    }
    if standing.last_read_message_id >= message_id {
        return Err(Skip::Read);
    }
    if active {
        return Err(Skip::Active);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    #[test]
    fn mail_is_due_after_the_delay_at_the_next_hour_or_at_the_digest_hour_in_ones_zone() {
        let ten = Duration::minutes(10);
        let now = at("2026-03-28 08:55:00");
        let mut p = Preferences::default();
        assert_eq!(p.due_at(now, ten), at("2026-03-28 09:05:00"));
        p.email = EmailNotifications::Hourly;
        assert_eq!(p.due_at(now, ten), at("2026-03-28 10:00:00"));
        assert_eq!(p.due_at(at("2026-03-28 08:50:00"), ten), at("2026-03-28 09:00:00"), "a full hour is the hour");
        p = Preferences {
            email: EmailNotifications::Daily,
            digest_hour: 9,
            time_zone: "Europe/Berlin".parse().unwrap(),
        };
        // 09:05 UTC is 10:05 in Berlin (CET): the digest is tomorrow at 9:00, which is
        // 07:00 UTC after the change to summer time that night.
        assert_eq!(p.due_at(now, ten), at("2026-03-29 07:00:00"));
        assert_eq!(p.due_at(at("2026-03-28 05:00:00"), ten), at("2026-03-28 08:00:00"), "today's, still ahead");
        p.time_zone = "America/New_York".parse().unwrap();
        p.digest_hour = 23;
        assert_eq!(p.due_at(now, ten), at("2026-03-29 03:00:00"), "23:00 EDT is 03:00 UTC the next day");
    }

    #[test]
    fn a_digest_hour_skipped_by_summer_time_comes_an_hour_late() {
        let p = Preferences {
            email: EmailNotifications::Daily,
            digest_hour: 2,
            time_zone: "Europe/Berlin".parse().unwrap(),
        };
        // 2:00 does not happen in Berlin on 2026-03-29; 3:00 CEST is 01:00 UTC.
        assert_eq!(p.due_at(at("2026-03-28 12:00:00"), Duration::zero()), at("2026-03-29 01:00:00"));
    }

    #[test]
    fn preferences_are_read_strictly() {
        assert_eq!(EmailNotifications::parse("daily").unwrap(), EmailNotifications::Daily);
        assert_eq!(EmailNotifications::parse("weekly").unwrap_err().code, Code::InvalidEmailNotifications);
        assert_eq!(parse_digest_hour(23).unwrap(), 23);
        assert_eq!(parse_digest_hour(24).unwrap_err().code, Code::InvalidDigestHour);
        assert_eq!(parse_digest_hour(-1).unwrap_err().code, Code::InvalidDigestHour);
        assert_eq!(parse_time_zone("Europe/Berlin").unwrap().name(), "Europe/Berlin");
        assert_eq!(parse_time_zone("Mars/Olympus").unwrap_err().code, Code::InvalidTimeZone);
    }

    #[test]
    fn a_message_calls_on_whom_it_addresses_but_its_author() {
        let people = [1, 2, 3, 4];
        let thread = [1, 4];
        let posted = Posted { author_id: 1, mentioned: &[2], thread_people: &thread, ..Posted::default() };
        let r = recipients(&posted, &people);
        assert_eq!(r.into_iter().collect::<Vec<_>>(), [(2, Reason::Mention), (4, Reason::Thread)]);
        let everyone = Posted { author_id: 1, everyone: true, mentioned: &[2], ..Posted::default() };
        assert_eq!(
            recipients(&everyone, &people).into_iter().collect::<Vec<_>>(),
            [(2, Reason::Mention), (3, Reason::Everyone), (4, Reason::Everyone)]
        );
        let direct = Posted { author_id: 3, direct: true, ..Posted::default() };
        assert_eq!(recipients(&direct, &[3, 4]).into_iter().collect::<Vec<_>>(), [(4, Reason::Direct)]);
        let mentioned_outsider = Posted { author_id: 1, mentioned: &[9], ..Posted::default() };
        assert!(recipients(&mentioned_outsider, &people).is_empty(), "only members are called on");
    }

    #[test]
    fn a_due_notification_is_mailed_only_when_still_missed() {
        let s = Standing { level: NotifyLevel::All, muted: false, last_read_message_id: 10 };
        let on = EmailNotifications::Immediately;
        assert_eq!(verdict(on, Some(s), 11, false, false), Ok(()));
        assert_eq!(verdict(on, None, 11, false, false), Err(Skip::Left));
        assert_eq!(verdict(on, Some(s), 11, true, false), Err(Skip::Deleted));
        assert_eq!(verdict(EmailNotifications::Never, Some(s), 11, false, false), Err(Skip::Never));
        assert_eq!(verdict(on, Some(Standing { muted: true, ..s }), 11, false, false), Err(Skip::Muted));
        let nothing = Standing { level: NotifyLevel::Nothing, ..s };
        assert_eq!(verdict(on, Some(nothing), 11, false, false), Err(Skip::Muted));
        assert_eq!(verdict(on, Some(s), 10, false, false), Err(Skip::Read));
        assert_eq!(verdict(on, Some(s), 11, false, true), Err(Skip::Active));
        let mentions = Standing { level: NotifyLevel::Mentions, ..s };
        assert_eq!(verdict(on, Some(mentions), 11, false, false), Ok(()), "what is mailed is addressed to them");
    }
}
