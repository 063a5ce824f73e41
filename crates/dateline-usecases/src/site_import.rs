//! Bringing a whole site in from Dateline's own export (`dateline import dateline DIR`).
//!
//! This is the restore-style path of issue 15: the rows of an export go into an **empty** site
//! as they are, ids kept, in one transaction, through `dateline_db::export`. The per-item use
//! cases (publish, post a comment…) are not called: they would hand out new ids and times and
//! re-run rules that a site already applied, and a round trip must give back byte-identical
//! pages. What this use case owns is the rest of a use case's job: who may do it, that the site
//! is empty, that the media arrive with the rows, and that nothing is visible until all of it is
//! in. The reading and checking of the files is `dateline-export`'s.

use std::collections::BTreeMap;

use dateline_core::Action;
use dateline_db::export::{ExportLoad, Table, Value};

use crate::{Actor, Context, UseCaseError};

/// An import under way: rows go into the open transaction, objects into media storage.
pub struct SiteImport {
    load: ExportLoad,
    ctx: Context,
    objects: u64,
}

/// What a whole site brings: the actions an admin holds.
const SITE_IMPORT_NEEDS: [Action; 8] = [
    Action::ManageSettings,
    Action::ManageSections,
    Action::ManageUsers,
    Action::Publish,
    Action::EditOthersByline,
    Action::ModerateComments,
    Action::TriageTips,
    Action::ManageNarration,
];

/// Starts an import into the site of `ctx`; refused unless `actor` may do everything an import
/// brings and the site is empty.
pub async fn begin(ctx: &Context, actor: &Actor) -> Result<SiteImport, UseCaseError> {
    for action in SITE_IMPORT_NEEDS {
        actor.require(action, false)?;
    }
    let load = ctx.store.begin_export_load().await?;
    Ok(SiteImport {
        load,
        ctx: ctx.clone(),
        objects: 0,
    })
}

impl SiteImport {
    /// Adds rows of `table`, in the order of its columns.
    pub async fn rows(
        &mut self,
        table: &'static Table,
        rows: &[Vec<Value>],
    ) -> Result<(), UseCaseError> {
        self.load.insert(table, rows).await?;
        Ok(())
    }

    /// Links what the rows could not say until every table was in (an author's photo): call it
    /// before the objects, so that a reference to nothing is refused before anything is stored.
    pub async fn rows_done(&mut self) -> Result<(), UseCaseError> {
        self.load.link().await?;
        Ok(())
    }

    /// Stores one object the rows refer to (a picture, a narration file, a tip attachment's
    /// ciphertext). Objects are written after every row is in and linked ([`Self::rows_done`])
    /// and before the rows commit: only a failure of the commit itself can leave objects nothing
    /// refers to in the new site's storage, never a row without its object.
    pub async fn object(&mut self, key: &str, bytes: Vec<u8>) -> Result<(), UseCaseError> {
        self.ctx.media.put(key, bytes.into()).await?;
        self.objects += 1;
        Ok(())
    }

    /// Rows loaded so far, per table.
    pub fn loaded(&self) -> &BTreeMap<&'static str, u64> {
        self.load.loaded()
    }

    /// Makes everything visible at once. The search index and the narration follow on their
    /// own: `serve` rebuilds a missing or stale index on start.
    pub async fn commit(self) -> Result<BTreeMap<&'static str, u64>, UseCaseError> {
        Ok(self.load.commit().await?)
    }
}
