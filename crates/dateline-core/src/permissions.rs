//! Who may do what in the newsroom: the one permission check behind every newsroom page and every
//! Admin API endpoint.
//!
//! Roles are ordered by trust (contributor < author < editor < admin), so a rule is "the least
//! trusted role that may do this" — once for the staff member's own work (an article they write,
//! an image they uploaded, their own author profile) and once for anyone else's. Whether the
//! subject is one's own is for the caller to decide from the data; actions that are not about a
//! particular piece of work ignore it.

use serde::Serialize;

use crate::Role;

/// Everything a staff member or an API token can do in the newsroom.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Open the newsroom at all (dashboard, own account).
    UseNewsroom,
    /// Change one's own password.
    ChangeOwnPassword,
    /// Start a new article; it is a draft of its author.
    CreateDraft,
    /// Edit an article that is a draft or in review.
    EditDraft,
    /// Edit an article that is scheduled, published or unpublished.
    EditPublished,
    /// List and compare an article's revisions, and restore one as a new revision.
    UseRevisions,
    /// Move a draft to review.
    SubmitForReview,
    /// Publish now.
    Publish,
    /// Set a future publication time or an embargo.
    Schedule,
    /// Take a published article off the site.
    Unpublish,
    /// Add a correction, clarification or update note to a published article.
    AddUpdateNote,
    /// Put someone other than oneself on a byline, or take them off it.
    EditOthersByline,
    /// Upload pictures to the image library.
    UploadImages,
    /// Change an image's alt text, caption, credit and source type; delete it.
    EditImage,
    /// Approve, reject and feature comments; suspend and ban readers; close an article's comments.
    ModerateComments,
    /// Set the site's moderation rules: pre- or post-moderation, word lists, automatic closing.
    ConfigureModeration,
    /// Read, assign and resolve tips.
    TriageTips,
    /// Edit an author profile (bio, photo, links).
    EditAuthorProfile,
    /// Create sections, reorder them, change their descriptions.
    ManageSections,
    /// Site name, logo, language, time zone, policies.
    ManageSettings,
    /// Create staff accounts, change roles, disable, issue set-password links.
    ManageUsers,
    /// Read the audit log.
    ViewAuditLog,
    /// Create and revoke Admin API tokens.
    ManageApiTokens,
    /// Listen to an article's narration in the newsroom, regenerate it, opt it out.
    NarrateArticle,
    /// Narration voices for the site and sections, the pronunciation lexicon, regenerate-all.
    ManageNarration,
    /// Live coverage: turn an article into live coverage, post, edit, pin, flag and delete its
    /// entries, end the coverage. An entry goes out the moment it is posted.
    RunLiveCoverage,
    /// Static pages (About, Contact, the policies): write, publish, unpublish, delete. They speak
    /// for the whole newsroom, so they are the desk's, whoever started one.
    ManagePages,
}

impl Action {
    pub const ALL: [Action; 27] = [
        Action::UseNewsroom,
        Action::ChangeOwnPassword,
        Action::CreateDraft,
        Action::EditDraft,
        Action::EditPublished,
        Action::UseRevisions,
        Action::SubmitForReview,
        Action::Publish,
        Action::Schedule,
        Action::Unpublish,
        Action::AddUpdateNote,
        Action::EditOthersByline,
        Action::UploadImages,
        Action::EditImage,
        Action::ModerateComments,
        Action::ConfigureModeration,
        Action::TriageTips,
        Action::EditAuthorProfile,
        Action::ManageSections,
        Action::ManageSettings,
        Action::ManageUsers,
        Action::ViewAuditLog,
        Action::ManageApiTokens,
        Action::NarrateArticle,
        Action::ManageNarration,
        Action::RunLiveCoverage,
        Action::ManagePages,
    ];

    /// The least trusted role that may take this action, on one's own work and on anyone else's.
    fn least_role(self) -> (Role, Role) {
        use Role::{Admin, Author, Contributor, Editor};
        match self {
            Action::UseNewsroom | Action::ChangeOwnPassword | Action::CreateDraft => {
                (Contributor, Contributor)
            }
            // A contributor writes and submits drafts; other people's work is an editor's.
            Action::EditDraft | Action::UseRevisions | Action::SubmitForReview => {
                (Contributor, Editor)
            }
            // "An author may also publish their own": what readers see is an author's at least.
            Action::EditPublished
            | Action::Publish
            | Action::Schedule
            | Action::Unpublish
            | Action::NarrateArticle
            // Entries are published the moment they are posted, so the rule is publishing's:
            // authors on their own live articles, editors on any.
            | Action::RunLiveCoverage => (Author, Editor),
            // Corrections are an editorial decision, whoever wrote the story; so is whose name a
            // story goes out under.
            Action::AddUpdateNote | Action::EditOthersByline => (Editor, Editor),
            // Contributors illustrate their drafts; the shared library is the desk's.
            Action::UploadImages => (Contributor, Contributor),
            Action::EditImage => (Contributor, Editor),
            // The desk moderates and sets the rules, triages tips and decides how the site sounds;
            // a dedicated moderator role can come later without changing who may do what today.
            Action::ModerateComments
            | Action::ConfigureModeration
            | Action::TriageTips
            | Action::ManageNarration
            | Action::ManagePages => (Editor, Editor),
            Action::EditAuthorProfile => (Contributor, Admin),
            Action::ManageSections
            | Action::ManageSettings
            | Action::ManageUsers
            | Action::ViewAuditLog
            | Action::ManageApiTokens => (Admin, Admin),
        }
    }

    /// Whether the answer can depend on whose work the subject is.
    pub fn depends_on_ownership(self) -> bool {
        let (own, others) = self.least_role();
        own != others
    }
}

/// The permission check. `owns_subject` says whether the subject is the staff member's own work
/// (they are among the article's authors, they uploaded the image, it is their author profile);
/// pass `false` when unsure — it never grants more.
pub fn permits(role: Role, action: Action, owns_subject: bool) -> bool {
    let (own, others) = action.least_role();
    role >= if owns_subject { own } else { others }
}

/// Whether a staff member with `role`, writing under the byline `own_author`, may change an
/// article's byline from `before` to `after` (author ids in order). Reordering is free, and
/// anyone who may edit the article may add or remove their own byline; adding or removing anyone
/// else takes [`Action::EditOthersByline`], so an author cannot publish under a colleague's name.
pub fn may_change_byline(
    role: Role,
    own_author: Option<i64>,
    before: &[i64],
    after: &[i64],
) -> bool {
    let others_changed = before
        .iter()
        .filter(|id| !after.contains(id))
        .chain(after.iter().filter(|id| !before.contains(id)))
        .any(|id| Some(*id) != own_author);
    !others_changed || permits(role, Action::EditOthersByline, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole matrix, written out: for each action, which of contributor, author, editor and
    /// admin may act on their own work, then on someone else's.
    const EXPECTED: &[(Action, [bool; 4], [bool; 4])] = {
        const ALL: [bool; 4] = [true, true, true, true];
        const AUTHOR_UP: [bool; 4] = [false, true, true, true];
        const EDITOR_UP: [bool; 4] = [false, false, true, true];
        const ADMIN: [bool; 4] = [false, false, false, true];
        &[
            (Action::UseNewsroom, ALL, ALL),
            (Action::ChangeOwnPassword, ALL, ALL),
            (Action::CreateDraft, ALL, ALL),
            (Action::EditDraft, ALL, EDITOR_UP),
            (Action::EditPublished, AUTHOR_UP, EDITOR_UP),
            (Action::UseRevisions, ALL, EDITOR_UP),
            (Action::SubmitForReview, ALL, EDITOR_UP),
            (Action::Publish, AUTHOR_UP, EDITOR_UP),
            (Action::Schedule, AUTHOR_UP, EDITOR_UP),
            (Action::Unpublish, AUTHOR_UP, EDITOR_UP),
            (Action::AddUpdateNote, EDITOR_UP, EDITOR_UP),
            (Action::EditOthersByline, EDITOR_UP, EDITOR_UP),
            (Action::UploadImages, ALL, ALL),
            (Action::EditImage, ALL, EDITOR_UP),
            (Action::ModerateComments, EDITOR_UP, EDITOR_UP),
            (Action::ConfigureModeration, EDITOR_UP, EDITOR_UP),
            (Action::TriageTips, EDITOR_UP, EDITOR_UP),
            (Action::EditAuthorProfile, ALL, ADMIN),
            (Action::ManageSections, ADMIN, ADMIN),
            (Action::ManageSettings, ADMIN, ADMIN),
            (Action::ManageUsers, ADMIN, ADMIN),
            (Action::ViewAuditLog, ADMIN, ADMIN),
            (Action::ManageApiTokens, ADMIN, ADMIN),
            (Action::NarrateArticle, AUTHOR_UP, EDITOR_UP),
            (Action::ManageNarration, EDITOR_UP, EDITOR_UP),
            (Action::RunLiveCoverage, AUTHOR_UP, EDITOR_UP),
            (Action::ManagePages, EDITOR_UP, EDITOR_UP),
        ]
    };

    #[test]
    fn every_role_and_action_matches_the_written_table() {
        assert_eq!(
            EXPECTED.len(),
            Action::ALL.len(),
            "every action has a row in the table"
        );
        for action in Action::ALL {
            let (_, own, others) = EXPECTED
                .iter()
                .find(|(listed, _, _)| *listed == action)
                .unwrap_or_else(|| panic!("{action:?} is missing from the table"));
            for (index, role) in Role::ALL.into_iter().enumerate() {
                assert_eq!(
                    permits(role, action, true),
                    own[index],
                    "{role} {action:?} on own work"
                );
                assert_eq!(
                    permits(role, action, false),
                    others[index],
                    "{role} {action:?} on someone else's"
                );
            }
        }
    }

    #[test]
    fn issue_three_role_definitions_hold() {
        // Contributor writes drafts and submits them, but publishes nothing.
        assert!(permits(Role::Contributor, Action::SubmitForReview, true));
        assert!(!permits(Role::Contributor, Action::Publish, true));
        // Author also publishes their own, not anyone else's.
        assert!(permits(Role::Author, Action::Publish, true));
        assert!(!permits(Role::Author, Action::Publish, false));
        // Editor publishes anything, corrects, moderates, triages tips; manages no users.
        for action in [
            Action::Publish,
            Action::AddUpdateNote,
            Action::ModerateComments,
            Action::TriageTips,
        ] {
            assert!(permits(Role::Editor, action, false), "{action:?}");
        }
        assert!(!permits(Role::Editor, Action::ManageUsers, false));
        // Admin can do everything.
        for action in Action::ALL {
            assert!(permits(Role::Admin, action, false), "{action:?}");
        }
    }

    #[test]
    fn owning_the_subject_never_takes_a_permission_away() {
        for action in Action::ALL {
            for role in Role::ALL {
                if permits(role, action, false) {
                    assert!(permits(role, action, true), "{role} {action:?}");
                }
            }
        }
    }

    #[test]
    fn an_author_changes_only_their_own_place_on_a_byline() {
        let me = Some(7);
        // Their own name, on or off, in any order.
        assert!(may_change_byline(Role::Author, me, &[], &[7]));
        assert!(may_change_byline(Role::Author, me, &[7, 3], &[3, 7]));
        assert!(may_change_byline(Role::Author, me, &[7, 3], &[3]));
        assert!(may_change_byline(Role::Contributor, me, &[3], &[3, 7]));
        // Anyone else's name is the desk's: the attack was a story under a colleague alone.
        assert!(!may_change_byline(Role::Author, me, &[], &[3]));
        assert!(!may_change_byline(Role::Author, me, &[7], &[3]));
        assert!(!may_change_byline(Role::Author, me, &[7], &[7, 3]));
        assert!(!may_change_byline(Role::Author, me, &[7, 3], &[7]));
        assert!(!may_change_byline(Role::Author, None, &[], &[3]));
        // Editors and admins put anyone on a byline.
        assert!(may_change_byline(Role::Editor, me, &[], &[3, 4]));
        assert!(may_change_byline(Role::Admin, None, &[3], &[4]));
    }
}
