// The .grad lexer: identifiers, numbers, punctuation, comments, newlines; checks UTF-8.
#include "frontend/grad/lexer.h"

#include <array>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace gg::grad {
namespace {

bool ident_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool ident_char(char c) { return ident_start(c) || (c >= '0' && c <= '9'); }
bool digit(char c) { return c >= '0' && c <= '9'; }

/// Length of the valid UTF-8 sequence at s[i] (no overlongs, surrogates or > U+10FFFF), else 0.
size_t utf8_len(std::string_view s, size_t i) {
  auto at = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char b = at(i);
  if (b < 0x80) return 1;
  size_t n = b >= 0xC2 && b <= 0xDF ? 2 : b >= 0xE0 && b <= 0xEF ? 3 : b >= 0xF0 && b <= 0xF4 ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k)
    if ((at(i + k) & 0xC0) != 0x80) return 0;
  unsigned char b1 = at(i + 1);
  if ((b == 0xE0 && b1 < 0xA0) || (b == 0xED && b1 > 0x9F) || (b == 0xF0 && b1 < 0x90) || (b == 0xF4 && b1 > 0x8F))
    return 0;
  return n;
}

/// The code point of the valid UTF-8 sequence of n bytes at s[i].
char32_t code_point(std::string_view s, size_t i, size_t n) {
  static constexpr unsigned char kLead[] = {0, 0x7F, 0x1F, 0x0F, 0x07};
  char32_t c = static_cast<unsigned char>(s[i]) & kLead[n];
  for (size_t k = 1; k < n; ++k) c = (c << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  return c;
}

/// Characters that print as nothing, as a space, or change the direction of what follows:
/// quoting them would show the reader nothing useful (or garble the line).
bool invisible(char32_t c) {
  return (c >= 0x80 && c <= 0xA0) || c == 0xAD || c == 0x034F || c == 0x061C || c == 0x115F || c == 0x1160 ||
         c == 0x1680 || c == 0x180E || (c >= 0x2000 && c <= 0x200F) || (c >= 0x2028 && c <= 0x202F) ||
         (c >= 0x205F && c <= 0x206F) || c == 0x3000 || c == 0x3164 || c == 0xFEFF || (c >= 0xFFF0 && c <= 0xFFFF) ||
         (c >= 0xE0000 && c <= 0xE0FFF);
}

/// "U+00E9 'é'", or "U+00A0 (invisible)" for a character that would not show.
std::string describe_character(std::string_view s, size_t i, size_t n) {
  const char32_t c = code_point(s, i, n);
  std::array<char, 16> buf{};
  std::snprintf(buf.data(), buf.size(), "U+%04X", static_cast<unsigned>(c));
  return std::string(buf.data()) + (invisible(c) ? " (invisible)" : " '" + std::string(s.substr(i, n)) + "'");
}

// What a user coming from Python, C or typeset maths most likely meant by a character .grad
// does not have ("" when there is no obvious replacement).
std::string_view meant_instead(char32_t c) {
  switch (c) {
    case '^': return "for a power write pow(x, p) or square(x)";
    case ';': return "a statement ends at the end of its line";
    case '\\': return "a statement continues onto the next line only inside (...) or [...]";
    case '\'':
    case '"':
    case 0x2018:
    case 0x2019:
    case 0x201C:
    case 0x201D: return "names are not quoted: write activation=relu";
    case 0x2212:  // minus sign
    case 0x2013:  // en dash
    case 0x2014: return "write '-'";
    case 0x00D7:
    case 0x22C5:
    case 0x00B7: return "write '*' (elementwise) or '@' (matrix product)";
    case 0x1D40: return "write x.T for a transpose";
    case 0x00A0:
    case 0x2009:
    case 0x202F: return "write a plain space";
    default: return "";
  }
}

std::string with_hint(std::string message, char32_t c) {
  const std::string_view hint = meant_instead(c);
  return hint.empty() ? message : message + "; " + std::string(hint);
}

std::string hex_byte(unsigned char b) {
  std::array<char, 8> buf{};
  std::snprintf(buf.data(), buf.size(), "0x%02X", b);
  return buf.data();
}

}  // namespace

bool is_keyword(std::string_view w) {
  static constexpr std::array<std::string_view, 11> kKeywords = {
      "network", "precision", "dim", "input", "target", "param", "const", "output", "loss", "grad", "optimizer"};
  for (std::string_view k : kKeywords)
    if (w == k) return true;
  return false;
}

std::string describe(const Token& t) {
  switch (t.kind) {
    case Tok::Newline: return t.ends_file ? "end of file" : "end of line";
    case Tok::End: return "end of file";
    case Tok::Error: return "an invalid token";
    case Tok::Ident:
    case Tok::Number:
    case Tok::LParen:
    case Tok::RParen:
    case Tok::LBracket:
    case Tok::RBracket:
    case Tok::Comma:
    case Tok::Assign:
    case Tok::Plus:
    case Tok::Minus:
    case Tok::Star:
    case Tok::Slash:
    case Tok::At:
    case Tok::Dot: break;
  }
  if (t.text.size() > 40) return "'" + std::string(t.text.substr(0, 40)) + "...'";
  return "'" + std::string(t.text) + "'";
}

Lexer::Lexer(std::string_view src, std::string file, Diagnostics& diags)
    : src_(src), file_(std::move(file)), diags_(diags) {
  // A UTF-8 byte order mark (editors on Windows write one) is not text: columns start after it.
  constexpr std::string_view kBom = "\xEF\xBB\xBF";
  if (src_.substr(0, kBom.size()) == kBom) pos_ = line_start_ = kBom.size();
  int line = 1;
  bool in_comment = false;
  for (size_t i = pos_; i < src_.size(); ++i) {
    const char c = src_[i];
    if (c == '\n') {
      ++line;
      in_comment = false;
    } else if (c == '#') {
      in_comment = true;
    } else if (!in_comment && c != ' ' && c != '\t' && c != '\r') {
      last_text_line_ = line;
    }
  }
}

int Lexer::col_of(size_t pos) const {
  size_t c = pos - line_start_ + 1;
  return c > static_cast<size_t>(INT_MAX) ? INT_MAX : static_cast<int>(c);
}

Token Lexer::make(Tok kind, size_t start, size_t len) const {
  Token t;
  t.kind = kind;
  t.text = src_.substr(start, len);
  t.line = line_;
  t.col = col_of(start);
  return t;
}

Token Lexer::error_at(size_t pos, size_t len, const std::string& message) {
  Token t = make(Tok::Error, pos, len);
  if (!quiet_) diags_.error(loc(t), message);
  pos_ = pos + len;
  return t;
}

// Validates the comment's UTF-8 (any valid text is allowed; the first bad byte is
// reported, once per comment) and stops before the newline.
void Lexer::skip_comment() {
  bool reported = false;
  while (pos_ < src_.size() && src_[pos_] != '\n') {
    size_t n = utf8_len(src_, pos_);
    if (n == 0 && !reported && !quiet_) {
      Token t = make(Tok::Error, pos_, 1);
      diags_.error(loc(t), "invalid UTF-8 byte " + hex_byte(static_cast<unsigned char>(src_[pos_])) + " in comment");
      reported = true;
    }
    pos_ += n == 0 ? 1 : n;
  }
}

/// number ::= digits ['.' digits] [('e'|'E') ['+'|'-'] digits]  |  '.' digits [exponent]
Token Lexer::number(size_t start) {
  size_t p = start;
  bool integer = true;
  while (p < src_.size() && digit(src_[p])) ++p;
  if (p < src_.size() && src_[p] == '.') {
    integer = false;
    ++p;
    while (p < src_.size() && digit(src_[p])) ++p;
  }
  if (p < src_.size() && (src_[p] == 'e' || src_[p] == 'E')) {
    integer = false;
    ++p;
    if (p < src_.size() && (src_[p] == '+' || src_[p] == '-')) ++p;
    if (p >= src_.size() || !digit(src_[p])) {
      while (p < src_.size() && ident_char(src_[p])) ++p;
      return error_at(start, p - start, "malformed number '" + std::string(src_.substr(start, p - start)) + "'");
    }
    while (p < src_.size() && digit(src_[p])) ++p;
  }
  if (p < src_.size() && ident_char(src_[p])) {
    const bool digits_then_letter = integer && p > start;
    while (p < src_.size() && ident_char(src_[p])) ++p;
    std::string text(src_.substr(start, std::min<size_t>(p - start, 40)));
    return error_at(start, p - start,
                    "malformed number '" + text + "'" + (digits_then_letter ? "; a name cannot start with a digit" : ""));
  }
  Token t = make(Tok::Number, start, p - start);
  t.integer = integer;
  auto [end, ec] = std::from_chars(src_.data() + start, src_.data() + p, t.number);
  if (ec == std::errc::result_out_of_range) {  // too small reads as 0 (numpy, C++); too large is an error
    t.number = std::strtod(std::string(src_.substr(start, p - start)).c_str(), nullptr);
    if (std::isinf(t.number)) return error_at(start, p - start, "number out of range (the largest is 1.7976931348623157e308)");
    if (t.number == 0 && !quiet_)  // as clang's -Wliteral-range: said, not silent
      diags_.warning(loc(t), "number '" + std::string(src_.substr(start, std::min<size_t>(p - start, 40))) +
                                 "' is below the smallest double (4.9e-324) and reads as 0");
  } else if (ec != std::errc() || end != src_.data() + p) {
    return error_at(start, p - start, "number out of range");
  }
  pos_ = p;
  return t;
}

// Inside brackets a newline continues the statement, unless the next line cannot continue
// it: it starts with a keyword, or with a name or number right after a complete operand
// (`(a + b` then `c = ...`). Then the bracket was never closed and the statement ends here.
// Blank and comment lines are looked through (end of file ends the statement too); the
// answer is remembered up to the line it found, so runs of blank lines stay linear.
bool Lexer::next_line_starts_statement(size_t p) {
  if (p < ahead_until_) return ahead_answer_;
  while (p < src_.size()) {
    char c = src_[p];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      ++p;
    } else if (c == '#') {
      while (p < src_.size() && src_[p] != '\n') ++p;
    } else {
      break;
    }
  }
  ahead_until_ = p;
  ahead_answer_ = starts_statement(p);
  return ahead_answer_;
}

bool Lexer::starts_statement(size_t p) const {
  if (p >= src_.size()) return true;
  size_t s = p;
  while (p < src_.size() && ident_char(src_[p])) ++p;
  if (p == s) return false;
  bool after_operand = last_ == Tok::Ident || last_ == Tok::Number || last_ == Tok::RParen || last_ == Tok::RBracket;
  return is_keyword(src_.substr(s, p - s)) || after_operand;
}

Token Lexer::newline(size_t pos) {
  // The end of a CRLF line is its '\r', where an editor's cursor stops.
  Token t = make(Tok::Newline, pos > line_start_ && src_[pos - 1] == '\r' ? pos - 1 : pos, 0);
  pos_ = pos + 1;
  ++line_;
  line_start_ = pos_;
  return t;
}

Token Lexer::next() {
  Token t = scan();
  last_ = t.kind;
  if (t.kind == Tok::Number) numbers_.emplace_back(t.number, loc(t));
  return t;
}

Token Lexer::scan() {
  while (pos_ < src_.size()) {
    char c = src_[pos_];
    size_t start = pos_;
    if (c == ' ' || c == '\t' || c == '\r') {
      ++pos_;
      continue;
    }
    if (c == '#') {
      skip_comment();
      continue;
    }
    if (c == '\n') {
      bool ends = depth_ == 0 || next_line_starts_statement(pos_ + 1);
      Token t = newline(pos_);
      if (!ends) continue;
      // Inside brackets a line end is skipped unless a statement or the end of the file follows.
      t.ends_file = depth_ > 0 && t.line >= last_text_line_;
      depth_ = 0;
      return t;
    }
    if (ident_start(c)) {
      while (pos_ < src_.size() && ident_char(src_[pos_])) ++pos_;
      return make(Tok::Ident, start, pos_ - start);
    }
    if (digit(c) || (c == '.' && pos_ + 1 < src_.size() && digit(src_[pos_ + 1]))) return number(start);
    Tok kind = Tok::Error;
    switch (c) {
      case '(': kind = Tok::LParen; break;
      case ')': kind = Tok::RParen; break;
      case '[': kind = Tok::LBracket; break;
      case ']': kind = Tok::RBracket; break;
      case ',': kind = Tok::Comma; break;
      case '=': kind = Tok::Assign; break;
      case '+': kind = Tok::Plus; break;
      case '-': kind = Tok::Minus; break;
      case '*': kind = Tok::Star; break;
      case '/': kind = Tok::Slash; break;
      case '@': kind = Tok::At; break;
      case '.': kind = Tok::Dot; break;
      default: break;
    }
    if (kind != Tok::Error) {
      if (kind == Tok::LParen || kind == Tok::LBracket) ++depth_;
      if ((kind == Tok::RParen || kind == Tok::RBracket) && depth_ > 0) --depth_;
      ++pos_;
      return make(kind, start, 1);
    }
    auto b = static_cast<unsigned char>(c);
    if (b == 0) return error_at(start, 1, "unexpected NUL byte");
    if (b >= 0x80) {
      size_t n = utf8_len(src_, start);
      if (n == 0) return error_at(start, 1, "invalid UTF-8 byte " + hex_byte(b));
      return error_at(start, n, with_hint("unexpected character " + describe_character(src_, start, n) +
                                              "; outside comments a network is ASCII",
                                          code_point(src_, start, n)));
    }
    if (b < 0x20 || b == 0x7F) return error_at(start, 1, "unexpected control character " + hex_byte(b));
    const std::string shown = c == '\'' ? std::string("\"'\"") : std::string("'") + c + "'";
    return error_at(start, 1, with_hint("unexpected character " + shown, static_cast<char32_t>(b)));
  }
  Token t = make(Tok::End, src_.size(), 0);
  return t;
}

}  // namespace gg::grad
