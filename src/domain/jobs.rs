//! Rules of durable jobs: when a failed attempt is tried again, and which jobs a listing
//! asks for. Pure: the caller supplies the randomness.

use std::time::Duration;

use super::{Code, Invalid};

/// The longest wait between two attempts, however many have failed.
pub const RETRY_CAP: Duration = Duration::from_secs(3600);

/// How long to wait after failed attempt number `attempt` (1 for the first) before the
/// next: `base` doubled per earlier failure, capped at [`RETRY_CAP`], then jittered into
/// its upper half by `jitter` (0.0–1.0) so that jobs failing together do not retry in step.
pub fn backoff(base: Duration, attempt: i32, jitter: f64) -> Duration {
    let doublings = u32::try_from(attempt.saturating_sub(1).clamp(0, 30)).unwrap_or(0);
    let full = base.saturating_mul(1u32 << doublings).min(RETRY_CAP);
    let half = full / 2;
    half + half.mul_f64(jitter.clamp(0.0, 1.0))
}

/// Which jobs a listing shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobFilter {
    /// Not yet done: waiting, running, or waiting for a retry.
    Pending,
    /// Given up on after the last attempt, or rejected for good.
    Failed,
    /// Both: everything an operator may need to look at.
    Unfinished,
}

impl JobFilter {
    /// `pending`, `failed`, or nothing for both.
    pub fn parse(raw: Option<&str>) -> Result<JobFilter, Invalid> {
        match raw.map(str::trim) {
            None | Some("") => Ok(JobFilter::Unfinished),
            Some("pending") => Ok(JobFilter::Pending),
            Some("failed") => Ok(JobFilter::Failed),
            Some(other) => {
                Err(Invalid::new(Code::InvalidJobState, format!("state must be pending or failed, not \"{other}\".")))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_doubles_per_failure_within_its_jitter() {
        let base = Duration::from_secs(30);
        let cases = [
            (1, 0.0, 15, "the first retry waits half the base at least"),
            (1, 1.0, 30, "and the whole base at most"),
            (2, 0.0, 30, "the second doubles"),
            (3, 1.0, 120, "the third doubles again"),
            (9, 1.0, 3600, "the cap holds"),
            (1_000, 0.5, 2700, "and holds for absurd attempt counts"),
            (0, 1.0, 30, "attempt 0 is treated as the first"),
        ];
        for (attempt, jitter, secs, why) in cases {
            assert_eq!(backoff(base, attempt, jitter), Duration::from_secs(secs), "{why}");
        }
    }

    #[test]
    fn listings_name_a_state_or_none() {
        assert_eq!(JobFilter::parse(None), Ok(JobFilter::Unfinished));
        assert_eq!(JobFilter::parse(Some("failed")), Ok(JobFilter::Failed));
        assert_eq!(JobFilter::parse(Some("pending")), Ok(JobFilter::Pending));
        assert_eq!(JobFilter::parse(Some("lost")).unwrap_err().code, Code::InvalidJobState);
    }
}
