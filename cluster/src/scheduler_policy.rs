//! [`SchedulerPolicy`]: how tasks travel from the scheduler to executors (tuning guide,
//! "Push-based vs Pull-based Task Scheduling"). Both policies share the state machine and
//! its placement; only the delivery differs.
//!
//! - **pull-staged** (the default): an executor asks for work, and the scheduler answers
//!   with the tasks placed on it the moment there are any, or empty after [`PULL_INTERVAL`];
//!   the executor then asks again. Executors set the pace and check in 50 times a second
//!   when idle.
//! - **push-staged**: the executor keeps a call open for up to [`PUSH_HOLD`], and the
//!   scheduler answers it the moment a task is placed on that executor.
//!
//! Both answer as soon as work is placed. An earlier pull-staged answered at once and had an
//! idle executor sleep out the interval before asking again: every stage then waited up to
//! 20 ms for its tasks to be picked up, which cost 20–40% on queries of many small stages.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// The longest the scheduler holds an executor's request for work under pull-staged.
pub const PULL_INTERVAL: Duration = Duration::from_millis(20);

/// The longest the scheduler holds an executor's open call under push-staged.
pub(crate) const PUSH_HOLD: Duration = Duration::from_secs(10);

/// The two task delivery policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SchedulerPolicy {
    #[default]
    PullStaged,
    PushStaged,
}

impl SchedulerPolicy {
    /// The name on the command line and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PullStaged => "pull-staged",
            Self::PushStaged => "push-staged",
        }
    }

    /// How long the scheduler may hold an executor's request for work before answering it
    /// empty; it answers at once when work is placed.
    pub fn poll_hold(self) -> Duration {
        match self {
            Self::PullStaged => PULL_INTERVAL,
            Self::PushStaged => PUSH_HOLD,
        }
    }
}

impl fmt::Display for SchedulerPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SchedulerPolicy {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "pull-staged" => Ok(Self::PullStaged),
            "push-staged" => Ok(Self::PushStaged),
            other => Err(format!(
                "unknown scheduler policy '{other}': expected pull-staged or push-staged"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_ones_are_refused() {
        for policy in [SchedulerPolicy::PullStaged, SchedulerPolicy::PushStaged] {
            assert_eq!(policy.as_str().parse::<SchedulerPolicy>(), Ok(policy));
        }
        assert_eq!(SchedulerPolicy::default(), SchedulerPolicy::PullStaged);
        let err = "push".parse::<SchedulerPolicy>().unwrap_err();
        assert!(err.contains("pull-staged or push-staged"), "{err}");
    }
}
