// A position in a source file (1-based line and column, in bytes).
#pragma once

#include <string>

namespace gg {

struct SourceLoc {
  std::string file;
  int line = 0;
  int col = 0;
};

}  // namespace gg
