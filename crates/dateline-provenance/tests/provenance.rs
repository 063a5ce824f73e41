//! Provenance read from real files made here: pictures encoded by the `image` and `webp` crates,
//! XMP packets placed by hand the way other tools write them, and C2PA manifests signed with the
//! `c2pa` crate under a certificate chain generated for the test.

use std::io::Cursor;

use c2pa::{Builder, BuilderIntent, Context, ManifestDefinition, SigningAlg};
use dateline_provenance::{
    DigitalSourceType, EmbedError, ImageFormat, Origin, Provenance, embed_source_type,
    read_provenance,
};
use image::{ImageEncoder, RgbImage};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, PKCS_ECDSA_P256_SHA256,
};

const IPTC_EXT: &str = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/";
const RDF: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
const AI: &str = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia";
const CAMERA: &str = "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture";

fn picture() -> RgbImage {
    RgbImage::from_fn(64, 48, |x, y| {
        image::Rgb([(x * 4) as u8, (y * 5) as u8, 90])
    })
}

fn jpeg() -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(&picture())
        .expect("test picture encodes");
    out
}

fn png() -> Vec<u8> {
    let picture = picture();
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(
            picture.as_raw(),
            picture.width(),
            picture.height(),
            image::ExtendedColorType::Rgb8,
        )
        .expect("test picture encodes");
    out
}

fn webp() -> Vec<u8> {
    let picture = picture();
    webp::Encoder::from_rgb(picture.as_raw(), picture.width(), picture.height())
        .encode(80.0)
        .to_vec()
}

/// An XMP packet with `property` (attribute or element markup) on the description, the IPTC
/// Extension namespace bound to `prefix`.
fn xmp_packet(prefix: &str, attribute: &str, body: &str) -> String {
    format!(
        "<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n\
         <x:xmpmeta xmlns:x=\"adobe:ns:meta/\" x:xmptk=\"Hand-written 1.0\">\n\
         <rdf:RDF xmlns:rdf=\"{RDF}\">\n\
         <rdf:Description rdf:about=\"\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"\n\
           xmlns:{prefix}=\"{IPTC_EXT}\" {attribute}>\n\
         <dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">Harbour at dawn</rdf:li></rdf:Alt></dc:title>\n\
         {body}\n\
         </rdf:Description>\n</rdf:RDF>\n</x:xmpmeta>\n<?xpacket end=\"w\"?>"
    )
}

/// The JPEG with an XMP APP1 segment right after SOI, as Photoshop and exiftool place it.
fn jpeg_with_packet(jpeg: &[u8], packet: &str) -> Vec<u8> {
    let signature = b"http://ns.adobe.com/xap/1.0/\0";
    let length =
        u16::try_from(2 + signature.len() + packet.len()).expect("packet fits one segment");
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(signature);
    out.extend_from_slice(packet.as_bytes());
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// The PNG with an uncompressed `iTXt` XMP chunk before its first IDAT, CRC and all.
fn png_with_packet(png: &[u8], packet: &str) -> Vec<u8> {
    let mut data = b"XML:com.adobe.xmp\0\0\0\0\0".to_vec();
    data.extend_from_slice(packet.as_bytes());
    let mut chunk = u32::try_from(data.len())
        .expect("chunk length fits")
        .to_be_bytes()
        .to_vec();
    let mut crc = flate2::Crc::new();
    crc.update(b"iTXt");
    crc.update(&data);
    chunk.extend_from_slice(b"iTXt");
    chunk.extend_from_slice(&data);
    chunk.extend_from_slice(&crc.sum().to_be_bytes());
    let idat = png
        .windows(4)
        .position(|w| w == b"IDAT")
        .expect("the PNG has an IDAT chunk")
        - 4;
    [&png[..idat], &chunk, &png[idat..]].concat()
}

#[test]
fn jpeg_xmp_attribute_form_is_read() {
    let packet = xmp_packet(
        "Iptc4xmpExt",
        &format!("Iptc4xmpExt:DigitalSourceType=\"{AI}\""),
        "",
    );
    let file = jpeg_with_packet(&jpeg(), &packet);
    image::load_from_memory(&file).expect("still a valid JPEG");

    let found = read_provenance(&file, ImageFormat::Jpeg);
    assert_eq!(
        found,
        Provenance {
            source_type: Some(DigitalSourceType::TrainedAlgorithmicMedia),
            declared: Some(AI.to_owned()),
            origin: Origin::Xmp,
            warnings: vec![],
        }
    );
    assert_eq!(found.explanation(), "from XMP");
}

#[test]
fn jpeg_xmp_element_form_is_read_under_another_prefix() {
    let packet = xmp_packet(
        "iptcExt",
        "",
        "<iptcExt:DigitalSourceType>http://cv.iptc.org/newscodes/digitalsourcetype/compositeSynthetic</iptcExt:DigitalSourceType>",
    );
    let found = read_provenance(&jpeg_with_packet(&jpeg(), &packet), ImageFormat::Jpeg);
    assert_eq!(
        found.source_type,
        Some(DigitalSourceType::CompositeSynthetic)
    );
    assert_eq!(found.origin, Origin::Xmp);
    assert!(found.warnings.is_empty(), "{:?}", found.warnings);
}

#[test]
fn a_value_outside_the_vocabulary_is_kept_and_flagged() {
    let packet = xmp_packet(
        "Iptc4xmpExt",
        "Iptc4xmpExt:DigitalSourceType=\"http://example.com/madeUp\"",
        "",
    );
    let found = read_provenance(&jpeg_with_packet(&jpeg(), &packet), ImageFormat::Jpeg);
    assert_eq!(found.source_type, None);
    assert_eq!(found.declared.as_deref(), Some("http://example.com/madeUp"));
    assert_eq!(found.origin, Origin::Xmp);
    assert_eq!(
        found.warnings,
        [
            "the file declares \"http://example.com/madeUp\", which is not an IPTC digital source type"
        ]
    );
}

#[test]
fn png_without_metadata_declares_nothing() {
    let found = read_provenance(&png(), ImageFormat::Png);
    assert_eq!(found, Provenance::none());
    assert_eq!(found.explanation(), "not declared in the file");
}

#[test]
fn png_itxt_xmp_is_read() {
    let packet = xmp_packet(
        "Iptc4xmpExt",
        "",
        &format!("<Iptc4xmpExt:DigitalSourceType rdf:resource=\"{CAMERA}\"/>"),
    );
    let file = png_with_packet(&png(), &packet);
    image::load_from_memory(&file).expect("still a valid PNG");
    let found = read_provenance(&file, ImageFormat::Png);
    assert_eq!(found.source_type, Some(DigitalSourceType::DigitalCapture));
    assert_eq!(found.origin, Origin::Xmp);
}

/// A GIF (one frame, encoded by the `image` crate) with an XMP application extension before its
/// trailer, laid out as XMP Part 3 describes: the raw packet, then the 258-byte "magic trailer"
/// that lets GIF readers skip it as ordinary sub-blocks.
fn gif_with_packet(packet: &str) -> Vec<u8> {
    let mut gif = Vec::new();
    image::codecs::gif::GifEncoder::new(&mut gif)
        .encode(picture().as_raw(), 64, 48, image::ExtendedColorType::Rgb8)
        .expect("test picture encodes");
    assert_eq!(gif.pop(), Some(0x3B), "the encoder ends with the trailer");
    gif.extend_from_slice(b"\x21\xFF\x0BXMP DataXMP");
    gif.extend_from_slice(packet.as_bytes());
    gif.push(0x01);
    gif.extend((0x00..=0xFFu8).rev());
    gif.extend_from_slice(&[0x00, 0x3B]);
    gif
}

#[test]
fn gif_xmp_application_extension_is_read() {
    let packet = xmp_packet(
        "Iptc4xmpExt",
        "Iptc4xmpExt:DigitalSourceType=\"http://cv.iptc.org/newscodes/digitalsourcetype/digitalCreation\"",
        "",
    );
    let file = gif_with_packet(&packet);
    let decoded = image::load_from_memory(&file).expect("GIF readers skip the extension");
    assert_eq!((decoded.width(), decoded.height()), (64, 48));
    let found = read_provenance(&file, ImageFormat::Gif);
    assert_eq!(found.source_type, Some(DigitalSourceType::DigitalCreation));
    assert_eq!(found.origin, Origin::Xmp);
    assert!(found.warnings.is_empty(), "{:?}", found.warnings);
}

#[test]
fn webp_with_embedded_xmp_is_a_valid_extended_file_that_reads_back() {
    let simple = webp();
    assert_eq!(
        &simple[12..16],
        b"VP8 ",
        "libwebp writes a simple lossy file"
    );
    assert_eq!(
        read_provenance(&simple, ImageFormat::Webp),
        Provenance::none()
    );

    let file =
        embed_source_type(&simple, ImageFormat::Webp, DigitalSourceType::ScreenCapture).unwrap();
    let riff_size = u32::from_le_bytes(file[4..8].try_into().unwrap()) as usize;
    assert_eq!(riff_size + 8, file.len());
    assert_eq!(&file[12..16], b"VP8X");
    assert_eq!(file[20] & 0x04, 0x04, "XMP flag set");
    assert_eq!(file[20] & 0x10, 0, "no alpha flag for a VP8 bitstream");
    let canvas_width = u32::from_le_bytes([file[24], file[25], file[26], 0]) + 1;
    let canvas_height = u32::from_le_bytes([file[27], file[28], file[29], 0]) + 1;
    assert_eq!((canvas_width, canvas_height), (64, 48));
    let decoded = image::load_from_memory(&file).expect("decoders accept it");
    assert_eq!((decoded.width(), decoded.height()), (64, 48));

    let found = read_provenance(&file, ImageFormat::Webp);
    assert_eq!(found.source_type, Some(DigitalSourceType::ScreenCapture));
    assert_eq!(found.origin, Origin::Xmp);

    // Embedding again replaces the packet instead of adding a second one.
    let again = embed_source_type(&file, ImageFormat::Webp, DigitalSourceType::HumanEdits).unwrap();
    assert_eq!(again.windows(4).filter(|w| w == b"XMP ").count(), 1);
    assert_eq!(
        read_provenance(&again, ImageFormat::Webp).source_type,
        Some(DigitalSourceType::HumanEdits)
    );
}

#[test]
fn jpeg_with_embedded_xmp_decodes_and_reads_back() {
    let original = jpeg();
    let file = embed_source_type(
        &original,
        ImageFormat::Jpeg,
        DigitalSourceType::DataDrivenMedia,
    )
    .unwrap();
    // After SOI and the JFIF APP0 the encoder wrote, as the XMP specification places it.
    assert_eq!(&file[..4], &original[..4]);
    let app0_end = 4 + usize::from(u16::from_be_bytes([original[4], original[5]]));
    assert_eq!(&file[app0_end..app0_end + 2], &[0xFF, 0xE1]);
    let decoded = image::load_from_memory(&file).expect("decoders accept it");
    assert_eq!(
        decoded.to_rgb8(),
        image::load_from_memory(&original).unwrap().to_rgb8()
    );
    assert_eq!(
        read_provenance(&file, ImageFormat::Jpeg).source_type,
        Some(DigitalSourceType::DataDrivenMedia)
    );

    let again =
        embed_source_type(&file, ImageFormat::Jpeg, DigitalSourceType::DigitalCapture).unwrap();
    assert_eq!(
        again.len(),
        file.len() - "dataDrivenMedia".len() + "digitalCapture".len()
    );
    assert_eq!(
        read_provenance(&again, ImageFormat::Jpeg).source_type,
        Some(DigitalSourceType::DigitalCapture)
    );
}

#[test]
fn embedding_refuses_formats_and_files_it_cannot_write() {
    assert_eq!(
        embed_source_type(&png(), ImageFormat::Png, DigitalSourceType::Print),
        Err(EmbedError::Unsupported(ImageFormat::Png))
    );
    assert!(matches!(
        embed_source_type(
            b"RIFF\x04\x00\x00\x00WEBP",
            ImageFormat::Webp,
            DigitalSourceType::Print
        ),
        Err(EmbedError::Malformed(_))
    ));
    assert!(matches!(
        embed_source_type(&png(), ImageFormat::Jpeg, DigitalSourceType::Print),
        Err(EmbedError::Malformed(_))
    ));
}

#[test]
fn damaged_metadata_gives_a_warning_and_no_finding() {
    // A truncated JPEG cut inside its XMP segment.
    let packet = xmp_packet(
        "Iptc4xmpExt",
        &format!("Iptc4xmpExt:DigitalSourceType=\"{AI}\""),
        "",
    );
    let full = jpeg_with_packet(&jpeg(), &packet);
    let cut = &full[..100];
    let found = read_provenance(cut, ImageFormat::Jpeg);
    assert_eq!(found.source_type, None);
    assert_eq!(found.origin, Origin::None);
    assert!(
        found
            .warnings
            .iter()
            .any(|w| w.contains("runs past the end")),
        "{:?}",
        found.warnings
    );

    // Broken XML inside a well-formed container.
    let broken = jpeg_with_packet(&jpeg(), "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF");
    let found = read_provenance(&broken, ImageFormat::Jpeg);
    assert_eq!(found.source_type, None);
    assert!(
        found.warnings.iter().any(|w| w.contains("not well-formed")),
        "{:?}",
        found.warnings
    );

    // Every prefix of every kind of file: never a panic.
    let files = [
        (full.clone(), ImageFormat::Jpeg),
        (png_with_packet(&png(), &packet), ImageFormat::Png),
        (
            embed_source_type(&webp(), ImageFormat::Webp, DigitalSourceType::Print).unwrap(),
            ImageFormat::Webp,
        ),
    ];
    for (file, format) in &files {
        for cut in (0..file.len()).step_by(7) {
            let _ = read_provenance(&file[..cut], *format);
        }
    }
}

/// A CA and an end-entity certificate shaped as C2PA's certificate profile asks (§14.5): P-256,
/// v3, end entity not a CA, digitalSignature key usage, emailProtection EKU, authority key id.
/// Returns the end entity's chain (EE, then CA) and private key, both PEM.
fn signing_credentials() -> (String, String) {
    let ca_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).expect("P-256 key");
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
    ca.distinguished_name
        .push(DnType::CommonName, "Dateline Test Root");
    ca.distinguished_name
        .push(DnType::OrganizationName, "Dateline Test Authority");
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca.self_signed(&ca_key).expect("self-signed CA");
    let issuer = Issuer::new(ca, ca_key);

    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).expect("P-256 key");
    let mut ee = CertificateParams::new(Vec::<String>::new()).expect("end-entity parameters");
    ee.distinguished_name
        .push(DnType::CommonName, "Harbour Desk Camera");
    ee.distinguished_name
        .push(DnType::OrganizationName, "Example Gazette");
    ee.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    ee.extended_key_usages = vec![ExtendedKeyUsagePurpose::EmailProtection];
    ee.use_authority_key_identifier_extension = true;
    let ee_cert = ee
        .signed_by(&key, &issuer)
        .expect("CA signs the end entity");

    (
        format!("{}{}", ee_cert.pem(), ca_cert.pem()),
        key.serialize_pem(),
    )
}

/// `source` with a C2PA manifest whose `c2pa.created` action declares `source_type`.
fn c2pa_signed(
    source: &[u8],
    format: ImageFormat,
    source_type: c2pa::DigitalSourceType,
) -> Vec<u8> {
    let (chain, key) = signing_credentials();
    let signer =
        c2pa::create_signer::from_keys(chain.as_bytes(), key.as_bytes(), SigningAlg::Es256, None)
            .expect("c2pa accepts the key and chain");
    let mut definition = ManifestDefinition::default();
    definition.title = Some("harbour".to_owned());
    let mut builder = Builder::from_context(Context::new())
        .with_definition(definition)
        .expect("manifest definition");
    builder.set_intent(BuilderIntent::Create(source_type));
    let mut dest = Cursor::new(Vec::new());
    builder
        .sign(
            signer.as_ref(),
            format.mime(),
            &mut Cursor::new(source),
            &mut dest,
        )
        .expect("c2pa signs the picture");
    dest.into_inner()
}

#[test]
fn c2pa_manifest_gives_source_type_and_signer() {
    let file = c2pa_signed(
        &jpeg(),
        ImageFormat::Jpeg,
        c2pa::DigitalSourceType::TrainedAlgorithmicMedia,
    );
    image::load_from_memory(&file).expect("still a valid JPEG");

    let found = read_provenance(&file, ImageFormat::Jpeg);
    assert_eq!(
        found.source_type,
        Some(DigitalSourceType::TrainedAlgorithmicMedia)
    );
    assert_eq!(found.declared.as_deref(), Some(AI));
    assert_eq!(
        found.origin,
        Origin::C2pa {
            signer: Some("Harbour Desk Camera".to_owned()),
            organization: Some("Example Gazette".to_owned()),
            // Signature and hashes hold; the test CA is on no trust list.
            valid: true,
            trusted: false,
            failures: vec!["signingCredential.untrusted".to_owned()],
        }
    );
    assert!(found.warnings.is_empty(), "{:?}", found.warnings);
    assert_eq!(
        found.explanation(),
        "from C2PA manifest, signed by Harbour Desk Camera (Example Gazette); \
         signature intact, signer not on a trust list"
    );
}

#[test]
fn c2pa_wins_over_conflicting_xmp() {
    let with_xmp = embed_source_type(
        &jpeg(),
        ImageFormat::Jpeg,
        DigitalSourceType::DigitalCapture,
    )
    .unwrap();
    let file = c2pa_signed(
        &with_xmp,
        ImageFormat::Jpeg,
        c2pa::DigitalSourceType::CompositeWithTrainedAlgorithmicMedia,
    );
    let found = read_provenance(&file, ImageFormat::Jpeg);
    assert_eq!(
        found.source_type,
        Some(DigitalSourceType::CompositeWithTrainedAlgorithmicMedia)
    );
    assert!(matches!(found.origin, Origin::C2pa { .. }));
    assert_eq!(
        found.warnings,
        [format!(
            "the XMP says \"{CAMERA}\" but the signed C2PA manifest says \
             \"http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia\"; \
             the manifest is used"
        )]
    );
}

#[test]
fn a_tampered_c2pa_file_still_reports_its_claim_but_not_as_valid() {
    let mut file = c2pa_signed(
        &png(),
        ImageFormat::Png,
        c2pa::DigitalSourceType::DigitalCapture,
    );
    // Flip one byte of the pixel data: the manifest's hash of the image no longer matches.
    let idat = file.windows(4).rposition(|w| w == b"IDAT").unwrap();
    file[idat + 10] ^= 0x55;
    let found = read_provenance(&file, ImageFormat::Png);
    assert_eq!(found.source_type, Some(DigitalSourceType::DigitalCapture));
    let Origin::C2pa {
        valid,
        failures,
        signer,
        ..
    } = &found.origin
    else {
        panic!("expected a C2PA finding, got {:?}", found.origin);
    };
    assert!(!valid);
    assert_eq!(signer.as_deref(), Some("Harbour Desk Camera"));
    assert!(
        failures
            .iter()
            .any(|code| code.starts_with("assertion.dataHash")),
        "{failures:?}"
    );
    assert!(
        found
            .explanation()
            .ends_with("the signature did not validate")
    );
}
