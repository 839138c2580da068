// load_grad: parse, check and lower a .grad file statement by statement.
#include "frontend/grad/load.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "frontend/grad/lower.h"
#include "frontend/grad/parser.h"

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
  } catch (const std::exception& e) {
    // Every user error is a diagnostic; reaching here is a gradgen bug, reported not thrown.
    diags.error({filename, 1, 1}, std::string("internal error while reading the network: ") + e.what());
  }
  if (diags.errors().size() != before || diags.at_limit()) return std::nullopt;
  return p;
}

std::optional<Program> load_grad_file(const std::string& path, Diagnostics& diags) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    diags.error({path, 1, 1}, "cannot read '" + path + "': it is a directory");
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    diags.error({path, 1, 1}, "cannot read '" + path + "': " + std::strerror(errno));
    return std::nullopt;
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) {
    diags.error({path, 1, 1}, "cannot read '" + path + "'");
    return std::nullopt;
  }
  return load_grad(buf.str(), path, diags);
}

}  // namespace gg
