//! What this node keeps in memory for tips, and nowhere else: abuse limits keyed by a salted,
//! rotating hash of the client's address (the address itself is never kept, the salt is never
//! written, and both are forgotten every window), and the identities editors unlocked for their
//! newsroom session (wiped on sign-out or expiry).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dateline_db::Store;
use dateline_tips::{EditorIdentity, InstallSecret, SpentProofs};
use sha2::{Digest, Sha256};

use axum::extract::{FromRequestParts, Request};
use axum::middleware::Next;
use axum::response::Response;
use http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERRER_POLICY, SET_COOKIE};
use http::request::Parts;
use http::{HeaderName, HeaderValue};

use crate::{AppState, WebError};

/// The tip pages' policy: the public pages' own-origin rules, no inline anything, forms only to
/// this site, and no framing.
const TIPS_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data: blob:; font-src 'self'; connect-src 'none'; media-src 'none'; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Middleware for `/tips*`: never cached anywhere, no referrer to leak where the tipster came
/// from or goes, strict CSP, no cookie, not indexed.
pub(crate) async fn private_tip_pages(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(TIPS_CSP));
    headers.insert(
        HeaderName::from_static("x-robots-tag"),
        HeaderValue::from_static("noindex, nofollow"),
    );
    headers.remove(SET_COOKIE);
    response
}

/// The client's address, for the in-memory limits only: it is hashed with this window's salt
/// the moment it is used and never stored, logged or rendered.
pub(crate) struct ClientAddress(pub(crate) IpAddr);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(crate::newsroom::client_address(&parts.extensions)))
    }
}

/// One window of the rate limits; the address salt is replaced when it ends.
const WINDOW: Duration = Duration::from_secs(60 * 60);
/// Tips one address may send per window; enough for a tipster who sends several documents.
pub(crate) const SUBMISSIONS_PER_ADDRESS: u32 = 10;
/// Tips the whole site accepts per window on this node, whatever the addresses: a flood from
/// many addresses cannot bury the inbox.
pub(crate) const SUBMISSIONS_PER_NODE: u32 = 500;
/// Wrong codenames one address may type per window before follow-ups are refused.
pub(crate) const WRONG_CODENAMES_PER_ADDRESS: u32 = 10;
pub(crate) const WRONG_CODENAMES_PER_NODE: u32 = 200;

/// Spent proofs of work this node remembers without asking the database. Proofs are only spent
/// past the per-address limit, so at most the node's cap per window arrive; this holds the
/// six windows a form token lives, with room to spare.
const SPENT_PROOFS_IN_MEMORY: usize = 4 * 1024;

/// An unlocked identity lives as long as a newsroom session may be idle.
const UNLOCKED_FOR: Duration = Duration::from_secs(2 * 60 * 60);

/// Codenames stretched at once on this node. Each derivation is argon2id over 19 MiB
/// (`dateline_tips::Codename`), run twice per tip sent or opened: unbounded, a burst of tips or
/// codename guesses held that memory many times over (about 190 MB for ten tips at once, in
/// `bench/abuse.sh`). The rest wait their turn; the tips limits bound how many can wait.
const DERIVATIONS_AT_ONCE: usize = 2;

pub(crate) struct TipsState {
    install: tokio::sync::OnceCell<InstallSecret>,
    derivations: Arc<tokio::sync::Semaphore>,
    limits: Mutex<Limits>,
    spent_proofs: Mutex<SpentProofs>,
    unlocked: Mutex<HashMap<i64, Unlocked>>,
}

/// A proof of work that holds for its form token, not yet known to be spent.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ProofOfWork {
    /// `dateline_tips::spent_proof_key` of the token.
    pub(crate) key: [u8; 32],
    /// When the token expires (Unix seconds).
    pub(crate) expires_at: i64,
}

struct Limits {
    started: Instant,
    salt: [u8; 32],
    submissions: HashMap<[u8; 32], u32>,
    wrong_codenames: HashMap<[u8; 32], u32>,
    node_submissions: u32,
    node_wrong_codenames: u32,
}

impl Limits {
    fn fresh() -> Self {
        let mut salt = [0u8; 32];
        // Without randomness the salt is still unknown outside this process's memory.
        if getrandom::fill(&mut salt).is_err() {
            salt = Sha256::digest(format!("{:?}", Instant::now()).as_bytes()).into();
        }
        Self {
            started: Instant::now(),
            salt,
            submissions: HashMap::new(),
            wrong_codenames: HashMap::new(),
            node_submissions: 0,
            node_wrong_codenames: 0,
        }
    }

    fn current(&mut self) -> &mut Self {
        if self.started.elapsed() >= WINDOW {
            *self = Self::fresh();
        }
        self
    }

    fn client(&self, address: IpAddr) -> [u8; 32] {
        let mut hasher = Sha256::new();
        hasher.update(self.salt);
        hasher.update(address.to_string().as_bytes());
        hasher.finalize().into()
    }
}

struct Unlocked {
    identities: Vec<EditorIdentity>,
    until: Instant,
}

/// Why a tipster is turned away for now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Busy {
    Address,
    Node,
}

impl TipsState {
    pub(crate) fn new() -> Self {
        Self {
            install: tokio::sync::OnceCell::new(),
            derivations: Arc::new(tokio::sync::Semaphore::new(DERIVATIONS_AT_ONCE)),
            limits: Mutex::new(Limits::fresh()),
            spent_proofs: Mutex::new(SpentProofs::new(SPENT_PROOFS_IN_MEMORY)),
            unlocked: Mutex::new(HashMap::new()),
        }
    }

    /// A turn to stretch a codename ([`DERIVATIONS_AT_ONCE`]); hold it until the derivation ends.
    pub(crate) async fn derivation_turn(&self) -> tokio::sync::OwnedSemaphorePermit {
        Arc::clone(&self.derivations)
            .acquire_owned()
            .await
            .expect("the derivations semaphore is never closed")
    }

    /// The installation's secret, made by the first node that needs it.
    pub(crate) async fn install(&self, store: &Store) -> Result<&InstallSecret, WebError> {
        self.install
            .get_or_try_init(|| async {
                let fresh = InstallSecret::generate()
                    .map_err(|error| WebError::Internal(error.to_string()))?;
                let secret = store.tip_install_secret(fresh.as_bytes()).await?;
                Ok::<_, WebError>(InstallSecret::from_bytes(secret))
            })
            .await
    }

    /// Counts a submission from `address` if the limits allow it. A submission that carries a
    /// valid proof of work passes the per-address limit (many people may share an address), but
    /// never the per-node cap.
    pub(crate) fn admit_submission(
        &self,
        address: IpAddr,
        proof_of_work: bool,
    ) -> Result<(), Busy> {
        let Ok(mut limits) = self.limits.lock() else {
            return Err(Busy::Node);
        };
        let limits = limits.current();
        if limits.node_submissions >= SUBMISSIONS_PER_NODE {
            return Err(Busy::Node);
        }
        let client = limits.client(address);
        let count = limits.submissions.entry(client).or_insert(0);
        if *count >= SUBMISSIONS_PER_ADDRESS && !proof_of_work {
            return Err(Busy::Address);
        }
        *count += 1;
        limits.node_submissions += 1;
        Ok(())
    }

    /// Admits a tip from `address`: under the plain limits, or past the per-address one with a
    /// proof of work that has not been spent before, here or on any other node. A proof is
    /// spent only when it is needed, so every proof spent lets a tip in (the node cap bounds
    /// how many are remembered).
    pub(crate) async fn admit(
        &self,
        store: &Store,
        address: IpAddr,
        proof: Option<ProofOfWork>,
    ) -> Result<Result<(), Busy>, WebError> {
        match (self.admit_submission(address, false), proof) {
            (Err(Busy::Address), Some(proof)) => {
                if self.spend_proof(store, proof).await? {
                    Ok(self.admit_submission(address, true))
                } else {
                    Ok(Err(Busy::Address))
                }
            }
            (admitted, _) => Ok(admitted),
        }
    }

    /// True the first time `proof` is spent on any node; a replay is false.
    async fn spend_proof(&self, store: &Store, proof: ProofOfWork) -> Result<bool, WebError> {
        let now = jiff::Timestamp::now().as_second();
        let known = self
            .spent_proofs
            .lock()
            .is_ok_and(|spent| spent.is_spent(&proof.key, now));
        if known {
            return Ok(false);
        }
        let expires_at = jiff::Timestamp::from_second(proof.expires_at)
            .map_err(|error| WebError::Internal(error.to_string()))?;
        let first = store
            .spend_tip_proof(&proof.key, expires_at, jiff::Timestamp::now())
            .await?;
        if let Ok(mut spent) = self.spent_proofs.lock() {
            spent.remember(proof.key, proof.expires_at, now);
        }
        Ok(first)
    }

    /// Whether `address` may try another codename.
    pub(crate) fn may_try_codename(&self, address: IpAddr) -> Result<(), Busy> {
        let Ok(mut limits) = self.limits.lock() else {
            return Err(Busy::Node);
        };
        let limits = limits.current();
        if limits.node_wrong_codenames >= WRONG_CODENAMES_PER_NODE {
            return Err(Busy::Node);
        }
        let client = limits.client(address);
        match limits.wrong_codenames.get(&client) {
            Some(count) if *count >= WRONG_CODENAMES_PER_ADDRESS => Err(Busy::Address),
            _ => Ok(()),
        }
    }

    pub(crate) fn wrong_codename(&self, address: IpAddr) {
        let Ok(mut limits) = self.limits.lock() else {
            return;
        };
        let limits = limits.current();
        let client = limits.client(address);
        *limits.wrong_codenames.entry(client).or_insert(0) += 1;
        limits.node_wrong_codenames += 1;
    }

    /// Keeps `identities` for the newsroom session `session_id`.
    pub(crate) fn unlock(&self, session_id: i64, identities: Vec<EditorIdentity>) {
        if let Ok(mut unlocked) = self.unlocked.lock() {
            unlocked.retain(|_, entry| entry.until > Instant::now());
            unlocked.insert(
                session_id,
                Unlocked {
                    identities,
                    until: Instant::now() + UNLOCKED_FOR,
                },
            );
        }
    }

    /// The identities the session unlocked, if it did and they have not expired; using them
    /// keeps them for another idle period.
    pub(crate) fn unlocked(&self, session_id: i64) -> Option<Vec<EditorIdentity>> {
        let mut unlocked = self.unlocked.lock().ok()?;
        // Dropping an entry drops its keys, which wipe themselves.
        unlocked.retain(|_, entry| entry.until > Instant::now());
        let entry = unlocked.get_mut(&session_id)?;
        entry.until = Instant::now() + UNLOCKED_FOR;
        Some(entry.identities.clone())
    }

    /// Forgets the session's identities (sign-out, or "lock" in the inbox).
    pub(crate) fn lock(&self, session_id: i64) {
        if let Ok(mut unlocked) = self.unlocked.lock() {
            unlocked.remove(&session_id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_count_per_address_and_per_node() {
        let tips = TipsState::new();
        let a: IpAddr = "192.0.2.1".parse().expect("address");
        let b: IpAddr = "192.0.2.2".parse().expect("address");
        for _ in 0..SUBMISSIONS_PER_ADDRESS {
            assert_eq!(tips.admit_submission(a, false), Ok(()));
        }
        assert_eq!(tips.admit_submission(a, false), Err(Busy::Address));
        assert_eq!(tips.admit_submission(a, true), Ok(()));
        assert_eq!(tips.admit_submission(b, false), Ok(()));
        for _ in 0..WRONG_CODENAMES_PER_ADDRESS {
            assert_eq!(tips.may_try_codename(a), Ok(()));
            tips.wrong_codename(a);
        }
        assert_eq!(tips.may_try_codename(a), Err(Busy::Address));
        assert_eq!(tips.may_try_codename(b), Ok(()));
    }
}
