//! Where shuffle files live: flat in one directory per job,
//! `<root>/<job>/s<stage>-m<map task>-a<attempt>-p<output partition>.arrow` (hash-based),
//! or `<root>/<job>/s<stage>-m<map task>-a<attempt>.arrow`, indexed by its footer (sort-based).
//!
//! Flat, because every job's files are created and deleted within seconds: each directory
//! per stage, map task or attempt was one more inode to allocate and free, and ext4 spends
//! far longer creating inodes next to recently deleted ones than writing small files (a
//! fifth of a standalone server's CPU on the TPC-H SF1 queries, docs/benchmarks.md).
//!
//! One layout shared by writers, readers and cleanup, so the three can never disagree.

use std::path::{Path, PathBuf};

use crate::error::{Result, ShuffleError};
use crate::ids::{JobId, PartitionId, StageId};
use crate::resident_outputs::{self, ShuffleMemory};

/// The directory tree of one executor's shuffle output, and the memory its sort-based map
/// outputs may be kept in instead (`resident_outputs.rs`).
#[derive(Debug, Clone)]
pub struct ShuffleLayout {
    root: PathBuf,
    memory: Option<ShuffleMemory>,
}

impl ShuffleLayout {
    /// A layout rooted at `root` (the executor's work dir), writing everything to disk.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self {
            root: root.into(),
            memory: None,
        }
    }

    /// The same layout, keeping sort-based map outputs in `memory` while they fit.
    pub fn with_memory(self, memory: ShuffleMemory) -> Self {
        Self {
            memory: Some(memory),
            ..self
        }
    }

    /// The budget map outputs may be kept in, if any.
    pub(crate) fn memory(&self) -> Option<&ShuffleMemory> {
        self.memory.as_ref()
    }

    /// The root all shuffle data lives under.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Everything a job wrote; removed as a whole when the job ends.
    pub fn job_dir(&self, job: &JobId) -> PathBuf {
        self.root.join(job.as_str())
    }

    /// The file holding output partition `output` of attempt `attempt` of map task
    /// `map_task` of a stage.
    pub fn partition_file(
        &self,
        job: &JobId,
        stage: StageId,
        map_task: PartitionId,
        attempt: u32,
        output: PartitionId,
    ) -> PathBuf {
        self.job_dir(job)
            .join(format!("s{stage}-m{map_task}-a{attempt}-p{output}.arrow"))
    }

    /// The consolidated data file of attempt `attempt` of map task `map_task` (sort-based
    /// shuffle), indexed by its footer.
    pub fn data_file(
        &self,
        job: &JobId,
        stage: StageId,
        map_task: PartitionId,
        attempt: u32,
    ) -> PathBuf {
        self.job_dir(job)
            .join(format!("s{stage}-m{map_task}-a{attempt}.arrow"))
    }

    /// Deletes every file of a job, and drops what it kept in memory. A job that wrote
    /// nothing is not an error.
    pub fn remove_job(&self, job: &JobId) -> Result<()> {
        let path = self.job_dir(job);
        resident_outputs::forget_job(&path);
        match std::fs::remove_dir_all(&path) {
            Ok(()) => Ok(()),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(ShuffleError::RemoveJobDirectory { path, source }),
        }
    }
}

impl ShuffleLayout {
    /// Deletes the files of every job under the root: an executor's shuffle output is
    /// useless once it stops serving it. Only job directories (`job-…`) are touched.
    pub fn remove_all_jobs(&self) {
        resident_outputs::forget_all_under(&self.root);
        let Ok(entries) = std::fs::read_dir(&self.root) else {
            return;
        };
        for entry in entries.flatten().filter(is_job_dir) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }

    /// Jobs whose directory was last modified more than `age` ago. Only job directories
    /// count: the work dir also holds others (the executor's spill directory).
    pub fn jobs_older_than(&self, age: std::time::Duration) -> Vec<JobId> {
        let Ok(entries) = std::fs::read_dir(&self.root) else {
            return Vec::new();
        };
        entries
            .flatten()
            .filter(is_job_dir)
            .filter(|entry| {
                entry
                    .metadata()
                    .and_then(|metadata| metadata.modified())
                    .ok()
                    .and_then(|modified| modified.elapsed().ok())
                    .is_some_and(|elapsed| elapsed > age)
            })
            .filter_map(|entry| entry.file_name().to_str().map(JobId::new))
            .collect()
    }
}

/// A directory named like the jobs the scheduler mints (`job-…`).
fn is_job_dir(entry: &std::fs::DirEntry) -> bool {
    let named_like_a_job = entry
        .file_name()
        .to_str()
        .is_some_and(|name| name.starts_with("job-"));
    named_like_a_job && entry.file_type().is_ok_and(|kind| kind.is_dir())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_lie_flat_in_their_job_directory_named_by_stage_map_task_and_attempt() {
        let layout = ShuffleLayout::new("/work");
        let path = layout.partition_file(
            &JobId::new("j1"),
            StageId(2),
            PartitionId(3),
            1,
            PartitionId(7),
        );
        assert_eq!(path, PathBuf::from("/work/j1/s2-m3-a1-p7.arrow"));
        let data = layout.data_file(&JobId::new("j1"), StageId(2), PartitionId(3), 1);
        assert_eq!(data, PathBuf::from("/work/j1/s2-m3-a1.arrow"));
    }

    #[test]
    fn only_job_directories_are_swept_or_removed_wholesale() {
        let dir = tempfile::tempdir().unwrap();
        let layout = ShuffleLayout::new(dir.path());
        for name in ["job-1", "spill", "tpch"] {
            std::fs::create_dir_all(dir.path().join(name)).unwrap();
        }
        let old: Vec<String> = layout
            .jobs_older_than(std::time::Duration::ZERO)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(old, ["job-1"]);
        layout.remove_all_jobs();
        assert!(!dir.path().join("job-1").exists());
        assert!(dir.path().join("spill").exists() && dir.path().join("tpch").exists());
    }

    #[test]
    fn removing_a_job_deletes_its_files_and_tolerates_absent_jobs() {
        let dir = tempfile::tempdir().unwrap();
        let layout = ShuffleLayout::new(dir.path());
        let job = JobId::new("job");
        let file = layout.partition_file(&job, StageId(1), PartitionId(0), 1, PartitionId(0));
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, b"x").unwrap();

        layout.remove_job(&job).unwrap();
        assert!(!layout.job_dir(&job).exists());
        layout.remove_job(&job).unwrap();
    }
}
