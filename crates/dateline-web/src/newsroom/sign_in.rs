//! Sign-in limits, one set for each door (the newsroom's and the readers'), all checked before a
//! password is hashed: a guess costs argon2id's 19 MiB and tens of milliseconds, so refusing
//! after the hash (as before issue 12) let 40 concurrent guesses through and used the memory.
//!
//! In the order they are checked:
//! 1. **per client address** (in memory, [`governor`]): one network guessing across accounts;
//! 2. **per account name and client address** (in memory): one network guessing one account.
//!    This is the limit that stops guessing, and it locks out nobody but the guesser: the
//!    account's owner, at another address, is not affected;
//! 3. **per account name** (in the database, so every node counts): a generous ceiling against
//!    guessing from many addresses at once. Past it, only an address this account signed in
//!    from recently (remembered by this node) may still try, so a botnet cannot lock an owner
//!    out of their own account either;
//! 4. **concurrent hashes**: a few permits per door, so argon2's memory × permits bounds the
//!    memory that sign-in can take, and a flood at the readers' door leaves the newsroom's free.
//!
//! Accounts are named by the email as typed (a digest of it, trimmed and lower-cased), not by
//! account id, and an unknown email is checked against a real hash of nothing: unknown and known
//! accounts take the same time, meet the same limits and get the same answers.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::response::Response;
use dateline_db::{DbError, SignInSide, Store};
use governor::{DefaultKeyedRateLimiter, Quota};
use http::header::RETRY_AFTER;
use http::{HeaderValue, StatusCode};
use jiff::{SignedDuration, Timestamp};
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use super::secrets::{self, SecretError};

/// Attempts one client address may make at one door: a burst of 30 (an office behind one
/// address, everyone arriving at nine), then one every 30 seconds.
const PER_CLIENT_BURST: u32 = 30;
const PER_CLIENT_EVERY: Duration = Duration::from_secs(30);
/// Attempts at one account from one client address: 10, then one every 90 seconds. The owner
/// mistyping never gets near it; a guesser gets about 40 guesses an hour.
const PER_ACCOUNT_AND_CLIENT_BURST: u32 = 10;
const PER_ACCOUNT_AND_CLIENT_EVERY: Duration = Duration::from_secs(90);
/// Attempts at one account from everywhere, per hour, before only its owner's recent addresses
/// may try.
pub(crate) const PER_ACCOUNT_CEILING: i64 = 100;
pub(crate) const PER_ACCOUNT_WINDOW: SignedDuration = SignedDuration::from_hours(1);
/// Password hashes computed at once per door (2 × 19 MiB each), and how long a request waits for
/// one before it is told the server is busy.
const HASH_PERMITS: usize = 2;
const HASH_WAIT: Duration = Duration::from_secs(5);
/// Keys each in-memory limiter holds before it forgets the ones that are back to a full
/// allowance, and the most it ever holds: past that, new attempts wait (the database's ceiling
/// still counts them) rather than the node's memory growing.
const KEYS_SOFT_CAP: usize = 50_000;
const KEYS_HARD_CAP: usize = 100_000;
/// How long, and for how many pairs, a node remembers where accounts signed in from.
const OWNER_MEMORY: Duration = Duration::from_secs(30 * 24 * 60 * 60);
const OWNER_CAP: usize = 20_000;

/// The first 16 bytes of the digest of an account name: enough to tell names apart, small
/// enough to keep tens of thousands in memory.
type AccountKey = [u8; 16];

/// Why an attempt was turned away before its password was looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Too many attempts from this network.
    Client,
    /// Too many attempts at this account (from this network, or from everywhere).
    Account,
    /// Every hashing permit is busy, or the limiters are full.
    Busy,
}

impl Refusal {
    pub(crate) fn message(self) -> &'static str {
        match self {
            Refusal::Client => {
                "Too many sign-in attempts from your network. Wait a few minutes and try again."
            }
            Refusal::Account => {
                "Too many sign-in attempts for this account. Wait a quarter of an hour and try \
                 again."
            }
            Refusal::Busy => "We are very busy right now. Try again in a moment.",
        }
    }

    pub(crate) fn status(self) -> StatusCode {
        match self {
            Refusal::Client | Refusal::Account => StatusCode::TOO_MANY_REQUESTS,
            Refusal::Busy => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// Seconds for `Retry-After` (RFC 9110 §10.2.3).
    fn retry_after(self) -> u64 {
        match self {
            Refusal::Client => PER_CLIENT_EVERY.as_secs(),
            Refusal::Account => 15 * 60,
            Refusal::Busy => 5,
        }
    }

    /// Says on the answer when to come back.
    pub(crate) fn mark(self, mut response: Response) -> Response {
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(self.retry_after()));
        response
    }
}

/// What became of a sign-in attempt.
#[derive(Debug)]
pub(crate) enum Attempt<A> {
    /// The password matched this account's.
    SignedIn(A),
    /// No such account, or the wrong password: the two are not told apart.
    Failed,
    /// Turned away before the password was looked at.
    Refused(Refusal),
}

/// An attempt that passed the limits: who it is for and where from, to remember the address
/// when the password turns out right.
#[derive(Debug, Clone, Copy)]
struct Admitted {
    account: AccountKey,
    client: IpAddr,
}

/// The sign-in limits of one door.
pub(crate) struct SignInLimits {
    side: SignInSide,
    per_client: DefaultKeyedRateLimiter<IpAddr>,
    per_account_and_client: DefaultKeyedRateLimiter<(AccountKey, IpAddr)>,
    owners: Mutex<HashMap<(AccountKey, IpAddr), Instant>>,
    hashing: Arc<Semaphore>,
    hash_wait: Duration,
    dummy_hash: Arc<OnceLock<String>>,
}

fn quota(burst: u32, every: Duration) -> Quota {
    let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(every)
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(burst)
}

/// The part of an address that names one client: IPv6 hands a whole /64 to one customer
/// (RFC 6177), so counting single IPv6 addresses would let one client be millions.
pub(crate) fn client_key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut segments = v6.segments();
                segments[4..].fill(0);
                IpAddr::V6(Ipv6Addr::from(segments))
            }
        },
    }
}

/// The digest of an account name as the database keeps it, and its short in-memory key.
fn account_name(email: &str) -> (String, AccountKey) {
    let digest = Sha256::digest(dateline_db::normalise_email(email).as_bytes());
    let mut key = [0u8; 16];
    key.copy_from_slice(&digest[..16]);
    (hex::encode(digest), key)
}

impl SignInLimits {
    pub(crate) fn new(side: SignInSide) -> Self {
        Self::with_hashing(side, HASH_PERMITS, HASH_WAIT)
    }

    fn with_hashing(side: SignInSide, permits: usize, wait: Duration) -> Self {
        Self {
            side,
            per_client: DefaultKeyedRateLimiter::keyed(quota(PER_CLIENT_BURST, PER_CLIENT_EVERY)),
            per_account_and_client: DefaultKeyedRateLimiter::keyed(quota(
                PER_ACCOUNT_AND_CLIENT_BURST,
                PER_ACCOUNT_AND_CLIENT_EVERY,
            )),
            owners: Mutex::new(HashMap::new()),
            hashing: Arc::new(Semaphore::new(permits)),
            hash_wait: wait,
            dummy_hash: Arc::new(OnceLock::new()),
        }
    }

    /// One attempt to sign in as `email` with `password` from `client`: the limits first, then
    /// `find` loads the account and its password hash (`None` when there is no such account),
    /// then the password is checked, against a hash of nothing when there is no account.
    pub(crate) async fn attempt<A, Find>(
        &self,
        store: &Store,
        client: IpAddr,
        email: &str,
        password: String,
        find: Find,
    ) -> Result<Attempt<A>, DbError>
    where
        Find: Future<Output = Result<Option<(A, Option<String>)>, DbError>>,
    {
        let admitted = match self.admit(store, client, email, Timestamp::now()).await? {
            Ok(admitted) => admitted,
            Err(refusal) => return Ok(Attempt::Refused(refusal)),
        };
        let (account, stored) = match find.await? {
            Some((account, stored)) => (Some(account), stored),
            None => (None, None),
        };
        let matches = match self.verify(password, stored).await {
            Ok(matches) => matches,
            Err(refusal) => return Ok(Attempt::Refused(refusal)),
        };
        Ok(match account {
            Some(account) if matches => {
                self.signed_in(admitted);
                Attempt::SignedIn(account)
            }
            _ => Attempt::Failed,
        })
    }

    /// Counts an attempt to sign in as `email` from `client` against every limit, before any
    /// password is looked at. `Ok(Err(_))` is a refusal to show on the form.
    async fn admit(
        &self,
        store: &Store,
        client: IpAddr,
        email: &str,
        now: Timestamp,
    ) -> Result<Result<Admitted, Refusal>, DbError> {
        let client = client_key(client);
        let (digest, account) = account_name(email);
        if !room_for_keys(&self.per_client) || !room_for_keys(&self.per_account_and_client) {
            return Ok(Err(Refusal::Busy));
        }
        if self.per_client.check_key(&client).is_err() {
            return Ok(Err(Refusal::Client));
        }
        // The limit on one account from one address slows guessing its password; whoever
        // signed in with it from this address lately knows it, and signing in again (another
        // browser, another tab) is not a guess.
        let owners_address = self.is_owners_address(account, client);
        if !owners_address
            && self
                .per_account_and_client
                .check_key(&(account, client))
                .is_err()
        {
            return Ok(Err(Refusal::Account));
        }
        let attempts = store
            .sessions()
            .count_sign_in_attempt(self.side, &digest, PER_ACCOUNT_WINDOW, now)
            .await?;
        if attempts > PER_ACCOUNT_CEILING && !owners_address {
            return Ok(Err(Refusal::Account));
        }
        Ok(Ok(Admitted { account, client }))
    }

    /// Remembers that the account signed in from this address: during an attack from many
    /// addresses, its owner can still sign in from here.
    fn signed_in(&self, admitted: Admitted) {
        let Ok(mut owners) = self.owners.lock() else {
            return;
        };
        if owners.len() >= OWNER_CAP {
            owners.retain(|_, at| at.elapsed() < OWNER_MEMORY);
        }
        if owners.len() >= OWNER_CAP
            && let Some(oldest) = owners.iter().min_by_key(|(_, at)| **at).map(|(k, _)| *k)
        {
            owners.remove(&oldest);
        }
        owners.insert((admitted.account, admitted.client), Instant::now());
    }

    fn is_owners_address(&self, account: AccountKey, client: IpAddr) -> bool {
        self.owners.lock().is_ok_and(|owners| {
            owners
                .get(&(account, client))
                .is_some_and(|at| at.elapsed() < OWNER_MEMORY)
        })
    }

    /// Whether `password` matches the stored hash; with no stored hash (no such account, or no
    /// password set), it is checked against a hash of nothing anyone knows, which takes as long.
    pub(crate) async fn verify(
        &self,
        password: String,
        stored: Option<String>,
    ) -> Result<bool, Refusal> {
        let dummy = self.dummy_hash.clone();
        self.hashing_off_thread(move || {
            let hash = match stored {
                Some(hash) => hash,
                None => dummy
                    .get_or_init(|| {
                        secrets::new_token()
                            .and_then(|secret| secrets::hash_password(&secret))
                            .unwrap_or_default()
                    })
                    .clone(),
            };
            secrets::verify_password(&password, &hash)
        })
        .await
        .map(|matched| matched.unwrap_or(false))
    }

    /// A new password's hash, within the same bound on concurrent hashes.
    pub(crate) async fn hash(
        &self,
        password: String,
    ) -> Result<Result<String, SecretError>, Refusal> {
        self.hashing_off_thread(move || secrets::hash_password(&password))
            .await
            .map(|hashed| {
                hashed.unwrap_or_else(|| Err(SecretError::Hash("the hashing task failed".into())))
            })
    }

    /// Runs `work` on a blocking thread once a hashing permit is free; the permit is held until
    /// the work ends, even if the request that asked for it is gone.
    async fn hashing_off_thread<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<Option<T>, Refusal> {
        let permit = tokio::time::timeout(self.hash_wait, self.hashing.clone().acquire_owned())
            .await
            .map_err(|_| Refusal::Busy)?
            .map_err(|_| Refusal::Busy)?;
        Ok(tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work()
        })
        .await
        .ok())
    }
}

/// The use cases hash and check passwords through the door's limits: within its permits, off
/// the async threads.
impl dateline_usecases::Passwords for SignInLimits {
    async fn hash(&self, password: String) -> Result<String, dateline_usecases::UseCaseError> {
        match SignInLimits::hash(self, password).await {
            Ok(Ok(hash)) => Ok(hash),
            Ok(Err(error)) => Err(dateline_usecases::UseCaseError::Failed(error.to_string())),
            Err(_) => Err(dateline_usecases::UseCaseError::Busy),
        }
    }

    async fn verify(
        &self,
        password: String,
        stored: Option<String>,
    ) -> Result<bool, dateline_usecases::UseCaseError> {
        SignInLimits::verify(self, password, stored)
            .await
            .map_err(|_| dateline_usecases::UseCaseError::Busy)
    }
}

/// A per-client-address limit on something cheap to ask for and costly to answer (accounts
/// created, emails sent): a burst, then one more every so often. Addresses are personal data:
/// they stay in this node's memory, and only while they count.
pub(crate) struct AddressLimit(DefaultKeyedRateLimiter<IpAddr>);

impl AddressLimit {
    pub(crate) fn new(burst: u32, every: Duration) -> Self {
        Self(DefaultKeyedRateLimiter::keyed(quota(burst, every)))
    }

    /// Counts one request from `address`; false once it has had its share.
    pub(crate) fn allows(&self, address: IpAddr) -> bool {
        room_for_keys(&self.0) && self.0.check_key(&client_key(address)).is_ok()
    }
}

/// Keeps a keyed limiter's memory bounded: past the soft cap it forgets keys that are back to a
/// full allowance (they would behave the same if recreated); false when even that leaves it at
/// the hard cap.
fn room_for_keys<K: std::hash::Hash + Eq + Clone>(limiter: &DefaultKeyedRateLimiter<K>) -> bool {
    if limiter.len() < KEYS_SOFT_CAP {
        return true;
    }
    limiter.retain_recent();
    limiter.shrink_to_fit();
    limiter.len() < KEYS_HARD_CAP
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_client_is_one_ipv6_network() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().expect("address");
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().expect("address");
        let other: IpAddr = "2001:db8:1:3::1".parse().expect("address");
        assert_eq!(client_key(a), client_key(b));
        assert_ne!(client_key(a), client_key(other));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().expect("address");
        assert_eq!(client_key(mapped), IpAddr::V4([192, 0, 2, 7].into()));
    }

    #[test]
    fn an_account_name_is_the_email_as_anyone_would_type_it() {
        assert_eq!(
            account_name(" Ed@Example.org ").0,
            account_name("ed@example.org").0
        );
        assert_ne!(
            account_name("ed@example.org").1,
            account_name("ed@example.com").1
        );
    }

    #[tokio::test]
    async fn hashes_wait_for_a_permit_and_give_up_busy() {
        let limits = SignInLimits::with_hashing(SignInSide::Staff, 1, Duration::from_millis(50));
        let held = limits.hashing.clone().acquire_owned().await;
        assert!(held.is_ok());
        assert_eq!(
            limits.verify("guess".to_owned(), None).await,
            Err(Refusal::Busy),
            "no permit, no hash"
        );
        drop(held);
        assert_eq!(limits.verify("guess".to_owned(), None).await, Ok(false));
        assert_eq!(
            limits.hashing.available_permits(),
            1,
            "the permit came back"
        );
    }
}
