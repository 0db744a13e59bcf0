//! Typed identifiers shared by the data plane and the control plane.
//!
//! Newtypes keep a stage number from ever being passed where a partition is expected.

use std::fmt;

/// A distributed query: every stage, task and shuffle file belongs to exactly one job.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JobId(String);

impl JobId {
    /// Wraps an id minted by the scheduler. Only characters that are safe in a path
    /// component are kept, so a job id can never escape the shuffle root.
    pub fn new(id: impl Into<String>) -> Self {
        let id: String = id
            .into()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        Self(id)
    }

    /// A fresh, unguessable id: 128 random bits. Knowing one job's id tells nothing about
    /// another's, so an id alone never reaches someone else's results.
    pub fn unique() -> Self {
        let bits: u128 = rand::random();
        Self(format!("job-{bits:032x}"))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An executor process, named by the id it registered with.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ExecutorId(String);

impl ExecutorId {
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ExecutorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

macro_rules! numeric_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub u32);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

numeric_id!(
    /// A stage of a job: the unit cut wherever partitioning changes.
    StageId
);
numeric_id!(
    /// A partition of a stage's input or output.
    PartitionId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_id_drops_characters_that_could_escape_a_directory() {
        assert_eq!(JobId::new("../etc/x").as_str(), "etcx");
        assert_eq!(JobId::new("job-1_a").to_string(), "job-1_a");
    }

    #[test]
    fn numeric_ids_display_as_plain_numbers() {
        assert_eq!(StageId(3).to_string(), "3");
        assert_eq!(PartitionId(12).to_string(), "12");
    }
}
