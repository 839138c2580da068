// The .grad front end's entry point: source text in, Program (or located diagnostics) out.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "ir/program.h"
#include "support/diagnostics.h"

namespace gg {

/// Lexes, parses, checks shapes and lowers `text` into a Program. On any error returns
/// nullopt with every error found recorded in `diags` (several per run where it can recover).
/// `filename` is used in locations and Program::source_file exactly as given.
std::optional<Program> load_grad(std::string_view text, const std::string& filename, Diagnostics& diags);

/// Reads `path` then load_grad; an unreadable file is a diagnostic at `path:1:1`.
std::optional<Program> load_grad_file(const std::string& path, Diagnostics& diags);

}  // namespace gg
