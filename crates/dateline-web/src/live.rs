//! Live updates for the readers of an article: "what changed for this article since what my page
//! shows", asked once per interval (or as soon as the `changes` log names the article) for all of
//! them together, and fanned out through a `tokio::sync::watch` channel.
//!
//! A topic is an article: every reader of it shares one poller whatever page they have open (each
//! stream works out from the shared value what is news to its own page), so 2,000 of them cost
//! one query per interval, and no value a client makes up starts a poller of its own. A topic
//! lives while someone listens; its poller ends with its last reader.
//! The number of open streams is capped per node ([`LiveHub::open`]).
//!
//! The hub knows nothing of comments: what it asks is the `load` function it is built with. The
//! discussion's live count uses it today; live coverage entries can use another hub.

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dateline_db::{DbError, Store};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, watch};

/// What a reader's page is following: an article (its id).
pub(crate) type Topic = i64;

type Load<T> = Arc<
    dyn Fn(Store, Topic) -> Pin<Box<dyn Future<Output = Result<T, DbError>> + Send>> + Send + Sync,
>;

struct Channel<T> {
    sender: watch::Sender<Option<T>>,
    wake: Arc<Notify>,
}

pub(crate) struct LiveHub<T> {
    store: Store,
    load: Load<T>,
    /// The cache tag whose change concerns an article (e.g. `discussion:<id>`).
    tag_of: fn(i64) -> String,
    every: Duration,
    topics: Arc<Mutex<HashMap<Topic, Channel<T>>>>,
    streams: Arc<Semaphore>,
}

/// An open subscription: the values of its topic, and its place under the node's stream cap.
pub(crate) struct Subscription<T> {
    pub values: watch::Receiver<Option<T>>,
    _slot: OwnedSemaphorePermit,
}

impl<T> LiveHub<T>
where
    T: Clone + PartialEq + Send + Sync + 'static,
{
    pub(crate) fn new<F, Fut>(
        store: Store,
        every: Duration,
        max_streams: usize,
        tag_of: fn(i64) -> String,
        load: F,
    ) -> Self
    where
        F: Fn(Store, Topic) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<T, DbError>> + Send + 'static,
    {
        Self {
            store,
            load: Arc::new(move |store, topic| Box::pin(load(store, topic))),
            tag_of,
            every,
            topics: Arc::new(Mutex::new(HashMap::new())),
            streams: Arc::new(Semaphore::new(max_streams)),
        }
    }

    /// A stream slot, or `None` when the node already has as many streams as it allows. Taken
    /// before anything else is done for the request.
    pub(crate) fn slot(&self) -> Option<OwnedSemaphorePermit> {
        Arc::clone(&self.streams).try_acquire_owned().ok()
    }

    /// Follows `topic`: the receiver holds its latest value (`None` until the first load) and is
    /// marked changed, so the first `changed()` returns at once.
    pub(crate) fn open(&self, topic: Topic, slot: OwnedSemaphorePermit) -> Subscription<T> {
        let mut topics = self.topics.lock().unwrap_or_else(|e| e.into_inner());
        let mut values = match topics.get(&topic) {
            Some(channel) => channel.sender.subscribe(),
            None => {
                let (sender, values) = watch::channel(None);
                let wake = Arc::new(Notify::new());
                topics.insert(
                    topic,
                    Channel {
                        sender: sender.clone(),
                        wake: Arc::clone(&wake),
                    },
                );
                tokio::spawn(self.poller(topic, sender, wake));
                values
            }
        };
        values.mark_changed();
        Subscription {
            values,
            _slot: slot,
        }
    }

    /// Wakes the pollers of every topic whose article one of `tags` names (called for each entry
    /// of the `changes` log this node applies).
    pub(crate) fn changed<S: AsRef<str>>(&self, tags: &[S]) {
        let topics = self.topics.lock().unwrap_or_else(|e| e.into_inner());
        if topics.is_empty() {
            return;
        }
        for (topic, channel) in topics.iter() {
            let tag = (self.tag_of)(*topic);
            if tags.iter().any(|t| t.as_ref() == tag) {
                channel.wake.notify_one();
            }
        }
    }

    /// Topics followed right now (for tests and metrics).
    pub(crate) fn topics(&self) -> usize {
        self.topics.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    fn poller(
        &self,
        topic: Topic,
        sender: watch::Sender<Option<T>>,
        wake: Arc<Notify>,
    ) -> impl Future<Output = ()> + Send + 'static {
        let (store, load, every) = (self.store.clone(), Arc::clone(&self.load), self.every);
        let topics = Arc::clone(&self.topics);
        async move {
            loop {
                match load(store.clone(), topic).await {
                    Ok(value) => {
                        sender.send_if_modified(|current| {
                            let changed = current.as_ref() != Some(&value);
                            *current = Some(value);
                            changed
                        });
                    }
                    Err(error) => {
                        tracing::warn!(%error, article_id = topic, "live update failed");
                    }
                }
                tokio::select! {
                    () = tokio::time::sleep(every) => {}
                    () = wake.notified() => {}
                    () = sender.closed() => {}
                }
                // The topic goes when its last reader has; checked under the lock that `open`
                // subscribes under, so no reader can join a topic that is going.
                let mut topics = topics.lock().unwrap_or_else(|e| e.into_inner());
                if sender.receiver_count() == 0 {
                    topics.remove(&topic);
                    return;
                }
            }
        }
    }
}

/// The event streams each client holds open on this node, over every kind (live coverage, the
/// discussion's count): without it one address could take every stream slot of the node, and
/// every reader of a live page would get 503 in place of its updates.
///
/// A client is its address (`Client`, so behind `trusted_proxies` the forwarded one), an IPv6
/// client its /64: one machine is handed a whole /64 (RFC 4291 §2.5.4), so counting its single
/// addresses would count nothing.
pub(crate) struct ClientStreams {
    max: usize,
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

/// One open stream of a client, given back when the stream ends.
pub(crate) struct ClientStream {
    client: IpAddr,
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl ClientStreams {
    pub(crate) fn new(max: usize) -> Self {
        Self {
            max,
            open: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// A stream for `address`, or `None` when it holds as many as a client may.
    pub(crate) fn take(&self, address: IpAddr) -> Option<ClientStream> {
        let client = client_of(address);
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let count = open.entry(client).or_insert(0);
        if *count >= self.max {
            return None;
        }
        *count += 1;
        Some(ClientStream {
            client,
            open: Arc::clone(&self.open),
        })
    }
}

impl Drop for ClientStream {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = open.get_mut(&self.client) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&self.client);
            }
        }
    }
}

/// The key a client's streams are counted under: its IPv4 address (also when written as an
/// IPv4-mapped IPv6 one), or its IPv6 /64.
fn client_of(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(std::net::Ipv6Addr::from(
                u128::from(v6) & !((1u128 << 64) - 1),
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_holds_at_most_its_streams_and_gets_them_back() {
        let streams = ClientStreams::new(2);
        let one: IpAddr = "203.0.113.9".parse().expect("address");
        let first = streams.take(one).expect("first");
        let _second = streams.take(one).expect("second");
        assert!(streams.take(one).is_none(), "past the cap");
        assert!(
            streams
                .take("::ffff:203.0.113.9".parse().expect("mapped"))
                .is_none(),
            "the same client written as IPv6"
        );
        assert!(
            streams
                .take("203.0.113.10".parse().expect("other"))
                .is_some()
        );
        drop(first);
        assert!(streams.take(one).is_some(), "a closed stream is given back");
    }

    #[test]
    fn an_ipv6_client_is_its_64() {
        let streams = ClientStreams::new(1);
        let _held = streams.take("2001:db8:1:2::1".parse().expect("address"));
        assert!(
            streams
                .take("2001:db8:1:2:ffff::9".parse().expect("same /64"))
                .is_none()
        );
        assert!(
            streams
                .take("2001:db8:1:3::1".parse().expect("next /64"))
                .is_some()
        );
    }
}
