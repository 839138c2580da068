// Tokens of the .grad language, produced on demand. Newlines end statements except
// inside (...) or [...]; lexical errors are reported here and surface as Tok::Error.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "support/diagnostics.h"

namespace gg::grad {

enum class Tok { Ident, Number, LParen, RParen, LBracket, RBracket, Comma, Assign, Plus, Minus, Star, Slash, At, Dot,
                 Newline, End, Error };

struct Token {
  Tok kind = Tok::End;
  std::string_view text;  // the bytes of the token (empty for Newline/End)
  int line = 1;
  int col = 1;
  double number = 0;     // Number: its value
  bool integer = false;  // Number: written without '.' or exponent
  bool ends_file = false;  // Newline inside brackets: only blank lines and comments follow
};

/// Words that start statements; they can never name a tensor.
bool is_keyword(std::string_view word);
/// "')'", "end of line", "'foo'": how a token is named in messages.
std::string describe(const Token& t);

class Lexer {
 public:
  Lexer(std::string_view src, std::string file, Diagnostics& diags);
  Token next();
  /// While set, lexical errors are not reported (the parser is skipping a broken statement).
  void set_quiet(bool quiet) { quiet_ = quiet; }
  SourceLoc loc(const Token& t) const { return {file_, t.line, t.col}; }
  /// Every number token returned so far, with its place.
  const std::vector<std::pair<double, SourceLoc>>& numbers() const { return numbers_; }

 private:
  Token scan();
  Token make(Tok kind, size_t start, size_t len) const;
  Token error_at(size_t pos, size_t len, const std::string& message);
  Token number(size_t start);
  Token newline(size_t pos);
  bool next_line_starts_statement(size_t pos);
  bool starts_statement(size_t pos) const;
  void skip_comment();
  int col_of(size_t pos) const;

  std::string_view src_;
  std::string file_;
  Diagnostics& diags_;
  size_t pos_ = 0;
  size_t line_start_ = 0;
  int line_ = 1;
  int depth_ = 0;  // open ( and [ not yet closed
  bool quiet_ = false;
  Tok last_ = Tok::Newline;  // the previous token returned
  size_t ahead_until_ = 0;   // next_line_starts_statement's memo: valid for positions below
  bool ahead_answer_ = false;
  std::vector<std::pair<double, SourceLoc>> numbers_;
  int last_text_line_ = 0;  // the last line with anything but blanks and a comment
};

}  // namespace gg::grad
