-- Where an image's digital source type came from, so the newsroom can say "from C2PA manifest,
-- signed by …", "from XMP" or "set by …"; and who uploaded and last edited it (uploaders may
-- edit their own pictures, the desk edits everyone's).
ALTER TABLE images ADD COLUMN source_type_origin TEXT NOT NULL DEFAULT 'none';
ALTER TABLE images ADD COLUMN source_type_detail TEXT NOT NULL DEFAULT '';
ALTER TABLE images ADD COLUMN uploaded_by BIGINT REFERENCES staff(id);
ALTER TABLE images ADD COLUMN updated_by BIGINT REFERENCES staff(id);
ALTER TABLE images ADD COLUMN updated_at BIGINT;

-- Author profiles: a photo from the library and links (JSON list of {label, url}).
ALTER TABLE authors ADD COLUMN photo_image_id BIGINT REFERENCES images(id);
ALTER TABLE authors ADD COLUMN links TEXT NOT NULL DEFAULT '[]';
