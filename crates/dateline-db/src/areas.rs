//! The store by area. `Store` opens, migrates and closes the database; everything else is asked
//! of one area at a time (`store.comments().post(…)`), so a caller names what it touches
//! and each area's methods sit in one place. An area is a borrowed view of the store: it costs
//! nothing to make and shares its pools. The areas that began as their own modules (`live()`,
//! `imports()`, `presence()`, `limits()`, `cdn()`, `backup()`) follow the same shape in their
//! files.

use crate::Store;

/// Articles and their editorial life: writing, revisions, workflow, notes, corrections, the desk.
#[derive(Clone, Copy)]
pub struct Articles<'a> {
    pub(crate) store: &'a Store,
}

/// The picture library and the images articles show.
#[derive(Clone, Copy)]
pub struct Library<'a> {
    pub(crate) store: &'a Store,
}

/// The site's settings, sections and tags.
#[derive(Clone, Copy)]
pub struct Site<'a> {
    pub(crate) store: &'a Store,
}

/// Static pages (About, policies) and their revisions.
#[derive(Clone, Copy)]
pub struct StaticPages<'a> {
    pub(crate) store: &'a Store,
}

/// Staff accounts, bylines, author profiles and reader accounts.
#[derive(Clone, Copy)]
pub struct People<'a> {
    pub(crate) store: &'a Store,
}

/// Who is signed in: staff and reader sessions, sign-in links, sign-in attempts, API tokens.
#[derive(Clone, Copy)]
pub struct Sessions<'a> {
    pub(crate) store: &'a Store,
}

/// Discussion: comments, moderation, per-article discussion settings.
#[derive(Clone, Copy)]
pub struct Comments<'a> {
    pub(crate) store: &'a Store,
}

/// The tip inbox: tips, their recipients, messages, notes, proofs of work and retention.
#[derive(Clone, Copy)]
pub struct Tips<'a> {
    pub(crate) store: &'a Store,
}

/// Narration: which articles need audio, its state, the lexicon and the voices.
#[derive(Clone, Copy)]
pub struct Narration<'a> {
    pub(crate) store: &'a Store,
}

/// The job queue: enqueue, claim, finish, and how deep each kind is.
#[derive(Clone, Copy)]
pub struct Jobs<'a> {
    pub(crate) store: &'a Store,
}

/// The read model of public pages: the frame, front, lists, feeds and sitemaps, one call each.
#[derive(Clone, Copy)]
pub struct Public<'a> {
    pub(crate) store: &'a Store,
}

/// What the search index follows: article sources after a change, and the shared cursor.
#[derive(Clone, Copy)]
pub struct Search<'a> {
    pub(crate) store: &'a Store,
}

/// The audit log of who changed what.
#[derive(Clone, Copy)]
pub struct Audit<'a> {
    pub(crate) store: &'a Store,
}

/// The `changes` log that caches, search and the CDN follow.
#[derive(Clone, Copy)]
pub struct Changes<'a> {
    pub(crate) store: &'a Store,
}

impl Store {
    pub fn articles(&self) -> Articles<'_> {
        Articles { store: self }
    }

    pub fn library(&self) -> Library<'_> {
        Library { store: self }
    }

    pub fn site(&self) -> Site<'_> {
        Site { store: self }
    }

    pub fn static_pages(&self) -> StaticPages<'_> {
        StaticPages { store: self }
    }

    pub fn people(&self) -> People<'_> {
        People { store: self }
    }

    pub fn sessions(&self) -> Sessions<'_> {
        Sessions { store: self }
    }

    pub fn comments(&self) -> Comments<'_> {
        Comments { store: self }
    }

    pub fn tips(&self) -> Tips<'_> {
        Tips { store: self }
    }

    pub fn narration(&self) -> Narration<'_> {
        Narration { store: self }
    }

    pub fn jobs(&self) -> Jobs<'_> {
        Jobs { store: self }
    }

    pub fn public(&self) -> Public<'_> {
        Public { store: self }
    }

    pub fn search(&self) -> Search<'_> {
        Search { store: self }
    }

    pub fn audit(&self) -> Audit<'_> {
        Audit { store: self }
    }

    pub fn changes(&self) -> Changes<'_> {
        Changes { store: self }
    }
}
