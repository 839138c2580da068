// Builds the API description of a network (names and argument order of the generated code).
#include "emit/cpp_api.h"

#include <map>
#include <set>

#include "ir/op_table.h"
#include "ir/walk.h"
#include "support/error.h"

namespace gg::cpp {
namespace {

// The inputs the outputs read. Without recursion: a chain of 60,000 definitions overflowed the
// stack.
std::set<std::string> inputs_read(const Program& p) {
  std::vector<const Node*> outputs;
  for (const Definition& d : p.definitions)
    if (d.kind == DefKind::Output) outputs.push_back(d.node);
  std::set<std::string> read;
  walk_inputs(outputs, [&](const Node* n) {
    if (n->op == Op::Input) read.insert(n->attrs.name);
    return true;
  });
  return read;
}

}  // namespace

std::string array_suffix(const Shape& s) {
  std::string out;
  for (const Dim& d : s) out += "[" + std::to_string(d.size) + "]";
  return out;
}

std::string flat_elems(const std::string& obj, const std::string& field, const Shape& s) {
  if (s.size() < 2) return first_elem(obj, field, s);
  return "gg::flat(" + obj + "." + field + ")";
}

std::string first_elem(const std::string& obj, const std::string& field, const Shape& s) {
  if (s.empty()) return "&" + obj + "." + field;
  if (s.size() == 1) return obj + "." + field;
  std::string zeros;
  for (size_t i = 0; i < s.size(); ++i) zeros += "[0]";
  return "&" + obj + "." + field + zeros;
}

// The prefix of the C ABI's names: NAME_init, NAME_params, ... . Where the C library already
// declares one of them (a network named pthread_attr would declare pthread_attr_init), the
// prefix gets "gg_" after the name's own underscore.
std::string c_prefix(const std::string& c_name) {
  static constexpr const char* kNames[] = {"init", "forward", "loss_and_grad", "step", "train_step",
                                           "workspace_size", "params", "grads", "opt_state", "scalar",
                                           "status_string"};
  // `network class` is class_ in code; its C names are class_params, not class__params (a
  // name with "__" is reserved to the implementation in C++).
  const std::string mangled = mangle(c_name), base = mangled.back() == '_' ? mangled : mangled + "_";
  for (const char* n : kNames)
    if (is_system_global(base + n)) return base + "gg_";
  return base;
}

CppApi make_api(const Program& p, const EquationSet& eqs, const Names& names, const CppOptions& o) {
  CppApi api;
  api.base = p.name;
  api.ns = o.ns.empty() ? mangle_namespace(p.name) : o.ns;
  // The C prefix follows --namespace (a::b -> a_b_) so variants of one network link together.
  std::string c_name = o.ns.empty() ? p.name : o.ns;
  for (size_t at = c_name.find("::"); at != std::string::npos; at = c_name.find("::")) c_name.replace(at, 2, "_");
  api.cprefix = c_prefix(c_name);
  api.scalar = p.precision == Precision::F64 ? "double" : "float";
  api.dims = o.dim_args.empty() ? p.dims : o.dim_args;
  for (const std::string& d : api.dims) {
    api.dim_idents.push_back(names.dim.at(d));
    if (!o.bound.count(d)) api.free_dims.push_back(names.dim.at(d));
  }
  api.loss_name = p.loss_name;
  const std::set<std::string> fwd_needed = inputs_read(p);
  for (const Leaf& l : p.leaves) {
    ApiTensor t{l.name, names.leaf.at(l.name), l.node->shape, l.node};
    if (l.kind == LeafKind::Param) {
      if (!static_numel(t.shape))
        throw LocatedError(l.loc, "param '" + l.name + "' has symbolic shape " + shape_str(t.shape) +
                                      "; fix its dims with --bind to generate code");
      api.num_params += *static_numel(t.shape);
      api.params.push_back(t);
      continue;
    }
    api.inputs.push_back(t);
    if (l.kind == LeafKind::Input || fwd_needed.count(l.name)) api.forward_inputs.push_back(t);
  }
  std::map<std::string, const Definition*> outputs;  // by name: a scan per equation was quadratic
  for (const Definition& d : p.definitions)
    if (d.kind == DefKind::Output) outputs.emplace(d.name, &d);
  for (const Equation& e : eqs.forward) {
    auto d = outputs.find(e.name);
    if (d != outputs.end() && e.node == d->second->node)
      api.outputs.push_back({d->second->name, names.eq_ident.at(&e), d->second->node->shape, d->second->node});
  }
  for (const std::string& x : p.grad_inputs) {
    const Leaf* l = p.find_leaf(x);
    std::string want = "d" + p.loss_name + "/d" + x, ident;
    for (const Equation& e : eqs.backward)
      if (e.name == want) ident = names.eq_ident.at(&e);
    if (ident.empty()) throw InternalError("no backward equation for grad input " + x);
    api.grad_inputs.push_back({x, ident, l->node->shape, p.adjoint_of(x)});
  }
  return api;
}

}  // namespace gg::cpp
