// load_grad: parse a .grad file, then check and lower it statement by statement.
#include "frontend/grad/load.h"

#include <map>
#include <utility>
#include <vector>

#include "frontend/grad/lower.h"
#include "frontend/grad/parser.h"
#include "support/files.h"

namespace gg {
namespace {
// A lone '\r' (classic Mac OS line ends) ends a line as '\n' does; the byte count, and so every
// column, stays the same.
std::string with_lf_line_ends(std::string_view raw) {
  std::string text(raw);
  for (size_t i = 0; i < text.size(); ++i)
    if (text[i] == '\r' && (i + 1 == text.size() || text[i + 1] != '\n')) text[i] = '\n';
  return text;
}
}  // namespace

std::optional<Program> load_grad(std::string_view raw, const std::string& filename, Diagnostics& diags) {
  const std::string text = with_lf_line_ends(raw);
  diags.add_source(filename, text);
  size_t before = diags.errors().size();
  if (diags.at_limit()) return std::nullopt;
  Program p;
  p.source_file = filename;
  try {
    // The whole file is parsed first, so that a name used before its definition can say where
    // that is; the parse errors are passed on statement by statement, keeping source order.
    Diagnostics parse_errors;
    grad::Parser parser(text, filename, parse_errors);
    std::vector<std::pair<grad::Stmt, size_t>> statements;  // with the parse errors up to its end
    while (auto s = parser.next()) statements.emplace_back(std::move(*s), parse_errors.errors().size());
    std::map<std::string, SourceLoc> defined;
    for (const auto& [s, errors] : statements)
      if (s.kind != grad::StmtKind::Grad && s.kind != grad::StmtKind::Broken && s.kind != grad::StmtKind::Network)
        for (const grad::Ident& id : s.names) defined.emplace(id.name, id.loc);
    for (const Diagnostic& w : parse_errors.warnings()) diags.warning(w.loc, w.message);  // the lexer's, first
    grad::Lowerer lower(p, diags, filename);
    lower.expect_definitions(std::move(defined));
    size_t passed_on = 0;
    auto pass_on = [&](size_t upto) {
      for (; passed_on < upto; ++passed_on) {
        const Diagnostic& d = parse_errors.errors()[passed_on];
        diags.error(d.loc, d.message);
      }
    };
    for (const auto& [s, errors] : statements) {
      pass_on(errors);
      if (diags.at_limit()) break;
      lower.statement(s);
    }
    pass_on(parse_errors.errors().size());
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
    const std::string input = path == kStdinPath ? "the standard input" : "'" + path + "'";
    diags.error({path, 0, 0}, "cannot read " + input + ": " + why);
    return std::nullopt;
  }
  return load_grad(text, path, diags);
}

}  // namespace gg
