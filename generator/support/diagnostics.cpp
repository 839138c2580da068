// Rendering of located errors: header line, quoted source line, caret under the column.
#include "support/diagnostics.h"

#include "support/files.h"

#include <algorithm>
#include <string_view>

namespace gg {
namespace {

/// Length of the valid UTF-8 sequence starting at s[i], or 0 if it is not one.
size_t utf8_len(std::string_view s, size_t i) {
  auto b = static_cast<unsigned char>(s[i]);
  size_t n = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  return n;
}

/// The source line, one output byte per input byte so the caret stays aligned:
/// control bytes and invalid UTF-8 become '?', a trailing CR (CRLF files) is dropped.
std::string printable_line(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  std::string out;
  out.reserve(line.size());
  for (size_t i = 0; i < line.size();) {
    auto b = static_cast<unsigned char>(line[i]);
    size_t n = utf8_len(line, i);
    if (n > 1) {
      out.append(line.substr(i, n));
      i += n;
      continue;
    }
    out += (b == '\t' || (b >= 0x20 && b < 0x7F)) ? static_cast<char>(b) : '?';
    ++i;
  }
  return out;
}

/// Text of 1-based line `line` in `src` (empty past the end).
std::string_view line_of(std::string_view src, int line) {
  size_t start = 0;
  for (int l = 1; l < line; ++l) {
    size_t nl = src.find('\n', start);
    if (nl == std::string_view::npos) return {};
    start = nl + 1;
  }
  size_t end = src.find('\n', start);
  return src.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
}

// A line longer than this (a one-line JSON feed, say) is quoted as a window around the column.
constexpr size_t kMaxQuoted = 160;

void render_one(std::string& out, const Diagnostic& d, const std::string* source, const char* kind = "error") {
  out += d.loc.file == kStdinPath ? kStdinName : d.loc.file;
  if (d.loc.line > 0) out += ":" + std::to_string(d.loc.line) + ":" + std::to_string(d.loc.col);
  out += std::string(": ") + kind + ": " + d.message + "\n";
  if (!source || d.loc.line <= 0) return;
  std::string_view raw = line_of(*source, d.loc.line);
  size_t column = static_cast<size_t>(std::max(d.loc.col, 1)) - 1;  // 0-based byte of the caret
  std::string head, tail;
  if (raw.size() > kMaxQuoted) {
    size_t from = column > kMaxQuoted / 2 ? std::min(column - kMaxQuoted / 2, raw.size() - kMaxQuoted) : 0;
    size_t to = from + kMaxQuoted;
    auto continuation = [&](size_t i) { return i < raw.size() && (static_cast<unsigned char>(raw[i]) & 0xC0) == 0x80; };
    while (continuation(from)) ++from;  // never cut a UTF-8 sequence
    while (continuation(to)) ++to;
    if (from > 0) head = "...";
    if (to < raw.size()) tail = "...";
    column = column - from + head.size();
    raw = raw.substr(from, to - from);
  }
  std::string line = head + printable_line(raw) + tail;
  out += line + "\n";
  // One space per character before the column (columns count bytes, as Clang's do: a
  // character of several UTF-8 bytes gets one space); tabs are copied so the caret lands under
  // the column in a terminal too.
  std::string caret;
  for (size_t i = 0; i < column; ++i) {
    const bool continuation = i < line.size() && (static_cast<unsigned char>(line[i]) & 0xC0) == 0x80;
    if (!continuation) caret += i < line.size() && line[i] == '\t' ? '\t' : ' ';
  }
  out += caret + "^\n";
}

}  // namespace

void Diagnostics::error(SourceLoc loc, std::string message) {
  if (at_limit()) {
    ++dropped_;
    return;
  }
  errors_.push_back({std::move(loc), std::move(message)});
}

void Diagnostics::warning(SourceLoc loc, std::string message) {
  if (warnings_.size() < kMaxErrors) warnings_.push_back({std::move(loc), std::move(message)});
}

std::string Diagnostics::render_warnings() const {
  std::string out;
  for (const Diagnostic& d : warnings_) {
    auto it = sources_.find(d.loc.file);
    render_one(out, d, it == sources_.end() ? nullptr : &it->second, "warning");
  }
  return out;
}

void Diagnostics::add_source(const std::string& file, std::string text) { sources_[file] = std::move(text); }

std::string Diagnostics::render(const std::string& source) const {
  std::string out;
  for (const Diagnostic& d : errors_) render_one(out, d, &source);
  if (dropped_ || at_limit()) out += "error: too many errors; stopped after " + std::to_string(kMaxErrors) + "\n";
  return out;
}

std::string Diagnostics::render() const {
  std::string out;
  for (const Diagnostic& d : errors_) {
    auto it = sources_.find(d.loc.file);
    render_one(out, d, it == sources_.end() ? nullptr : &it->second);
  }
  if (dropped_ || at_limit()) out += "error: too many errors; stopped after " + std::to_string(kMaxErrors) + "\n";
  return out;
}

}  // namespace gg
