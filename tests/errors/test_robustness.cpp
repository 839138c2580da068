// Hostile input: every byte sequence gives diagnostics (never a crash, a hang or an
// escaping exception), quickly. Generated cases plus a seeded mutation fuzzer.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <random>

#include "frontend/grad/load.h"

using namespace gg;

namespace {

const std::string kValid = R"(network seed
precision f64
dim n
input  X[n, 2]
target Y[n, 1]
param W1[2, 3] init=uniform(-0.5, 0.5) lr=0.1
param b1[3]    init=zeros
param W2[3, 1] init=xavier_normal
param b2[1]    init=constant(0.1)
const half = 0.5
z2 = X @ W1 + b1
a2 = leaky_relu(z2, alpha=0.2) * half
h  = dense(a2, 4, activation=tanh)
z3 = (h @ dense_like_W.T + b2)
p  = softmax(z3, axis=-1)
s  = sum(a2 * a2, axis=1)
output yhat = z3
loss J = mse(z3, Y) + 0.01 * mean(pow(W1, 2))
grad X
optimizer adam(lr=0.001,
               beta1=0.9)
)";

struct Result {
  bool ok;
  std::vector<Diagnostic> errors;
  std::string rendered;
  double secs;
};

Result run(const std::string& text) {
  Diagnostics d;
  auto t0 = std::chrono::steady_clock::now();
  auto p = load_grad(text, "f.grad", d);
  std::string r = d.render(text);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return {p.has_value(), d.errors(), r, secs};
}

void require_error(const std::string& text, int line, int col, const std::string& message) {
  Result r = run(text);
  INFO(r.rendered);
  CHECK_FALSE(r.ok);
  REQUIRE_FALSE(r.errors.empty());
  CHECK(r.errors[0].loc.line == line);
  CHECK(r.errors[0].loc.col == col);
  CHECK_THAT(r.errors[0].message, Catch::Contains(message));
  // A hang guard, not a speed test: these inputs take ~0.05 s in Release and ~1 s under ASan on
  // a loaded host (the 1 s bound failed there); a quadratic front end would take far longer.
  CHECK(r.secs < 10.0);
}

const std::string kHead = "network t\ndim n\ninput X[n, 2]\n";

}  // namespace

TEST_CASE("the fuzz seed itself is valid apart from one unknown name", "[robust]") {
  Result r = run(kValid);
  INFO(r.rendered);
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].message == "unknown name 'dense_like_W'");
}

TEST_CASE("empty and blank files", "[robust]") {
  require_error("", 1, 1, "empty network description");
  require_error("\n\n   \n", 1, 1, "empty network description");
  require_error("\r\n# only a comment\r\n", 1, 1, "empty network description");
}

TEST_CASE("NUL bytes and invalid UTF-8 are located", "[robust]") {
  require_error(kHead + std::string("x = X\0+ 1\n", 10), 4, 6, "unexpected NUL byte");
  require_error(kHead + "x = X + \xc3\x28\n", 4, 9, "invalid UTF-8 byte 0xC3");
  require_error(kHead + "x = X # \xe2\x82\n", 4, 9, "invalid UTF-8 byte 0xE2 in comment");
  require_error(kHead + "x = X # \xc0\xaf overlong\n", 4, 9, "invalid UTF-8 byte 0xC0 in comment");
  // A byte order mark opening the file is skipped (columns count from after it); anywhere else
  // it is a stray character.
  require_error(std::string("\xef\xbb\xbfnetwork t\n\xef\xbb\xbf\n"), 2, 1, "unexpected character");
  require_error(std::string("\xef\xbb\xbfnetwork t\n"), 1, 1, "no loss defined");
  // A comment full of bad bytes is one error, not one per byte.
  Result r = run(kHead + "# " + std::string(1000, '\xff') + "\nloss L = sum(X)\n");
  CHECK(r.errors.size() == 1);
}

TEST_CASE("deep nesting is refused with a clear error, not a stack overflow", "[robust]") {
  require_error(kHead + "x = " + std::string(100000, '(') + "X" + std::string(100000, ')') + "\n", 4, 261,
                "nested too deeply");
  require_error(kHead + "x = " + std::string(100000, '-') + "X\n", 4, 261, "nested too deeply");
  std::string calls;
  for (int i = 0; i < 50000; ++i) calls += "exp(";
  require_error(kHead + "x = " + calls + "X" + std::string(50000, ')') + "\n", 4, 1032, "nested too deeply");
  std::string chain = "x = X";
  for (int i = 0; i < 100000; ++i) chain += " + X";
  // The 1025th operator is refused (the README: a chain of at most 1024 operators); 1024 load.
  require_error(kHead + chain + "\n", 4, 4103,
                "expression is too deep (more than 1024 levels: each operator of a chain such as a + b + c is one)");
  Result at_limit = run(kHead + chain.substr(0, 5 + 4 * 1024) + "\nloss L = sum(x)\n");
  CHECK(at_limit.errors.empty());
  require_error(kHead + "x = " + std::string(100000, '[') + "\n", 4, 5, "expected an expression, got '['");
}

TEST_CASE("number and dimension overflow", "[robust]") {
  require_error(kHead + "const c = 1e999\n", 4, 11, "number out of range");
  require_error(kHead + "const c = " + std::string(5000, '9') + "\n", 4, 11, "number out of range");
  require_error(kHead + "param W[99999999999999999999, 2]\n", 4, 9, "is too large");
  require_error(kHead + "param W[1099511627776, 2]\n", 4, 7, "too many elements");
  require_error(kHead + "param W[65536, 65536, 65536, 65536]\n", 4, 7, "too many elements");
  std::string ones = "1";
  for (int i = 0; i < 100000; ++i) ones += ", 1";
  require_error(kHead + "param W[" + ones + "]\n", 4, 7, "'W' has 100001 dimensions (at most 32)");
}

TEST_CASE("very long lines, CR/LF and tabs", "[robust]") {
  std::string name(200000, 'a');
  require_error(kHead + "x = X + " + name + "\n", 4, 9, "unknown name '" + name.substr(0, 10));
  require_error("network t\r\ndim n\r\ninput X[n, 2]\r\nx = X +\tQ\r\n", 4, 9, "unknown name 'Q'");
  Result r = run("network t\r\ndim n\r\ninput X[n, 2]\r\nx = X +\tQ\r\n");
  CHECK(r.rendered.find("x = X +\tQ\n       \t^\n") != std::string::npos);
}

TEST_CASE("many errors: recovery, no cascades, and a cap", "[robust][recovery]") {
  // Three independent mistakes, each reported once; uses of the broken names stay silent.
  Result r = run(kHead +
                 "a = X @@ X\n"          // syntax error: a is poisoned
                 "b = a + Wz\n"          // Wz unknown (reported), a silent
                 "c = b + Wz + a\n"      // b failed, Wz already reported: silent
                 "d = sigmod(X)\n"       // unknown function
                 "loss J = mean(d + c)\n");
  INFO(r.rendered);
  REQUIRE(r.errors.size() == 3);
  CHECK(r.errors[0].loc.line == 4);
  CHECK(r.errors[1].message == "unknown name 'Wz'");
  CHECK(r.errors[2].message == "unknown function 'sigmod'; did you mean 'sigmoid'?");
  // Thousands of bad lines stop at the cap, in linear time.
  std::string many = kHead;
  for (int i = 0; i < 20000; ++i) many += "q" + std::to_string(i) + " = X + nope" + std::to_string(i) + "\n";
  Result m = run(many);
  CHECK(m.errors.size() == Diagnostics::kMaxErrors);
  CHECK(m.rendered.find("too many errors") != std::string::npos);
  CHECK(m.secs < 10.0);  // a hang guard (see require_error), not a speed test
}

TEST_CASE("random mutations of a valid file never escape diagnostics", "[robust][fuzz]") {
  std::mt19937 rng(20240611);
  const std::string alphabet = "()[],=+-*/@.#\n\r\t 019eE_aXTn\x80\xc3\xff";
  auto start = std::chrono::steady_clock::now();
  int failures = 0;
  double slowest = 0;
  for (int iter = 0; iter < 2500; ++iter) {
    std::string s = kValid;
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !s.empty(); ++e) {
      size_t pos = rng() % s.size();
      switch (rng() % 4) {
        case 0: s[pos] = static_cast<char>(rng() % 256); break;
        case 1: s.insert(pos, 1, alphabet[rng() % alphabet.size()]); break;
        case 2: s.erase(pos, 1 + rng() % 8); break;
        default: s.insert(pos, s.substr(rng() % s.size(), rng() % 16)); break;
      }
    }
    Diagnostics d;
    auto t0 = std::chrono::steady_clock::now();
    try {
      auto p = load_grad(s, "fuzz.grad", d);
      std::string out = d.render(s);
      // A result is a program or at least one error, never neither.
      if (p.has_value() == d.has_errors()) ++failures;
      for (const Diagnostic& x : d.errors())
        if (x.loc.line < 1 || x.loc.col < 1 || x.message.find("internal error") != std::string::npos) ++failures;
    } catch (...) {
      ++failures;
    }
    slowest = std::max(slowest, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(failures == 0);
  CHECK(slowest < 2.5);  // no input is pathologically slow (a hang guard: generous for ASan on a loaded host)
  CHECK(secs < 60.0);     // a hang detector; a Debug build takes a few seconds
}
