//! What this node keeps in memory for tips, and nowhere else: abuse limits keyed by a salted,
//! rotating hash of the client's address (the address itself is never kept, the salt is never
//! written, and both are forgotten every window), and the identities editors unlocked for their
//! newsroom session (wiped on sign-out or expiry).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dateline_tips::{EditorIdentity, InstallSecret, SpentProofs};
use dateline_usecases::Context;
use hmac::{Hmac, Mac};
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
    private_headers(response.headers_mut());
    response
}

/// The headers of every answer from `/tips*`, whoever answers it (the router, or the listener
/// refusing a tip: `public::tips::refuse_on_listener`).
pub(crate) fn private_headers(headers: &mut http::HeaderMap) {
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(TIPS_CSP));
    headers.insert(
        HeaderName::from_static("x-robots-tag"),
        HeaderValue::from_static("noindex, nofollow"),
    );
    headers.remove(SET_COOKIE);
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

/// One window of the tip limits. Windows are aligned on the clock, so every node counts in the
/// same one.
const WINDOW: Duration = Duration::from_secs(60 * 60);
/// Tips one address may send per window; enough for a tipster who sends several documents.
pub(crate) const SUBMISSIONS_PER_ADDRESS: u32 = 10;
/// Tips the whole site accepts per window, whatever the addresses and whichever nodes they
/// reach: a flood from many addresses cannot bury the inbox.
pub(crate) const SUBMISSIONS_PER_SITE: u32 = 500;
/// Wrong codenames one address may type per window before follow-ups are refused, and the whole
/// site.
pub(crate) const WRONG_CODENAMES_PER_ADDRESS: u32 = 10;
pub(crate) const WRONG_CODENAMES_PER_SITE: u32 = 200;

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
    limits: Mutex<Option<Limits>>,
    spent_proofs: Mutex<SpentProofs>,
    unlocked: Mutex<HashMap<i64, Unlocked>>,
    recipients_ready: AtomicBool,
}

/// A proof of work that holds for its form token, not yet known to be spent.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ProofOfWork {
    /// `dateline_tips::spent_proof_key` of the token.
    pub(crate) key: [u8; 32],
    /// When the token expires (Unix seconds).
    pub(crate) expires_at: i64,
}

/// This node's copy of the counts of the current window: the fast path that refuses without a
/// database round trip once a count is known to be spent. The database's counts (`limit_counters`)
/// are the ones every node agrees on; each answer from it is kept here.
struct Limits {
    window: u64,
    salt: [u8; 32],
    submissions: HashMap<[u8; 32], i64>,
    wrong_codenames: HashMap<[u8; 32], i64>,
    site_submissions: i64,
    site_wrong_codenames: i64,
}

/// Which limit a count is for.
#[derive(Clone, Copy)]
enum Counted {
    Submissions,
    WrongCodenames,
}

impl Counted {
    fn name(self) -> &'static str {
        match self {
            Counted::Submissions => "tips.submissions",
            Counted::WrongCodenames => "tips.wrong_codenames",
        }
    }

    fn per_address(self) -> i64 {
        i64::from(match self {
            Counted::Submissions => SUBMISSIONS_PER_ADDRESS,
            Counted::WrongCodenames => WRONG_CODENAMES_PER_ADDRESS,
        })
    }

    fn per_site(self) -> i64 {
        i64::from(match self {
            Counted::Submissions => SUBMISSIONS_PER_SITE,
            Counted::WrongCodenames => WRONG_CODENAMES_PER_SITE,
        })
    }
}

/// The window `now` falls in (its number since the epoch).
fn window_of(now: jiff::Timestamp) -> u64 {
    u64::try_from(now.as_second()).unwrap_or(0) / WINDOW.as_secs()
}

fn window_length() -> jiff::SignedDuration {
    jiff::SignedDuration::try_from(WINDOW).unwrap_or(jiff::SignedDuration::from_hours(1))
}

impl Limits {
    fn fresh(window: u64, install: &InstallSecret) -> Self {
        // The salt every node derives alike for this window, from the installation's secret:
        // the same address gives the same counter key on every node, a key says nothing without
        // the secret, and next window's keys cannot be linked to this one's.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(install.as_bytes())
            .expect("HMAC takes a key of any length");
        mac.update(b"dateline tips limits window ");
        mac.update(&window.to_be_bytes());
        Self {
            window,
            salt: mac.finalize().into_bytes().into(),
            submissions: HashMap::new(),
            wrong_codenames: HashMap::new(),
            site_submissions: 0,
            site_wrong_codenames: 0,
        }
    }

    fn client(&self, address: IpAddr) -> [u8; 32] {
        let mut hasher = Sha256::new();
        hasher.update(self.salt);
        hasher.update(
            crate::newsroom::sign_in::client_key(address)
                .to_string()
                .as_bytes(),
        );
        hasher.finalize().into()
    }

    fn counts(&mut self, counted: Counted) -> (&mut HashMap<[u8; 32], i64>, &mut i64) {
        match counted {
            Counted::Submissions => (&mut self.submissions, &mut self.site_submissions),
            Counted::WrongCodenames => (&mut self.wrong_codenames, &mut self.site_wrong_codenames),
        }
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
            limits: Mutex::new(None),
            spent_proofs: Mutex::new(SpentProofs::new(SPENT_PROOFS_IN_MEMORY)),
            unlocked: Mutex::new(HashMap::new()),
            recipients_ready: AtomicBool::new(false),
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
    pub(crate) async fn install(&self, ctx: &Context) -> Result<&InstallSecret, WebError> {
        self.install
            .get_or_try_init(|| async {
                Ok::<_, WebError>(dateline_usecases::tips::install_secret(ctx).await?)
            })
            .await
    }

    /// What sealing a tip needs from this node: the installation's secret and this node's
    /// turns for deriving codenames ([`DERIVATIONS_AT_ONCE`]).
    pub(crate) async fn sealer(
        &self,
        ctx: &Context,
    ) -> Result<dateline_usecases::tips::Sealer, WebError> {
        Ok(dateline_usecases::tips::Sealer {
            install: self.install(ctx).await?.clone(),
            turns: Arc::clone(&self.derivations),
        })
    }

    /// This window's counts and the client key of `address`, a new window's when the last one
    /// ended.
    fn with_limits<T>(
        &self,
        install: &InstallSecret,
        address: IpAddr,
        work: impl FnOnce(&mut Limits, [u8; 32]) -> T,
    ) -> Option<T> {
        let window = window_of(jiff::Timestamp::now());
        let mut limits = self.limits.lock().ok()?;
        if limits.as_ref().is_none_or(|limits| limits.window != window) {
            *limits = Some(Limits::fresh(window, install));
        }
        let limits = limits.as_mut()?;
        let client = limits.client(address);
        Some(work(limits, client))
    }

    /// What this node already knows: `Err` when `counted` is spent for `address` (unless
    /// `past_address`) or for the site.
    fn known_spent(
        &self,
        install: &InstallSecret,
        address: IpAddr,
        counted: Counted,
        past_address: bool,
    ) -> Result<(), Busy> {
        self.with_limits(install, address, |limits, client| {
            let (per_address, site) = limits.counts(counted);
            if *site >= counted.per_site() {
                Err(Busy::Node)
            } else if !past_address
                && per_address.get(&client).copied().unwrap_or(0) >= counted.per_address()
            {
                Err(Busy::Address)
            } else {
                Ok(())
            }
        })
        .unwrap_or(Err(Busy::Node))
    }

    /// Keeps the database's counts for `address` and the site as this node's fast path.
    fn remember(
        &self,
        install: &InstallSecret,
        address: IpAddr,
        counted: Counted,
        address_hits: i64,
        site_hits: i64,
    ) {
        self.with_limits(install, address, |limits, client| {
            let (per_address, site) = limits.counts(counted);
            // Bounded: past this many addresses the fast path forgets and asks the database.
            if per_address.len() >= 100_000 {
                per_address.clear();
            }
            let known = per_address.entry(client).or_insert(0);
            *known = (*known).max(address_hits);
            *site = (*site).max(site_hits);
        });
    }

    /// The database keys of `counted` for `address` and for the site in this window.
    fn counter_keys(
        &self,
        install: &InstallSecret,
        address: IpAddr,
        counted: Counted,
    ) -> (String, String) {
        let client = self
            .with_limits(install, address, |_, client| client)
            .unwrap_or_default();
        (
            format!("{}:{}", counted.name(), hex::encode(client)),
            format!("{}:site", counted.name()),
        )
    }

    /// The installation's secret if this node has it already; `None` until the first tip page
    /// or submission loaded it (only [`Self::install`] asks the database).
    pub(crate) fn install_known(&self) -> Option<&InstallSecret> {
        self.install.get()
    }

    /// Notes whether the newsroom had recipients to encrypt tips to when this node last looked.
    pub(crate) fn note_recipients(&self, ready: bool) {
        self.recipients_ready.store(ready, Ordering::Relaxed);
    }

    /// Whether the newsroom had recipients when this node last looked (a tip page or a
    /// submission looks each time).
    pub(crate) fn recipients_known_ready(&self) -> bool {
        self.recipients_ready.load(Ordering::Relaxed)
    }

    /// The refusal of a tip from `address` that this node can give from memory alone, before
    /// anything is counted: the site's cap or the address's limit known to be spent this window,
    /// unless `proof` (a proof of work that holds) may still pass the address's limit, which it
    /// may not once this node knows it spent. The first thing [`Self::admit`] asks, and all the
    /// listener asks (`public::tips::refuse_on_listener`), so a flood is refused without a
    /// database round trip or a turn on the work runtime.
    pub(crate) fn refused_from_memory(
        &self,
        install: &InstallSecret,
        address: IpAddr,
        proof: Option<&ProofOfWork>,
    ) -> Result<(), Busy> {
        let now = jiff::Timestamp::now().as_second();
        let unspent_proof = proof.is_some_and(|proof| {
            !self
                .spent_proofs
                .lock()
                .is_ok_and(|spent| spent.is_spent(&proof.key, now))
        });
        self.known_spent(install, address, Counted::Submissions, unspent_proof)
    }

    /// Admits a tip from `address`, counted on every node alike: under the per-address and
    /// per-site limits, or past the per-address one with a proof of work that has not been spent
    /// before, here or on any other node (many people may share an address). A proof is spent
    /// only when it is needed, so every proof spent lets a tip in; nothing passes the site's cap.
    pub(crate) async fn admit(
        &self,
        ctx: &Context,
        address: IpAddr,
        proof: Option<ProofOfWork>,
    ) -> Result<Result<(), Busy>, WebError> {
        let install = self.install(ctx).await?.clone();
        let counted = Counted::Submissions;
        if let Err(busy) = self.refused_from_memory(&install, address, proof.as_ref()) {
            return Ok(Err(busy));
        }
        let now = jiff::Timestamp::now();
        let (address_key, site_key) = self.counter_keys(&install, address, counted);
        let limits = ctx.store.limits();
        let address_hits = limits.hit(&address_key, window_length(), now).await?;
        let over_address = address_hits > counted.per_address();
        if over_address {
            let spent = match proof {
                Some(proof) => self.spend_proof(ctx, proof).await?,
                None => false,
            };
            if !spent {
                self.remember(&install, address, counted, address_hits, 0);
                return Ok(Err(Busy::Address));
            }
        }
        let site_hits = limits.hit(&site_key, window_length(), now).await?;
        self.remember(&install, address, counted, address_hits, site_hits);
        if site_hits > counted.per_site() {
            return Ok(Err(Busy::Node));
        }
        Ok(Ok(()))
    }

    /// True the first time `proof` is spent on any node; a replay is false.
    async fn spend_proof(&self, ctx: &Context, proof: ProofOfWork) -> Result<bool, WebError> {
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
        let first = dateline_usecases::tips::spend_proof(
            ctx,
            &proof.key,
            expires_at,
            jiff::Timestamp::now(),
        )
        .await?;
        if let Ok(mut spent) = self.spent_proofs.lock() {
            spent.remember(proof.key, proof.expires_at, now);
        }
        Ok(first)
    }

    /// Whether `address` may try another codename: the wrong ones it and the whole site typed
    /// this window, on any node.
    pub(crate) async fn may_try_codename(
        &self,
        ctx: &Context,
        address: IpAddr,
    ) -> Result<Result<(), Busy>, WebError> {
        let install = self.install(ctx).await?.clone();
        let counted = Counted::WrongCodenames;
        if let Err(busy) = self.known_spent(&install, address, counted, false) {
            return Ok(Err(busy));
        }
        let now = jiff::Timestamp::now();
        let (address_key, site_key) = self.counter_keys(&install, address, counted);
        let limits = ctx.store.limits();
        let address_hits = limits.hits(&address_key, window_length(), now).await?;
        let site_hits = limits.hits(&site_key, window_length(), now).await?;
        self.remember(&install, address, counted, address_hits, site_hits);
        Ok(self.known_spent(&install, address, counted, false))
    }

    /// Counts a wrong codename from `address`, for it and for the site.
    pub(crate) async fn wrong_codename(
        &self,
        ctx: &Context,
        address: IpAddr,
    ) -> Result<(), WebError> {
        let install = self.install(ctx).await?.clone();
        let counted = Counted::WrongCodenames;
        let now = jiff::Timestamp::now();
        let (address_key, site_key) = self.counter_keys(&install, address, counted);
        let limits = ctx.store.limits();
        let address_hits = limits.hit(&address_key, window_length(), now).await?;
        let site_hits = limits.hit(&site_key, window_length(), now).await?;
        self.remember(&install, address, counted, address_hits, site_hits);
        Ok(())
    }

    /// Keeps `identities`, which `actor` unlocked for the newsroom session `session_id`: sealed
    /// for that session in its database row (so another node opens them for the same editor
    /// without asking again), and in this node's memory.
    pub(crate) async fn unlock(
        &self,
        ctx: &Context,
        actor: &dateline_usecases::Actor,
        session_id: i64,
        session_token: &str,
        identities: Vec<EditorIdentity>,
    ) -> Result<(), WebError> {
        let install = self.install(ctx).await?;
        let sealed = dateline_tips::seal_for_session(install, session_token, &identities)
            .map_err(|error| WebError::Internal(error.to_string()))?;
        dateline_usecases::tips::unlock(ctx, actor, session_id, &sealed, jiff::Timestamp::now())
            .await?;
        self.remember_unlocked(session_id, identities);
        Ok(())
    }

    fn remember_unlocked(&self, session_id: i64, identities: Vec<EditorIdentity>) {
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

    /// The identities the session unlocked, on this node or another, while it has not locked
    /// them again (on any node) or ended. The database says whether they are still unlocked;
    /// this node's memory saves opening the seal again.
    pub(crate) async fn unlocked(
        &self,
        ctx: &Context,
        session_id: i64,
        session_token: &str,
    ) -> Result<Option<Vec<EditorIdentity>>, WebError> {
        let Some(sealed) = ctx.store.tips().sealed_for_session(session_id).await? else {
            self.forget_unlocked(session_id);
            return Ok(None);
        };
        let known = self.unlocked.lock().ok().and_then(|mut unlocked| {
            // Dropping an entry drops its keys, which wipe themselves.
            unlocked.retain(|_, entry| entry.until > Instant::now());
            let entry = unlocked.get_mut(&session_id)?;
            entry.until = Instant::now() + UNLOCKED_FOR;
            Some(entry.identities.clone())
        });
        if let Some(identities) = known {
            return Ok(Some(identities));
        }
        let install = self.install(ctx).await?;
        match dateline_tips::open_for_session(install, session_token, &sealed) {
            Ok(identities) => {
                self.remember_unlocked(session_id, identities.clone());
                Ok(Some(identities))
            }
            // Sealed for another token or installation: as good as locked.
            Err(_) => Ok(None),
        }
    }

    fn forget_unlocked(&self, session_id: i64) {
        if let Ok(mut unlocked) = self.unlocked.lock() {
            unlocked.remove(&session_id);
        }
    }

    /// Forgets the session's identities on every node (sign-out, or "lock" in the inbox).
    pub(crate) async fn lock(&self, ctx: &Context, session_id: i64) -> Result<(), WebError> {
        self.forget_unlocked(session_id);
        dateline_usecases::tips::lock(ctx, session_id).await?;
        Ok(())
    }
}
