// `gradgen check NET.grad [--bind n=4] [--seed S] [--interp]`: every produced gradient against
// central finite differences of the loss, in f64, at a random point; exit 3 on disagreement.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <gradgen/init.hpp>
#include <iostream>
#include <memory>
#include <set>

#include "cli/commands.h"
#include "cli/compiled.h"
#include "emit/equations.h"
#ifdef GRADGEN_HAVE_CLANG
#include "frontend/clang/load_cpp.h"
#endif
#include "interp/interpreter.h"
#include "support/error.h"

namespace gg::cli {
namespace {

constexpr int64_t kCheckAll = 100;     // tensors up to this size are checked element by element
constexpr int64_t kSample = 50;        // bigger ones at this many random elements

struct Row {
  std::string name, shape;
  int64_t checked = 0, total = 0;
  double max_err = 0;
  std::string failure;  // first disagreement, empty when all agree
};

std::vector<int64_t> sample(int64_t n, uint64_t seed, const std::string& name) {
  std::vector<int64_t> idx;
  if (n <= kCheckAll) {
    for (int64_t i = 0; i < n; ++i) idx.push_back(i);
    return idx;
  }
  rt::Rng rng(seed, "sample:" + name);
  std::set<int64_t> picked;
  while (static_cast<int64_t>(picked.size()) < kSample)
    picked.insert(static_cast<int64_t>(rng.next_u64() % static_cast<uint64_t>(n)));
  return {picked.begin(), picked.end()};
}

Row check_one(const Program& p, Values& v, const DimBindings& dims, const std::string& name, const Tensor& grad,
              double loss, uint64_t seed) {
  Row row{"d" + p.loss_name + "/d" + name, "", 0, grad.numel(), 0, ""};
  row.shape = "[";
  for (size_t i = 0; i < grad.shape.size(); ++i) row.shape += (i ? ", " : "") + std::to_string(grad.shape[i]);
  row.shape += "]";
  for (int64_t i : sample(v.at(name).numel(), seed, name)) {
    double fd = central_difference(p, v, dims, name, static_cast<size_t>(i));
    double g = grad.data[i];
    double err = std::fabs(g - fd);
    row.max_err = std::isnan(err) ? err : std::max(row.max_err, err);
    ++row.checked;
    if (!fd_agrees(g, fd, loss) && row.failure.empty()) {
      row.failure = row.name + " element " + std::to_string(i) + ": gradient " + number_text(g) +
                    ", finite difference " + number_text(fd);
      const std::string why = not_differentiable_reason(p, v, dims, name, static_cast<size_t>(i), loss);
      if (!why.empty()) row.failure += "\n    " + why;
    }
  }
  return row;
}

std::string pad(const std::string& s, size_t w) {
  // Width in code points, so that names with ∂ or ᵀ would still line up.
  size_t cps = 0;
  for (unsigned char c : s) cps += (c & 0xC0) != 0x80;
  return s + std::string(w > cps ? w - cps : 0, ' ');
}

std::string sci(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1e", v);
  return buf;
}

void print_table(const std::vector<Row>& rows) {
  size_t wn = 8, ws = 5;
  for (const Row& r : rows) {
    wn = std::max(wn, r.name.size());
    ws = std::max(ws, r.shape.size());
  }
  std::cout << "  " << pad("gradient", wn) << "  " << pad("shape", ws) << "  " << pad("checked", 12) << "  "
            << pad("max |error|", 11) << "  status\n";
  for (const Row& r : rows)
    std::cout << "  " << pad(r.name, wn) << "  " << pad(r.shape, ws) << "  "
              << pad(std::to_string(r.checked) + " of " + std::to_string(r.total), 12) << "  "
              << pad(sci(r.max_err), 11) << "  " << (r.failure.empty() ? "ok" : "FAILED") << "\n";
}

// The report both modes print: the point, a row per gradient, each disagreement; exit 3 if any.
int report(const std::string& mode, const Program& p, Values& v, const DimBindings& dims, double loss,
           const std::vector<std::pair<std::string, Tensor>>& grads, uint64_t seed) {
  std::string dim_text;
  for (const auto& [d, size] : dims) dim_text += ", " + d + "=" + std::to_string(size);
  std::cout << "check " << p.name << " (" << mode << ", f64" << dim_text << ", seed " << seed
            << "): gradients vs central finite differences, h = 1e-6·max(1, |x|)\n";
  std::cout << "  loss " << p.loss_name << " = " << number_text(loss) << "\n";
  std::vector<Row> rows;
  for (const auto& [name, grad] : grads) rows.push_back(check_one(p, v, dims, name, grad, loss, seed));
  print_table(rows);
  size_t failed = 0;
  for (const Row& row : rows)
    if (!row.failure.empty()) {
      ++failed;
      std::cout << "  disagreement: " << row.failure << "\n";
    }
  if (failed) {
    std::cout << nonfinite_loss_note(loss, p.flat_values);
    std::cout << "FAILED: " << failed << " of " << rows.size() << " gradients disagree with finite differences\n";
    return kCheckFailed;
  }
  std::cout << (rows.size() == 1 ? std::string("ok: the 1 gradient agrees")
                                  : "ok: all " + std::to_string(rows.size()) + " gradients agree")
            << " with finite differences\n";
  return kOk;
}

int check_interp(const CheckRequest& req) {
  Program p = load_and_differentiate(req.network);
  check_bind_flags(p, req.bind);
  const DimBindings dims = check_dims(p.dims, req.bind);
  require_evaluable(p, dims, "check");
  Values v = check_point(p, req.seed, dims);
  EvalResult r = evaluate(p, v, Precision::F64);
  std::vector<std::string> names;  // as the compiled API orders them: params, then `grad` inputs
  for (const Leaf& l : p.leaves)
    if (l.kind == LeafKind::Param) names.push_back(l.name);
  names.insert(names.end(), p.grad_inputs.begin(), p.grad_inputs.end());
  std::vector<std::pair<std::string, Tensor>> grads;
  for (const std::string& name : names)
    if (r.grads.count(name)) grads.emplace_back(name, r.grads.at(name));
  return report("interpreter", p, v, dims, r.loss, grads, req.seed);
}

int check_compiled(const CheckRequest& req) {
  CompiledGrads c = compiled_check_grads(req);
  return report("compiled", c.program, c.point, c.dims, c.loss, c.grads, req.seed);
}

}  // namespace

Subcommand add_check(CLI::App& root) {
  struct Opts {
    CheckRequest req;
    std::vector<std::string> bind;
    std::string seed = "0";
    bool interp = false;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* app = root.add_subcommand("check", "Compare every gradient with central finite differences (exit 3 if one disagrees)");
  app->add_option("NET.grad", o->req.network, kNetworkHelp)->required();
  add_bind_option(app, o->bind, "fix a symbolic dim, e.g. n=4 (unbound dims are 4)");
  app->add_option("--seed", o->seed, "seed of the random point (default 0)")->type_name("UINT64");
  app->add_flag("--interp", o->interp, "use the built-in reference interpreter instead of compiled code");
  return {app, [o] {
            refuse_grad_only_flags(o->req.network, {{"--bind", !o->bind.empty()}});
            o->req.bind = parse_bindings(o->bind);
            o->req.seed = parse_seed(o->seed);
#ifdef GRADGEN_HAVE_CLANG
            // As a float function is checked in f64: finite differences of float's rounding
            // steps would be noise; the rounding's gradient passes through anyway.
            command_line_cpp_options().round_floats = false;
#endif
            return o->interp ? check_interp(o->req) : check_compiled(o->req);
          }};
}

}  // namespace gg::cli
