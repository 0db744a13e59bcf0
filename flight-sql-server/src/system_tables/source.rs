//! [`SystemTables`]: where the system tables read from at query time. The scheduler's
//! event loop answers a [`ClusterView`] (a message to the loop, awaited by the scan, which
//! never runs inside the loop); the session registry lists the sessions and tells who is
//! asking.

use std::sync::{Arc, Weak};

use datafusion::error::Result;
use trebuchet_cluster::scheduler::{ClusterView, SchedulerHandle};

use crate::session::{Session, SessionRegistry};
use crate::viewer::Viewer;

/// The scheduler and the sessions of one server, as its system tables read them.
#[derive(Debug, Clone)]
pub(crate) struct SystemTables {
    scheduler: SchedulerHandle,
    /// Weak: the registry's sessions hold the catalog that holds these tables.
    sessions: Weak<SessionRegistry>,
}

impl SystemTables {
    pub(crate) fn new(scheduler: SchedulerHandle, sessions: Weak<SessionRegistry>) -> Self {
        Self {
            scheduler,
            sessions,
        }
    }

    /// The cluster as the session `caller_id` may see it: the jobs of others are left
    /// out unless the caller may see everyone's.
    pub(super) async fn cluster_view(&self, caller_id: &str) -> Result<ClusterView> {
        let (viewer, _) = self.live_sessions(caller_id);
        let mut view = self.scheduler.view().await?;
        view.jobs.retain(|job| viewer.may_see(job.user.as_deref()));
        Ok(view)
    }

    /// The live sessions the session `caller_id` may see, oldest first.
    pub(super) fn sessions(&self, caller_id: &str) -> Vec<Arc<Session>> {
        let (viewer, mut sessions) = self.live_sessions(caller_id);
        sessions.retain(|session| viewer.may_see(session.user()));
        sessions.sort_by(|a, b| a.opened_at().cmp(&b.opened_at()).then(a.id().cmp(b.id())));
        sessions
    }

    /// The rule for the session `caller_id`, and every live session.
    fn live_sessions(&self, caller_id: &str) -> (Viewer, Vec<Arc<Session>>) {
        let Some(registry) = self.sessions.upgrade() else {
            return (Viewer::nobody(), Vec::new());
        };
        let sessions = registry.list();
        let caller = sessions.iter().find(|session| session.id() == caller_id);
        (Viewer::of(caller.map(Arc::as_ref), &registry), sessions)
    }
}

/// A registry whose catalog has the system tables of a scheduler started on the current
/// runtime, for unit tests; `users` as `NAME:PASSWORD` specs, `admins` among them.
#[cfg(test)]
pub(super) fn test_registry(users: &[&str], admins: &[&str]) -> Arc<SessionRegistry> {
    use std::time::Duration;

    use trebuchet_cluster::ClusterSecret;
    use trebuchet_cluster::scheduler::SchedulerSettings;

    use crate::auth::UserStore;
    use crate::catalog::SharedCatalog;
    use crate::file_access::FileAccess;

    let specs: Vec<String> = users.iter().map(|spec| spec.to_string()).collect();
    let users = UserStore::from_specs(&specs).expect("valid user specs");
    let files = admins
        .iter()
        .fold(FileAccess::default(), |files, admin| files.admin(*admin));
    let scheduler = SchedulerHandle::start(SchedulerSettings::default(), ClusterSecret::generate());
    Arc::new_cyclic(|sessions| {
        let system = SystemTables::new(scheduler, Weak::clone(sessions));
        let catalog = SharedCatalog::new()
            .with_file_access(files)
            .with_system_tables(system);
        SessionRegistry::new(catalog, users, Duration::from_secs(60))
    })
}
