// The error corpus: every tests/errors/corpus/*.grad names its first diagnostic in a
// first-line `# expect: LINE:COL: MESSAGE-SUBSTRING` comment; this test checks it, the
// rendered form (FILE:LINE:COL: error:, the source line, a caret under the column) and speed.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "frontend/grad/load.h"

using namespace gg;
namespace fs = std::filesystem;

namespace {

struct Expect {
  int line = 0;
  int col = 0;
  std::string message;
};

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

Expect parse_expect(const std::string& text) {
  const std::string tag = "# expect: ";
  REQUIRE(text.rfind(tag, 0) == 0);
  std::string line = text.substr(tag.size(), text.find('\n') - tag.size());
  if (!line.empty() && line.back() == '\r') line.pop_back();
  Expect e;
  size_t c1 = line.find(':');
  size_t c2 = line.find(':', c1 + 1);
  e.line = std::stoi(line.substr(0, c1));
  e.col = std::stoi(line.substr(c1 + 1, c2 - c1 - 1));
  e.message = line.substr(c2 + 2);
  return e;
}

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

/// Loads `text`, checks the first diagnostic and its rendering; returns the seconds taken.
double check_first_error(const std::string& file, const std::string& text, const Expect& want) {
  Diagnostics d;
  auto t0 = std::chrono::steady_clock::now();
  auto prog = load_grad(text, file, d);
  std::string out = d.render(text);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  INFO(file << "\n" << out);
  CHECK_FALSE(prog.has_value());
  REQUIRE(d.has_errors());
  const Diagnostic& first = d.errors()[0];
  CHECK(first.loc.file == file);
  CHECK(first.loc.line == want.line);
  CHECK(first.loc.col == want.col);
  CHECK_THAT(first.message, Catch::Contains(want.message));
  auto lines = lines_of(out);
  REQUIRE(lines.size() >= 3);
  std::string prefix = file + ":" + std::to_string(want.line) + ":" + std::to_string(want.col) + ": error: ";
  CHECK(lines[0] == prefix + first.message);
  // The quoted line is the source line (without a CRLF's CR); the caret sits under the column.
  std::vector<std::string> src = lines_of(text);
  std::string quoted = want.line <= static_cast<int>(src.size()) ? src[static_cast<size_t>(want.line - 1)] : "";
  if (!quoted.empty() && quoted.back() == '\r') quoted.pop_back();
  if (std::all_of(quoted.begin(), quoted.end(), [](char c) { return c == '\t' || (c >= 0x20 && c < 0x7f); }))
    CHECK(lines[1] == quoted);
  CHECK(lines[2].size() == static_cast<size_t>(want.col));
  CHECK(lines[2].back() == '^');
  CHECK(lines[2].find_first_not_of(" \t") == static_cast<size_t>(want.col - 1));
  return secs;
}

}  // namespace

TEST_CASE("every corpus file gives its expected first diagnostic", "[errors]") {
  fs::path dir = fs::path(GG_SOURCE_DIR) / "tests" / "errors" / "corpus";
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".grad") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() >= 40);
  for (const fs::path& f : files) {
    std::string text = read(f);
    SECTION(f.filename().string()) {
      double secs = check_first_error(f.filename().string(), text, parse_expect(text));
      CHECK(secs < 5.0);  // a hang guard, not a speed test (ASan on a loaded host is ~20x Release)
    }
  }
}

// A very long line (a one-line JSON feed, a generated .grad) is quoted as a window around the
// column, cut on UTF-8 boundaries, with the caret still under the column.
TEST_CASE("a long source line is quoted as a window around the column", "[errors]") {
  std::string line = std::string(300, 'a') + "é" + std::string(300, 'b') + "X" + std::string(500, 'c');
  const int col = 300 + 2 + 300 + 1;  // the X, 1-based bytes
  Diagnostics d;
  d.error({"f.json", 2, col}, "here");
  auto out = lines_of(d.render("first\n" + line + "\nlast\n"));
  REQUIRE(out.size() == 3);
  CHECK(out[0] == "f.json:2:" + std::to_string(col) + ": error: here");
  CHECK(out[1].rfind("...", 0) == 0);
  CHECK(out[1].size() == 3 + 160 + 3);
  CHECK(out[1].substr(out[1].size() - 3) == "...");
  REQUIRE(out[2].size() <= out[1].size());
  CHECK(out[1][out[2].size() - 1] == 'X');
  CHECK(out[2].back() == '^');
  // Near the start of the line: no leading "...", the caret at its own column; a window edge
  // that would fall inside "é" moves past it.
  Diagnostics near;
  near.error({"f.json", 1, 3}, "start");
  auto head = lines_of(near.render(line));
  CHECK(head[1].rfind("aaa", 0) == 0);
  CHECK(head[2] == "  ^");
  Diagnostics cut;
  cut.error({"f.json", 1, 382}, "cut");  // window from 301: the second byte of "é"
  auto mid = lines_of(cut.render(line));
  CHECK(mid[1].rfind("...b", 0) == 0);
  CHECK(mid[1][mid[2].size() - 1] == 'b');
}

// `Input X[2, 2]` was "expected '=' after the name, got 'X'" and then "unknown name 'X'" at each
// use; a misspelt `loss` or `network` was also reported missing.
TEST_CASE("a misspelt statement keyword is one error with a hint, and no cascade", "[errors]") {
  struct Case {
    std::string text, message;
  };
  const std::vector<Case> cases{
      {"network k\nInput X[2, 2]\nloss J = sum(X)\n", "unknown statement 'Input'; did you mean 'input'?"},
      {"network k\ninptu X[2, 2]\nloss J = sum(X * X)\n", "unknown statement 'inptu'; did you mean 'input'?"},
      {"network k\ninput X[2, 2]\nparm W[2, 2]\nloss J = sum(X @ W)\n", "unknown statement 'parm'; did you mean 'param'?"},
      {"network k\ninput X[2, 2]\nlos J = sum(X)\n", "unknown statement 'los'; did you mean 'loss'?"},
      {"networ k\ninput X[2, 2]\nloss J = sum(X)\n", "unknown statement 'networ'; did you mean 'network'?"},
      {"network k\ninput X[2, 2]\nloss J = sum(X)\noptimzer sgd(lr=0.1)\n", "unknown statement 'optimzer'; did you mean 'optimizer'?"},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    Diagnostics d;
    CHECK_FALSE(load_grad(c.text, "k.grad", d));
    REQUIRE(d.errors().size() == 1);
    CHECK(d.errors()[0].message == c.message);
  }
  // A name that is like no keyword is a definition missing its '='.
  Diagnostics d;
  CHECK_FALSE(load_grad("network k\ninput X[2, 2]\nz2 X * 2\nloss J = sum(z2)\n", "k.grad", d));
  REQUIRE(d.errors().size() == 1);
  CHECK(d.errors()[0].message == "expected '=' after the name, got 'X'");
}

// A failed statement reports once: the loss without its name is not also "no loss defined",
// the params a failed dense would have made, a built-in's name declared and a definition
// after a stray word are not also "unknown name".
TEST_CASE("a failed statement gives one error, not follow-on ones", "[errors]") {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"network t\ninput X[2]\nloss = sum(X)\n", "expected a name after 'loss': loss NAME = EXPR"},
      {"network t\ninput X[2, 3]\nh = dense(X, 0)\nloss L = sum(h @ h_W) + sum(h_b)\n",
       "units must be a positive integer, got 0"},
      // A built-in's name declared: its later uses as a name are silent (sum(...) still calls).
      {"network t\ndim sum\ninput X[sum, 2]\nloss L = sum(X)\n", "'sum' is a built-in function and cannot be used as a name"},
      // A loss swallowed by the line before it is there: not also "no loss defined".
      {"network t\ninput X[2] loss L = sum(X)\n", "expected '=' after the option name, got 'L'"},
      // The loss line twice: once "already defined", not also "only one loss".
      {"network t\ninput X[2]\nloss L = sum(X)\nloss L = sum(X)\n", "'L' is already defined (at 3:6)"},
      // A word before a definition: its name is not also unknown later.
      {"network t\ninput X[2]\nlet z = X * 2\nloss L = sum(z)\n",
       "unknown word 'let' before the definition of 'z' (a definition is NAME = EXPR)"},
      // A bad line ending in two names: the next line is still read (it was skipped, so
      // 'z' was unknown and the loss missing).
      {"network t\ninput X[2]\nfoo bar\nz = X * 2\nloss L = sum(z)\n", "expected '=' after the name, got 'bar'"},
      {"network t\ninput X[2]\nfoo bar\nloss L = sum(X)\n", "expected '=' after the name, got 'bar'"},
      {"network t\ninput X[2]\ndef f(x):\nz = X * 2\nloss L = sum(z)\n",
       "'def' is not a .grad statement: a line is NAME = EXPR or starts with one of network, precision, dim, input, "
       "target, param, const, output, loss, grad, optimizer"},
      // A keyword declared as a dim: its uses in shapes are not also "unknown dimension".
      {"network t\ndim input\ninput X[input, 2]\nloss L = sum(X)\n", "'input' is a keyword and cannot be used as a name"},
      // A dim declared after its use: once, at the first use.
      {"network t\ninput X[n, 2]\ninput Z[n, 2]\ndim n\nloss L = sum(X) + sum(Z)\n",
       "dimension 'n' is used before its declaration (at 4:5); declare it with 'dim' before its first use"},
  };
  for (const auto& [text, message] : cases) {
    Diagnostics d;
    CHECK_FALSE(load_grad(text, "t.grad", d).has_value());
    INFO(d.render(text));
    REQUIRE(d.errors().size() == 1);
    CHECK(d.errors()[0].message == message);
  }
}
