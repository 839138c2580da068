// `gradgen eval NET.grad --feed FEED.json [--seed S] [--precision f64] [--interp]`: loss,
// outputs and gradients at the fed point, as one JSON object on stdout.
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/compiled.h"
#include "cli/eval_json.h"
#include "cli/feed.h"
#include "interp/interpreter.h"
#include "support/error.h"
#include "support/files.h"

namespace gg::cli {
namespace {

struct EvalOpts {
  EvalRequest req;
  std::string precision;
  std::string seed = "0";
  bool interp = false;
};

int eval_interp(const EvalRequest& r) {
  Program p = load_and_differentiate(r.network);
  if (r.precision) p.precision = *r.precision;
  Values fed = read_feed(r.feed);
  fit_cpp_feed(p, fed);
  DimBindings dims = feed_dims(p, fed, r.feed);
  require_initialisable(p, fed, dims);
  require_evaluable(p, dims, "eval");
  require_f32_range(p, names_of(fed), r.precision.has_value());
  if (p.precision == Precision::F32) require_f32_feed(fed, r.feed, is_cpp_input(r.network));
  Values all = complete_params(p, std::move(fed), r.seed, dims);
  const EvalResult result = evaluate(p, all, p.precision);
  std::cout << eval_json(p, result);
  std::cerr << nonfinite_note(p, result);
  return kOk;
}

}  // namespace

Subcommand add_eval(CLI::App& root) {
  auto o = std::make_shared<EvalOpts>();
  CLI::App* app = root.add_subcommand("eval", "Evaluate loss, outputs and gradients at the values in FEED.json");
  app->add_option("NET.grad", o->req.network, kNetworkHelp)->required();
  app->add_option("--feed", o->req.feed, "JSON object: input, target and param names to (nested) arrays (- reads it from the standard input)")->required();
  app->add_option("--seed", o->seed, "seed for initialising params the feed lacks (default 0)")->type_name("UINT64");
  app->add_option("--precision", o->precision, "f32 or f64, overriding the network's precision")
      ->check(CLI::IsMember({"f32", "f64"}));
  app->add_flag("--interp", o->interp, "use the built-in reference interpreter instead of compiled code");
  return {app, [o] {
            // A C++ function computes in its own types (a float function in float).
            refuse_grad_only_flags(o->req.network, {{"--precision", !o->precision.empty()}});
            if (o->req.network == kStdinPath && o->req.feed == kStdinPath)
              throw UsageError("the network and --feed cannot both be '-': there is one standard input");
            if (!o->precision.empty()) o->req.precision = parse_precision(o->precision);
            o->req.seed = parse_seed(o->seed);
            return o->interp ? eval_interp(o->req) : eval_compiled(o->req);
          }};
}

}  // namespace gg::cli
