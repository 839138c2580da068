// A position in a source file (1-based line and column, in bytes).
#pragma once

#include <string>

namespace gg {

struct SourceLoc {
  std::string file;
  int line = 0;
  int col = 0;
};

/// "LINE:COL", as messages refer to another place in the same file.
inline std::string line_col(const SourceLoc& l) { return std::to_string(l.line) + ":" + std::to_string(l.col); }

}  // namespace gg
