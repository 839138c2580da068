// Closest-name suggestions for diagnostics.
#include "frontend/grad/suggest.h"

#include <algorithm>
#include <cctype>
#include <utility>

namespace gg::grad {

size_t edit_distance(std::string_view a, std::string_view b, size_t limit) {
  size_t diff = a.size() > b.size() ? a.size() - b.size() : b.size() - a.size();
  if (diff > limit) return limit + 1;
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    size_t row_min = cur[0];
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
      row_min = std::min(row_min, cur[j]);
    }
    if (row_min > limit) return limit + 1;
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  const std::optional<std::string> best = closest(word, candidates);
  return best ? "; did you mean '" + *best + "'?" : "";
}

namespace {

// Lower case without underscores: ReLU, LeakyReLU and CrossEntropy are relu, leaky_relu and
// cross_entropy written the way PyTorch's classes are.
std::string folded(std::string_view w) {
  std::string out;
  for (char c : w)
    if (c != '_') out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Names from PyTorch, Keras and numpy for what gradgen calls otherwise (keys folded).
constexpr std::pair<std::string_view, std::string_view> kOtherNames[] = {
    {"glorot", "xavier_uniform"},
    {"glorotuniform", "xavier_uniform"},
    {"xavier", "xavier_uniform"},
    {"glorotnormal", "xavier_normal"},
    {"kaiming", "he_uniform"},
    {"kaiminguniform", "he_uniform"},
    {"he", "he_uniform"},
    {"kaimingnormal", "he_normal"},
    {"learningrate", "lr"},
    {"dim", "axis"},
    {"negativeslope", "alpha"},
    {"mseloss", "mse"},
    {"meansquarederror", "mse"},
    {"crossentropyloss", "cross_entropy"},
    {"categoricalcrossentropy", "cross_entropy"},
    {"binarycrossentropy", "bce"},
    {"bceloss", "bce"},
    {"binarycrossentropywithlogits", "bce_logits"},
    {"bcewithlogits", "bce_logits"},
    {"bcewithlogitsloss", "bce_logits"},
};

}  // namespace

std::optional<std::string> closest(std::string_view word, const std::vector<std::string>& candidates) {
  // Long words are not typos of short names; skipping them keeps hostile input cheap.
  if (word.empty() || word.size() > 64) return std::nullopt;
  const std::string key = folded(word);
  for (const auto& [other, ours] : kOtherNames)
    if (key == other && std::find(candidates.begin(), candidates.end(), ours) != candidates.end())
      return std::string(ours);
  for (auto c = candidates.rbegin(); c != candidates.rend(); ++c)  // the latest, as below
    if (*c != word && folded(*c) == key) return *c;
  size_t limit = std::clamp<size_t>(word.size() / 2, 1, 3);
  const std::string* best = nullptr;
  size_t best_d = limit + 1;
  for (const std::string& c : candidates) {
    if (c == word) continue;
    size_t d = edit_distance(word, c, limit);
    // A one-letter word is at distance 1 from every other one: no suggestion then.
    if (d > limit || d >= word.size()) continue;
    if (d <= best_d) {
      best = &c;
      best_d = d;
    }
  }
  return best ? std::optional<std::string>(*best) : std::nullopt;
}

}  // namespace gg::grad
