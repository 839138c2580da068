// The gradgen version string, shared by the CLI and the banners of generated files.
#include "support/version.h"

namespace gg {
const char* version() { return "0.1.0"; }
}  // namespace gg
