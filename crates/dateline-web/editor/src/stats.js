// As you type: words, reading time by the public formula, the narration's length, and the
// headline and standfirst against Google's guidance.
//
// The reading time is a port of `dateline-core`'s `reading_time.rs` and `markdown::body_stats`
// (DESIGN.md §5): words ÷ 238 per minute plus picture time (12 s for the first, one second less
// for each next, at least 3 s), rounded up, at least one minute. The browser tests check it gives
// the public page's "N min read" for every demo article.

import { markdownIt } from "./markdown.js";

const WORDS_PER_MINUTE = 238;
const FIRST_IMAGE_SECONDS = 12;
const MIN_IMAGE_SECONDS = 3;
/** The narration's pace (dateline-audio's espeak-ng voice reads news at 160 words a minute). */
const SPOKEN_WORDS_PER_MINUTE = 160;

/** Words as a reader counts them (reading_time::count_words). */
export function countWords(text) {
  return text.split(/[\p{White_Space}—–]+/u).filter((t) => /[\p{Alphabetic}\p{N}]/u.test(t)).length;
}

/** reading_time::reading_minutes. */
export function readingMinutes(words, images) {
  let imageSeconds = 0;
  for (let i = 0; i < images; i++) imageSeconds += Math.max(FIRST_IMAGE_SECONDS - i, MIN_IMAGE_SECONDS);
  const minutes = words / WORDS_PER_MINUTE + imageSeconds / 60;
  return Math.max(Math.ceil(minutes - 1e-9), 1);
}

/** markdown::body_stats: words outside pictures' alt text, and the pictures (figures count too). */
export function bodyStats(markdown) {
  let words = 0;
  let images = 0;
  const walk = (tokens) => {
    let insideImage = 0;
    for (const token of tokens) {
      if (token.type === "image") {
        images += 1;
        continue; // its children are the alt text
      }
      if (token.type === "html_block" || token.type === "html_inline") {
        images += (token.content.match(/<img\b/gi) || []).length;
        continue;
      }
      if ((token.type === "text" || token.type === "code_inline" || token.type === "code_block" || token.type === "fence") && !insideImage) {
        words += countWords(token.content);
      }
      if (token.children) walk(token.children);
    }
  };
  walk(markdownIt.parse(markdown, {}));
  return { words, images };
}

function clock(seconds) {
  const s = Math.round(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/** What the stats line says for a story. */
export function storyStats({ headline, standfirst, body, hasHero }) {
  const stats = bodyStats(body);
  const minutes = readingMinutes(stats.words, stats.images + (hasHero ? 1 : 0));
  const spoken = countWords(headline) + countWords(standfirst) + stats.words;
  return {
    words: stats.words,
    images: stats.images,
    readingMinutes: minutes,
    narration: clock((spoken / SPOKEN_WORDS_PER_MINUTE) * 60),
  };
}

// Google shows about 600 pixels of a title in results (some 55–60 characters) and about 155–160
// characters of a description; article structured data has long asked headlines to stay within
// 110 characters. https://developers.google.com/search/docs/appearance/title-link and
// https://developers.google.com/search/docs/appearance/structured-data/article
export const GUIDANCE = {
  headline: [
    { max: 60, tone: "good", text: "fits in Google results" },
    { max: 110, tone: "warn", text: "Google results cut it after about 60 characters" },
    { max: Infinity, tone: "bad", text: "over the 110 characters Google's article markup has long advised" },
  ],
  standfirst: [
    { max: 0, tone: "warn", text: "empty: search results and social cards show the standfirst" },
    { max: 70, tone: "warn", text: "short for a search snippet (Google shows about 155–160 characters)" },
    { max: 160, tone: "good", text: "fits a Google snippet" },
    { max: Infinity, tone: "warn", text: "Google snippets cut it after about 160 characters" },
  ],
};

export function lengthAdvice(kind, text) {
  const length = [...text.trim()].length;
  const rule = GUIDANCE[kind].find((r) => length <= r.max);
  return { length, tone: rule.tone, text: rule.text };
}
