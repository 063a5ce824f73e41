-- Narration (issue 7): each article's audio, the newsroom's pronunciation lexicon, and the voice
-- chosen for the site and per section.

-- The audio a reader hears now (the *_key columns, replaced only when a new narration is
-- complete) and where the next one stands (status). Files are content-addressed in object
-- storage, so a CDN may cache them forever.
CREATE TABLE article_audio (
    article_id BIGINT PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
    status TEXT NOT NULL DEFAULT 'queued'
        CHECK (status IN ('queued', 'generating', 'ready', 'fallback', 'failed', 'opted_out')),
    reason TEXT,
    opted_out BOOLEAN NOT NULL DEFAULT FALSE,
    voice TEXT,
    is_fallback BOOLEAN NOT NULL DEFAULT FALSE,
    duration_ms BIGINT,
    mp3_key TEXT,
    mp3_bytes BIGINT,
    opus_key TEXT,
    opus_bytes BIGINT,
    timings_key TEXT,
    text_hash TEXT,
    synthesised_paragraphs BIGINT NOT NULL DEFAULT 0,
    reused_paragraphs BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL
);
CREATE INDEX article_audio_status ON article_audio (status);

-- Word (lower case) to how it is said: IPA for voices that take phonemes, or a respelling.
CREATE TABLE pronunciations (
    word TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('ipa', 'respelling')),
    value TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE narration_settings (
    only_row INTEGER PRIMARY KEY CHECK (only_row = 1),
    voice TEXT NOT NULL
);
INSERT INTO narration_settings (only_row, voice) VALUES (1, 'en-us');

-- NULL: the site's voice.
ALTER TABLE sections ADD COLUMN narration_voice TEXT;
