// Identifier tests on text of any length. std::regex recurses once per character in
// libstdc++, so a 30,000-character name overflowed the stack; these loops do not.
#pragma once

#include <string_view>

namespace gg {

/// [A-Za-z0-9_]: a character of an identifier (ASCII, whatever the locale).
inline bool is_word_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/// [A-Za-z_][A-Za-z0-9_]*: a C / C++ / .grad identifier.
bool is_identifier(std::string_view s);

/// Whether `word` occurs in `text` as a whole identifier (not inside a longer one).
bool mentions_word(std::string_view text, std::string_view word);

}  // namespace gg
