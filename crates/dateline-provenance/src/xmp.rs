//! XMP packets (ISO 16684-1): reading `Iptc4xmpExt:DigitalSourceType` out of one, and writing a
//! minimal one that carries it.
//!
//! XMP is RDF/XML, so the same property can be spelled several ways and under any prefix: as an
//! attribute of `rdf:Description`, as an element with text, as an element with `rdf:resource`
//! (how XMP writes URI-valued properties), or as a qualified value with `rdf:value`. Matching is
//! on the namespace URI, never on the prefix a tool happened to choose.

use dateline_core::provenance::DigitalSourceType;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::{Namespace, QName, ResolveResult};
use quick_xml::{NsReader, XmlVersion};

/// The IPTC Extension schema namespace (IPTC Photo Metadata Standard, 2008-02-29 version URI,
/// which every later release keeps).
pub(crate) const IPTC_EXT_NS: &str = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/";
const RDF_NS: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
const PROPERTY: &[u8] = b"DigitalSourceType";

/// The value of the first `DigitalSourceType` property in the IPTC Extension namespace, as
/// written (trimmed), or `None` if the packet has none. An error describes XML that cannot be
/// read; the caller turns it into a warning.
pub(crate) fn digital_source_type(packet: &[u8]) -> Result<Option<String>, String> {
    let text =
        std::str::from_utf8(packet).map_err(|_| "the XMP packet is not UTF-8 text".to_owned())?;
    // Some writers put a byte-order mark before `<?xpacket`; XML parsers need it gone.
    let text = text.trim_start_matches('\u{feff}');
    let mut reader = NsReader::from_str(text);
    loop {
        let event = reader.read_event().map_err(xml_error)?;
        let (element, is_empty) = match event {
            Event::Start(element) => (element, false),
            Event::Empty(element) => (element, true),
            Event::Eof => return Ok(None),
            _ => continue,
        };
        if let Some(value) = attribute_in(&reader, &element, IPTC_EXT_NS, PROPERTY)? {
            return Ok(non_empty(value));
        }
        if !is_property(&reader, element.name(), IPTC_EXT_NS, PROPERTY) {
            continue;
        }
        if let Some(value) = attribute_in(&reader, &element, RDF_NS, b"resource")? {
            return Ok(non_empty(value));
        }
        if is_empty {
            continue;
        }
        let value = element_text(&mut reader)?;
        if let Some(value) = non_empty(value) {
            return Ok(Some(value));
        }
    }
}

/// The text inside the element just opened, up to its end tag. Text of nested elements counts:
/// that covers the qualified form `<rdf:Description><rdf:value>…</rdf:value></rdf:Description>`
/// where qualifiers are themselves attributes or carry no text of their own.
fn element_text(reader: &mut NsReader<&[u8]>) -> Result<String, String> {
    let mut depth = 1usize;
    let mut text = String::new();
    while depth > 0 {
        match reader.read_event().map_err(xml_error)? {
            Event::Start(_) => depth += 1,
            Event::End(_) => depth -= 1,
            Event::Text(content) => text.push_str(&content.xml10_content().map_err(xml_error)?),
            Event::CData(content) => text.push_str(&content.decode().map_err(xml_error)?),
            Event::GeneralRef(reference) => {
                if let Some(ch) = reference.resolve_char_ref().map_err(xml_error)? {
                    text.push(ch);
                } else {
                    let name = reference.decode().map_err(xml_error)?;
                    let replacement = resolve_predefined_entity(&name)
                        .ok_or_else(|| format!("the XMP packet uses an unknown entity &{name};"))?;
                    text.push_str(replacement);
                }
            }
            Event::Eof => return Err("the XMP packet ends inside an element".to_owned()),
            _ => {}
        }
    }
    Ok(text)
}

fn attribute_in(
    reader: &NsReader<&[u8]>,
    element: &BytesStart<'_>,
    namespace: &str,
    local: &[u8],
) -> Result<Option<String>, String> {
    for attribute in element.attributes() {
        let attribute = attribute.map_err(xml_error)?;
        let (resolved, name) = reader.resolver().resolve_attribute(attribute.key);
        if is_namespace(&resolved, namespace) && name.as_ref() == local {
            let value = attribute
                .normalized_value(XmlVersion::Implicit1_0)
                .map_err(xml_error)?;
            return Ok(Some(value.into_owned()));
        }
    }
    Ok(None)
}

fn is_property(reader: &NsReader<&[u8]>, name: QName<'_>, namespace: &str, local: &[u8]) -> bool {
    let (resolved, local_name) = reader.resolver().resolve_element(name);
    is_namespace(&resolved, namespace) && local_name.as_ref() == local
}

fn is_namespace(resolved: &ResolveResult<'_>, namespace: &str) -> bool {
    matches!(resolved, ResolveResult::Bound(Namespace(uri)) if *uri == namespace.as_bytes())
}

fn non_empty(value: String) -> Option<String> {
    let trimmed = value.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

fn xml_error(error: impl std::fmt::Display) -> String {
    format!("the XMP packet is not well-formed XML: {error}")
}

/// A complete XMP packet whose only property is the digital source type, in the attribute form
/// every XMP reader understands. No padding: nobody edits our variants in place.
pub(crate) fn packet(source_type: DigitalSourceType) -> String {
    // The packet id is the fixed value ISO 16684-1 prescribes, not a random one.
    format!(
        "<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\
<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\
<rdf:RDF xmlns:rdf=\"{RDF_NS}\">\
<rdf:Description rdf:about=\"\" xmlns:Iptc4xmpExt=\"{IPTC_EXT_NS}\" \
Iptc4xmpExt:DigitalSourceType=\"{}\"/>\
</rdf:RDF>\
</x:xmpmeta>\
<?xpacket end=\"w\"?>",
        source_type.uri()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const AI: &str = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia";

    fn read(packet: &str) -> Result<Option<String>, String> {
        digital_source_type(packet.as_bytes())
    }

    #[test]
    fn reads_the_attribute_form_under_any_prefix() {
        let packet = format!(
            r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="{RDF_NS}">
            <rdf:Description rdf:about="" xmlns:ext="{IPTC_EXT_NS}" ext:DigitalSourceType="{AI}"/>
            </rdf:RDF></x:xmpmeta>"#
        );
        assert_eq!(read(&packet), Ok(Some(AI.to_owned())));
    }

    #[test]
    fn reads_the_element_forms() {
        for body in [
            format!("<Iptc4xmpExt:DigitalSourceType>\n  {AI}\n</Iptc4xmpExt:DigitalSourceType>"),
            format!("<Iptc4xmpExt:DigitalSourceType rdf:resource=\"{AI}\"/>"),
            format!(
                "<Iptc4xmpExt:DigitalSourceType rdf:parseType=\"Resource\">\
                 <rdf:value>{AI}</rdf:value></Iptc4xmpExt:DigitalSourceType>"
            ),
            "<Iptc4xmpExt:DigitalSourceType>http://cv.iptc.org/newscodes/digitalsourcetype/\
             trained&#65;lgorithmicMedia</Iptc4xmpExt:DigitalSourceType>"
                .to_owned(),
        ] {
            let packet = format!(
                r#"<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>
                <x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="{RDF_NS}">
                <rdf:Description rdf:about="" xmlns:Iptc4xmpExt="{IPTC_EXT_NS}">{body}</rdf:Description>
                </rdf:RDF></x:xmpmeta><?xpacket end="w"?>"#
            );
            assert_eq!(read(&packet), Ok(Some(AI.to_owned())), "{body}");
        }
    }

    #[test]
    fn a_same_named_property_in_another_namespace_is_not_it() {
        let packet = format!(
            r#"<rdf:RDF xmlns:rdf="{RDF_NS}"><rdf:Description xmlns:Iptc4xmpExt="http://example.com/ns/"
            Iptc4xmpExt:DigitalSourceType="{AI}"/></rdf:RDF>"#
        );
        assert_eq!(read(&packet), Ok(None));
    }

    #[test]
    fn broken_xml_is_an_error_not_a_panic() {
        assert!(read("<x:xmpmeta><rdf:RDF").is_err());
        assert!(read("<a b='1' b='2'/>").is_err());
        assert!(digital_source_type(&[0xFF, 0xFE, 0x00]).is_err());
    }

    #[test]
    fn the_written_packet_reads_back() {
        for term in DigitalSourceType::ALL {
            assert_eq!(read(&packet(*term)), Ok(Some(term.uri().to_owned())));
        }
    }
}
