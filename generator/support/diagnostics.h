// Collected, located errors rendered as `FILE:LINE:COL: error: MESSAGE`, the source
// line, and a caret under the column (clang style).
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "support/source_loc.h"

namespace gg {

struct Diagnostic {
  SourceLoc loc;
  std::string message;
};

class Diagnostics {
 public:
  /// Past this many errors further ones are dropped (bounds the work on hostile input).
  static constexpr size_t kMaxErrors = 50;

  void error(SourceLoc loc, std::string message);
  bool has_errors() const { return !errors_.empty(); }
  /// True once kMaxErrors errors are recorded; callers stop looking for more.
  bool at_limit() const { return errors_.size() >= kMaxErrors; }
  const std::vector<Diagnostic>& errors() const { return errors_; }
  /// All errors in the order found; `source` is the file's text, for the quoted line.
  std::string render(const std::string& source) const;
  /// Remembers the text of `file` so that render() can quote it (front ends call this).
  void add_source(const std::string& file, std::string text);
  /// All errors in the order found, quoting lines from the sources added with add_source.
  std::string render() const;

  /// A located warning: printed (render_warnings) but not an error; the input is accepted.
  void warning(SourceLoc loc, std::string message);
  const std::vector<Diagnostic>& warnings() const { return warnings_; }
  /// `FILE:LINE:COL: warning: MESSAGE`, the quoted line and a caret, for each warning.
  std::string render_warnings() const;

 private:
  std::vector<Diagnostic> errors_, warnings_;
  size_t dropped_ = 0;
  std::map<std::string, std::string> sources_;
};

}  // namespace gg
