//! Rate limits per person, shared by every connection and route of a node: writes (every
//! request that changes something), frames sent over live connections, and how many live
//! connections one person holds. Keyed by user id, so opening more connections or using
//! several tokens buys nobody more.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// The limits of a node.
pub struct Limits {
    writes: DefaultKeyedRateLimiter<i64>,
    /// The same allowance per personal access token, so that one script cannot use up its
    /// person's whole allowance.
    token_writes: DefaultKeyedRateLimiter<i64>,
    /// Anonymous requests that cost something (sign-ups, reset requests), per address.
    anonymous: DefaultKeyedRateLimiter<String>,
    frames: DefaultKeyedRateLimiter<i64>,
    /// Messages per incoming webhook.
    hooks: DefaultKeyedRateLimiter<i64>,
    connections: Mutex<HashMap<i64, usize>>,
    max_connections: usize,
}

/// Live client frames a person may send, across all their connections: a second's worth
/// of 10 on each of a few tabs, in bursts of 40.
const FRAMES_PER_SECOND: u32 = 20;

const FRAME_BURST: u32 = 40;

/// Messages an incoming webhook may post: about one a second, as Slack allows, in bursts.
const HOOK_PER_MINUTE: u32 = 60;

/// How many messages a webhook may post at once before the rate applies.
pub const HOOK_BURST: u32 = 30;

fn nonzero(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN)
}

impl Limits {
    /// `writes_per_minute` sustained, in bursts of `write_burst`; at most `max_connections`
    /// live connections per person; `anonymous_per_hour` sign-ups and reset requests per
    /// address, a third of them at once.
    pub fn new(writes_per_minute: u32, write_burst: u32, max_connections: usize, anonymous_per_hour: u32) -> Limits {
        let writes = Quota::per_minute(nonzero(writes_per_minute)).allow_burst(nonzero(write_burst));
        let frames = Quota::per_second(nonzero(FRAMES_PER_SECOND)).allow_burst(nonzero(FRAME_BURST));
        let anonymous = Quota::per_hour(nonzero(anonymous_per_hour)).allow_burst(nonzero(anonymous_per_hour / 3));
        Limits {
            writes: RateLimiter::keyed(writes),
            token_writes: RateLimiter::keyed(
                Quota::per_minute(nonzero(writes_per_minute / 2)).allow_burst(nonzero(write_burst / 2)),
            ),
            anonymous: RateLimiter::keyed(anonymous),
            frames: RateLimiter::keyed(frames),
            hooks: RateLimiter::keyed(Quota::per_minute(nonzero(HOOK_PER_MINUTE)).allow_burst(nonzero(HOOK_BURST))),
            connections: Mutex::new(HashMap::new()),
            max_connections,
        }
    }

    /// Counts a write by `user_id`, through personal access token `token_id` if one was
    /// used; `Err(wait)` when over either limit. A token gets half its person's allowance.
    pub fn write(&self, user_id: i64, token_id: Option<i64>) -> Result<(), Duration> {
        let now = DefaultClock::default().now();
        if let Some(token) = token_id {
            self.token_writes.check_key(&token).map_err(|no| no.wait_time_from(now))?;
        }
        self.writes.check_key(&user_id).map_err(|no| no.wait_time_from(now))
    }

    /// Counts a sign-up or reset request from `address`; `Err(wait)` when over the limit.
    pub fn anonymous(&self, address: &str) -> Result<(), Duration> {
        self.anonymous.check_key(&address.to_owned()).map_err(|no| no.wait_time_from(DefaultClock::default().now()))
    }

    /// Counts a message posted through incoming webhook `hook_id`; `Err(wait)` when over.
    pub fn hook(&self, hook_id: i64) -> Result<(), Duration> {
        self.hooks.check_key(&hook_id).map_err(|no| no.wait_time_from(DefaultClock::default().now()))
    }

    /// Counts a live frame from `user_id`; false when over the limit.
    pub fn frame(&self, user_id: i64) -> bool {
        self.frames.check_key(&user_id).is_ok()
    }

    /// Takes a live connection for `user_id`; `None` when they hold the most allowed. The
    /// connection is given back when the returned guard is dropped.
    pub fn connect(self: &std::sync::Arc<Self>, user_id: i64) -> Option<ConnectionSlot> {
        let mut held = self.connections.lock().unwrap_or_else(|p| p.into_inner());
        let n = held.entry(user_id).or_insert(0);
        if *n >= self.max_connections {
            return None;
        }
        *n += 1;
        Some(ConnectionSlot { limits: self.clone(), user_id })
    }
}

/// One live connection of a person, counted until dropped.
pub struct ConnectionSlot {
    limits: std::sync::Arc<Limits>,
    user_id: i64,
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        let mut held = self.limits.connections.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = held.get_mut(&self.user_id) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                held.remove(&self.user_id);
            }
        }
    }
}
