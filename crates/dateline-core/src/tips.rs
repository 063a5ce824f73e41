//! What a tip is to the desk: its kind, where it is in triage, and how it ended. The contents
//! (message, contact, attachments) are ciphertext and never reach this crate.

use serde::Serialize;

/// Where tips' encrypted attachments live in object storage. Never public: `/media` refuses it,
/// and the hourly sweep deletes what is there without a tip.
pub const TIP_ATTACHMENT_PREFIX: &str = "tips/";

/// What the tipster said they are sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TipKind {
    Tip,
    /// A reader asking us to correct an article.
    Correction,
    Other,
}

/// Where a tip is in triage: new → triaged → in progress → resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TipStatus {
    New,
    Triaged,
    InProgress,
    Resolved,
}

/// How a resolved tip ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TipResolution {
    CorrectionPublished,
    FollowUpStory,
    NoAction,
    Spam,
}

macro_rules! text_enum {
    ($type:ty { $($variant:ident => $text:literal, $label:literal),+ $(,)? }) => {
        impl $type {
            pub const ALL: &'static [$type] = &[$(<$type>::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $(<$type>::$variant => $text),+ }
            }

            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some(<$type>::$variant),)+ _ => None }
            }

            /// How the newsroom and readers see it.
            pub fn label(self) -> &'static str {
                match self { $(<$type>::$variant => $label),+ }
            }
        }

        impl std::fmt::Display for $type {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.label())
            }
        }
    };
}

text_enum!(TipKind {
    Tip => "tip", "Tip",
    Correction => "correction", "Correction request",
    Other => "other", "Other",
});

text_enum!(TipStatus {
    New => "new", "New",
    Triaged => "triaged", "Triaged",
    InProgress => "in_progress", "In progress",
    Resolved => "resolved", "Resolved",
});

text_enum!(TipResolution {
    CorrectionPublished => "correction_published", "Correction published",
    FollowUpStory => "follow_up_story", "Follow-up story",
    NoAction => "no_action", "No action",
    Spam => "spam", "Spam",
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_round_trip() {
        for kind in TipKind::ALL {
            assert_eq!(TipKind::parse(kind.as_str()), Some(*kind));
        }
        for status in TipStatus::ALL {
            assert_eq!(TipStatus::parse(status.as_str()), Some(*status));
        }
        for resolution in TipResolution::ALL {
            assert_eq!(TipResolution::parse(resolution.as_str()), Some(*resolution));
        }
        assert_eq!(TipStatus::parse("deleted"), None);
        assert_eq!(TipKind::Correction.label(), "Correction request");
    }
}
