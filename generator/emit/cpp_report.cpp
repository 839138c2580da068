// Text of the memory plan: sizes as "n × 8,232 B + 40 B" so that run-time dims stay visible.
#include "emit/cpp_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include "support/numbers.h"
#include "ir/walk.h"

namespace gg::cpp {
namespace {

// Σ sizes in bytes, one term per symbolic class: "n × 8,232 B + 40 B", "0 B".
std::string bytes(const EntryContext& c, const std::vector<Size>& sizes, int64_t elem) {
  std::map<std::vector<std::string>, int64_t> terms;
  for (const Size& z : sizes) terms[z.syms] += z.fixed * elem;
  std::string out;
  for (auto it = terms.rbegin(); it != terms.rend(); ++it) {
    std::string t;
    for (const std::string& s : it->first) t += c.names.dim.at(s) + " × ";
    out += (out.empty() ? "" : " + ") + t + grouped(it->second) + " B";
  }
  return out.empty() ? "0 B" : out;
}

std::vector<Size> workspace_sizes(const Plan& plan) {
  std::vector<Size> out;
  for (const Node* n : plan.workspace) out.push_back(size_of(n->shape));
  return out;
}

std::vector<Size> slot_sizes(const Plan& plan) {
  std::vector<Size> out;
  for (const Slot& s : plan.memory.slots) out.push_back(s.size);
  return out;
}

// The workspace buffers as workspace_size() counts them: each rounded up to whole 64-byte
// lines (slot_size_text). A buffer of n × k scalars, k not a multiple of a line, rounds by an
// amount known at run time, at most a line less one scalar: shown as "up to".
std::string workspace_bytes(const EntryContext& c, const Plan& plan, int64_t elem) {
  const int64_t line = line_scalars(c.p.precision);
  std::vector<Size> sizes;
  int64_t padding = 0;
  for (const Slot& s : plan.memory.slots) {
    Size z = s.size;
    if (z.syms.empty())
      z.fixed = (z.fixed + line - 1) / line * line;
    else if (z.fixed % line != 0)
      padding += line - 1;
    sizes.push_back(z);
  }
  const std::string exact = bytes(c, sizes, elem);
  return padding ? fmt::format("{} + up to {} B of padding to 64-byte lines", exact, grouped(padding * elem)) : exact;
}

// Forward values that loss_and_grad keeps for its backward groups.
std::vector<const Node*> saved_activations(const EntryContext& c, const Plan& plan) {
  std::set<const Node*> fwd;
  walk_inputs({c.p.loss}, [&](const Node* n) { return fwd.insert(n).second; });
  std::vector<const Node*> out;
  for (const Node* n : plan.workspace) {
    if (!fwd.count(n)) continue;
    auto it = plan.consumers.find(n);
    bool read_backward = false;
    if (it != plan.consumers.end())
      for (const Node* u : it->second) read_backward = read_backward || !fwd.count(u);
    if (read_backward) out.push_back(n);
  }
  return out;
}

std::string names_of(const Plan& plan, const std::vector<const Node*>& nodes) {
  std::string out;
  for (const Node* n : nodes) out += (out.empty() ? "" : ", ") + plan.name.at(n) + shape_str(n->shape);
  return out;
}

// How the matrix products of a general-schedule entry are computed (generate --gemm).
void product_line(std::vector<std::string>& l, const EntryContext& c, const Plan& plan) {
  std::vector<const Node*> gemm, loops;
  for (const Group& g : plan.groups)
    if (g.kind == Kind::MatMul) (g.gemm ? gemm : loops).push_back(g.members.front());
  if (gemm.empty() && loops.empty()) return;
  const char* backend = c.opts.gemm == GemmBackend::Blas ? "CBLAS" : "gradgen's blocked GEMM (gradgen/gemm.hpp)";
  std::string line = "    matrix products:";
  if (!gemm.empty()) line += fmt::format(" {} through {}: {}", gemm.size(), backend, names_of(plan, gemm));
  if (!loops.empty())
    line += fmt::format("{} {} as loops with their epilogue fused in: {}", gemm.empty() ? "" : ";", loops.size(),
                        names_of(plan, loops));
  l.push_back(line);
}

void entry_lines(std::vector<std::string>& l, const EntryContext& c, const std::string& fn, const Entry& e, int64_t elem) {
  const std::string label = fmt::format("  workspace, {:<17}", fn + ":");
  if (e.row_blocks) {  // no workspace: every array is local to the entry point
    std::string stack;
    if (e.accumulator_scalars)
      stack = "per-lane accumulators " + grouped(e.accumulator_scalars * elem) + " B and ";
    stack += "row arrays " + grouped(e.lane_scalars * elem) + " B per block";
    l.push_back(fmt::format("{}none: row blocks of up to {} rows in SIMD lanes{}; {} on the stack", label, e.lanes,
                            fn == "forward" ? "" : ", forward and backward in one pass", stack));
    return;
  }
  const Plan& plan = e.plan;
  if (e.workspace_on_stack)
    l.push_back(fmt::format("{}none: {} in {} local array(s) on the stack, every size fixed ({} without reuse)", label,
                            bytes(c, slot_sizes(plan), elem), plan.memory.slots.size(),
                            bytes(c, workspace_sizes(plan), elem)));
  else
    l.push_back(fmt::format("{}{} in {} buffer(s) ({} without reuse)", label, workspace_bytes(c, plan, elem),
                            plan.memory.slots.size(), bytes(c, workspace_sizes(plan), elem)));
  l.push_back("    general schedule, not row blocks: " + e.not_row_blocks);
  for (const Node* n : plan.workspace) {
    const Placement& pl = plan.memory.placement.at(n);
    if (!pl.replaces) continue;
    l.push_back(fmt::format("    {}{} {} {}", plan.name.at(n), shape_str(n->shape),
                            pl.in_place ? "overwrites in place" : "reuses the memory of", plan.name.at(pl.replaces)));
  }
  product_line(l, c, plan);
}

}  // namespace

// train_step's gradients that a fused GEMM applied to the param (never written to grads).
void unwritten_lines(std::vector<std::string>& l, const EntryContext& c, const Entry& ts, int64_t elem) {
  std::string which;
  int64_t skipped = 0;
  for (size_t r : ts.unwritten) {
    const ApiTensor& t = c.api.params.at(r - 1);  // results 1.. are the params' gradients
    which += (which.empty() ? "" : ", ") + ("d" + c.p.loss_name + "/d" + t.name) + shape_str(t.shape);
    skipped += *static_numel(t.shape) * elem;
  }
  if (ts.unwritten.empty()) {
    l.push_back(fmt::format("  {:<28}none in train_step (each gradient goes to grads, then its update)",
                            "gradients not materialised:"));
    return;
  }
  l.push_back(fmt::format("  {:<28}{} in train_step: the weight-gradient GEMM updates the param itself "
                          "(alpha = -lr, beta = 1); {} B of grads left unwritten",
                          "gradients not materialised:", which, grouped(skipped)));
}

std::string memory_report(const EntryContext& c, const Entry& forward, const Entry& loss_and_grad, const Entry* train_step) {
  const int64_t elem = c.api.scalar == "double" ? 8 : 4;
  const int64_t np = c.api.num_params;
  const bool adam = c.p.optimizer.adam();
  const bool momentum = c.p.optimizer.sgd_momentum();
  std::vector<std::string> l;
  std::string dims;
  for (const std::string& d : c.api.free_dims) dims += (dims.empty() ? "; " : ", ") + d;
  l.push_back(fmt::format("memory plan of network `{}` ({}, {} bytes per scalar{}{})", c.p.name, c.api.scalar, elem, dims,
                          dims.empty() ? "" : " at run time"));
  l.push_back(fmt::format("  {:<28}{} B ({} scalars)", "parameters:", grouped(np * elem), grouped(np)));
  l.push_back(fmt::format("  {:<28}{} B", "gradients:", grouped(np * elem)));
  // sizeof(opt_state): the flat arrays (at least one scalar each), padded to the int64 step count.
  const int64_t arrays = (adam ? 2 : momentum ? 1 : 0) * std::max<int64_t>(np, 1) * elem;
  l.push_back(fmt::format("  {:<28}{} B ({})", "optimizer state:", grouped((arrays + 7) / 8 * 8 + 8),
                          adam       ? "Adam moments m, v and the step count"
                          : momentum ? "SGD velocity and the step count"
                                     : "the step count only: plain SGD keeps no velocity"));
  if (loss_and_grad.row_blocks) {
    l.push_back(fmt::format("  {:<28}0 B (row blocks: forward values stay in the block's row arrays)",
                            "saved activations:"));
  } else {
    std::vector<const Node*> saved = saved_activations(c, loss_and_grad.plan);
    std::vector<Size> saved_sizes;
    for (const Node* n : saved) saved_sizes.push_back(size_of(n->shape));
    l.push_back(fmt::format("  {:<28}{}{}", "saved activations:", bytes(c, saved_sizes, elem),
                            saved.empty() ? "" : " (" + names_of(loss_and_grad.plan, saved) + ")"));
  }
  entry_lines(l, c, "loss_and_grad", loss_and_grad, elem);
  if (train_step) {
    entry_lines(l, c, "train_step", *train_step, elem);
    unwritten_lines(l, c, *train_step, elem);
  }
  entry_lines(l, c, "forward", forward, elem);
  std::string out;
  for (const std::string& s : l) out += s + "\n";
  return out;
}

}  // namespace gg::cpp
