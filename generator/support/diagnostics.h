// Collected, located errors rendered as `FILE:LINE:COL: error: MESSAGE`, the source
// line, and a caret under the column (clang style).
#pragma once

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
  void error(SourceLoc loc, std::string message);
  bool has_errors() const { return !errors_.empty(); }
  const std::vector<Diagnostic>& errors() const { return errors_; }
  /// All errors in the order found; `source` is the file's text, for the quoted line.
  std::string render(const std::string& source) const;

 private:
  std::vector<Diagnostic> errors_;
};

}  // namespace gg
