//! Seals the handles and tickets we hand to clients, so that nobody can forge one and
//! nobody but their owner can redeem one.
//!
//! A sealed handle is the handle's bytes, the session (and user) it was issued to, and an
//! HMAC-SHA256 tag over all of it, keyed by a secret that never leaves this process. A
//! handle that fails the tag was not issued by this server (`INVALID_ARGUMENT`); one
//! issued to another session is refused (`PERMISSION_DENIED`) before anything it names is
//! touched.
//!
//! With authentication off every client is the same anonymous principal and many clients
//! open a session per call, so handles are then bound to no session: they stay
//! unforgeable, and any client may redeem them (see docs/security.md).

use hmac::{Hmac, Mac};
use prost::Message;
use sha2::Sha256;

use crate::error::{FlightSqlError, Result};
use crate::session::Session;

const VERSION: u32 = 1;

/// The kinds of sealed handle; a handle of one kind is never accepted as another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HandleKind {
    PreparedStatement,
    Ticket,
    /// A `PollFlightInfo` retry descriptor.
    Poll,
}

impl HandleKind {
    fn label(self) -> &'static str {
        match self {
            Self::PreparedStatement => "prepared statement handle",
            Self::Ticket => "ticket",
            Self::Poll => "poll descriptor",
        }
    }
}

/// The key handles are sealed with; one per server process.
#[derive(Clone)]
pub(crate) struct HandleSeal {
    key: [u8; 32],
}

impl std::fmt::Debug for HandleSeal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the key.
        f.debug_struct("HandleSeal").finish_non_exhaustive()
    }
}

/// What travels on the wire.
#[derive(Clone, PartialEq, Message)]
struct SealedHandle {
    #[prost(uint32, tag = "1")]
    version: u32,
    /// The session the handle was issued to; empty when authentication is off.
    #[prost(string, tag = "2")]
    session_id: String,
    #[prost(string, tag = "3")]
    user: String,
    #[prost(bytes = "vec", tag = "4")]
    payload: Vec<u8>,
    #[prost(bytes = "vec", tag = "5")]
    tag: Vec<u8>,
}

impl HandleSeal {
    /// A seal with a fresh random key: handles die with the process that issued them.
    pub(crate) fn random() -> Self {
        Self {
            key: rand::random(),
        }
    }

    /// Seals `payload` as a handle of `kind` owned by `owner`.
    pub(crate) fn seal(&self, kind: HandleKind, owner: &Session, payload: Vec<u8>) -> Vec<u8> {
        let (session_id, user) = match owner.user() {
            Some(user) => (owner.id().to_string(), user.to_string()),
            None => (String::new(), String::new()),
        };
        let mut sealed = SealedHandle {
            version: VERSION,
            session_id,
            user,
            payload,
            tag: Vec::new(),
        };
        sealed.tag = self.mac(kind, &sealed).finalize().into_bytes().to_vec();
        sealed.encode_to_vec()
    }

    /// The payload of a handle of `kind`, if this server sealed it for `caller`'s session.
    pub(crate) fn open(&self, kind: HandleKind, caller: &Session, bytes: &[u8]) -> Result<Vec<u8>> {
        let not_ours = |reason: &str| FlightSqlError::DecodeHandle {
            what: kind.label(),
            reason: format!("not issued by this server ({reason})"),
        };
        let sealed = SealedHandle::decode(bytes).map_err(|_| not_ours("malformed"))?;
        if sealed.version != VERSION {
            return Err(not_ours("unknown version"));
        }
        // In constant time: a forged tag teaches nothing about the right one.
        self.mac(kind, &sealed)
            .verify_slice(&sealed.tag)
            .map_err(|_| not_ours("bad signature"))?;
        let bound_to_session = !sealed.user.is_empty();
        let is_owner =
            caller.user() == Some(sealed.user.as_str()) && caller.id() == sealed.session_id;
        if bound_to_session && !is_owner {
            return Err(FlightSqlError::NotOwner { what: kind.label() });
        }
        Ok(sealed.payload)
    }

    /// The MAC over everything a sealed handle says, its tag aside.
    fn mac(&self, kind: HandleKind, sealed: &SealedHandle) -> Hmac<Sha256> {
        // Every field is length-prefixed, so no two handles share the signed bytes.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .expect("HMAC takes a key of any length");
        for field in [
            kind.label().as_bytes(),
            &sealed.version.to_le_bytes(),
            sealed.session_id.as_bytes(),
            sealed.user.as_bytes(),
            &sealed.payload,
        ] {
            mac.update(&(field.len() as u64).to_le_bytes());
            mac.update(field);
        }
        mac
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::{test_session, test_session_of};

    #[test]
    fn the_owner_opens_what_was_sealed_for_it() {
        let seal = HandleSeal::random();
        let alice = test_session_of(Some("alice"));
        let sealed = seal.seal(HandleKind::Ticket, &alice, b"payload".to_vec());
        let payload = seal.open(HandleKind::Ticket, &alice, &sealed).unwrap();
        assert_eq!(payload, b"payload");
    }

    #[test]
    fn another_session_or_user_is_refused() {
        let seal = HandleSeal::random();
        let alice = test_session_of(Some("alice"));
        let sealed = seal.seal(HandleKind::Ticket, &alice, b"p".to_vec());
        for other in [
            test_session_of(Some("bob")),
            test_session_of(Some("alice")),
            test_session(),
        ] {
            let err = seal.open(HandleKind::Ticket, &other, &sealed).unwrap_err();
            assert!(matches!(err, FlightSqlError::NotOwner { .. }), "{err}");
        }
    }

    #[test]
    fn without_authentication_any_session_opens_a_handle() {
        let seal = HandleSeal::random();
        let sealed = seal.seal(HandleKind::Ticket, &test_session(), b"p".to_vec());
        assert!(
            seal.open(HandleKind::Ticket, &test_session(), &sealed)
                .is_ok()
        );
    }

    #[test]
    fn forged_altered_or_foreign_handles_are_refused() {
        let seal = HandleSeal::random();
        let alice = test_session_of(Some("alice"));
        let sealed = seal.seal(HandleKind::Ticket, &alice, b"p".to_vec());
        let other_server = HandleSeal::random();
        assert!(
            other_server
                .open(HandleKind::Ticket, &alice, &sealed)
                .is_err()
        );
        assert!(
            seal.open(HandleKind::PreparedStatement, &alice, &sealed)
                .is_err()
        );
        let mut altered = SealedHandle::decode(sealed.as_slice()).unwrap();
        altered.payload = b"q".to_vec();
        let err = seal
            .open(HandleKind::Ticket, &alice, &altered.encode_to_vec())
            .unwrap_err();
        assert!(
            err.to_string().contains("not issued by this server"),
            "{err}"
        );
        // Unsigned: the owner fields cleared to look like a handle of the anonymous user.
        let mut unbound = SealedHandle::decode(sealed.as_slice()).unwrap();
        unbound.user.clear();
        unbound.session_id.clear();
        assert!(
            seal.open(HandleKind::Ticket, &alice, &unbound.encode_to_vec())
                .is_err()
        );
        assert!(seal.open(HandleKind::Ticket, &alice, b"\xff\xff").is_err());
    }
}
