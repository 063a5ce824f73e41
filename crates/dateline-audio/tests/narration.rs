//! The fallback voice end to end, with no neural assets: real espeak-ng, real LAME, real libopus,
//! and the files decoded back.

use std::collections::HashMap;

use dateline_audio::espeak::{EspeakEngine, EspeakVoice};
use dateline_audio::ogg::{read_packets, read_pages};
use dateline_audio::pipeline::{Narration, ParagraphAudio, narrate};
use dateline_audio::{PIPELINE_SAMPLE_RATE, SpeechEngine, mp3, opus};
use dateline_core::narration::{Lexicon, NarrationSource, spoken_paragraphs};

const BODY: &str = "The Senate delayed the vote until Thursday. Leaders said they needed more time.\n\n\
The president called the delay regrettable.\n\n\
Markets barely moved on the news.";

fn engine() -> EspeakEngine {
    EspeakEngine::new(EspeakVoice::AmericanEnglish).expect("espeak-ng is installed")
}

fn narrate_body(body: &str, cached: &HashMap<String, ParagraphAudio>) -> Narration {
    let paragraphs = spoken_paragraphs(&NarrationSource {
        headline: "Vote delayed",
        standfirst: Some("Senators ask for more time."),
        body_markdown: body,
    });
    narrate(&engine(), &paragraphs, &Lexicon::new(), cached).expect("narrates")
}

fn rms(samples: &[f32]) -> f32 {
    (samples.iter().map(|s| s * s).sum::<f32>() / samples.len().max(1) as f32).sqrt()
}

fn decode_mp3(bytes: Vec<u8>) -> (u32, Vec<f32>) {
    use symphonia::core::audio::SampleBuffer;
    use symphonia::core::codecs::DecoderOptions;
    use symphonia::core::formats::FormatOptions;
    use symphonia::core::io::MediaSourceStream;
    use symphonia::core::meta::MetadataOptions;
    use symphonia::core::probe::Hint;

    let stream = MediaSourceStream::new(Box::new(std::io::Cursor::new(bytes)), Default::default());
    let mut hint = Hint::new();
    hint.with_extension("mp3");
    let probed = symphonia::default::get_probe()
        .format(
            &hint,
            stream,
            &FormatOptions::default(),
            &MetadataOptions::default(),
        )
        .expect("recognised as MP3");
    let mut format = probed.format;
    let track = format.default_track().expect("a track").clone();
    let mut decoder = symphonia::default::get_codecs()
        .make(&track.codec_params, &DecoderOptions::default())
        .expect("MP3 decoder");
    let rate = track.codec_params.sample_rate.expect("rate");
    let mut samples = Vec::new();
    while let Ok(packet) = format.next_packet() {
        let decoded = decoder.decode(&packet).expect("decodes");
        let mut buffer = SampleBuffer::<f32>::new(decoded.capacity() as u64, *decoded.spec());
        buffer.copy_interleaved_ref(decoded);
        samples.extend_from_slice(buffer.samples());
    }
    (rate, samples)
}

fn decode_opus(bytes: &[u8]) -> Vec<f32> {
    let pages = read_pages(bytes).expect("valid Ogg");
    let packets = read_packets(&pages);
    assert_eq!(&packets[0][..8], b"OpusHead");
    let pre_skip = usize::from(u16::from_le_bytes([packets[0][10], packets[0][11]]));
    let end_granule = pages.last().expect("pages").granule as usize;
    let mut decoder = ::opus::Decoder::new(48_000, ::opus::Channels::Mono).expect("decoder");
    let mut out = Vec::new();
    let mut frame = vec![0f32; 5_760];
    for packet in &packets[2..] {
        let n = decoder
            .decode_float(packet, &mut frame, false)
            .expect("decodes");
        out.extend_from_slice(&frame[..n]);
    }
    // What RFC 7845 says a player plays: skip pre_skip, stop at the last granule.
    out[pre_skip..end_granule].to_vec()
}

#[test]
fn fallback_voice_narrates_and_both_files_decode_to_the_same_length_and_loudness() {
    let narration = narrate_body(BODY, &HashMap::new());
    assert_eq!(narration.synthesised, 5);
    assert_eq!(narration.reused, 0);
    let seconds = narration.duration_seconds();
    // About 45 words at 160 a minute, plus pauses.
    assert!((10.0..30.0).contains(&seconds), "{seconds} s");
    assert!(engine().is_fallback());

    let timings = &narration.timings;
    assert_eq!(timings.sentences.len(), 6);
    assert_eq!(timings.sentences[0].text, "Vote delayed");
    assert_eq!(timings.sentences[3].paragraph, 2);
    assert!(timings.sentences.windows(2).all(|w| w[0].end < w[1].start));
    assert!((timings.duration - seconds).abs() < 1e-9);

    assert_files_decode_like(&narration, "Vote delayed");
}

#[test]
fn an_edit_to_one_paragraph_resynthesises_only_that_paragraph() {
    let first = narrate_body(BODY, &HashMap::new());
    let cache: HashMap<String, ParagraphAudio> = first.fresh.into_iter().collect();
    let edited = BODY.replace("regrettable", "deeply regrettable");
    let second = narrate_body(&edited, &cache);
    assert_eq!((second.synthesised, second.reused), (1, 4));
    assert!(second.duration_seconds() > first.timings.duration);
    let unchanged = narrate_body(&edited, &cache.into_iter().chain(second.fresh).collect());
    assert_eq!((unchanged.synthesised, unchanged.reused), (0, 5));
}

#[test]
fn lexicon_respellings_change_what_is_said() {
    let paragraphs = spoken_paragraphs(&NarrationSource {
        headline: "Petro",
        standfirst: None,
        body_markdown: "",
    });
    let mut lexicon = Lexicon::new();
    let plain = narrate(&engine(), &paragraphs, &lexicon, &HashMap::new()).expect("plain");
    lexicon.insert(
        "petro",
        dateline_core::narration::Pronunciation::Respelling("pehtrohvichenko".into()),
    );
    let respelled = narrate(&engine(), &paragraphs, &lexicon, &HashMap::new()).expect("respelled");
    assert!(respelled.duration_seconds() > plain.duration_seconds() + 0.3);
}

/// What any voice's narration must give once encoded: an MP3 and an Ogg Opus file that decode to
/// the narration's length and loudness, at the bit rates the issue sets.
fn assert_files_decode_like(narration: &Narration, title: &str) {
    let seconds = narration.duration_seconds();
    let mp3_bytes = mp3::encode(&narration.samples, &mp3::Mp3Tags::default()).expect("mp3");
    // 48 kb/s is 6 kB a second.
    let expected_bytes = seconds * 6_000.0;
    assert!(
        (mp3_bytes.len() as f64 - expected_bytes).abs() < expected_bytes * 0.15,
        "{} bytes for {seconds} s",
        mp3_bytes.len()
    );
    let (rate, decoded) = decode_mp3(mp3_bytes);
    assert_eq!(rate, PIPELINE_SAMPLE_RATE);
    let mp3_seconds = decoded.len() as f64 / f64::from(rate);
    // The decoder keeps LAME's encoder delay and padding: a frame or two at most.
    assert!(
        (mp3_seconds - seconds).abs() < 0.15,
        "mp3 {mp3_seconds} s vs {seconds} s"
    );
    let source_rms = rms(&narration.samples);
    assert!(source_rms > 0.02, "speech is audible: rms {source_rms}");
    assert!((rms(&decoded) / source_rms - 1.0).abs() < 0.2);

    let ogg = opus::encode(&narration.samples, &[("title", title)], 1).expect("opus");
    let opus_samples = decode_opus(&ogg);
    let opus_seconds = opus_samples.len() as f64 / 48_000.0;
    assert!(
        (opus_seconds - seconds).abs() < 0.001,
        "opus {opus_seconds} s vs {seconds} s"
    );
    assert!((rms(&opus_samples) / source_rms - 1.0).abs() < 0.25);
    // 24 kb/s is 3 kB a second, plus Ogg framing.
    assert!((ogg.len() as f64) < seconds * 3_600.0);
}

/// The neural voice through the same pipeline and encoders (`.ci/run` installs its assets).
#[test]
fn neural_voice_narrates_and_both_files_decode_to_the_same_length_and_loudness() {
    let Some(assets) = dateline_kokoro::test_assets() else {
        return;
    };
    let voice = dateline_kokoro::KokoroVoice::load(&assets, "af_heart").expect("af_heart loads");
    assert!(!SpeechEngine::is_fallback(&voice));
    let paragraphs = spoken_paragraphs(&NarrationSource {
        headline: "Vote delayed",
        standfirst: None,
        body_markdown: "The Senate delayed the vote until Thursday, citing the storm.",
    });
    let narration =
        narrate(&voice, &paragraphs, &Lexicon::new(), &HashMap::new()).expect("narrates");
    assert_eq!(narration.synthesised, 2);
    // Twelve words at about 150 a minute, plus a pause.
    let seconds = narration.duration_seconds();
    assert!((2.5..12.0).contains(&seconds), "{seconds} s");
    assert_files_decode_like(&narration, "Vote delayed");
}
