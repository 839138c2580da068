// gradgen's entry point: parses the command line (CLI11), runs the chosen subcommand and maps
// every outcome to an exit status; no exception escapes.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <optional>
#include <exception>
#include <iostream>
#include <new>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/generate.h"
#include "frontend/grad/suggest.h"
#include "support/error.h"
#include "support/version.h"
#ifdef GRADGEN_HAVE_CLANG
#include "frontend/clang/load_cpp.h"
#endif

namespace gg::cli {
namespace {

#ifdef GRADGEN_HAVE_CLANG
/// Removes `--function NAME` / `--function=NAME` (before any `--`) from args into `out`. A
/// missing name, or a second --function, is a usage error (not CLI11's "not expected").
void take_function_option(std::vector<char*>& args, std::string& out) {
  bool seen = false;
  auto take = [&](const std::string& name) {
    if (name.empty() || name == "--") throw UsageError("--function needs the name of a function");
    if (seen && name != out) throw UsageError("--function given twice ('" + out + "' and '" + name + "')");
    out = name, seen = true;
  };
  for (size_t i = 1; i < args.size(); ++i) {
    std::string a = args[i];
    if (a == "--") return;
    if (a.rfind("--function=", 0) == 0) {
      take(a.substr(11));
      args.erase(args.begin() + static_cast<long>(i--));
    } else if (a == "--function") {
      take(i + 1 < args.size() ? args[i + 1] : "");
      args.erase(args.begin() + static_cast<long>(i), args.begin() + static_cast<long>(i) + 2);
      --i;
    }
  }
}
#endif

// "; did you mean '--format'?" for the first option of the command line that its subcommand
// does not have, when one of its options is close.
std::string misspelt_option_hint(int argc, char** argv, const std::vector<Subcommand>& subs) {
  if (argc < 2) return "";
  const CLI::App* sub = nullptr;
  for (const Subcommand& s : subs)
    if (s.app->get_name() == argv[1]) sub = s.app;
  if (!sub) return "";
  std::vector<std::string> known;
  for (const CLI::Option* o : sub->get_options())
    for (const std::string& name : o->get_lnames()) known.push_back("--" + name);
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--") break;
    if (a.rfind("--", 0) != 0) continue;
    const std::string name = a.substr(0, a.find('='));
    if (std::find(known.begin(), known.end(), name) != known.end()) continue;
    std::vector<std::string> owners;  // `eval --bind`: an option of other subcommands
    for (const Subcommand& other : subs)
      for (const CLI::Option* o : other.app->get_options())
        for (const std::string& n : o->get_lnames())
          if ("--" + n == name) owners.push_back(other.app->get_name());
    if (!owners.empty()) return "; " + name + " is an option of " + list_text(owners) + ", not of " + sub->get_name();
    const std::optional<std::string> meant = grad::closest(name, known);
    return meant ? "; did you mean '" + *meant + "'?" : "";
  }
  return "";
}

// CLI11 lists the arguments it did not expect last first ("latex --format" for
// `--format latex`): put back in the order they were given.
std::string in_command_line_order(const std::string& message) {
  const std::string head = "The following arguments were not expected: ";
  if (message.rfind(head, 0) != 0) return message;
  std::vector<std::string> words;
  std::istringstream rest(message.substr(head.size()));
  for (std::string w; rest >> w;) words.push_back(w);
  std::string out = head;
  for (size_t i = words.size(); i-- > 0;) out += words[i] + (i ? " " : "");
  return out;
}

int run(int argc, char** argv) {
  CLI::App app{"gradgen: differentiate a network description (.grad) into equations, graphs and C++", "gradgen"};
  app.set_version_flag("--version", std::string("gradgen ") + version(), "print the version and exit");
  app.require_subcommand(1);
  app.footer("gradgen help [SUBCOMMAND] is the same as --help");
  // One line per subcommand; each lives in its own file.
  std::vector<Subcommand> subs{add_generate(app), add_explain(app), add_graph(app), add_check(app), add_eval(app)};
  // `gradgen help` and `gradgen help SUB`, as git and cargo take them: the same as --help.
  std::vector<char*> help_args(argv, argv + argc);
  char help_flag[] = "--help";
  if (argc == 2 && std::string(argv[1]) == "help") help_args[1] = help_flag;
  if (argc == 3 && std::string(argv[1]) == "help") help_args = {argv[0], argv[2], help_flag};
  argc = static_cast<int>(help_args.size());
  argv = help_args.data();
#ifdef GRADGEN_HAVE_CLANG
  // A C++ file may mark several functions; explain/graph/check/eval take the one named by
  // --function, which may stand anywhere before `--` (taken out here, listed in --help below).
  std::vector<char*> args(argv, argv + argc);
  take_function_option(args, command_line_cpp_options().function);
  argc = static_cast<int>(args.size());
  argv = args.data();
  std::string function_for_help;
  const char* const function_help = "C++ inputs: which GRADGEN_DIFFERENTIATE function to use when the file marks several";
  app.add_option("--function", function_for_help, function_help)->type_name("NAME");
  for (const Subcommand& s : subs) s.app->add_option("--function", function_for_help, function_help)->type_name("NAME");
  // `gradgen explain model.cpp -- -DN=4`: what follows `--` goes to Clang (C++ inputs).
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]) == "--") {
      command_line_cpp_options().clang_args.assign(argv + i + 1, argv + argc);
      argc = i;
      break;
    }
#endif
  // CLI11 would only say "A subcommand is required" for `gradgen explian net.grad` and for
  // `gradgen --bogus`.
  if (argc > 1) {
    const std::string first = argv[1];
    bool known = first == "--help" || first == "-h" || first == "--version" || first == "--function";
    for (const Subcommand& s : subs) known = known || s.app->get_name() == first;
    if (!known)
      throw UsageError((first[0] == '-' ? "unknown option '" : "unknown subcommand '") + first +
                       "' (expected generate, explain, graph, check or eval; see gradgen --help)");
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e) == 0 ? kOk : kUsageError;  // --help and --version
    std::cerr << "gradgen: error: " << in_command_line_order(e.what()) << misspelt_option_hint(argc, argv, subs)
              << "\nRun with --help for more information.\n";
    return kUsageError;
  }
  for (const Subcommand& s : subs)
    if (s.app->parsed()) return s.run();
  return kUsageError;
}

int report(const char* kind, const char* what, int code) {
  std::cerr << "gradgen: " << kind << ": " << what << "\n";
  return code;
}

// Like a parse error (render_located).
int report_located(const gg::LocatedError& e) {
  std::cerr << render_located({{e.loc, e.what()}});
  return kInputError;
}

/// The subcommand's exit status, every exception mapped to one.
int run_reporting(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const Reported& r) {
    return r.code;
  } catch (const UsageError& e) {
    return report("error", e.what(), kUsageError);
  } catch (const gg::LocatedError& e) {
    return report_located(e);
  } catch (const gg::InputError& e) {
    return report("error", e.what(), kInputError);
  } catch (const gg::ShapeError& e) {
    return report("error", e.what(), kInputError);
  } catch (const std::bad_alloc&) {  // sizes the user asked for, most likely: not a bug
    return report("error", "out of memory: the network's values at these sizes do not fit in this machine's memory",
                  kInputError);
  } catch (const std::exception& e) {
    return report("internal error", e.what(), kInternalError);
  } catch (...) {
    return report("internal error", "unknown exception", kInternalError);
  }
}

/// `code`, unless what the command printed could not all be written (a full disk, a closed
/// pipe): then an error, as for a file given with -o. Printing is buffered, so a failed write
/// shows only when the buffer is flushed, here.
int with_stdout_written(int code) {
  const std::string failed = flush_stdout();
  if (failed.empty()) return code;
  report("error", failed.c_str(), kInputError);
  return code == kOk ? kInputError : code;
}

}  // namespace
}  // namespace gg::cli

int main(int argc, char** argv) {
  using namespace gg::cli;
  return with_stdout_written(run_reporting(argc, argv));
}
