// `gradgen graph NET.grad [--backward] [-o FILE.dot]`: Graphviz DOT of the network.
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "emit/dot.h"

namespace gg::cli {

Subcommand add_graph(CLI::App& root) {
  struct Opts {
    std::string file;
    bool backward = false;
    std::string out;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* app = root.add_subcommand("graph", "Print the network as a Graphviz DOT graph");
  app->add_option("NET.grad", o->file, kNetworkHelp)->required();
  app->add_flag("--backward", o->backward, "include the backward equations and local gradients on the edges");
  app->add_option("-o,--output", o->out, "write FILE.dot (atomically) instead of printing ('-': print)")
      ->check(require_path);
  return {app, [o] {
            // Both views come from the differentiated, simplified program so that the
            // forward part is the same graph with or without --backward.
            Program p = load_and_differentiate(o->file);
            std::string dot = emit_dot(p, build_equations(p), DotOptions{o->backward});
            if (o->out.empty() || o->out == "-")  // `-o -`: standard output, as most tools read it
              std::cout << dot;
            else
              write_file_atomic(o->out, dot);
            return int{kOk};
          }};
}

}  // namespace gg::cli
