//! Real synthesis with the real assets (`.ci/run` installs them and sets
//! DATELINE_TEST_VOICE_ASSETS to the data folder holding `voices/`).

use dateline_core::narration::{Lexicon, Pronunciation};
use dateline_kokoro::{KokoroVoice, SpokenEnglish, test_assets, voices};

struct Loudness {
    seconds: f64,
    rms: f64,
    peak: f32,
    clipped_share: f64,
}

fn measure(samples: &[f32]) -> Loudness {
    let energy: f64 = samples.iter().map(|s| f64::from(*s) * f64::from(*s)).sum();
    let clipped = samples.iter().filter(|s| s.abs() >= 0.999).count();
    Loudness {
        seconds: samples.len() as f64 / f64::from(KokoroVoice::sample_rate()),
        rms: (energy / samples.len().max(1) as f64).sqrt(),
        peak: samples.iter().fold(0.0f32, |peak, s| peak.max(s.abs())),
        clipped_share: clipped as f64 / samples.len().max(1) as f64,
    }
}

#[test]
fn a_sentence_of_news_sounds_like_speech_of_the_right_length() {
    let Some(assets) = test_assets() else { return };
    let voice = KokoroVoice::load(&assets, "af_heart").expect("load af_heart");
    let sentence = "Colombian officials warned of broader regional consequences on Wednesday, \
                    as thousands marched in Bogota.";
    let words = sentence.split_whitespace().count() as f64;
    let samples = voice.speak(sentence, &Lexicon::new()).expect("speak");
    let heard = measure(&samples);
    eprintln!(
        "af_heart: {:.2} s for {words} words, RMS {:.3}, peak {:.3}",
        heard.seconds, heard.rms, heard.peak
    );
    // News is read at about 150 words a minute (2.5 words a second).
    let expected = words / 2.5;
    assert!(
        heard.seconds > 0.5 * expected && heard.seconds < 2.0 * expected,
        "{:.2} s of audio for {words} words (expected about {expected:.1} s)",
        heard.seconds
    );
    assert!(
        heard.rms > 0.02,
        "too quiet to be speech: RMS {:.4}",
        heard.rms
    );
    assert!(
        heard.peak > 0.1 && heard.peak < 1.5,
        "peak {:.3}",
        heard.peak
    );
    assert!(
        heard.clipped_share < 0.001,
        "{:.3}% of samples clip",
        heard.clipped_share * 100.0
    );
    // Speech has pauses: a stretch of near-silence somewhere, not a constant tone or noise.
    let window = KokoroVoice::sample_rate() as usize / 20;
    let quiet_windows = samples
        .chunks(window)
        .filter(|chunk| measure(chunk).rms < heard.rms * 0.2)
        .count();
    assert!(
        quiet_windows >= 1,
        "no pause anywhere in {:.1} s",
        heard.seconds
    );
}

#[test]
fn each_voice_speaks_its_dialect_and_the_lexicon_wins() {
    let Some(assets) = test_assets() else { return };
    let listed = voices(&assets);
    assert!(listed.len() >= 20);
    assert!(
        listed
            .iter()
            .any(|v| v.id == "bf_emma" && v.dialect == SpokenEnglish::British)
    );
    let american = KokoroVoice::load(&assets, "am_michael").expect("load am_michael");
    let british = KokoroVoice::load(&assets, "bf_emma").expect("load bf_emma");
    let none = Lexicon::new();
    // misaki's British "goat" vowel is Q, the American one O.
    assert!(
        american
            .phonemes("go", &none)
            .expect("phonemes")
            .contains('O')
    );
    assert!(
        british
            .phonemes("go", &none)
            .expect("phonemes")
            .contains('Q')
    );
    assert_ne!(american.identity(), british.identity());
    assert_eq!(
        british.identity(),
        KokoroVoice::load(&assets, "bf_emma")
            .expect("reload")
            .identity()
    );

    let mut lexicon = Lexicon::new();
    lexicon.insert("Jaramillo", Pronunciation::Ipa("xaɾaˈmiʝo".into()));
    lexicon.insert("Petro", Pronunciation::Respelling("PEH-troh".into()));
    let said = american
        .phonemes("Mauricio Jaramillo met Petro.", &lexicon)
        .expect("phonemes");
    // The IPA's x and ɾ in Kokoro's letters (k; misaki writes the American tap as T).
    assert!(said.contains("kaTaˈmiʝo"), "{said}");
    let possessive = american
        .phonemes("Jaramillo’s plan", &lexicon)
        .expect("phonemes");
    assert!(possessive.starts_with("kaTaˈmiʝoz "), "{possessive}");
    let unknown_name = american.phonemes("Jaramillo", &none).expect("phonemes");
    assert!(
        !unknown_name.contains('❓'),
        "espeak-ng knew nothing of it: {unknown_name}"
    );
    assert!(
        american
            .speak("Jaramillo met Petro.", &lexicon)
            .expect("speak")
            .len()
            > 12_000
    );

    assert!(KokoroVoice::load(&assets, "zz_nobody").is_err());
}
