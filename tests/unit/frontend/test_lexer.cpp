// The .grad lexer: numbers, identifiers, comments, newlines inside brackets, locations.
#include <catch2/catch.hpp>

#include <vector>

#include "frontend/grad/lexer.h"

using namespace gg;
using namespace gg::grad;

namespace {

std::vector<Token> lex_all(std::string_view src, Diagnostics& d) {
  Lexer lx(src, "t.grad", d);
  std::vector<Token> out;
  for (Token t = lx.next();; t = lx.next()) {
    out.push_back(t);
    if (t.kind == Tok::End) break;
  }
  return out;
}

}  // namespace

TEST_CASE("numbers in every spelling of the spec", "[lexer]") {
  Diagnostics d;
  auto t = lex_all("3 0.5 .5 1e-3 2.5E+4 7e2", d);
  REQUIRE_FALSE(d.has_errors());
  REQUIRE(t.size() == 7);
  double want[] = {3, 0.5, 0.5, 1e-3, 2.5e4, 700};
  bool integer[] = {true, false, false, false, false, false};
  for (size_t i = 0; i < 6; ++i) {
    CHECK(t[i].kind == Tok::Number);
    CHECK(t[i].number == want[i]);
    CHECK(t[i].integer == integer[i]);
  }
  CHECK(t[2].text == ".5");
  CHECK(t[6].kind == Tok::End);
}

TEST_CASE("identifiers, punctuation and transpose", "[lexer]") {
  Diagnostics d;
  auto t = lex_all("a_1 = _b.T @ (C2[n, 3])", d);
  REQUIRE_FALSE(d.has_errors());
  std::vector<Tok> kinds;
  for (const Token& x : t) kinds.push_back(x.kind);
  CHECK(kinds == std::vector<Tok>{Tok::Ident, Tok::Assign, Tok::Ident, Tok::Dot, Tok::Ident, Tok::At, Tok::LParen,
                                  Tok::Ident, Tok::LBracket, Tok::Ident, Tok::Comma, Tok::Number, Tok::RBracket,
                                  Tok::RParen, Tok::End});
  CHECK(t[0].text == "a_1");
  CHECK(t[4].text == "T");
}

TEST_CASE("a leading UTF-8 byte order mark is skipped, columns count from after it", "[lexer]") {
  Diagnostics d;
  auto t = lex_all("\xEF\xBB\xBFnetwork a\n$", d);
  REQUIRE(t.size() >= 3);
  CHECK(t[0].text == "network");
  CHECK(t[0].col == 1);
  CHECK(t[1].col == 9);
  REQUIRE(d.errors().size() == 1);  // the '$' on line 2; a BOM later in the text is no BOM
  CHECK(d.errors()[0].loc.line == 2);
  Diagnostics d2;
  lex_all("x \xEF\xBB\xBF", d2);
  REQUIRE(d2.errors().size() == 1);
  CHECK(d2.errors()[0].loc.col == 3);
}

TEST_CASE("comments are skipped and may hold UTF-8, locations are 1-based bytes", "[lexer]") {
  Diagnostics d;
  auto t = lex_all("# héllo ∂J/∂W\n\tx = 1 # tail\r\n  y", d);
  REQUIRE_FALSE(d.has_errors());
  REQUIRE(t.size() == 7);
  CHECK(t[0].kind == Tok::Newline);
  CHECK(t[0].line == 1);
  CHECK(t[1].text == "x");
  CHECK(t[1].line == 2);
  CHECK(t[1].col == 2);  // a tab is one byte
  CHECK(t[3].col == 6);
  CHECK(t[4].kind == Tok::Newline);
  CHECK(t[5].text == "y");
  CHECK(t[5].line == 3);
  CHECK(t[5].col == 3);
}

TEST_CASE("newlines inside brackets continue the statement", "[lexer]") {
  Diagnostics d;
  auto t = lex_all("f(a,\n  b)\nc", d);
  REQUIRE_FALSE(d.has_errors());
  std::vector<Tok> kinds;
  for (const Token& x : t) kinds.push_back(x.kind);
  CHECK(kinds == std::vector<Tok>{Tok::Ident, Tok::LParen, Tok::Ident, Tok::Comma, Tok::Ident, Tok::RParen,
                                  Tok::Newline, Tok::Ident, Tok::End});
  CHECK(t[4].line == 2);
}

TEST_CASE("an unclosed bracket ends at a line starting with a keyword", "[lexer]") {
  Diagnostics d;
  auto t = lex_all("z = (a\nloss J = z", d);
  REQUIRE(t[4].kind == Tok::Newline);
  CHECK(t[5].text == "loss");
}

TEST_CASE("a number too small for a double reads as 0 or a subnormal, as numpy reads it", "[lexer]") {
  Diagnostics d;
  auto t = lex_all("x = 1e-400 + 4e-320 + 0.0000e-999", d);
  CHECK(d.errors().empty());
  CHECK(t[2].number == 0.0);
  CHECK(t[4].number == 4e-320);
  CHECK(t[6].number == 0.0);
}

TEST_CASE("lexical errors are located and reported", "[lexer]") {
  struct Case {
    std::string src;
    int col;
    std::string message;
  };
  std::vector<Case> cases = {
      {"x = 1e999", 5, "number out of range (the largest is 1.7976931348623157e308)"},
      {"x = 1e", 5, "malformed number '1e'"},
      {"x = 3abc", 5, "malformed number '3abc'; a name cannot start with a digit"},
      {std::string("x = \0", 5), 5, "unexpected NUL byte"},
      {"x = \xff", 5, "invalid UTF-8 byte 0xFF"},
      {"x = \xc3\xa9", 5, "unexpected character U+00E9 '\xc3\xa9'; outside comments a network is ASCII"},
      {"x =\xc2\xa0y", 4, "unexpected character U+00A0 (invisible); outside comments a network is ASCII; write a plain space"},
      {"x\xe2\x80\x8b = y", 2, "unexpected character U+200B (invisible); outside comments a network is ASCII"},
      {"x = \xe2\x80\xaey", 5, "unexpected character U+202E (invisible); outside comments a network is ASCII"},
      {"x = \xf0\x9f\x98\x80", 5, "unexpected character U+1F600 '\xf0\x9f\x98\x80'; outside comments a network is ASCII"},
      {"x = $", 5, "unexpected character '$'"},
      {"x = y ^ 2", 7, "unexpected character '^'; for a power write pow(x, p) or square(x)"},
      {"x = y;", 6, "unexpected character ';'; a statement ends at the end of its line"},
      {"x = 'y'", 5, "unexpected character \"'\"; names are not quoted: write activation=relu"},
      {"x = y \\", 7, "unexpected character '\\'; a statement continues onto the next line only inside (...) or [...]"},
      {"x = y \xe2\x88\x92 z", 7,
       "unexpected character U+2212 '\xe2\x88\x92'; outside comments a network is ASCII; write '-'"},
      {"x = y\xe1\xb5\x80", 6,
       "unexpected character U+1D40 '\xe1\xb5\x80'; outside comments a network is ASCII; write x.T for a transpose"},
      {"x = 1.5abc", 5, "malformed number '1.5abc'"},
      {"x = \x01", 5, "unexpected control character 0x01"},
      {"x # ok \xc3(", 8, "invalid UTF-8 byte 0xC3 in comment"},
      {"x # \xed\xa0\x80", 5, "invalid UTF-8 byte 0xED in comment"},  // a UTF-16 surrogate
  };
  for (const Case& c : cases) {
    Diagnostics d;
    lex_all(c.src, d);
    INFO(c.src);
    REQUIRE(d.errors().size() >= 1);
    CHECK(d.errors()[0].loc.line == 1);
    CHECK(d.errors()[0].loc.col == c.col);
    CHECK(d.errors()[0].message == c.message);
  }
}
