//! Narrates an article with the Kokoro voice and reports the speed: the engine of
//! `bench/narration.sh`.
//!
//! `narrate DATA_DIR ARTICLE.txt [VOICE] [OUT.wav]`: ARTICLE.txt is a page saved as text like
//! `reference/seed-article.txt` (kicker, headline, standfirst, page furniture, the body after the
//! picture's provenance label, then the tip box), or with `--plain` a headline line, a standfirst
//! line and the body as Markdown.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use dateline_core::narration::{Lexicon, NarrationSource, spoken_paragraphs_in};
use dateline_kokoro::{KokoroVoice, installed_assets};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let plain = args.iter().any(|a| a == "--plain");
    let args: Vec<&String> = args.iter().filter(|a| *a != "--plain").collect();
    let [data_dir, article, rest @ ..] = args.as_slice() else {
        return Err("usage: narrate [--plain] DATA_DIR ARTICLE.txt [VOICE] [OUT.wav]".into());
    };
    let voice_id = rest.first().map_or("af_heart", |v| v.as_str());
    let assets = installed_assets(Path::new(data_dir.as_str()))
        .ok_or("no voice assets there: run `dateline voices install --data-dir DATA_DIR`")?;
    let text = std::fs::read_to_string(article.as_str())?;
    let (headline, standfirst, body) = if plain {
        plain_article(&text)
    } else {
        saved_page(&text)
    }?;

    let loading = Instant::now();
    let voice = KokoroVoice::load(&assets, voice_id)?;
    let load_seconds = loading.elapsed().as_secs_f64();
    let source = NarrationSource {
        headline: &headline,
        standfirst: Some(&standfirst),
        body_markdown: &body,
    };
    let paragraphs = spoken_paragraphs_in(&source, voice.dialect());
    let sentences: usize = paragraphs.iter().map(|p| p.sentences.len()).sum();
    let lexicon = Lexicon::new();
    let started = Instant::now();
    let mut audio: Vec<f32> = Vec::new();
    for sentence in paragraphs.iter().flat_map(|p| &p.sentences) {
        audio.extend(voice.speak(sentence, &lexicon)?);
    }
    let wall = started.elapsed().as_secs_f64();
    let seconds = audio.len() as f64 / f64::from(KokoroVoice::sample_rate());
    println!("voice            {}", voice.identity());
    println!("paragraphs       {}", paragraphs.len());
    println!("sentences        {sentences}");
    println!("model load       {load_seconds:.2} s");
    println!("audio            {seconds:.1} s");
    println!("synthesis        {wall:.1} s wall");
    println!(
        "real-time factor {:.2}x (seconds of audio per wall-clock second)",
        seconds / wall
    );
    if let Some(out) = rest.get(1) {
        write_wav(Path::new(out.as_str()), &audio)?;
        println!("wrote            {out}");
    }
    Ok(())
}

type Article = (String, String, String);

/// A page saved as text: the kicker, headline and standfirst are its first three lines; the body
/// runs from after the picture's label ("… illustration", "… photograph") to the tip box.
fn saved_page(text: &str) -> Result<Article, Box<dyn std::error::Error>> {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let (Some(headline), Some(standfirst)) = (lines.get(1), lines.get(2)) else {
        return Err("the saved page has no headline and standfirst".into());
    };
    let body_start = lines
        .iter()
        .position(|l| l.ends_with("illustration") || l.ends_with("photograph"))
        .ok_or("no picture label before the body")?
        + 1;
    let body_end = lines
        .iter()
        .position(|l| l.starts_with("Know something we missed"))
        .unwrap_or(lines.len());
    let body = lines[body_start..body_end].join("\n\n");
    Ok((headline.to_string(), standfirst.to_string(), body))
}

fn plain_article(text: &str) -> Result<Article, Box<dyn std::error::Error>> {
    let mut lines = text.splitn(3, '\n');
    let headline = lines.next().ok_or("empty article")?;
    let standfirst = lines.next().ok_or("no standfirst line")?;
    Ok((
        headline.into(),
        standfirst.into(),
        lines.next().unwrap_or("").into(),
    ))
}

/// 16-bit PCM WAV, to listen to the result.
fn write_wav(path: &Path, samples: &[f32]) -> std::io::Result<()> {
    let rate = KokoroVoice::sample_rate();
    let data_len = (samples.len() * 2) as u32;
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    out.write_all(b"RIFF")?;
    out.write_all(&(36 + data_len).to_le_bytes())?;
    out.write_all(b"WAVEfmt ")?;
    out.write_all(&16u32.to_le_bytes())?;
    out.write_all(&1u16.to_le_bytes())?;
    out.write_all(&1u16.to_le_bytes())?;
    out.write_all(&rate.to_le_bytes())?;
    out.write_all(&(rate * 2).to_le_bytes())?;
    out.write_all(&2u16.to_le_bytes())?;
    out.write_all(&16u16.to_le_bytes())?;
    out.write_all(b"data")?;
    out.write_all(&data_len.to_le_bytes())?;
    for sample in samples {
        let value = (sample.clamp(-1.0, 1.0) * f32::from(i16::MAX)) as i16;
        out.write_all(&value.to_le_bytes())?;
    }
    out.flush()
}
