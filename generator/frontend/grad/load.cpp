// load_grad: parse, check and lower a .grad file statement by statement.
#include "frontend/grad/load.h"

#include "frontend/grad/lower.h"
#include "frontend/grad/parser.h"
#include "support/files.h"

namespace gg {
std::optional<Program> load_grad(std::string_view text, const std::string& filename, Diagnostics& diags) {
  diags.add_source(filename, std::string(text));
  size_t before = diags.errors().size();
  if (diags.at_limit()) return std::nullopt;
  Program p;
  p.source_file = filename;
  try {
    grad::Parser parser(text, filename, diags);
    grad::Lowerer lower(p, diags, filename);
    while (auto s = parser.next()) lower.statement(*s);
    if (!diags.at_limit()) lower.finish();
    p.source_numbers = parser.numbers();
  } catch (const std::exception& e) {
    // Every user error is a diagnostic; reaching here is a gradgen bug, reported not thrown.
    diags.error({filename, 1, 1}, std::string("internal error while reading the network: ") + e.what());
  }
  if (diags.errors().size() != before || diags.at_limit()) return std::nullopt;
  return p;
}

std::optional<Program> load_grad_file(const std::string& path, Diagnostics& diags) {
  std::string text, why;
  if (!read_input_file(path, text, why)) {
    diags.error({path, 1, 1}, "cannot read '" + path + "': " + why);
    return std::nullopt;
  }
  return load_grad(text, path, diags);
}

}  // namespace gg
