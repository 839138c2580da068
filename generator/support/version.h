// The gradgen version string.
#pragma once

namespace gg {
const char* version();
}  // namespace gg
