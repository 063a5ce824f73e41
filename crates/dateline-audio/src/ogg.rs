//! An Ogg page writer (RFC 3533) for the Opus file: packets in, pages out, nothing else.

/// Ogg's CRC-32: polynomial 0x04C11DB7, no reflection, initial value and final XOR both zero
/// (RFC 3533 §6), over the whole page with the checksum field zeroed.
pub fn crc32(bytes: &[u8]) -> u32 {
    const TABLE: [u32; 256] = {
        let mut table = [0u32; 256];
        let mut i = 0;
        while i < 256 {
            let mut r = (i as u32) << 24;
            let mut bit = 0;
            while bit < 8 {
                r = if r & 0x8000_0000 != 0 {
                    (r << 1) ^ 0x04C1_1DB7
                } else {
                    r << 1
                };
                bit += 1;
            }
            table[i] = r;
            i += 1;
        }
        table
    };
    bytes.iter().fold(0u32, |crc, &b| {
        (crc << 8) ^ TABLE[(((crc >> 24) as u8) ^ b) as usize]
    })
}

const CONTINUED: u8 = 0x01;
const BEGINNING_OF_STREAM: u8 = 0x02;
const END_OF_STREAM: u8 = 0x04;
/// A page holds at most 255 lacing values (RFC 3533 §6).
const MAX_SEGMENTS: usize = 255;
/// "No packet finishes on this page."
const NO_GRANULE: u64 = u64::MAX;

/// Writes one logical stream. Packets are laced into the current page; a page is closed when
/// the caller asks ([`OggWriter::flush`]), when its segment table is full, or at the end.
pub struct OggWriter {
    serial: u32,
    sequence: u32,
    out: Vec<u8>,
    segments: Vec<u8>,
    body: Vec<u8>,
    granule: u64,
    continued: bool,
}

impl OggWriter {
    pub fn new(serial: u32) -> Self {
        Self {
            serial,
            sequence: 0,
            out: Vec::new(),
            segments: Vec::new(),
            body: Vec::new(),
            granule: NO_GRANULE,
            continued: false,
        }
    }

    /// Bytes in the page being filled.
    pub fn pending_len(&self) -> usize {
        self.body.len()
    }

    /// Adds a packet whose last sample has the given granule position. A packet longer than a
    /// page can lace continues on the next page.
    pub fn write_packet(&mut self, packet: &[u8], granule: u64) {
        // Lacing: 255 for each full 255-byte segment, then the remainder, which is 0 when the
        // length is a multiple of 255 so the reader knows where the packet ends.
        let mut chunks = packet.chunks(255).peekable();
        let mut ends_with_full = packet.is_empty() || packet.len().is_multiple_of(255);
        loop {
            if self.segments.len() == MAX_SEGMENTS {
                self.emit(false);
                self.continued = true;
            }
            match chunks.next() {
                Some(chunk) => {
                    self.segments.push(chunk.len() as u8);
                    self.body.extend_from_slice(chunk);
                }
                None if ends_with_full => {
                    self.segments.push(0);
                    ends_with_full = false;
                }
                None => break,
            }
            if chunks.peek().is_none() && !ends_with_full {
                break;
            }
        }
        self.granule = granule;
    }

    /// Closes the current page, so the next packet starts a new one (Opus headers need this).
    pub fn flush(&mut self) {
        if !self.segments.is_empty() {
            self.emit(false);
        }
    }

    /// Closes the stream: the last page carries the end-of-stream flag.
    pub fn finish(mut self) -> Vec<u8> {
        self.emit(true);
        self.out
    }

    fn emit(&mut self, end: bool) {
        let mut flags = 0;
        if self.continued {
            flags |= CONTINUED;
        }
        if self.sequence == 0 {
            flags |= BEGINNING_OF_STREAM;
        }
        if end {
            flags |= END_OF_STREAM;
        }
        let start = self.out.len();
        self.out.extend_from_slice(b"OggS");
        self.out.push(0);
        self.out.push(flags);
        self.out.extend_from_slice(&self.granule.to_le_bytes());
        self.out.extend_from_slice(&self.serial.to_le_bytes());
        self.out.extend_from_slice(&self.sequence.to_le_bytes());
        self.out.extend_from_slice(&[0; 4]);
        self.out.push(self.segments.len() as u8);
        self.out.extend_from_slice(&self.segments);
        self.out.extend_from_slice(&self.body);
        let crc = crc32(&self.out[start..]);
        self.out[start + 22..start + 26].copy_from_slice(&crc.to_le_bytes());
        self.sequence += 1;
        self.segments.clear();
        self.body.clear();
        self.granule = NO_GRANULE;
        self.continued = false;
    }
}

/// One page as read back: for tests and for checking files.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub flags: u8,
    pub granule: u64,
    pub serial: u32,
    pub sequence: u32,
    pub segments: Vec<u8>,
    pub body: Vec<u8>,
}

impl Page {
    pub fn is_continued(&self) -> bool {
        self.flags & CONTINUED != 0
    }
    pub fn is_first(&self) -> bool {
        self.flags & BEGINNING_OF_STREAM != 0
    }
    pub fn is_last(&self) -> bool {
        self.flags & END_OF_STREAM != 0
    }
}

/// Splits a stream into pages, checking each checksum.
pub fn read_pages(mut bytes: &[u8]) -> Result<Vec<Page>, String> {
    let mut pages = Vec::new();
    while !bytes.is_empty() {
        if bytes.len() < 27 || &bytes[..4] != b"OggS" || bytes[4] != 0 {
            return Err(format!("page {} has no Ogg header", pages.len()));
        }
        let count = bytes[26] as usize;
        let segments = bytes
            .get(27..27 + count)
            .ok_or("truncated segment table")?
            .to_vec();
        let body_len: usize = segments.iter().map(|&s| s as usize).sum();
        let total = 27 + count + body_len;
        let page = bytes.get(..total).ok_or("truncated page")?;
        let mut zeroed = page.to_vec();
        zeroed[22..26].fill(0);
        let stored = u32::from_le_bytes([page[22], page[23], page[24], page[25]]);
        if crc32(&zeroed) != stored {
            return Err(format!("page {} fails its checksum", pages.len()));
        }
        let u32_at =
            |i: usize| u32::from_le_bytes([page[i], page[i + 1], page[i + 2], page[i + 3]]);
        let mut granule = [0u8; 8];
        granule.copy_from_slice(&page[6..14]);
        pages.push(Page {
            flags: page[5],
            granule: u64::from_le_bytes(granule),
            serial: u32_at(14),
            sequence: u32_at(18),
            segments,
            body: page[27 + count..].to_vec(),
        });
        bytes = &bytes[total..];
    }
    Ok(pages)
}

/// Reassembles packets from pages, following lacing across page boundaries.
pub fn read_packets(pages: &[Page]) -> Vec<Vec<u8>> {
    let mut packets = Vec::new();
    let mut current = Vec::new();
    for page in pages {
        let mut at = 0;
        for &lacing in &page.segments {
            current.extend_from_slice(&page.body[at..at + lacing as usize]);
            at += lacing as usize;
            if lacing < 255 {
                packets.push(std::mem::take(&mut current));
            }
        }
    }
    packets
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_matches_the_ogg_polynomial() {
        // CRC-32 with polynomial 0x04C11DB7, unreflected, init 0, no final XOR: the check value
        // of "123456789" is the well-known CKSUM value 0x765E7680 before its final inversion.
        assert_eq!(crc32(b"123456789"), 0x765E_7680 ^ 0xFFFF_FFFF);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn lacing_and_granules_follow_rfc_3533() {
        let mut ogg = OggWriter::new(0xDA7E);
        ogg.write_packet(b"head", 0);
        ogg.flush();
        // Exactly 255 bytes needs a terminating 0 lacing value; 600 bytes is 255+255+90.
        ogg.write_packet(&[7u8; 255], 960);
        ogg.write_packet(&[9u8; 600], 1920);
        let bytes = ogg.finish();
        let pages = read_pages(&bytes).expect("valid pages");
        assert_eq!(pages.len(), 2);
        assert!(pages[0].is_first() && !pages[0].is_last());
        assert_eq!(pages[0].granule, 0);
        assert_eq!(pages[1].segments, vec![255, 0, 255, 255, 90]);
        assert_eq!(pages[1].granule, 1920);
        assert!(pages[1].is_last() && !pages[1].is_first());
        assert_eq!(pages[1].sequence, 1);
        assert!(pages.iter().all(|p| p.serial == 0xDA7E));
        let packets = read_packets(&pages);
        assert_eq!(packets.len(), 3);
        assert_eq!(packets[1].len(), 255);
        assert_eq!(packets[2].len(), 600);
    }

    #[test]
    fn a_packet_larger_than_a_page_continues_on_the_next() {
        let mut ogg = OggWriter::new(1);
        // 255 segments of 255 bytes fill a page; 70,000 bytes needs 275 segments.
        let big: Vec<u8> = (0..70_000u32).map(|i| i as u8).collect();
        ogg.write_packet(&big, 48_000);
        let pages = read_pages(&ogg.finish()).expect("valid pages");
        assert_eq!(pages.len(), 2);
        assert_eq!(pages[0].segments.len(), 255);
        assert_eq!(
            pages[0].granule,
            u64::MAX,
            "no packet ends on the first page"
        );
        assert!(pages[1].is_continued());
        assert_eq!(pages[1].granule, 48_000);
        assert_eq!(read_packets(&pages), vec![big]);
    }

    #[test]
    fn corruption_is_caught_by_the_checksum() {
        let mut ogg = OggWriter::new(1);
        ogg.write_packet(b"payload", 0);
        let mut bytes = ogg.finish();
        let last = bytes.len() - 1;
        bytes[last] ^= 0xFF;
        assert!(read_pages(&bytes).is_err());
    }
}
