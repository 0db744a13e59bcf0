//! [`SchedulerPolicy`]: how tasks travel from the scheduler to executors (tuning guide,
//! "Push-based vs Pull-based Task Scheduling"). Both policies share the state machine and
//! its placement; only the delivery differs.
//!
//! - **pull-staged** (the default): an executor asks for work when it has a free slot, and
//!   the scheduler answers at once with the tasks placed on it, if any; with none, the
//!   executor asks again after [`PULL_INTERVAL`]. Like Spark: executors set the pace.
//! - **push-staged**: the executor keeps a call open, and the scheduler answers it the
//!   moment a task is placed on that executor. Lower latency: no interval to wait out.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// How long an idle executor waits between two requests for work under pull-staged.
pub const PULL_INTERVAL: Duration = Duration::from_millis(20);

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
