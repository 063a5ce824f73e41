//! The tip form's body as it arrives: bounded in bytes, in time and in the shape of its
//! multipart framing, so parsing it never holds more than a piece at a time.
//!
//! multer (axum's multipart parser) streams part contents, but it keeps everything before the
//! first boundary and everything before the end of a part's header block in one buffer. A body
//! that never sends a boundary, or a part header that never ends, would be held whole. The guard
//! here refuses such a body after a few kilobytes, before multer has buffered more than that.

use std::future::Future as _;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::Stream;
use memchr::memmem::Finder;
use tokio::time::{Instant, Sleep};

/// Bytes a body may carry before its first boundary. RFC 2046 §5.1.1 allows a preamble; browsers
/// and curl send none.
const MAX_PREAMBLE_BYTES: usize = 1024;
/// Bytes of one part's header block (Content-Disposition and Content-Type; a long file name).
const MAX_PART_HEADER_BYTES: usize = 8 * 1024;
/// How long the body may send nothing before the upload is given up.
pub(super) const IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// The slowest upload accepted on average, after a minute's grace: a tipster on a slow link or
/// Tor still sends 125 MB within the hour, and a trickle cannot hold the connection for ever.
const SLOWEST_BYTES_PER_SEC: u64 = 32 * 1024;
const GRACE: Duration = Duration::from_secs(60);

/// Why the body stopped being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum UploadProblem {
    #[error("the body is longer than it declared")]
    TooLong,
    #[error("the body stopped arriving")]
    Stalled,
    #[error("the body arrived too slowly")]
    TooSlow,
    #[error("the body is not multipart/form-data as browsers send it")]
    Malformed,
    #[error("the connection failed")]
    Interrupted,
}

/// Watches a multipart body's framing without buffering it: the preamble and every part's
/// header block must be short. Part contents pass at any length.
pub(crate) struct MultipartGuard {
    /// `CRLF--boundary`: what starts every delimiter (RFC 2046 §5.1.1). The body is read as if it
    /// began with CRLF, so the first delimiter looks like the others.
    delimiter: Finder<'static>,
    header_end: Finder<'static>,
    /// The last bytes seen, in case a delimiter or a header end is split between pieces.
    carry: Vec<u8>,
    stage: Stage,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Before the first delimiter; counts the preamble.
    Preamble(usize),
    /// Inside a part's contents.
    Contents,
    /// After a delimiter, until the blank line that ends the part's headers; counts them.
    Headers(usize),
}

impl MultipartGuard {
    pub(crate) fn new(boundary: &str) -> Self {
        Self {
            delimiter: Finder::new(format!("\r\n--{boundary}").as_bytes()).into_owned(),
            header_end: Finder::new(b"\r\n\r\n").into_owned(),
            carry: b"\r\n".to_vec(),
            stage: Stage::Preamble(0),
        }
    }

    /// Looks at the next piece of the body.
    pub(crate) fn inspect(&mut self, mut piece: &[u8]) -> Result<(), UploadProblem> {
        while !piece.is_empty() {
            let (finder, counted, limit) = match self.stage {
                Stage::Preamble(seen) => (&self.delimiter, Some(seen), MAX_PREAMBLE_BYTES),
                Stage::Contents => (&self.delimiter, None, usize::MAX),
                Stage::Headers(seen) => (&self.header_end, Some(seen), MAX_PART_HEADER_BYTES),
            };
            match find_across(finder, &mut self.carry, piece) {
                Some(end) => {
                    if counted.is_some_and(|seen| seen + end > limit) {
                        return Err(UploadProblem::Malformed);
                    }
                    self.stage = match self.stage {
                        Stage::Preamble(_) | Stage::Contents => Stage::Headers(0),
                        // The close delimiter `--` looks like a header block that never ends,
                        // but nothing is read after it: the parser stops there.
                        Stage::Headers(_) => Stage::Contents,
                    };
                    self.carry.clear();
                    piece = &piece[end..];
                }
                None => {
                    if let Some(seen) = counted {
                        let seen = seen + piece.len();
                        if seen > limit {
                            return Err(UploadProblem::Malformed);
                        }
                        self.stage = match self.stage {
                            Stage::Preamble(_) => Stage::Preamble(seen),
                            _ => Stage::Headers(seen),
                        };
                    }
                    piece = &[];
                }
            }
        }
        Ok(())
    }
}

/// Finds `finder`'s needle in `carry` followed by `piece`, without copying `piece`: returns the
/// offset in `piece` just past the match, or keeps the tail that could start a match in `carry`.
fn find_across(finder: &Finder<'_>, carry: &mut Vec<u8>, piece: &[u8]) -> Option<usize> {
    let needle = finder.needle().len();
    if !carry.is_empty() {
        let joined: Vec<u8> = carry
            .iter()
            .copied()
            .chain(piece.iter().copied().take(needle - 1))
            .collect();
        // Only a match that starts in the carry; one wholly inside `piece` is found below.
        if let Some(start) = finder.find(&joined).filter(|start| *start < carry.len()) {
            return Some(start + needle - carry.len());
        }
    }
    if let Some(start) = finder.find(piece) {
        return Some(start + needle);
    }
    let keep = needle - 1;
    if piece.len() >= keep {
        carry.clear();
        carry.extend_from_slice(&piece[piece.len() - keep..]);
    } else {
        carry.extend_from_slice(piece);
        let excess = carry.len().saturating_sub(keep);
        carry.drain(..excess);
    }
    None
}

/// A request body as multer reads it: at most `declared` bytes, nothing for [`IDLE_TIMEOUT`]
/// ends it, a floor on the average rate, and the multipart framing watched by [`MultipartGuard`].
pub(crate) struct UploadBody<S> {
    inner: S,
    guard: MultipartGuard,
    declared: u64,
    read: u64,
    /// Armed when a piece is asked for, so time spent storing the last piece is not idleness.
    idle: Pin<Box<Sleep>>,
    idle_timeout: Duration,
    waiting: bool,
    deadline: Pin<Box<Sleep>>,
    failed: bool,
}

impl<S> UploadBody<S> {
    pub(crate) fn new(inner: S, boundary: &str, declared: u64) -> Self {
        Self::with_idle_timeout(inner, boundary, declared, IDLE_TIMEOUT)
    }

    fn with_idle_timeout(inner: S, boundary: &str, declared: u64, idle_timeout: Duration) -> Self {
        let allowed = GRACE + Duration::from_secs(declared / SLOWEST_BYTES_PER_SEC);
        Self {
            idle_timeout,
            inner,
            guard: MultipartGuard::new(boundary),
            declared,
            read: 0,
            idle: Box::pin(tokio::time::sleep(idle_timeout)),
            waiting: false,
            deadline: Box::pin(tokio::time::sleep(allowed)),
            failed: false,
        }
    }

    fn fail(&mut self, problem: UploadProblem) -> Poll<Option<Result<Bytes, UploadProblem>>> {
        self.failed = true;
        Poll::Ready(Some(Err(problem)))
    }
}

impl<S, E> Stream for UploadBody<S>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
{
    type Item = Result<Bytes, UploadProblem>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.failed {
            return Poll::Ready(None);
        }
        if !this.waiting {
            this.waiting = true;
            this.idle.as_mut().reset(Instant::now() + this.idle_timeout);
        }
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(piece))) => {
                this.waiting = false;
                this.read += piece.len() as u64;
                if this.read > this.declared {
                    return this.fail(UploadProblem::TooLong);
                }
                if let Err(problem) = this.guard.inspect(&piece) {
                    return this.fail(problem);
                }
                Poll::Ready(Some(Ok(piece)))
            }
            Poll::Ready(Some(Err(_))) => this.fail(UploadProblem::Interrupted),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => {
                if this.deadline.as_mut().poll(cx).is_ready() {
                    return this.fail(UploadProblem::TooSlow);
                }
                if this.idle.as_mut().poll(cx).is_ready() {
                    return this.fail(UploadProblem::Stalled);
                }
                Poll::Pending
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOUNDARY: &str = "----formBoundary7MA4YWxk";

    fn form() -> Vec<u8> {
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"message\"\r\n\r\nhello\r\n\
             --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"attachments\"; \
             filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\n{}\r\n--{BOUNDARY}--\r\n",
            "x".repeat(50_000)
        )
        .into_bytes()
    }

    fn inspect_in_pieces(body: &[u8], size: usize) -> Result<(), UploadProblem> {
        let mut guard = MultipartGuard::new(BOUNDARY);
        body.chunks(size).try_for_each(|piece| guard.inspect(piece))
    }

    #[test]
    fn a_browser_form_passes_however_it_is_split() {
        let body = form();
        for size in [1, 2, 3, 7, 29, 30, 31, 4096, body.len()] {
            assert_eq!(inspect_in_pieces(&body, size), Ok(()), "pieces of {size}");
        }
    }

    #[test]
    fn a_body_without_boundary_or_with_endless_headers_is_refused_early() {
        let endless_preamble = vec![b'a'; 10 * 1024 * 1024];
        assert_eq!(
            inspect_in_pieces(&endless_preamble, 64 * 1024),
            Err(UploadProblem::Malformed)
        );
        let mut guard = MultipartGuard::new(BOUNDARY);
        let refused_at = endless_preamble
            .chunks(100)
            .position(|piece| guard.inspect(piece).is_err());
        assert_eq!(
            refused_at,
            Some(MAX_PREAMBLE_BYTES / 100),
            "after about 1 KiB"
        );

        let mut endless_header =
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"").into_bytes();
        endless_header.extend(std::iter::repeat_n(b'n', 10 * 1024 * 1024));
        let mut guard = MultipartGuard::new(BOUNDARY);
        let refused_at = endless_header
            .chunks(1000)
            .position(|piece| guard.inspect(piece).is_err());
        assert!(
            refused_at.is_some_and(|piece| piece <= MAX_PART_HEADER_BYTES / 1000 + 1),
            "after about 8 KiB: {refused_at:?}"
        );
        // The same header block, a normal length, is fine; so is a long part after it.
        let mut fine =
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"n\"\r\n\r\n")
                .into_bytes();
        fine.extend(std::iter::repeat_n(b'n', 1024 * 1024));
        assert_eq!(inspect_in_pieces(&fine, 1000), Ok(()));
    }

    #[tokio::test]
    async fn a_body_longer_than_declared_or_stalled_ends() {
        use futures_util::StreamExt;
        let body = form();
        let pieces: Vec<Result<Bytes, std::convert::Infallible>> = body
            .chunks(1000)
            .map(|piece| Ok(Bytes::copy_from_slice(piece)))
            .collect();
        let whole: Vec<_> = UploadBody::new(
            futures_util::stream::iter(pieces.clone()),
            BOUNDARY,
            body.len() as u64,
        )
        .collect()
        .await;
        assert!(whole.iter().all(Result::is_ok));
        let short: Vec<_> = UploadBody::new(
            futures_util::stream::iter(pieces),
            BOUNDARY,
            body.len() as u64 - 1,
        )
        .collect()
        .await;
        assert_eq!(short.last(), Some(&Err(UploadProblem::TooLong)));

        // One piece, then nothing: the upload gives up after the idle timeout.
        let first = Bytes::copy_from_slice(&body[..100]);
        let stalled = futures_util::stream::iter([Ok::<_, std::convert::Infallible>(first)])
            .chain(futures_util::stream::pending());
        let idle = Duration::from_millis(200);
        let mut upload = UploadBody::with_idle_timeout(stalled, BOUNDARY, body.len() as u64, idle);
        assert!(upload.next().await.is_some_and(|piece| piece.is_ok()));
        // Time spent elsewhere between pieces (storing the last one) is not idleness.
        tokio::time::sleep(idle * 2).await;
        let started = Instant::now();
        assert_eq!(upload.next().await, Some(Err(UploadProblem::Stalled)));
        assert!(started.elapsed() >= idle && started.elapsed() < idle * 10);
        assert_eq!(upload.next().await, None);
    }
}
