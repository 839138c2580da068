// Skeleton texts of the generated files (templates/*.in), embedded into the binary at build
// time by cmake/EmbedTemplates.cmake and filled with fmt named arguments.
#pragma once

#include <string_view>

namespace gg::cpp {

/// The text of templates/<name>, e.g. "network.hpp.in". Throws std::logic_error if unknown.
std::string_view template_text(std::string_view name);

}  // namespace gg::cpp
