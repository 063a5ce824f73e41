//! The embedded search index: tantivy in a folder of its own under the data folder.

use std::collections::BTreeSet;
use std::ops::Bound;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use tantivy::collector::{Count, TopDocs};
use tantivy::directory::MmapDirectory;
use tantivy::indexer::IndexWriterOptions;
use tantivy::query::{
    BooleanQuery, BoostQuery, ConstScoreQuery, FuzzyTermQuery, Occur, PhraseQuery, Query,
    RangeQuery, TermQuery, TermSetQuery,
};
use tantivy::schema::{
    DateOptions, Field, INDEXED, IndexRecordOption, NumericOptions, STORED, STRING, Schema,
    TextFieldIndexing, TextOptions, Value,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RawTokenizer, RemoveLongFilter, SimpleTokenizer,
    Stemmer, TextAnalyzer, TokenStream,
};
use tantivy::{
    DateTime, DocAddress, Index, IndexReader, IndexWriter, Order, ReloadPolicy, Score, Searcher,
    TantivyDocument, Term,
};

use crate::html;
use crate::reader_query::{self, Clause, STOP_WORDS};
use crate::{
    MAX_LIMIT, MAX_OFFSET, Result, SearchDocument, SearchError, SearchHit, SearchIndex,
    SearchOrder, SearchQuery, SearchResults,
};

/// Name under which [`analyzer`] is registered; stored in the schema, so renaming it means a
/// reindex.
const ANALYZER: &str = "dateline_en";
/// One writer, two indexing threads sharing a modest budget (tantivy wants at least 15 MB a
/// thread): articles arrive one at a time, and a full reindex gets both cores of a small server.
const WRITER_THREADS: usize = 2;
const WRITER_MEMORY_BYTES: usize = 50_000_000;
/// One thread folds segments together in the background (tantivy's default is four): on a small
/// server more would only compete with the node's own threads, and each thread that has worked
/// keeps some memory of its own.
const MERGE_THREADS: usize = 1;
/// Spellings within one typo whose field matches are scored, and how much they count.
const MAX_SCORED_TYPOS: usize = 8;
const TYPO_SCORE_SCALE: Score = 0.05;
/// How much more a headline match counts than a body match.
const HEADLINE_WEIGHT: Score = 3.0;
/// Indexed words within one typo of a query word that are looked for; beyond this the word is
/// so short or common a stem that more spellings would add noise, not recall.
const MAX_TYPO_EXPANSIONS: usize = 64;
/// Most related articles one call may ask for.
const MAX_RELATED: usize = 50;
/// Candidates fetched beyond a related list's length, so ties at its end are broken by id.
const RELATED_TIE_MARGIN: usize = 8;
/// Words of an article that make its "related" query (Lucene's MoreLikeThis default).
const RELATED_QUERY_TERMS: usize = 25;
/// Shorter words say nothing about what an article is about.
const RELATED_MIN_WORD_BYTES: usize = 3;

/// Text analysis shared by indexing and querying: words split on anything not a letter or digit,
/// lowercased, folded to ASCII ("Bogotá" finds "Bogota"), English-stemmed ("elections" finds
/// "election"). Absurdly long tokens (pasted URLs, base64) are dropped.
pub(crate) fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_WORD_BYTES))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(Stemmer::new(Language::English))
        .build()
}

/// Longer tokens are not words.
const MAX_WORD_BYTES: usize = 40;

/// [`analyzer`] without its last step: [`stemmer`] applied to each of these words gives the
/// words of [`analyzer`]. Highlighting uses the two apart, to stem only the words that may match.
pub(crate) fn unstemmed_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_WORD_BYTES))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// The last step of [`analyzer`], for one word of [`unstemmed_analyzer`].
pub(crate) fn stemmer() -> TextAnalyzer {
    TextAnalyzer::builder(RawTokenizer::default())
        .filter(Stemmer::new(Language::English))
        .build()
}

#[derive(Debug, Clone, Copy)]
struct Fields {
    article_id: Field,
    headline: Field,
    standfirst: Field,
    body: Field,
    authors: Field,
    author_slugs: Field,
    section: Field,
    section_slug: Field,
    tags: Field,
    first_published_at: Field,
    /// Every searchable word of the article in one field, document ids only: words within one
    /// typo are looked up in one dictionary and matched in one set of postings, instead of once
    /// per field: half the query time, for each word being indexed twice.
    words: Field,
}

impl Fields {
    fn schema() -> (Schema, Fields) {
        let indexing = TextFieldIndexing::default()
            .set_tokenizer(ANALYZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions);
        let text = TextOptions::default().set_indexing_options(indexing);
        let words = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(ANALYZER)
                .set_index_option(IndexRecordOption::Basic),
        );
        // Stored: what results show, and what "related" reads back to find similar articles.
        let stored_text = text.clone().set_stored();
        let mut builder = Schema::builder();
        let fields = Fields {
            article_id: builder.add_i64_field(
                "article_id",
                NumericOptions::default()
                    .set_indexed()
                    .set_stored()
                    .set_fast(),
            ),
            headline: builder.add_text_field("headline", stored_text.clone()),
            standfirst: builder.add_text_field("standfirst", stored_text.clone()),
            body: builder.add_text_field("body", stored_text.clone()),
            authors: builder.add_text_field("authors", text.clone()),
            author_slugs: builder.add_text_field("author_slugs", STRING),
            section: builder.add_text_field("section", text),
            section_slug: builder.add_text_field("section_slug", STRING),
            tags: builder.add_text_field("tags", stored_text),
            first_published_at: builder.add_date_field(
                "first_published_at",
                DateOptions::from(INDEXED | STORED).set_fast(),
            ),
            words: builder.add_text_field("words", words),
        };
        (builder.build(), fields)
    }

    /// Fields a reader's words are looked for in, and how much a match in each counts.
    fn weighted_text(&self) -> [(Field, Score); 6] {
        [
            (self.headline, HEADLINE_WEIGHT),
            (self.standfirst, 1.5),
            (self.body, 1.0),
            (self.authors, 2.0),
            (self.section, 1.0),
            (self.tags, 2.0),
        ]
    }

    /// Fields whose words say what an article is about, for "related".
    fn about(&self) -> [Field; 4] {
        [self.headline, self.standfirst, self.body, self.tags]
    }
}

/// Analysed terms to mark in headlines and snippets.
type Highlight = BTreeSet<String>;

/// The tantivy implementation of [`SearchIndex`].
pub struct TantivyIndex {
    index: Index,
    fields: Fields,
    writer: Mutex<IndexWriter>,
    reader: IndexReader,
}

impl TantivyIndex {
    /// The words of "related": those that say most about the article, weighed as Lucene's
    /// MoreLikeThis weighs them (how often the article uses the word × how rare the word is in
    /// the archive), at most [`RELATED_QUERY_TERMS`], strongest first with their weights.
    /// tantivy's own `MoreLikeThisQuery` counts the words in a `HashMap` and, among equally
    /// weighted words at its cut-off, keeps those that map's per-process random order gives
    /// first: two processes over the same index could ask different questions. Here ties go to
    /// the word that sorts first, so every node and every rebuild ranks alike (an exported and
    /// imported site's pages match byte for byte).
    fn related_terms(
        &self,
        searcher: &Searcher,
        doc: &TantivyDocument,
    ) -> Result<Vec<(Term, Score)>> {
        let mut frequencies: std::collections::BTreeMap<Term, u32> =
            std::collections::BTreeMap::new();
        for field in self.fields.about() {
            let mut analyzer = self.index.tokenizer_for_field(field)?;
            for text in doc.get_all(field).filter_map(|value| value.as_str()) {
                let mut stream = analyzer.token_stream(text);
                stream.process(&mut |token| {
                    // Short words and stop words are noise however rare.
                    if token.text.len() >= RELATED_MIN_WORD_BYTES
                        && !STOP_WORDS.contains(&token.text.as_str())
                    {
                        *frequencies
                            .entry(Term::from_field_text(field, &token.text))
                            .or_default() += 1;
                    }
                });
            }
        }
        let documents = searcher.num_docs();
        let mut weighed = Vec::with_capacity(frequencies.len());
        for (term, frequency) in frequencies {
            let with_term = searcher.doc_freq(&term)?;
            if with_term == 0 {
                continue;
            }
            // BM25's inverse document frequency; deleted documents not yet merged away can
            // make `with_term` exceed `documents`.
            let rarity = ((documents.saturating_sub(with_term) as Score + 0.5)
                / (with_term as Score + 0.5))
                .ln_1p();
            weighed.push((term, frequency as Score * rarity));
        }
        weighed.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        weighed.truncate(RELATED_QUERY_TERMS);
        Ok(weighed)
    }

    /// Opens the index in `folder`, creating the folder and an empty index if needed.
    ///
    /// An index written with a different schema is [`SearchError::SchemaChanged`], and a folder
    /// another process writes to is [`SearchError::Locked`].
    pub fn open(folder: &Path) -> Result<Self> {
        std::fs::create_dir_all(folder).map_err(|source| SearchError::Folder {
            path: folder.to_owned(),
            source,
        })?;
        let directory = MmapDirectory::open(folder).map_err(tantivy::TantivyError::from)?;
        let (schema, fields) = Fields::schema();
        let index = Index::open_or_create(directory, schema).map_err(|error| match error {
            tantivy::TantivyError::SchemaError(_) => SearchError::SchemaChanged {
                path: folder.to_owned(),
            },
            error => SearchError::Engine(error),
        })?;
        Self::with_index(index, fields).map_err(|error| match error {
            SearchError::Engine(tantivy::TantivyError::LockFailure(..)) => SearchError::Locked {
                path: folder.to_owned(),
            },
            error => error,
        })
    }

    /// An index that lives only as long as this value: for tests and demos.
    pub fn in_memory() -> Result<Self> {
        let (schema, fields) = Fields::schema();
        Self::with_index(Index::create_in_ram(schema), fields)
    }

    fn with_index(index: Index, fields: Fields) -> Result<Self> {
        // Analysers are not stored in the index: register ours on every open.
        index.tokenizers().register(ANALYZER, analyzer());
        let writer = index.writer_with_options(
            IndexWriterOptions::builder()
                .num_worker_threads(WRITER_THREADS)
                .memory_budget_per_thread(WRITER_MEMORY_BYTES / WRITER_THREADS)
                .num_merge_threads(MERGE_THREADS)
                .build(),
        )?;
        // Reloaded by `commit`, so a search right after a commit sees it, and again whenever a
        // background merge lands: a reindex leaves dozens of segments that merges fold into a
        // few, and each segment searched costs a dictionary walk per typo-tolerant word.
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::OnCommitWithDelay)
            .try_into()?;
        Ok(Self {
            index,
            fields,
            writer: Mutex::new(writer),
            reader,
        })
    }

    fn writer(&self) -> Result<MutexGuard<'_, IndexWriter>> {
        self.writer.lock().map_err(|_| SearchError::Poisoned)
    }

    fn analyzer(&self) -> Result<TextAnalyzer> {
        Ok(self.index.tokenizer_for_field(self.fields.body)?)
    }

    fn id_term(&self, article_id: i64) -> Term {
        Term::from_field_i64(self.fields.article_id, article_id)
    }

    /// The query for what a reader typed, and the terms to highlight; `None` when nothing
    /// searchable was typed.
    fn text_query(
        &self,
        searcher: &Searcher,
        text: &str,
    ) -> Result<Option<(Box<dyn Query>, Highlight)>> {
        let clauses = reader_query::parse(text, &mut self.analyzer()?);
        if clauses.is_empty() {
            return Ok(None);
        }
        let mut highlight = BTreeSet::new();
        let mut must: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for clause in clauses {
            let query: Box<dyn Query> = match clause {
                Clause::Word(word) => {
                    highlight.insert(word.term.clone());
                    let exact = self.any_field(|field| {
                        Box::new(TermQuery::new(
                            Term::from_field_text(field, &word.term),
                            IndexRecordOption::WithFreqs,
                        ))
                    });
                    let common = searcher
                        .doc_freq(&Term::from_field_text(self.fields.words, &word.term))?
                        >= crate::COMMON_WORD_ARTICLES;
                    if word.fuzzy && !common {
                        self.fuzzy_word(searcher, &word.term, exact, &mut highlight)?
                    } else {
                        exact
                    }
                }
                Clause::Phrase(terms) => {
                    for term in &terms {
                        highlight.insert(term.clone());
                    }
                    self.any_field(|field| {
                        Box::new(PhraseQuery::new(
                            terms
                                .iter()
                                .map(|term| Term::from_field_text(field, term))
                                .collect(),
                        ))
                    })
                }
            };
            must.push((Occur::Must, query));
        }
        Ok(Some((Box::new(BooleanQuery::new(must)), highlight)))
    }

    /// Matches in any of the searched fields, each weighted.
    fn any_field(&self, query_for: impl Fn(Field) -> Box<dyn Query>) -> Box<dyn Query> {
        Box::new(BooleanQuery::new(
            self.fields
                .weighted_text()
                .into_iter()
                .map(|(field, weight)| {
                    let query: Box<dyn Query> = Box::new(BoostQuery::new(query_for(field), weight));
                    (Occur::Should, query)
                })
                .collect(),
        ))
    }

    /// A word that also matches with one typo (an insertion, deletion, substitution or
    /// transposition). Typo matches score 0.5 plus a twentieth of their headline BM25, and an
    /// exact match earns a flat 1.0 on top of its full BM25 score, so the exact spelling ranks
    /// first.
    ///
    /// The indexed words within one typo are listed from the `words` field's dictionary; they
    /// match through a term set and are marked in snippets ("Colmbia" marks "Colombia"), which
    /// tantivy's own fuzzy query could not say.
    fn fuzzy_word(
        &self,
        searcher: &Searcher,
        term: &str,
        exact: Box<dyn Query>,
        highlight: &mut Highlight,
    ) -> Result<Box<dyn Query>> {
        let words = self.fields.words;
        let automaton =
            FuzzyTermQuery::new(Term::from_field_text(words, term), 1, true).automaton()?;
        let mut near: BTreeSet<String> = BTreeSet::new();
        'segments: for segment in searcher.segment_readers() {
            let inverted = segment.inverted_index(words)?;
            let mut stream = inverted
                .terms()
                .search(&automaton)
                .into_stream()
                .map_err(tantivy::TantivyError::from)?;
            while stream.advance() {
                if near.len() >= MAX_TYPO_EXPANSIONS {
                    break 'segments;
                }
                if let Ok(word) = std::str::from_utf8(stream.key()) {
                    near.insert(word.to_owned());
                }
            }
        }
        let bonus = TermQuery::new(Term::from_field_text(words, term), IndexRecordOption::Basic);
        let typos = TermSetQuery::new(near.iter().map(|word| Term::from_field_text(words, word)));
        // Among typo matches, a headline match should still rank above a body match: score the
        // first few spellings in the headline, scaled well below the exact-match bonus. Only the
        // headline: scoring every field for every spelling was a third of the query time, for
        // an order among typo matches that the headline decides anyway.
        let mut by_field: Vec<(Occur, Box<dyn Query>)> = near
            .iter()
            .filter(|word| String::as_str(word) != term)
            .take(MAX_SCORED_TYPOS)
            .map(|word| {
                let query: Box<dyn Query> = Box::new(BoostQuery::new(
                    Box::new(TermQuery::new(
                        Term::from_field_text(self.fields.headline, word),
                        IndexRecordOption::WithFreqs,
                    )),
                    TYPO_SCORE_SCALE * HEADLINE_WEIGHT,
                ));
                (Occur::Should, query)
            })
            .collect();
        highlight.extend(near);
        by_field.extend([
            (
                Occur::Should,
                Box::new(ConstScoreQuery::new(Box::new(bonus), 1.0)) as Box<dyn Query>,
            ),
            (Occur::Should, exact),
            (
                Occur::Should,
                Box::new(ConstScoreQuery::new(Box::new(typos), 0.5)),
            ),
        ]);
        Ok(Box::new(BooleanQuery::new(by_field)))
    }

    /// Section, author and date filters; they narrow results without changing their order.
    fn filters(&self, query: &SearchQuery) -> Vec<(Occur, Box<dyn Query>)> {
        let mut filters: Vec<Box<dyn Query>> = Vec::new();
        if let Some(slug) = &query.section_slug {
            filters.push(Box::new(TermQuery::new(
                Term::from_field_text(self.fields.section_slug, slug),
                IndexRecordOption::Basic,
            )));
        }
        if let Some(slug) = &query.author_slug {
            filters.push(Box::new(TermQuery::new(
                Term::from_field_text(self.fields.author_slugs, slug),
                IndexRecordOption::Basic,
            )));
        }
        if query.from.is_some() || query.until.is_some() {
            let bound = |at: jiff::Timestamp| {
                Term::from_field_date(self.fields.first_published_at, date_time(at))
            };
            filters.push(Box::new(RangeQuery::new(
                query
                    .from
                    .map_or(Bound::Unbounded, |at| Bound::Included(bound(at))),
                query
                    .until
                    .map_or(Bound::Unbounded, |at| Bound::Excluded(bound(at))),
            )));
        }
        filters
            .into_iter()
            .map(|filter| {
                let filter: Box<dyn Query> = Box::new(ConstScoreQuery::new(filter, 0.0));
                (Occur::Must, filter)
            })
            .collect()
    }

    fn hit(
        &self,
        searcher: &Searcher,
        address: DocAddress,
        score: Score,
        marker: &mut html::Marker<'_>,
    ) -> Result<SearchHit> {
        let doc: TantivyDocument = searcher.doc(address)?;
        let text = |field: Field| doc.get_first(field).and_then(|v| v.as_str()).unwrap_or("");
        Ok(html::search_hit(
            self.stored_id(&doc),
            score,
            marker,
            html::ArticleText {
                headline: text(self.fields.headline),
                standfirst: text(self.fields.standfirst),
                body: text(self.fields.body),
            },
        ))
    }

    fn article_id(&self, searcher: &Searcher, address: DocAddress) -> Result<i64> {
        let doc: TantivyDocument = searcher.doc(address)?;
        Ok(self.stored_id(&doc))
    }

    fn stored_id(&self, doc: &TantivyDocument) -> i64 {
        doc.get_first(self.fields.article_id)
            .and_then(|v| v.as_i64())
            .unwrap_or_default()
    }

    fn find(&self, searcher: &Searcher, article_id: i64) -> Result<Option<DocAddress>> {
        let query = TermQuery::new(self.id_term(article_id), IndexRecordOption::Basic);
        let found = searcher.search(&query, &TopDocs::with_limit(1).order_by_score())?;
        Ok(found.first().map(|(_, address)| *address))
    }
}

/// Whole seconds, the precision tantivy keeps for date fast fields: indexing and filtering
/// agree, and no newsroom sorts by the millisecond. Tantivy counts nanoseconds in an i64 (years
/// 1678 to 2261), so instants beyond are clamped to its ends rather than overflowing.
fn date_time(at: jiff::Timestamp) -> DateTime {
    const LIMIT_SECONDS: i64 = i64::MAX / 1_000_000_000 - 1;
    DateTime::from_timestamp_secs(at.as_second().clamp(-LIMIT_SECONDS, LIMIT_SECONDS))
}

impl TantivyIndex {
    fn indexed(&self, doc: &SearchDocument) -> TantivyDocument {
        let f = &self.fields;
        let mut indexed = TantivyDocument::new();
        indexed.add_i64(f.article_id, doc.article_id);
        indexed.add_text(f.headline, &doc.headline);
        indexed.add_text(f.standfirst, &doc.standfirst);
        indexed.add_text(f.body, &doc.body_text);
        for author in &doc.authors {
            indexed.add_text(f.authors, author);
        }
        for slug in &doc.author_slugs {
            indexed.add_text(f.author_slugs, slug);
        }
        indexed.add_text(f.section, &doc.section);
        indexed.add_text(f.section_slug, &doc.section_slug);
        for tag in &doc.tags {
            indexed.add_text(f.tags, tag);
        }
        indexed.add_date(f.first_published_at, date_time(doc.first_published_at));
        for text in [&doc.headline, &doc.standfirst, &doc.body_text, &doc.section]
            .into_iter()
            .chain(&doc.authors)
            .chain(&doc.tags)
        {
            indexed.add_text(f.words, text);
        }
        indexed
    }
}

impl SearchIndex for TantivyIndex {
    fn upsert(&self, doc: &SearchDocument) -> Result<()> {
        let indexed = self.indexed(doc);
        let writer = self.writer()?;
        // Deletes apply to documents added before them, so the new version survives.
        writer.delete_term(self.id_term(doc.article_id));
        writer.add_document(indexed)?;
        Ok(())
    }

    fn add_new(&self, doc: &SearchDocument) -> Result<()> {
        self.writer()?.add_document(self.indexed(doc))?;
        Ok(())
    }

    fn remove(&self, article_id: i64) -> Result<()> {
        self.writer()?.delete_term(self.id_term(article_id));
        Ok(())
    }

    fn commit(&self) -> Result<()> {
        self.writer()?.commit()?;
        self.reader.reload()?;
        Ok(())
    }

    fn search(&self, query: &SearchQuery) -> Result<SearchResults> {
        let searcher = self.reader.searcher();
        let Some((text_query, highlight)) = self.text_query(&searcher, &query.text)? else {
            return Ok(SearchResults::default());
        };
        let mut clauses = vec![(Occur::Must, text_query)];
        clauses.extend(self.filters(query));
        let full = BooleanQuery::new(clauses);

        let limit = query.limit.min(MAX_LIMIT);
        let offset = query.offset.min(MAX_OFFSET);
        if limit == 0 {
            let total = searcher.search(&full, &Count)?;
            return Ok(SearchResults {
                total,
                hits: Vec::new(),
            });
        }
        let top = TopDocs::with_limit(limit).and_offset(offset);
        let (total, found): (usize, Vec<(Score, DocAddress)>) = match query.order {
            SearchOrder::Relevance => searcher.search(&full, &(Count, top.order_by_score()))?,
            SearchOrder::Newest => {
                let (total, found) = searcher.search(
                    &full,
                    &(
                        Count,
                        top.order_by_fast_field::<DateTime>("first_published_at", Order::Desc),
                    ),
                )?;
                (
                    total,
                    found
                        .into_iter()
                        .map(|(_, address)| (0.0, address))
                        .collect(),
                )
            }
        };

        let mut marker = html::Marker::new(&highlight);
        let hits = found
            .into_iter()
            .map(|(score, address)| self.hit(&searcher, address, score, &mut marker))
            .collect::<Result<_>>()?;
        Ok(SearchResults { total, hits })
    }

    fn related(&self, article_id: i64, limit: usize, exclude: &[i64]) -> Result<Vec<i64>> {
        let limit = limit.min(MAX_RELATED);
        let searcher = self.reader.searcher();
        let Some(address) = self.find(&searcher, article_id)? else {
            return Ok(Vec::new());
        };
        if limit == 0 {
            return Ok(Vec::new());
        }
        let doc: TantivyDocument = searcher.doc(address)?;
        let terms = self.related_terms(&searcher, &doc)?;
        let Some(&(_, best)) = terms.first() else {
            return Ok(Vec::new());
        };
        let similar = BooleanQuery::new(
            terms
                .into_iter()
                .map(|(term, weight)| {
                    let query: Box<dyn Query> = Box::new(BoostQuery::new(
                        Box::new(TermQuery::new(term, IndexRecordOption::Basic)),
                        weight / best,
                    ));
                    (Occur::Should, query)
                })
                .collect(),
        );
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, Box::new(similar))];
        for id in std::iter::once(article_id).chain(exclude.iter().copied()) {
            clauses.push((
                Occur::MustNot,
                Box::new(TermQuery::new(self.id_term(id), IndexRecordOption::Basic)),
            ));
        }
        // Equal scores come back in the order of the index's segments, which depends on how it
        // was built; a few more candidates, ordered by score then id, make the list the same on
        // every node and after every rebuild (an exported and imported site's pages match).
        let found = searcher.search(
            &BooleanQuery::new(clauses),
            &TopDocs::with_limit(limit + RELATED_TIE_MARGIN).order_by_score(),
        )?;
        let mut scored = found
            .into_iter()
            .map(|(score, address)| Ok((score, self.article_id(&searcher, address)?)))
            .collect::<Result<Vec<(f32, i64)>>>()?;
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        Ok(scored.into_iter().take(limit).map(|(_, id)| id).collect())
    }

    fn clear(&self) -> Result<()> {
        self.writer()?.delete_all_documents()?;
        Ok(())
    }

    fn doc_count(&self) -> Result<u64> {
        Ok(self.reader.searcher().num_docs())
    }
}
