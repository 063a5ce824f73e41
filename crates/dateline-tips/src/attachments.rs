//! Which files a tipster may attach: documents, images, audio and video, by name and by what the
//! bytes say they are. Files are stored unmodified (the original is evidence), so this only
//! decides whether to accept them.

pub const MAX_ATTACHMENTS: usize = 5;
pub const MAX_ATTACHMENT_BYTES: usize = 25 * 1024 * 1024;

/// An accepted file's kind and media type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttachmentType {
    pub media_type: &'static str,
    pub family: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttachmentProblem {
    #[error("“{0}” is empty.")]
    Empty(String),
    #[error("“{0}” is larger than 25 MB.")]
    TooBig(String),
    #[error(
        "“{0}” is not a type we accept. Send documents (PDF, text, office files), images, audio \
         or video."
    )]
    ForbiddenType(String),
    #[error("“{0}” does not look like the file type its name says.")]
    Mismatch(String),
}

/// What the first bytes of a format must be, where the format has a signature.
enum Signature {
    Prefix(&'static [u8]),
    /// RIFF containers (WAV, WebP, AVI): "RIFF", a size, then the form type.
    Riff(&'static [u8; 4]),
    /// ISO base media files (MP4, MOV, M4A, HEIC): a box size, then "ftyp".
    IsoMedia,
    /// Office Open XML and OpenDocument files are ZIP archives.
    Zip,
    /// Plain text has no signature; it must be UTF-8 without NUL bytes.
    Text,
    /// Formats whose signatures vary too much to check (legacy Office, MP3 with or without ID3).
    Unchecked,
}

const ALLOWED: &[(&str, &str, &str, Signature)] = &[
    (
        "pdf",
        "application/pdf",
        "document",
        Signature::Prefix(b"%PDF-"),
    ),
    ("txt", "text/plain", "document", Signature::Text),
    ("csv", "text/csv", "document", Signature::Text),
    ("md", "text/markdown", "document", Signature::Text),
    (
        "rtf",
        "application/rtf",
        "document",
        Signature::Prefix(b"{\\rtf"),
    ),
    (
        "doc",
        "application/msword",
        "document",
        Signature::Unchecked,
    ),
    (
        "xls",
        "application/vnd.ms-excel",
        "document",
        Signature::Unchecked,
    ),
    (
        "ppt",
        "application/vnd.ms-powerpoint",
        "document",
        Signature::Unchecked,
    ),
    (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "document",
        Signature::Zip,
    ),
    (
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "document",
        Signature::Zip,
    ),
    (
        "pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "document",
        Signature::Zip,
    ),
    (
        "odt",
        "application/vnd.oasis.opendocument.text",
        "document",
        Signature::Zip,
    ),
    (
        "ods",
        "application/vnd.oasis.opendocument.spreadsheet",
        "document",
        Signature::Zip,
    ),
    (
        "odp",
        "application/vnd.oasis.opendocument.presentation",
        "document",
        Signature::Zip,
    ),
    (
        "jpg",
        "image/jpeg",
        "image",
        Signature::Prefix(b"\xFF\xD8\xFF"),
    ),
    (
        "jpeg",
        "image/jpeg",
        "image",
        Signature::Prefix(b"\xFF\xD8\xFF"),
    ),
    (
        "png",
        "image/png",
        "image",
        Signature::Prefix(b"\x89PNG\r\n\x1a\n"),
    ),
    ("gif", "image/gif", "image", Signature::Prefix(b"GIF8")),
    ("webp", "image/webp", "image", Signature::Riff(b"WEBP")),
    ("heic", "image/heic", "image", Signature::IsoMedia),
    ("tif", "image/tiff", "image", Signature::Unchecked),
    ("tiff", "image/tiff", "image", Signature::Unchecked),
    ("mp3", "audio/mpeg", "audio", Signature::Unchecked),
    ("m4a", "audio/mp4", "audio", Signature::IsoMedia),
    ("wav", "audio/wav", "audio", Signature::Riff(b"WAVE")),
    ("ogg", "audio/ogg", "audio", Signature::Prefix(b"OggS")),
    ("opus", "audio/ogg", "audio", Signature::Prefix(b"OggS")),
    ("flac", "audio/flac", "audio", Signature::Prefix(b"fLaC")),
    ("mp4", "video/mp4", "video", Signature::IsoMedia),
    ("mov", "video/quicktime", "video", Signature::IsoMedia),
    (
        "webm",
        "video/webm",
        "video",
        Signature::Prefix(b"\x1A\x45\xDF\xA3"),
    ),
    (
        "mkv",
        "video/x-matroska",
        "video",
        Signature::Prefix(b"\x1A\x45\xDF\xA3"),
    ),
];

/// What an `accept` attribute lists, so the browser's file picker offers the same types.
pub fn accepted_extensions() -> String {
    ALLOWED
        .iter()
        .map(|(extension, ..)| format!(".{extension}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// Accepts or refuses one attached file held whole in memory.
pub fn check_attachment(name: &str, bytes: &[u8]) -> Result<AttachmentType, AttachmentProblem> {
    let mut check = AttachmentCheck::start(name)?;
    check.feed(bytes)?;
    check.finish()
}

/// The same rules as [`check_attachment`] for a file that arrives in pieces, so an upload is
/// judged while it streams and never has to be held whole: the name is judged before any byte,
/// the size and the signature as soon as enough bytes have arrived, plain text as it goes.
pub struct AttachmentCheck {
    name: String,
    kind: AttachmentType,
    signature: &'static Signature,
    size: usize,
    /// The first bytes, until there are enough to judge the signature by.
    head: Vec<u8>,
    signature_checked: bool,
    /// The end of a UTF-8 sequence split between two pieces (at most 3 bytes).
    text_carry: Vec<u8>,
}

/// How many leading bytes every signature above is judged by.
const SIGNATURE_BYTES: usize = 12;

impl AttachmentCheck {
    /// Judges the file's name: an extension we do not accept is refused before any byte is read.
    pub fn start(name: &str) -> Result<Self, AttachmentProblem> {
        let extension = name
            .rsplit_once('.')
            .map(|(_, extension)| extension.to_ascii_lowercase())
            .unwrap_or_default();
        let Some((_, media_type, family, signature)) =
            ALLOWED.iter().find(|(known, ..)| *known == extension)
        else {
            return Err(AttachmentProblem::ForbiddenType(name.to_owned()));
        };
        Ok(Self {
            name: name.to_owned(),
            kind: AttachmentType { media_type, family },
            signature,
            size: 0,
            head: Vec::with_capacity(SIGNATURE_BYTES),
            signature_checked: false,
            text_carry: Vec::new(),
        })
    }

    /// Takes the next piece of the file.
    pub fn feed(&mut self, piece: &[u8]) -> Result<(), AttachmentProblem> {
        self.size = self.size.saturating_add(piece.len());
        if self.size > MAX_ATTACHMENT_BYTES {
            return Err(AttachmentProblem::TooBig(self.name.clone()));
        }
        if !self.signature_checked {
            let wanted = SIGNATURE_BYTES - self.head.len();
            self.head
                .extend_from_slice(&piece[..piece.len().min(wanted)]);
            if self.head.len() == SIGNATURE_BYTES {
                self.check_signature()?;
            }
        }
        if matches!(self.signature, Signature::Text) {
            self.check_text(piece)?;
        }
        Ok(())
    }

    /// The file is complete: says what it is, or why it is refused.
    pub fn finish(mut self) -> Result<AttachmentType, AttachmentProblem> {
        if self.size == 0 {
            return Err(AttachmentProblem::Empty(self.name));
        }
        if !self.signature_checked {
            self.check_signature()?;
        }
        if !self.text_carry.is_empty() {
            // The file ends inside a UTF-8 sequence.
            return Err(AttachmentProblem::Mismatch(self.name));
        }
        Ok(self.kind)
    }

    fn check_signature(&mut self) -> Result<(), AttachmentProblem> {
        self.signature_checked = true;
        let bytes = self.head.as_slice();
        let matches = match self.signature {
            Signature::Prefix(prefix) => bytes.starts_with(prefix),
            Signature::Riff(form) => {
                bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(&form[..])
            }
            Signature::IsoMedia => bytes.get(4..8) == Some(b"ftyp"),
            Signature::Zip => bytes.starts_with(b"PK\x03\x04"),
            // Judged piece by piece in `check_text`.
            Signature::Text => true,
            // Executables renamed to a document are still refused.
            Signature::Unchecked => !bytes.starts_with(b"MZ") && !bytes.starts_with(b"\x7FELF"),
        };
        if matches {
            Ok(())
        } else {
            Err(AttachmentProblem::Mismatch(self.name.clone()))
        }
    }

    /// Plain text must be UTF-8 without NUL bytes, whichever piece a sequence is split across.
    fn check_text(&mut self, piece: &[u8]) -> Result<(), AttachmentProblem> {
        let mismatch = || AttachmentProblem::Mismatch(self.name.clone());
        if piece.contains(&0) {
            return Err(mismatch());
        }
        let mut rest = piece;
        if let Some(&lead) = self.text_carry.first() {
            // Complete the split sequence first: its lead byte says how long it is (RFC 3629 §3).
            let length = match lead {
                0xC2..=0xDF => 2,
                0xE0..=0xEF => 3,
                _ => 4,
            };
            let take = rest.len().min(length - self.text_carry.len());
            self.text_carry.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if self.text_carry.len() < length {
                return Ok(());
            }
            if std::str::from_utf8(&self.text_carry).is_err() {
                return Err(mismatch());
            }
            self.text_carry.clear();
        }
        match std::str::from_utf8(rest) {
            Ok(_) => Ok(()),
            Err(error) if error.error_len().is_none() => {
                self.text_carry
                    .extend_from_slice(&rest[error.valid_up_to()..]);
                Ok(())
            }
            Err(_) => Err(mismatch()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_images_audio_and_video_pass() {
        assert_eq!(
            check_attachment("memo.PDF", b"%PDF-1.7 ...").map(|t| t.media_type),
            Ok("application/pdf")
        );
        assert_eq!(
            check_attachment("notes.txt", "minutes of the meeting".as_bytes()).map(|t| t.family),
            Ok("document")
        );
        assert!(check_attachment("photo.jpg", b"\xFF\xD8\xFF\xE0rest").is_ok());
        assert!(check_attachment("clip.mp4", b"\0\0\0\x18ftypmp42").is_ok());
        assert!(check_attachment("call.wav", b"RIFF\x24\0\0\0WAVEfmt ").is_ok());
    }

    #[test]
    fn other_types_disguises_and_sizes_are_refused() {
        assert!(matches!(
            check_attachment("tool.exe", b"MZ\x90\0"),
            Err(AttachmentProblem::ForbiddenType(_))
        ));
        assert!(matches!(
            check_attachment("no-extension", b"hello"),
            Err(AttachmentProblem::ForbiddenType(_))
        ));
        assert!(matches!(
            check_attachment("memo.pdf", b"MZ\x90\0 not a pdf"),
            Err(AttachmentProblem::Mismatch(_))
        ));
        assert!(matches!(
            check_attachment("old.doc", b"MZ\x90\0"),
            Err(AttachmentProblem::Mismatch(_))
        ));
        assert!(matches!(
            check_attachment("empty.pdf", b""),
            Err(AttachmentProblem::Empty(_))
        ));
        let big = vec![b'a'; MAX_ATTACHMENT_BYTES + 1];
        assert!(matches!(
            check_attachment("big.txt", &big),
            Err(AttachmentProblem::TooBig(_))
        ));
        assert!(accepted_extensions().contains(".pdf,"));
    }

    /// Feeds `bytes` in pieces of `size` (the last may be shorter).
    fn in_pieces(
        name: &str,
        bytes: &[u8],
        size: usize,
    ) -> Result<AttachmentType, AttachmentProblem> {
        let mut check = AttachmentCheck::start(name)?;
        for piece in bytes.chunks(size) {
            check.feed(piece)?;
        }
        check.finish()
    }

    #[test]
    fn a_file_in_pieces_is_judged_as_the_whole_file() {
        let text = "Zürich, 12 € — 東京 🗞 minutes".as_bytes();
        let broken = [&text[..8], &[0xE2, 0x28], &text[8..]].concat();
        let cases: [(&str, &[u8]); 7] = [
            ("notes.txt", text),
            ("notes.txt", &broken),
            ("notes.txt", b"line\0with nul"),
            ("memo.pdf", b"%PDF-1.7 body"),
            ("memo.pdf", b"%PD"),
            ("call.wav", b"RIFF\x24\0\0\0WAVEfmt "),
            ("old.doc", b"MZ\x90\0"),
        ];
        for (name, bytes) in cases {
            let whole = check_attachment(name, bytes);
            for size in 1..=bytes.len() {
                assert_eq!(
                    in_pieces(name, bytes, size),
                    whole,
                    "{name} in pieces of {size}"
                );
            }
        }
        assert!(check_attachment("notes.txt", text).is_ok());
        assert!(check_attachment("notes.txt", &broken).is_err());
        // A text file that stops inside a character is not text.
        assert!(matches!(
            in_pieces("notes.txt", &text[..text.len() - 9], 3),
            Err(AttachmentProblem::Mismatch(_))
        ));
    }

    #[test]
    fn a_streamed_file_is_refused_as_early_as_possible() {
        // The name alone refuses an executable, before any byte.
        assert!(matches!(
            AttachmentCheck::start("tool.exe"),
            Err(AttachmentProblem::ForbiddenType(_))
        ));
        // A disguise is refused once its first twelve bytes are in.
        let mut check = AttachmentCheck::start("memo.pdf").expect("a pdf name");
        assert!(check.feed(b"MZ\x90\0").is_ok());
        assert!(matches!(
            check.feed(b"\0\0\0\0\0\0\0\0 and the rest"),
            Err(AttachmentProblem::Mismatch(_))
        ));
        // Size is counted as it arrives: one byte past the limit is refused at that piece.
        let mut check = AttachmentCheck::start("big.txt").expect("a text name");
        let piece = vec![b'a'; 1024 * 1024];
        for _ in 0..MAX_ATTACHMENT_BYTES / piece.len() {
            check.feed(&piece).expect("within the limit");
        }
        assert!(matches!(
            check.feed(b"a"),
            Err(AttachmentProblem::TooBig(_))
        ));
    }
}
