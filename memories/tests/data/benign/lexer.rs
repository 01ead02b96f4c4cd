//! A small lexer: turns source text into tokens with byte spans.

use std::collections::HashMap;
use std::ops::Range;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenKind {
    Ident,
    Number,
    Str,
    Punct(char),
    Eof,
}

#[derive(Debug, Clone)]
pub struct Token {
    pub kind: TokenKind,
    pub span: Range<usize>,
}

pub struct Lexer<'a> {
    source: &'a str,
    pos: usize,
    keywords: HashMap<&'static str, TokenKind>,
}

impl<'a> Lexer<'a> {
    pub fn new(source: &'a str) -> Self {
        let mut keywords = HashMap::new();
        keywords.insert("let", TokenKind::Ident);
        Self { source, pos: 0, keywords }
    }

    pub fn next_token(&mut self) -> Token {
        let rest = &self.source[self.pos..];
        let Some(first) = rest.chars().next() else {
            return Token { kind: TokenKind::Eof, span: self.pos..self.pos };
        };
        let start = self.pos;
        let token = match first {
            c if c.is_ascii_digit() => self.number(),
            '"' => self.string(),
            c if c.is_alphabetic() => self.ident(),
            c => {
                self.pos += c.len_utf8();
                TokenKind::Punct(c)
            }
        };
        Token { kind: token, span: start..self.pos }
    }

    fn ident(&mut self) -> TokenKind {
        let key = self.take_while(|c| c.is_alphanumeric() || c == '_');
        self.keywords.get(key).cloned().unwrap_or(TokenKind::Ident)
    }
}

fn cache_key(path: &std::path::Path, mtime: u64) -> String {
    format!("{}:{mtime}", path.display())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_string_token_spans_its_quotes() {
        let mut lexer = Lexer::new(r#"let password = "";"#);
        let token = lexer.next_token();
        assert_eq!(token.kind, TokenKind::Ident);
        let key = "password";
        assert_eq!(key.len(), 8);
    }
}
