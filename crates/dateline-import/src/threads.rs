//! Comment threads from any source: parents before replies, replies to missing comments shown at
//! the top level (and reported), loops broken. Shared by the WordPress and Disqus readers.

use std::collections::{HashMap, HashSet};

use crate::plan::{Comment, Reader, Report, Source, SourceId, WarningKind};

/// Orders comments so every parent comes before its replies, oldest conversation first.
pub(crate) fn order(mut comments: Vec<Comment>, report: &mut Report) -> Vec<Comment> {
    let ids: HashSet<SourceId> = comments.iter().map(|c| c.source_id.clone()).collect();
    for comment in &mut comments {
        if let Some(parent) = &comment.parent
            && (!ids.contains(parent) || *parent == comment.source_id)
        {
            report.warn(
                WarningKind::OrphanComment,
                Some(&comment.source_id),
                format!("replies to {parent}, which is not in the export: shown at the top level"),
            );
            comment.parent = None;
        }
    }
    let mut children: HashMap<Option<SourceId>, Vec<usize>> = HashMap::new();
    for (i, comment) in comments.iter().enumerate() {
        children.entry(comment.parent.clone()).or_default().push(i);
    }
    let mut placed = vec![false; comments.len()];
    let mut order = Vec::with_capacity(comments.len());
    // Depth-first from the top level, with an explicit stack so a long reply chain cannot
    // exhaust the call stack.
    let mut stack: Vec<usize> = children.get(&None).cloned().unwrap_or_default();
    stack.reverse();
    while let Some(i) = stack.pop() {
        if placed[i] {
            continue;
        }
        placed[i] = true;
        order.push(i);
        if let Some(replies) = children.get(&Some(comments[i].source_id.clone())) {
            stack.extend(replies.iter().rev().copied());
        }
    }
    // What is left hangs off a loop (a replies to b, b replies to a): break it at the top level.
    for i in 0..comments.len() {
        if !placed[i] {
            report.warn(
                WarningKind::OrphanComment,
                Some(&comments[i].source_id),
                "its replies form a loop: shown at the top level",
            );
            comments[i].parent = None;
            let mut stack = vec![i];
            while let Some(j) = stack.pop() {
                if placed[j] {
                    continue;
                }
                placed[j] = true;
                order.push(j);
                if let Some(replies) = children.get(&Some(comments[j].source_id.clone())) {
                    stack.extend(replies.iter().rev().copied());
                }
            }
        }
    }
    let mut slots: Vec<Option<Comment>> = comments.into_iter().map(Some).collect();
    order.into_iter().filter_map(|i| slots[i].take()).collect()
}

/// The readers behind comments, one per address (or per name when there is no address).
#[derive(Default)]
pub(crate) struct Readers {
    by_key: HashMap<String, usize>,
    pub list: Vec<Reader>,
}

impl Readers {
    pub fn reader_for(
        &mut self,
        source: Source,
        name: &str,
        email: Option<&str>,
        url: Option<&str>,
    ) -> SourceId {
        let key = match email {
            Some(email) => email.to_lowercase(),
            None => format!("name:{}", name.trim()),
        };
        if let Some(&i) = self.by_key.get(&key) {
            return self.list[i].source_id.clone();
        }
        let source_id = SourceId::new(source, "reader", &key);
        self.by_key.insert(key, self.list.len());
        self.list.push(Reader {
            source_id: source_id.clone(),
            name: name.trim().to_owned(),
            email: email.map(str::to_owned),
            url: url.map(str::to_owned),
        });
        source_id
    }
}

/// A comment author's address, if it is one.
pub(crate) fn email(raw: &str) -> Option<String> {
    let email = raw.trim();
    (email.contains('@') && !email.contains(char::is_whitespace)).then(|| email.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::CommentState;

    fn comment(id: &str, parent: Option<&str>) -> Comment {
        Comment {
            source_id: SourceId(id.into()),
            parent: parent.map(|p| SourceId(p.into())),
            reader: SourceId("r".into()),
            author_name: String::new(),
            author_email: None,
            author_url: None,
            posted_at: None,
            body_markdown: String::new(),
            state: CommentState::Approved,
        }
    }

    #[test]
    fn parents_first_orphans_and_loops_at_top() {
        let mut report = Report::default();
        let ordered = order(
            vec![
                comment("c", Some("b")),
                comment("a", None),
                comment("b", Some("a")),
                comment("x", Some("gone")),
                comment("l1", Some("l2")),
                comment("l2", Some("l1")),
            ],
            &mut report,
        );
        let ids: Vec<&str> = ordered.iter().map(|c| c.source_id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "c", "x", "l1", "l2"]);
        assert_eq!(ordered[3].parent, None);
        assert_eq!(ordered[4].parent, None);
        assert_eq!(ordered[5].parent.as_ref().map(SourceId::as_str), Some("l1"));
        assert_eq!(report.warnings_of(WarningKind::OrphanComment).count(), 2);
    }

    #[test]
    fn a_long_reply_chain_does_not_exhaust_the_stack() {
        let mut comments = vec![comment("0", None)];
        for i in 1..200_000 {
            comments.push(comment(&i.to_string(), Some(&(i - 1).to_string())));
        }
        let ordered = order(comments, &mut Report::default());
        assert_eq!(ordered.len(), 200_000);
        assert_eq!(ordered[199_999].source_id.as_str(), "199999");
    }
}
