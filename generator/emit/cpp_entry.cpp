// Entry-point bodies: checks (null pointers, dims, workspace size), declarations, kernels.
#include "emit/cpp_entry.h"

#include <fmt/format.h>

#include "emit/cpp_kernels.h"
#include "emit/cpp_rowblock.h"
#include "ir/op_table.h"

namespace gg::cpp {
namespace {

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + v[i];
  return out;
}

// Scalars in a size class as an int64 expression: "n * 3", "6".
// As a double expression (each dim cast) when `as_double`: a bound that cannot overflow.
std::string size_text(const EntryContext& c, const Size& z, bool as_double = false) {
  std::vector<std::string> f;
  for (const std::string& sym : z.syms)
    f.push_back(as_double ? "static_cast<double>(" + c.names.dim.at(sym) + ")" : c.names.dim.at(sym));
  if (z.fixed != 1 || f.empty()) f.push_back(std::to_string(z.fixed));
  return join(f, " * ");
}

// A workspace slot's scalars rounded up to whole 64-byte lines, so that every slot starts on a
// line when the workspace does (Workspace is alignas(64)): a slot of [n, 10] logits would
// otherwise shift every slot after it off the line, and the GEMMs run ~2% slower on such memory.
std::string slot_size_text(const EntryContext& c, const Size& z) {
  const int64_t line = line_scalars(c.p.precision);
  if (z.syms.empty()) return std::to_string((z.fixed + line - 1) / line * line);
  if (z.fixed % line == 0) return size_text(c, z);
  return fmt::format("({} + {}) / {} * {}", size_text(c, z), line - 1, line, line);
}

// Largest workspace (in scalars) kept in local arrays when every size is fixed (--bind).
constexpr int64_t kStackScalars = 2048;

// Small fixed-size buffers live on the stack: the compiler then knows they alias nothing
// (not the params, grads or inputs) and keeps them in registers after unrolling the loops.
bool on_stack(const Plan& plan) {
  int64_t total = 0;
  for (const Slot& s : plan.memory.slots) {
    if (!s.size.syms.empty()) return false;
    total += s.size.fixed;
  }
  return total <= kStackScalars;
}

// The pointer to a workspace buffer: the start of its slot (after the previous slot) or the
// buffer whose memory it takes over, with a comment saying which. `local`: slots are arrays.
std::string workspace_decl(const Plan& plan, const Node* n, const std::vector<std::string>& sizes, bool local) {
  const Placement& pl = plan.memory.placement.at(n);
  const Slot& slot = plan.memory.slots[pl.slot];
  std::string note = shape_str(n->shape);
  std::string at;
  if (local && slot.occupants.front() == n) {
    return fmt::format("Scalar {}[{}];  // {}", plan.name.at(n), sizes[pl.slot], note);
  } else if (slot.occupants.front() != n) {
    at = plan.name.at(slot.occupants.front());
    note += (pl.in_place ? ", in place of " : ", reuses the memory of ") + plan.name.at(pl.replaces);
  } else if (pl.slot == 0) {
    at = "ws";
  } else {
    at = plan.name.at(plan.memory.slots[pl.slot - 1].occupants.front()) + " + " + sizes[pl.slot - 1];
  }
  return fmt::format("Scalar* const {} = {};  // {}", plan.name.at(n), at, note);
}

// The optimizer update of one param (`off`: its offset in the flat optimizer state).
std::string update_line(const EntryContext& c, const ApiTensor& t, int64_t off) {
  const Optimizer& opt = c.p.optimizer;
  Precision pr = c.p.precision;
  double lr = c.p.find_leaf(t.name)->lr.value_or(opt.arg("lr"));
  int64_t n = *static_numel(t.shape);
  std::string pp = flat_elems("params", t.ident, t.shape), gp = flat_elems("grads", t.ident, t.shape);
  if (opt.adam())
    return fmt::format("gg::adam_update({}, {}, state.m + {}, state.v + {}, {}, {}, {}, {}, {}, state.t);", pp, gp, off,
                       off, n, literal(lr, pr), literal(opt.arg("beta1"), pr), literal(opt.arg("beta2"), pr),
                       literal(opt.arg("eps"), pr));
  if (opt.plain_sgd()) return fmt::format("gg::sgd_update({}, {}, {}, {});", pp, gp, n, literal(lr, pr));
  return fmt::format("gg::sgd_update({}, {}, state.velocity + {}, {}, {}, {});", pp, gp, off, n, literal(lr, pr),
                     literal(opt.arg("momentum"), pr));
}

// train_step's updates: results 1.. are the params' gradients, in param order (loss_and_grad_entry).
std::vector<FusedUpdate> fused_updates(const EntryContext& c) {
  std::vector<FusedUpdate> out;
  const Optimizer& opt = c.p.optimizer;
  const bool plain_sgd = opt.plain_sgd();
  int64_t off = 0;
  for (size_t i = 0; i < c.api.params.size(); ++i) {
    const ApiTensor& t = c.api.params[i];
    double lr = c.p.find_leaf(t.name)->lr.value_or(opt.arg("lr"));
    out.push_back(FusedUpdate{t.name, i + 1, flat_elems("params", t.ident, t.shape), update_line(c, t, off),
                              plain_sgd ? literal(-lr, c.p.precision) : ""});
    off += *static_numel(t.shape);
  }
  return out;
}

// Checks, declarations and kernels of one entry point; `pointers` are its pointer arguments.
// `fused`: train_step (the optimizer updates fused in).
Entry make_entry(const EntryContext& c, std::vector<Result> results, const std::vector<std::string>& pointers,
                 bool backward, bool fused = false) {
  Entry e;
  e.results = std::move(results);
  PlanOptions po{c.opts.gemm, {}};
  if (fused) {
    po.result_param.resize(e.results.size());
    for (size_t i = 0; i < c.api.params.size(); ++i) po.result_param[i + 1] = c.api.params[i].name;
  }
  e.plan = make_plan(c.p, c.eqs, c.names, e.results, po);
  std::set<const Equation*> comments = comment_only(c.eqs, e.plan, backward);
  // Small row-wise networks: one pass over blocks of rows (cpp_rowblock.h) when the entry qualifies.
  std::vector<FusedUpdate> fused_ups = fused ? fused_updates(c) : std::vector<FusedUpdate>{};
  std::vector<std::string> updates;
  for (const FusedUpdate& u : fused_ups) updates.push_back(u.statement);
  std::optional<RowBlockBody> rb;
  if (c.opts.gemm == GemmBackend::Blas)
    e.not_row_blocks = "--blas";
  else
    rb = row_block_body({c.eqs, c.names, e.plan, c.p.precision, e.results, comments, updates}, e.not_row_blocks);
  if (rb) {
    e.row_blocks = true;
    e.lanes = rb->lanes;
    e.accumulator_scalars = rb->accumulator_scalars;
    e.lane_scalars = rb->lane_scalars;
  }
  KernelWriter kw(c.eqs, c.names, e.plan, c.p.precision);
  kw.set_fused_updates(std::move(fused_ups));
  std::string kernels = rb ? rb->text : kw.body(e.results, comments);
  const std::set<std::string>& used = rb ? rb->used_leaves : kw.used_leaves();
  e.unwritten = kw.skipped_results();

  std::vector<std::string> lines;
  std::vector<std::string> nulls;
  for (const std::string& ptr : pointers) nulls.push_back(ptr + " == nullptr");
  lines.push_back("if (" + join(nulls, " || ") + ") return kNullPointer;");
  for (size_t i = 0; i < c.api.dims.size(); ++i) {
    const std::string& id = c.api.dim_idents[i];
    auto b = c.opts.bound.find(c.api.dims[i]);
    if (b != c.opts.bound.end())
      lines.push_back(fmt::format("if ({} != {}) return kBadDim;  // fixed by --bind", id, b->second));
    else
      lines.push_back(fmt::format("if ({0} < 1 || {0} > kMaxDim) return kBadDim;", id));
  }
  const std::string need = "workspace_size(" + join(c.api.free_dims, ", ") + ")";
  if (c.api.free_dims.empty())
    lines.push_back("if (ws_size < " + need + ") return kWorkspaceTooSmall;");
  else  // the largest size_t says no buffer can hold it, whatever ws_size claims
    lines.push_back("if (ws_size < " + need + " || " + need + " == static_cast<std::size_t>(-1)) return kWorkspaceTooSmall;");
  bool params_used = false;
  for (const ApiTensor& t : c.api.params)
    if (used.count(t.name)) {
      lines.push_back("const Scalar* const " + t.ident + " = " + flat_elems("params", t.ident, t.shape) + ";");
      params_used = true;
    }
  if (!params_used) lines.push_back("static_cast<void>(params);");
  if (backward && c.api.params.empty()) lines.push_back("static_cast<void>(grads);");
  if (fused) lines.push_back("state.t += 1;");
  for (size_t i = 0; i < e.results.size() && !rb; ++i) {
    const Result& r = e.results[i];
    if (!kw.skipped_results().count(i) && r.node && e.plan.dest.count(r.node) && e.plan.dest.at(r.node) == r.dest && e.plan.name.at(r.node) != r.dest)
      lines.push_back("Scalar* const " + e.plan.name.at(r.node) + " = " + r.dest + ";");
  }
  std::vector<std::string> sizes;
  bool local = on_stack(e.plan);
  for (const Slot& slot : e.plan.memory.slots) sizes.push_back(local ? size_text(c, slot.size) : slot_size_text(c, slot.size));
  if (!rb)
    for (const Node* n : e.plan.workspace) lines.push_back(workspace_decl(e.plan, n, sizes, local));
  e.workspace_need = sizes.empty() || local || rb ? "0" : join(sizes, " + ");
  std::vector<std::string> approx;
  for (const Slot& slot : e.plan.memory.slots) approx.push_back(size_text(c, slot.size, true));
  e.workspace_need_approx = e.workspace_need == "0" ? "0" : join(approx, " + ");
  e.workspace_on_stack = !rb && local && !sizes.empty();
  for (std::string& l : lines) l = "  " + l;
  e.body = join(lines, "\n") + "\n\n" + kernels + "  return kOk;";
  return e;
}

}  // namespace

Entry forward_entry(const EntryContext& c) {
  std::vector<Result> results;
  std::vector<std::string> pointers;
  for (const ApiTensor& t : c.api.forward_inputs) pointers.push_back(t.ident);
  for (const ApiTensor& t : c.api.outputs) {
    results.push_back(Result{t.node, t.shape, t.ident, t.ident});
    pointers.push_back(t.ident);
  }
  pointers.push_back("ws");
  return make_entry(c, std::move(results), pointers, false);
}

namespace {

Entry gradient_entry(const EntryContext& c, bool fused) {
  std::vector<Result> results;
  std::vector<std::string> pointers;
  for (const ApiTensor& t : c.api.inputs) pointers.push_back(t.ident);
  results.push_back(Result{c.p.loss, Shape{}, "loss", c.p.loss_name});
  pointers.push_back("loss");
  for (const ApiTensor& t : c.api.params)
    results.push_back(Result{c.p.adjoint_of(t.name), t.shape, flat_elems("grads", t.ident, t.shape),
                             "d" + c.p.loss_name + "_d" + t.name});
  for (const ApiTensor& t : c.api.grad_inputs) {
    results.push_back(Result{t.node, t.shape, t.ident, t.ident});
    pointers.push_back(t.ident);
  }
  pointers.push_back("ws");
  return make_entry(c, std::move(results), pointers, true, fused);
}

}  // namespace

Entry loss_and_grad_entry(const EntryContext& c) { return gradient_entry(c, false); }
Entry train_step_entry(const EntryContext& c) { return gradient_entry(c, true); }

std::string init_body(const EntryContext& c) {
  std::vector<std::string> lines;
  for (const ApiTensor& t : c.api.params) {
    const Leaf& l = *c.p.find_leaf(t.name);
    int rank = static_cast<int>(t.shape.size());
    int64_t fin = rank == 2 ? t.shape[0].size : 0, fout = rank == 2 ? t.shape[1].size : 0;
    std::string args = "nullptr";
    std::vector<std::string> vals;
    for (double a : l.init.args) vals.push_back(fmt::format("{}", a));
    if (!vals.empty()) {
      lines.push_back("{");
      lines.push_back("  const double args[] = {" + join(vals, ", ") + "};");
      args = "args";
    }
    lines.push_back(fmt::format("{}if (gg::rt::init_tensor<Scalar>(\"{}\", {}, {}, {}, {}, {}, seed, \"{}\", {}, {}) != "
                                "gg::rt::InitStatus::Ok)",
                                vals.empty() ? "" : "  ", l.init.kind, args, vals.size(), rank, fin, fout, t.name,
                                flat_elems("params", t.ident, t.shape), *static_numel(t.shape)));
    lines.push_back(std::string(vals.empty() ? "" : "  ") + "  return kBadInit;");
    if (!vals.empty()) lines.push_back("}");
  }
  if (c.api.params.empty()) lines.push_back("static_cast<void>(params);"), lines.push_back("static_cast<void>(seed);");
  lines.push_back("return kOk;");
  for (std::string& l : lines) l = "  " + l;
  return join(lines, "\n");
}

std::string step_body(const EntryContext& c) {
  std::vector<std::string> lines{"state.t += 1;"};
  int64_t off = 0;
  for (const ApiTensor& t : c.api.params) {
    lines.push_back(update_line(c, t, off));
    off += *static_numel(t.shape);
  }
  if (c.api.params.empty()) lines.push_back("static_cast<void>(params);"), lines.push_back("static_cast<void>(grads);");
  lines.push_back("return kOk;");
  for (std::string& l : lines) l = "  " + l;
  return join(lines, "\n");
}

}  // namespace gg::cpp
