//! The analyzers the index registers, each a thin wrapper around `domain::search::text`
//! (which holds the rules, and their tests): `hearth_words` for the body (parts, wholes,
//! CJK bigrams), `hearth_prefix` for partial words, `hearth_stem` for English word forms:
//! only the stems that differ from their word (`deployed` → `deploy`), since a word that is
//! its own stem is in the body already, where a query for the stem asks too.

use tantivy::Index;
use tantivy::tokenizer::{TextAnalyzer, Token, TokenStream, Tokenizer};

use crate::domain::search::text::{self, Piece};

pub const WORDS: &str = "hearth_words";
pub const PREFIX: &str = "hearth_prefix";
pub const STEM: &str = "hearth_stem";

/// Bumped whenever an analyzer, or what a document holds, changes: an index made with
/// another version is rebuilt. (2: shared files' names and the `file` flag; 3: stems only
/// where they differ from their word.)
pub const VERSION: u32 = 3;

#[derive(Clone, Copy)]
enum Cut {
    /// Parts, CJK bigrams and wholes.
    Words,
    /// The English stems of parts that are not their own stem.
    Stems,
    /// Prefixes of parts and wholes, CJK characters.
    Prefixes,
}

#[derive(Clone, Copy)]
struct Pieces(Cut);

/// The pieces of one text, handed out one by one.
enum Stream<'a> {
    Pieces {
        tokens: std::vec::IntoIter<Token>,
        current: Token,
    },
    /// Prefixes are written into the one token in turn: a word gives up to seven, and a
    /// string each was a good part of indexing's time.
    Prefixes {
        text: &'a str,
        all: Vec<Piece>,
        spans: std::vec::IntoIter<text::PrefixSpan>,
        current: Token,
    },
}

impl Tokenizer for Pieces {
    type TokenStream<'a> = Stream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Stream<'a> {
        let pieces = match self.0 {
            Cut::Words => text::pieces(text, true),
            Cut::Stems => {
                let stemmer = english();
                let mut pieces = text::pieces(text, false);
                pieces.retain_mut(|p| {
                    let stem = stemmer.stem(&p.text);
                    let changed = (*stem != *p.text).then(|| stem.into_owned());
                    changed.map(|stem| p.text = stem).is_some()
                });
                pieces
            }
            Cut::Prefixes => {
                let all = text::pieces(text, true);
                let spans = text::prefix_spans(text, &all).into_iter();
                return Stream::Prefixes { text, all, spans, current: Token::default() };
            }
        };
        let tokens: Vec<Token> = pieces.into_iter().map(token).collect();
        Stream::Pieces { tokens: tokens.into_iter(), current: Token::default() }
    }
}

fn token(p: Piece) -> Token {
    Token { offset_from: p.from, offset_to: p.to, position: p.position, text: p.text, position_length: 1 }
}

impl TokenStream for Stream<'_> {
    fn advance(&mut self) -> bool {
        match self {
            Stream::Pieces { tokens, current } => match tokens.next() {
                Some(t) => {
                    *current = t;
                    true
                }
                None => false,
            },
            Stream::Prefixes { text, all, spans, current } => match spans.next() {
                Some(span) => {
                    current.text.clear();
                    current.text.push_str(span.text(text, all));
                    current.offset_from = span.from;
                    current.offset_to = span.to;
                    current.position = span.position;
                    current.position_length = 1;
                    true
                }
                None => false,
            },
        }
    }

    fn token(&self) -> &Token {
        match self {
            Stream::Pieces { current, .. } | Stream::Prefixes { current, .. } => current,
        }
    }

    fn token_mut(&mut self) -> &mut Token {
        match self {
            Stream::Pieces { current, .. } | Stream::Prefixes { current, .. } => current,
        }
    }
}

fn english() -> frostem::Stemmer {
    frostem::Stemmer::new(frostem::Algorithm::English)
}

/// Registers the analyzers; needed after every open (tantivy stores only their names).
pub fn register(index: &Index) {
    let tokenizers = index.tokenizers();
    tokenizers.register(WORDS, TextAnalyzer::builder(Pieces(Cut::Words)).build());
    tokenizers.register(PREFIX, TextAnalyzer::builder(Pieces(Cut::Prefixes)).build());
    tokenizers.register(STEM, TextAnalyzer::builder(Pieces(Cut::Stems)).build());
}

/// The English stem of one folded word when it is not its own stem, as `hearth_stem`
/// indexes it; `None` for a word that is its own stem or is more than one part.
pub fn stem(word: &str) -> Option<String> {
    let mut analyzer = TextAnalyzer::builder(Pieces(Cut::Stems)).build();
    if text::pieces(word, false).len() != 1 {
        return None;
    }
    let mut stream = analyzer.token_stream(word);
    stream.advance().then(|| stream.token().text.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prefix_stream_gives_exactly_the_prefixes_of_the_rules() {
        let text = "Déploiement of ci.example.com: HTTPResponse 東京都 snake_case x";
        let mut analyzer = TextAnalyzer::builder(Pieces(Cut::Prefixes)).build();
        let mut stream = analyzer.token_stream(text);
        let mut streamed = Vec::new();
        while stream.advance() {
            let t = stream.token();
            streamed.push((t.text.clone(), t.offset_from, t.offset_to, t.position));
        }
        let expected: Vec<_> = text::prefixes(text).into_iter().map(|p| (p.text, p.from, p.to, p.position)).collect();
        assert!(expected.len() > 20, "{expected:?}");
        assert_eq!(streamed, expected);
    }

    #[test]
    fn only_stems_that_differ_from_their_word_are_indexed() {
        let mut analyzer = TextAnalyzer::builder(Pieces(Cut::Stems)).build();
        let mut stream = analyzer.token_stream("we deploy, deployed and are deploying happily");
        let mut stems = Vec::new();
        while stream.advance() {
            stems.push(stream.token().text.clone());
        }
        assert_eq!(stems, ["deploy", "deploy", "happili"]);
        assert_eq!(stem("deploying").as_deref(), Some("deploy"));
        assert_eq!(stem("deploy"), None, "a word that is its own stem");
        assert_eq!(stem("snake_case"), None, "more than one part");
    }
}
