// "did you mean 'W2'?" for misspelt names, by edit distance.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gg::grad {

/// Levenshtein distance, giving up (returning limit + 1) once it must exceed `limit`.
size_t edit_distance(std::string_view a, std::string_view b, size_t limit);

/// "; did you mean 'W2'?" for the closest candidate within a small distance, else "".
/// Candidates come in declaration order; ties go to the latest (the name most likely meant
/// is the one just written: W3 -> W2 rather than W1), so the output is deterministic.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

/// The candidate did_you_mean would suggest, if any.
std::optional<std::string> closest(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace gg::grad
