// gradgen's entry point: parses the command line (CLI11), runs the chosen subcommand and maps
// every outcome to an exit status; no exception escapes.
#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>

#include "cli/commands.h"
#include "cli/generate.h"
#include "support/error.h"
#include "support/version.h"
#ifdef GRADGEN_HAVE_CLANG
#include "frontend/clang/load_cpp.h"
#endif

namespace gg::cli {
namespace {

int run(int argc, char** argv) {
  CLI::App app{"gradgen: differentiate a network description (.grad) into equations, graphs and C++", "gradgen"};
  app.set_version_flag("--version", std::string("gradgen ") + version(), "print the version and exit");
  app.require_subcommand(1);
  // One line per subcommand; each lives in its own file.
  std::vector<Subcommand> subs{add_generate(app), add_explain(app), add_graph(app), add_check(app), add_eval(app)};
#ifdef GRADGEN_HAVE_CLANG
  // `gradgen explain model.cpp -- -DN=4`: what follows `--` goes to Clang (C++ inputs).
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]) == "--") {
      command_line_cpp_options().clang_args.assign(argv + i + 1, argv + argc);
      argc = i;
      break;
    }
#endif
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kOk : kUsageError;  // --help and --version exit 0
  }
  for (const Subcommand& s : subs)
    if (s.app->parsed()) return s.run();
  return kUsageError;
}

int report(const char* kind, const char* what, int code) {
  std::cerr << "gradgen: " << kind << ": " << what << "\n";
  return code;
}

}  // namespace
}  // namespace gg::cli

int main(int argc, char** argv) {
  using namespace gg::cli;
  try {
    return run(argc, argv);
  } catch (const Reported& r) {
    return r.code;
  } catch (const UsageError& e) {
    return report("error", e.what(), kUsageError);
  } catch (const gg::InputError& e) {
    return report("error", e.what(), kInputError);
  } catch (const gg::ShapeError& e) {
    return report("error", e.what(), kInputError);
  } catch (const std::exception& e) {
    return report("internal error", e.what(), kInternalError);
  } catch (...) {
    return report("internal error", "unknown exception", kInternalError);
  }
}
