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

/// Accepts or refuses one attached file.
pub fn check_attachment(name: &str, bytes: &[u8]) -> Result<AttachmentType, AttachmentProblem> {
    if bytes.is_empty() {
        return Err(AttachmentProblem::Empty(name.to_owned()));
    }
    if bytes.len() > MAX_ATTACHMENT_BYTES {
        return Err(AttachmentProblem::TooBig(name.to_owned()));
    }
    let extension = name
        .rsplit_once('.')
        .map(|(_, extension)| extension.to_ascii_lowercase())
        .unwrap_or_default();
    let Some((_, media_type, family, signature)) =
        ALLOWED.iter().find(|(known, ..)| *known == extension)
    else {
        return Err(AttachmentProblem::ForbiddenType(name.to_owned()));
    };
    let matches = match signature {
        Signature::Prefix(prefix) => bytes.starts_with(prefix),
        Signature::Riff(form) => bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(&form[..]),
        Signature::IsoMedia => bytes.get(4..8) == Some(b"ftyp"),
        Signature::Zip => bytes.starts_with(b"PK\x03\x04"),
        Signature::Text => !bytes.contains(&0) && std::str::from_utf8(bytes).is_ok(),
        // Executables renamed to a document are still refused.
        Signature::Unchecked => !bytes.starts_with(b"MZ") && !bytes.starts_with(b"\x7FELF"),
    };
    if !matches {
        return Err(AttachmentProblem::Mismatch(name.to_owned()));
    }
    Ok(AttachmentType { media_type, family })
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
}
