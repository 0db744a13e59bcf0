//! [`Viewer`]: whose jobs and sessions a caller sees, the one rule behind the REST API,
//! the web UI and the `system.*` tables. With users configured, a user sees only their own
//! jobs and sessions, and an admin (`--admin NAME`) everyone's; without users every client
//! is the same anonymous user and sees everything.

use crate::file_access::FileAccess;
use crate::session::{Session, SessionRegistry};

/// The access rule applied to one query of a system table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Viewer {
    /// The authenticated caller; `None` with authentication off, or when the caller's
    /// session is unknown.
    user: Option<String>,
    sees_everyone: bool,
}

impl Viewer {
    /// The rule for `user`, authenticated by the caller, or for anyone when `None` comes
    /// from a server without users.
    pub(crate) fn new(user: Option<String>, sees_everyone: bool) -> Self {
        Self {
            user,
            sees_everyone,
        }
    }

    /// The rule for `caller`, a session of `registry` (`None`: not found, e.g. expired).
    pub(crate) fn of(caller: Option<&Session>, registry: &SessionRegistry) -> Self {
        let authentication_off = registry.users().is_empty();
        let user = caller.and_then(Session::user);
        let is_admin = caller.is_some_and(|session| FileAccess::of(session.ctx()).is_admin(user));
        Self {
            user: user.map(str::to_string),
            sees_everyone: authentication_off || is_admin,
        }
    }

    /// A caller who sees no one's rows: the registry is gone, so nobody can be checked.
    pub(crate) fn nobody() -> Self {
        Self {
            user: None,
            sees_everyone: false,
        }
    }

    /// Whether a row owned by `owner` (a job's or a session's user) is shown.
    pub(crate) fn may_see(&self, owner: Option<&str>) -> bool {
        self.sees_everyone || (self.user.is_some() && owner == self.user.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn viewer(user: Option<&str>, sees_everyone: bool) -> Viewer {
        Viewer {
            user: user.map(str::to_string),
            sees_everyone,
        }
    }

    #[test]
    fn users_see_only_their_own_rows() {
        let bob = viewer(Some("bob"), false);
        assert!(bob.may_see(Some("bob")));
        assert!(!bob.may_see(Some("alice")));
        assert!(!bob.may_see(None));
    }

    #[test]
    fn admins_and_everyone_without_authentication_see_all_rows() {
        assert!(viewer(Some("carol"), true).may_see(Some("alice")));
        assert!(viewer(None, true).may_see(None));
    }

    #[test]
    fn an_unknown_caller_sees_nothing() {
        assert!(!Viewer::nobody().may_see(None));
        assert!(!Viewer::nobody().may_see(Some("alice")));
    }
}
