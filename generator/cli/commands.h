// The subcommands. Each lives in its own file and registers itself on the root app; main.cpp
// lists them (adding one is one line there).
#pragma once

#include "cli/common.h"

namespace gg::cli {

Subcommand add_explain(CLI::App& root);
Subcommand add_graph(CLI::App& root);
Subcommand add_check(CLI::App& root);
Subcommand add_eval(CLI::App& root);

}  // namespace gg::cli
