// Hostile feeds: random mutations of a valid FEED.json through `eval --interp` end in a result
// or in an error that names the feed, never in a crash, a hang, an internal error or a
// sanitizer report (the .grad side has its own fuzzer in tests/errors).
#include <catch2/catch.hpp>

#include <cstring>
#include <iterator>
#include <random>

#include "run.h"

using namespace gg::test;

namespace {

const char* const kNetwork = R"(network fz
dim n
input X[n, 3]
target Y[n, 2]
param W[3, 2]
param b[2]
param s[]
z = X @ W + b * s
output p = softmax(z)
loss L = cross_entropy(z, Y)
grad X
)";

const char* const kFeed = R"({"X": [[1, 2.5, -3e-2], [0.5, 1e3, 7]],
 "Y": [[0, 1], [1, 0]],
 "W": [[0.1, 0.2], [0.3, -0.4], [1E-1, 5]],
 "s": 2.0}
)";

// The number at or after `pos` (if any) replaced by another JSON value: the text stays JSON
// and the mutation reaches the checks of values and shapes.
std::string replace_number(std::string s, size_t pos, std::mt19937& rng) {
  static const char* const kValues[] = {"1e999", "-0", "null", "[]", "[1, 2]", "\"a\"", "{}", "1e-400",
                                        "[[1]]", "true", "-1e38", "123456789012345678901234567890"};
  const size_t start = s.find_first_of("-0123456789", pos);
  if (start == std::string::npos) return s;
  const size_t end = s.find_first_not_of("-+.eE0123456789", start);
  return s.replace(start, end - start, kValues[rng() % std::size(kValues)]);
}

// One to four edits: a byte replaced, a JSON-ish token inserted, bytes erased, a piece of the
// feed copied elsewhere, the rest cut off, or a number replaced by another JSON value.
std::string mutate(std::string s, std::mt19937& rng) {
  static const char* const kTokens[] = {"{",  "}",  "[",  "]",     ",",     ":",     "\"",    "-",  ".",   "e",
                                        "0",  "9",  " ",  "\n",    "null",  "true",  "1e999", "-0", "NaN", "\"X\"",
                                        "[]", "{}", "\\u0000", "\x80", "\xff", "\"W\"", "1e-400", "\t"};
  const int edits = 1 + static_cast<int>(rng() % 4);
  for (int e = 0; e < edits && !s.empty(); ++e) {
    const size_t pos = rng() % s.size();
    switch (rng() % 7) {
      case 5:
      case 6: s = replace_number(s, pos, rng); break;
      case 0: s[pos] = static_cast<char>(rng() % 256); break;
      case 1: s.insert(pos, kTokens[rng() % std::size(kTokens)]); break;
      case 2: s.erase(pos, 1 + rng() % 6); break;
      case 3: s.insert(pos, s.substr(rng() % s.size(), rng() % 20)); break;
      default: s.resize(pos); break;
    }
  }
  return s;
}

}  // namespace

TEST_CASE("random mutations of a valid feed end in a result or an error naming the feed", "[cli][fuzz]") {
  Scratch s;
  const std::string net = s.write("fz.grad", kNetwork);
  const std::string valid = s.write("valid.json", kFeed);
  // The seed feed itself evaluates: the mutations start from a working input.
  REQUIRE(gradgen({"eval", net, "--feed", valid, "--interp"}).status == 0);
  std::mt19937 rng(20261201);
  int results = 0, errors = 0;
  // Each run is a process (about 0.5 s under ASan): few enough to keep the suite short.
  for (int iter = 0; iter < 100; ++iter) {
    // Every other feed changes one value only and stays JSON.
    const std::string text = iter % 2 ? mutate(kFeed, rng) : replace_number(kFeed, rng() % std::strlen(kFeed), rng);
    const std::string feed = s.write("feed.json", text);
    const Result r = gradgen({"eval", net, "--feed", feed, "--interp"});
    INFO("feed:\n" << text << "\nstatus " << r.status << "\nstderr:\n" << r.err);
    REQUIRE_FALSE(r.hung);
    REQUIRE((r.status == 0 || r.status == 1));
    REQUIRE_FALSE(has(r.err, "internal error"));
    REQUIRE_FALSE(has(r.err, "Sanitizer"));
    REQUIRE_FALSE(has(r.err, "runtime error"));
    if (r.status == 0) {
      // A result may carry a note (a loss of 1e38² is printed as null, and the note says why).
      CHECK((r.err.empty() || r.err.rfind("note: ", 0) == 0));
      CHECK(r.out.rfind("{\"loss\": ", 0) == 0);
      ++results;
    } else {
      // FEED.json:L:C: error: ..., or (a missing input) gradgen: error: FEED.json: ...
      CHECK((r.err.rfind(feed + ":", 0) == 0 || r.err.rfind("gradgen: error: " + feed + ": ", 0) == 0));
      CHECK(has(r.err, "error: "));
      CHECK(r.out.empty());
      ++errors;
    }
  }
  // Both outcomes occur, so the checks of each ran.
  CHECK(results > 0);
  CHECK(errors > 0);
}
