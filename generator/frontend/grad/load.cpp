// load_grad: parse, check and lower a .grad file statement by statement.
#include "frontend/grad/load.h"

#include <map>

#include "frontend/grad/lower.h"
#include "frontend/grad/parser.h"
#include "support/files.h"

namespace gg {
namespace {

// Where each name is first defined or declared, from a quiet first parse (its errors are the
// real parse's to report).
std::map<std::string, SourceLoc> definitions_in(std::string_view text, const std::string& filename) {
  Diagnostics quiet;
  grad::Parser parser(text, filename, quiet);
  std::map<std::string, SourceLoc> defined;
  while (auto s = parser.next())
    if (s->kind != grad::StmtKind::Grad && s->kind != grad::StmtKind::Broken && s->kind != grad::StmtKind::Network)
      for (const grad::Ident& id : s->names) defined.emplace(id.name, id.loc);
  return defined;
}

}  // namespace

std::optional<Program> load_grad(std::string_view text, const std::string& filename, Diagnostics& diags) {
  diags.add_source(filename, std::string(text));
  size_t before = diags.errors().size();
  if (diags.at_limit()) return std::nullopt;
  Program p;
  p.source_file = filename;
  try {
    grad::Parser parser(text, filename, diags);
    grad::Lowerer lower(p, diags, filename);
    lower.expect_definitions(definitions_in(text, filename));
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
