// `gradgen explain NET.grad [--format text|markdown|latex] [--dump-after=PASS] [--bind n=4]`: the forward
// and backward equations.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>

#include "cli/commands.h"
#include "emit/equations.h"
#include "passes/pipeline.h"

namespace gg::cli {
namespace {

// IR dumps kept apart from the document around them: a code block in markdown, comment lines
// in LaTeX (so that the file still compiles).
std::string as_verbatim(const std::string& text, Format format) {
  if (text.empty() || format == Format::Text) return text;
  if (format == Format::Markdown) return "```\n" + text + "```\n\n";
  std::string out;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) out += "% " + line + "\n";
  return out + "\n";
}

}  // namespace

Subcommand add_explain(CLI::App& root) {
  struct Opts {
    std::string file;
    std::string format = "text";
    std::vector<std::string> dump_after;
    std::vector<std::string> bind;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* app = root.add_subcommand("explain", "Print the forward equations F1..Fk and backward equations B1..Bm");
  app->add_option("NET.grad", o->file, kNetworkHelp)->required();
  app->add_option("--format", o->format, "text (default), markdown or latex")
      ->check(CLI::IsMember({"text", "markdown", "latex"}));
  app->add_option("--dump-after", o->dump_after,
                  fmt::format("also print the IR after these passes, comma-separated ({})", fmt::join(dump_pass_names(), ", ")))
      ->type_name("PASS[,PASS...]")
      ->delimiter(',')
      ->allow_extra_args(false);
  add_bind_option(app, o->bind, "fix a symbolic dim, e.g. n=4, as generate --bind does (its equations)");
  return {app, [o] {
            static const std::map<std::string, Format> formats{
                {"text", Format::Text}, {"markdown", Format::Markdown}, {"latex", Format::Latex}};
            refuse_grad_only_flags(o->file, {{"--bind", !o->bind.empty()}});
            std::ostringstream dumps;
            Program p = load_and_differentiate(o->file, o->dump_after, dumps, parse_bindings(o->bind));
            const Format format = formats.at(o->format);
            std::cout << as_verbatim(dumps.str(), format) << render_equations(build_equations(p), format);
            return int{kOk};
          }};
}

}  // namespace gg::cli
