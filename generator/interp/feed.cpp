// Checking fed values against the declared leaves, binding symbolic dims, and param init.
#include <string>

#include "gradgen/init.hpp"
#include "interp/interpreter.h"
#include "support/error.h"

namespace gg {
namespace {

std::string kind_name(LeafKind k) {
  switch (k) {
    case LeafKind::Input: return "input";
    case LeafKind::Target: return "target";
    case LeafKind::Param: return "param";
  }
  return "leaf";
}

std::string sizes_str(const std::vector<int64_t>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

std::string who(const Leaf& l) { return kind_name(l.kind) + " '" + l.name + "'"; }

[[noreturn]] void shape_mismatch(const Leaf& l, const Tensor& t, const std::string& why = "") {
  throw FedTensorError(l.name, who(l) + " has shape " + sizes_str(t.shape) + " but is declared " + shape_str(l.node->shape) + why);
}

void check_numel(const Leaf& l, const Tensor& t) {
  int64_t n = 1;
  for (int64_t d : t.shape) {
    if (d < 1) throw FedTensorError(l.name, who(l) + " has shape " + sizes_str(t.shape) + ": every dimension must be positive");
    n *= d;
  }
  if (n != t.numel())
    throw FedTensorError(l.name, who(l) + " has " + std::to_string(t.numel()) + " values but its shape " +
                                     sizes_str(t.shape) + " needs " + std::to_string(n));
}

// Binds l's symbolic dims from t, remembering which tensor bound each dim for messages.
// `flat`: a C++ function's leaf, whose arrays are fed flat (said when the shapes differ).
void bind_leaf(const Leaf& l, const Tensor& t, DimBindings& dims, std::map<std::string, std::string>& bound_by,
               bool flat) {
  check_numel(l, t);
  const Shape& decl = l.node->shape;
  if (flat && decl != Shape{} && t.shape != concrete(decl, {}))
    shape_mismatch(l, t, " (a C++ function's arrays are fed flat, in element order: " +
                             std::to_string(*static_numel(decl)) + " numbers)");
  if (decl.size() != t.shape.size()) shape_mismatch(l, t);
  for (size_t i = 0; i < decl.size(); ++i) {
    const Dim& d = decl[i];
    int64_t got = t.shape[i];
    if (!d.is_symbolic()) {
      if (d.size != got) shape_mismatch(l, t);
      continue;
    }
    auto [it, fresh] = dims.emplace(d.symbol, got);
    if (fresh) bound_by[d.symbol] = who(l);
    else if (it->second != got)
      shape_mismatch(l, t, ", and dimension '" + d.symbol + "' is already " + std::to_string(it->second) + " from " +
                               bound_by[d.symbol]);
  }
}

void require_dims_bound(const Leaf& l, const DimBindings& dims) {
  for (const Dim& d : l.node->shape)
    if (d.is_symbolic() && !dims.count(d.symbol))
      throw InputError("cannot initialise " + who(l) + " " + shape_str(l.node->shape) + ": dimension '" + d.symbol +
                       "' is not bound by any fed tensor");
}

Tensor init_one(const Leaf& l, uint64_t seed, const DimBindings& dims) {
  require_dims_bound(l, dims);
  Tensor t = Tensor::zeros(concrete(l.node->shape, dims));
  int rank = t.rank();
  int64_t fan_in = rank == 2 ? t.shape[0] : 0, fan_out = rank == 2 ? t.shape[1] : 0;
  const Init& in = l.init;
  switch (rt::init_tensor(in.kind, in.args.data(), in.args.size(), rank, fan_in, fan_out, seed, l.name, t.data.data(),
                          t.data.size())) {
    case rt::InitStatus::Ok: return t;
    case rt::InitStatus::UnknownKind: throw InputError(who(l) + ": unknown init '" + in.kind + "'");
    case rt::InitStatus::WrongArgCount:
      throw InputError(who(l) + ": init '" + in.kind + "' got " + std::to_string(in.args.size()) +
                       " arguments (zeros, ones, xavier_*, he_* take none; constant one; uniform and normal two)");
    case rt::InitStatus::NeedsRank2:
      throw InputError(who(l) + ": init '" + in.kind + "' needs a rank-2 param [fan_in, fan_out], got " +
                       shape_str(l.node->shape));
  }
  throw InternalError("unhandled init status");
}

}  // namespace

DimBindings infer_dims(const Program& p, const Values& fed) {
  for (const auto& [name, t] : fed)
    if (!p.find_leaf(name))
      throw FedTensorError(name, p.flat_values ? "'" + name + "' is not a parameter of function '" + p.name + "'"
                                               : "'" + name + "' is not an input, target or param of network '" +
                                                     p.name + "'");
  DimBindings dims;
  std::map<std::string, std::string> bound_by;
  for (const Leaf& l : p.leaves) {
    auto it = fed.find(l.name);
    if (it != fed.end()) bind_leaf(l, it->second, dims, bound_by, p.flat_values);
    else if (p.flat_values)  // a C++ function's parameters have no init= to fall back on
      throw InputError("missing value for parameter '" + l.name + "' " + shape_str(l.node->shape) + " of " + p.name +
                       " (a C++ function's parameters are all fed)");
    else if (l.kind != LeafKind::Param)
      throw InputError("missing value for " + who(l) + " " + shape_str(l.node->shape));
  }
  return dims;
}

Values init_params(const Program& p, uint64_t seed, const DimBindings& dims) {
  Values out;
  for (const Leaf& l : p.leaves)
    if (l.kind == LeafKind::Param) out.emplace(l.name, init_one(l, seed, dims));
  return out;
}

void require_initialisable(const Program& p, const Values& fed, const DimBindings& dims) {
  for (const Leaf& l : p.leaves)
    if (l.kind == LeafKind::Param && !fed.count(l.name)) require_dims_bound(l, dims);
}

Values complete_params(const Program& p, Values fed, uint64_t seed, const DimBindings& dims) {
  for (const Leaf& l : p.leaves)
    if (l.kind == LeafKind::Param && !fed.count(l.name)) fed.emplace(l.name, init_one(l, seed, dims));
  return fed;
}

}  // namespace gg
