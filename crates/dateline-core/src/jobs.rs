//! Every kind of background job, in one place, named one way: `area.what_it_does`.
//!
//! The store enqueues jobs inside the transactions of the changes that need them, the worker
//! registers one handler per kind, and operators see these names in the `jobs` table and in
//! metrics. A new kind is a variant here, a name in [`JobKind::name`], and a handler registered
//! with the worker (`dateline-jobs`).

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum JobKind {
    /// Publishes every scheduled article whose embargo has passed (payload `{"article_id"}` of
    /// the article it was queued for; all due articles go out).
    PublishDue,
    /// Narrates one article (payload `{"article_id"}`).
    NarrateArticle,
    /// Brings a shared (PostgreSQL) search index up to date with the `changes` log.
    SyncSearch,
    /// Deletes resolved tips past their retention for good.
    PurgeTips,
    /// Closes the discussions of articles older than the site's auto-close age.
    CloseStaleDiscussions,
    /// Prunes the `changes` log and finished jobs, and catches overdue publications.
    Maintenance,
    /// Tells every configured CDN (Varnish) to drop the pages carrying some cache tags (payload
    /// `{"tags": [...], "through_change"}`: the tags of one batch of the `changes` log).
    PurgeCdn,
}

impl JobKind {
    pub const ALL: [JobKind; 7] = [
        JobKind::PublishDue,
        JobKind::NarrateArticle,
        JobKind::SyncSearch,
        JobKind::PurgeTips,
        JobKind::CloseStaleDiscussions,
        JobKind::Maintenance,
        JobKind::PurgeCdn,
    ];

    /// The name stored in the `jobs` table.
    pub fn name(self) -> &'static str {
        match self {
            JobKind::PublishDue => "articles.publish_due",
            JobKind::NarrateArticle => "narration.narrate_article",
            JobKind::SyncSearch => "search.sync",
            JobKind::PurgeTips => "tips.purge",
            JobKind::CloseStaleDiscussions => "comments.close_stale",
            JobKind::Maintenance => "system.maintenance",
            JobKind::PurgeCdn => "cdn.purge",
        }
    }

    /// Names this kind had before the naming rule. A node of this version also runs jobs queued
    /// under them by an older node still running during a rolling deploy.
    pub fn former_names(self) -> &'static [&'static str] {
        match self {
            JobKind::PublishDue => &["scheduled_publish"],
            JobKind::NarrateArticle => &["narrate"],
            JobKind::CloseStaleDiscussions => &["comments.auto_close"],
            JobKind::Maintenance => &["maintenance"],
            JobKind::SyncSearch | JobKind::PurgeTips | JobKind::PurgeCdn => &[],
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.name() == name)
    }

    /// The deduplication key of this kind's job about one subject (one waiting job per article,
    /// say), or of its only job when `subject` is `None`.
    pub fn dedup_key(self, subject: Option<i64>) -> String {
        match subject {
            Some(id) => format!("{}:{id}", self.name()),
            None => self.name().to_owned(),
        }
    }
}

impl std::fmt::Display for JobKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_named_area_dot_verb_and_round_trips() {
        for kind in JobKind::ALL {
            let name = kind.name();
            let (area, verb) = name.split_once('.').expect("area.verb");
            for part in [area, verb] {
                assert!(!part.is_empty(), "{name}");
                assert!(
                    part.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                    "{name}"
                );
            }
            assert_eq!(JobKind::parse(name), Some(kind));
        }
        assert_eq!(JobKind::parse("narrate"), None);
        assert_eq!(
            JobKind::PublishDue.dedup_key(Some(7)),
            "articles.publish_due:7"
        );
        assert_eq!(JobKind::SyncSearch.dedup_key(None), "search.sync");
    }
}
