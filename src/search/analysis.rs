//! The analyzers the index registers, each a thin wrapper around `domain::search::text`
//! (which holds the rules, and their tests): `hearth_words` for the body (parts, wholes,
//! CJK bigrams), `hearth_prefix` for partial words, `hearth_stem` for English word forms.

use tantivy::Index;
use tantivy::tokenizer::{Language, Stemmer, TextAnalyzer, Token, TokenStream, Tokenizer};

use crate::domain::search::text::{self, Piece};

pub const WORDS: &str = "hearth_words";
pub const PREFIX: &str = "hearth_prefix";
pub const STEM: &str = "hearth_stem";

/// Bumped whenever an analyzer, or what a document holds, changes: an index made with
/// another version is rebuilt. (2: shared files' names and the `file` flag.)
pub const VERSION: u32 = 2;

#[derive(Clone, Copy)]
enum Cut {
    /// Parts, CJK bigrams and wholes.
    Words,
    /// Parts and CJK bigrams only (the stemmer's input).
    Parts,
    /// Prefixes of parts and wholes, CJK characters.
    Prefixes,
}

#[derive(Clone, Copy)]
struct Pieces(Cut);

/// The pieces of one text, handed out one by one.
struct Stream {
    tokens: std::vec::IntoIter<Token>,
    current: Token,
}

impl Tokenizer for Pieces {
    type TokenStream<'a> = Stream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Stream {
        let pieces = match self.0 {
            Cut::Words => text::pieces(text, true),
            Cut::Parts => text::pieces(text, false),
            Cut::Prefixes => text::prefixes(text),
        };
        let tokens: Vec<Token> = pieces.into_iter().map(token).collect();
        Stream { tokens: tokens.into_iter(), current: Token::default() }
    }
}

fn token(p: Piece) -> Token {
    Token { offset_from: p.from, offset_to: p.to, position: p.position, text: p.text, position_length: 1 }
}

impl TokenStream for Stream {
    fn advance(&mut self) -> bool {
        match self.tokens.next() {
            Some(t) => {
                self.current = t;
                true
            }
            None => false,
        }
    }

    fn token(&self) -> &Token {
        &self.current
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.current
    }
}

/// Registers the analyzers; needed after every open (tantivy stores only their names).
pub fn register(index: &Index) {
    let tokenizers = index.tokenizers();
    tokenizers.register(WORDS, TextAnalyzer::builder(Pieces(Cut::Words)).build());
    tokenizers.register(PREFIX, TextAnalyzer::builder(Pieces(Cut::Prefixes)).build());
    tokenizers
        .register(STEM, TextAnalyzer::builder(Pieces(Cut::Parts)).filter(Stemmer::new(Language::English)).build());
}

/// The English stem of one folded word, as `hearth_stem` indexes it.
pub fn stem(word: &str) -> Option<String> {
    let mut analyzer = TextAnalyzer::builder(Pieces(Cut::Parts)).filter(Stemmer::new(Language::English)).build();
    let mut stream = analyzer.token_stream(word);
    let mut out = None;
    while stream.advance() {
        if out.is_some() {
            return None;
        }
        out = Some(stream.token().text.clone());
    }
    out
}
