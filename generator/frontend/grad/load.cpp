// load_grad: parse, check and lower a .grad file statement by statement.
#include "frontend/grad/load.h"

#include "frontend/grad/lexer.h"
#include "frontend/grad/lower.h"
#include "frontend/grad/parser.h"
#include "support/files.h"

namespace gg {
namespace {

// The numbers of a source that lexes without errors, each with its place.
std::vector<std::pair<double, SourceLoc>> numbers_in(std::string_view text, const std::string& filename) {
  Diagnostics quiet;
  grad::Lexer lexer(text, filename, quiet);
  std::vector<std::pair<double, SourceLoc>> numbers;
  for (grad::Token t = lexer.next(); t.kind != grad::Tok::End; t = lexer.next())
    if (t.kind == grad::Tok::Number) numbers.emplace_back(t.number, lexer.loc(t));
  return numbers;
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
    while (auto s = parser.next()) lower.statement(*s);
    if (!diags.at_limit()) lower.finish();
  } catch (const std::exception& e) {
    // Every user error is a diagnostic; reaching here is a gradgen bug, reported not thrown.
    diags.error({filename, 1, 1}, std::string("internal error while reading the network: ") + e.what());
  }
  if (diags.errors().size() != before || diags.at_limit()) return std::nullopt;
  p.source_numbers = numbers_in(text, filename);
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
