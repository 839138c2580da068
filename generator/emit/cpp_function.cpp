// f_grad for one annotated C++ function: signature, flat views of the parameters, locals for
// temporaries, and the scheduled statements of the network emitter (see cpp_function.h).
#include "emit/cpp_function.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <vector>

#include "emit/cpp_kernels.h"
#include "emit/cpp_names.h"
#include "emit/cpp_plan.h"
#include "emit/cpp_templates.h"
#include "support/error.h"
#include "support/identifiers.h"
#include "support/version.h"

namespace gg::cpp {
namespace {

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + v[i];
  return out;
}

bool mentions(const std::string& code, const std::string& what) { return code.find(what) != std::string::npos; }

bool is_param(const CppSignature& sig, const std::string& name) {
  return std::any_of(sig.params.begin(), sig.params.end(), [&](const CppParam& q) { return q.name == name; });
}

// The name generated code gives a parameter: its own, but `Scalar` (the body's type alias)
// becomes `Scalar_` (with more '_' while another parameter has that name).
std::string ident(const CppSignature& sig, const CppParam& cp) {
  if (cp.name != "Scalar") return cp.name;
  std::string n = cp.name + "_";
  while (is_param(sig, n)) n += "_";
  return n;
}

// `text` with the last whole-word occurrence of cp's name replaced by its ident.
std::string renamed(const CppSignature& sig, const CppParam& cp, std::string text) {
  const std::string to = ident(sig, cp);
  if (to == cp.name) return text;
  auto word = [&](size_t i) { return i < text.size() && is_word_char(text[i]); };
  for (size_t at = text.rfind(cp.name); at != std::string::npos; at = at ? text.rfind(cp.name, at - 1) : std::string::npos)
    if (!(at > 0 && word(at - 1)) && !word(at + cp.name.size())) return text.replace(at, cp.name.size(), to);
  return text;
}

// The gradient out-parameter of each parameter: d_NAME, with '_' appended while that is a
// parameter's name or an earlier gradient's (parameters x and d_x get d_x_ and d_d_x).
std::vector<std::string> grad_names(const CppSignature& sig) {
  std::set<std::string> taken;
  for (const CppParam& cp : sig.params) taken.insert(ident(sig, cp));
  std::vector<std::string> out;
  for (const CppParam& cp : sig.params) {
    std::string n = "d_" + ident(sig, cp);
    while (taken.count(n)) n += "_";
    taken.insert(n);
    out.push_back(n);
  }
  return out;
}

// Gradient out-parameters, one per differentiated parameter, in parameter order.
std::vector<std::string> grad_params(const CppSignature& sig, const Program& p) {
  const std::vector<std::string> names = grad_names(sig);
  std::vector<std::string> out;
  for (size_t i = 0; i < sig.params.size(); ++i)
    if (p.leaves.at(i).kind == LeafKind::Param)
      out.push_back(sig.return_type + (sig.params[i].scalar ? "& " : "* ") + names[i]);
  return out;
}

// Runtime headers the statements use (only those).
std::string runtime_includes(const std::string& code) {
  const std::vector<std::string> inc = kernel_includes(code);
  const std::string standard = standard_includes(code);
  if (inc.empty()) return standard;
  return standard + (standard.empty() ? "" : "\n") + join(inc, "\n") + "\n";
}

// The statements: flat parameter views, buffers, the kernels, then `return value;`.
std::string make_body(const Program& p, const EquationSet& eqs, const CppSignature& sig) {
  // Parameters and gradient out-parameters first: the views, locals and values (a local named
  // d_x, say) must not take their names.
  const std::vector<std::string> grads = grad_names(sig);
  std::vector<std::string> reserved = grads;
  for (const CppParam& cp : sig.params) reserved.push_back(ident(sig, cp));
  Names names = make_names(p, eqs, {}, reserved);
  // Leaves are read as `id[offset]`: give each a flat pointer view of its parameter.
  for (const CppParam& cp : sig.params) names.leaf[cp.name] = names.namer.claim(ident(sig, cp) + "_");
  const std::string value = names.namer.claim("value");

  // A float function computed in double (its float values rounded where C++ rounds them):
  // the gradients are computed into double arrays, then stored into the float out-parameters.
  const bool widened = p.precision == Precision::F64 && sig.return_type == "float";
  std::vector<std::string> wide_decls, copy_out;
  std::vector<Result> results{Result{p.loss, Shape{}, "&" + value, p.loss_name}};
  for (size_t i = 0; i < sig.params.size(); ++i) {
    const Leaf& l = p.leaves.at(i);
    if (l.kind != LeafKind::Param) continue;
    const CppParam& cp = sig.params[i];
    std::string dest = (cp.scalar ? "&" : "") + grads[i];
    if (widened) {
      const int64_t n = *static_numel(l.node->shape);
      const std::string wide = names.namer.claim(grads[i] + "_wide");
      dest = wide;
      copy_out.push_back(fmt::format("for (int {0} = 0; {0} < {1}; ++{0}) {2}[{0}] = static_cast<float>({3}[{0}]);",
                                     names.namer.claim("k"), n, cp.scalar ? "(&" + grads[i] + ")" : grads[i], wide));
      wide_decls.push_back(fmt::format("Scalar {}[{}];  // {} in double", wide, n, grads[i]));
    }
    results.push_back(Result{p.adjoint_of(l.name), l.node->shape, dest, "d" + p.loss_name + "_d" + l.name});
  }
  Plan plan = make_plan(p, eqs, names, results);
  KernelWriter kw(eqs, names, plan, p.precision);
  std::string kernels = kw.body(results, comment_only(eqs, plan, true));

  std::vector<std::string> lines;
  const bool f32 = p.precision == Precision::F32;
  for (size_t i = 0; i < sig.params.size(); ++i) {
    const CppParam& cp = sig.params[i];
    if (kw.used_leaves().count(cp.name) && cp.f32 != f32) {  // a float parameter of a double function
      const int64_t n = *static_numel(p.leaves.at(i).node->shape);
      const std::string k = names.namer.claim("k");  // the copy's counter
      lines.push_back(fmt::format("Scalar {}[{}];  // {} as Scalar", names.leaf.at(cp.name), n, cp.name));
      lines.push_back(fmt::format("for (int {0} = 0; {0} < {1}; ++{0}) {2}[{0}] = static_cast<Scalar>(({3})[{0}]);", k, n,
                                  names.leaf.at(cp.name), renamed(sig, cp, cp.flat)));
    } else if (kw.used_leaves().count(cp.name))
      lines.push_back("const auto* const " + names.leaf.at(cp.name) + " = " + renamed(sig, cp, cp.flat) + ";");
    else
      lines.push_back("static_cast<void>(" + ident(sig, cp) + ");  // the value does not depend on it");
  }
  lines.push_back("Scalar " + value + " = Scalar(0);");
  lines.insert(lines.end(), wide_decls.begin(), wide_decls.end());
  for (const Result& r : results)
    if (r.node && plan.dest.count(r.node) && plan.dest.at(r.node) == r.dest && plan.name.at(r.node) != r.dest)
      lines.push_back("Scalar* const " + plan.name.at(r.node) + " = " + r.dest + ";");
  for (const Node* n : plan.workspace) {
    auto size = static_numel(n->shape);
    if (!size) throw InputError("gradgen generate: '" + sig.name + "' has a value of symbolic shape " + shape_str(n->shape));
    lines.push_back(fmt::format("Scalar {}[{}];  // {}", plan.name.at(n), *size, shape_str(n->shape)));
  }
  for (std::string& l : lines) l = "  " + l;
  std::string out;
  for (const std::string& c : copy_out) out += "  " + c + "\n";
  return join(lines, "\n") + "\n\n" + kernels + out + "  return " + (widened ? "static_cast<float>(" + value + ")" : value) + ";";
}

std::string ns_open(const CppSignature& sig) { return sig.ns.empty() ? "" : "namespace " + sig.ns + " {\n\n"; }
std::string ns_close(const CppSignature& sig) {
  return sig.ns.empty() ? "" : "\n}  // namespace " + sig.ns + "\n";
}

std::string header_includes(const CppSignature& sig) {
  std::string decls;
  for (const CppParam& cp : sig.params) decls += cp.decl + "\n";
  std::string inc;
  if (mentions(decls, "std::array")) inc += "#include <array>\n";
  if (sig.uses_tensor_api) inc += "#include <gradgen/tensor_api.hpp>\n";
  return inc;
}

}  // namespace

std::string function_grad_decl(const CppSignature& sig, const Program& p) {
  std::vector<std::string> params;
  for (const CppParam& cp : sig.params) params.push_back(renamed(sig, cp, cp.decl));
  for (const std::string& g : grad_params(sig, p)) params.push_back(g);
  return sig.return_type + " " + sig.name + "_grad(" + join(params, ", ") + ")";
}

FunctionFiles emit_function_grad(const Program& p, const EquationSet& eqs, const CppSignature& sig,
                                 const std::string& source) {
  if (sig.params.size() != p.leaves.size())
    throw InternalError("emit_function_grad: " + std::to_string(sig.params.size()) + " parameters for " +
                        std::to_string(p.leaves.size()) + " leaves");
  FunctionFiles f;
  f.base = sig.name + "_grad";
  std::string qualified = sig.ns.empty() ? sig.name : sig.ns + "::" + sig.name;
  std::string banner = fmt::format("// @generated by gradgen {} from {}", version(), source_name(source));
  std::string decl = function_grad_decl(sig, p);
  std::vector<std::string> wrt;
  for (const Leaf& l : p.leaves)
    if (l.kind == LeafKind::Param) wrt.push_back(l.name);
  std::string summary = "Returns " + sig.name + "(...) and writes its gradient with respect to " +
                        (wrt.empty() ? std::string("nothing") : join(wrt, ", ")) + ".";
  std::string body = make_body(p, eqs, sig);
  f.hpp = fmt::format(fmt::runtime(template_text("function.hpp.in")), fmt::arg("banner", banner),
                      fmt::arg("qualified", qualified), fmt::arg("scalar", sig.return_type), fmt::arg("name", sig.name),
                      fmt::arg("includes", header_includes(sig)), fmt::arg("ns_open", ns_open(sig)),
                      fmt::arg("summary", summary), fmt::arg("decl", decl), fmt::arg("ns_close", ns_close(sig)));
  f.cpp = fmt::format(fmt::runtime(template_text("function.cpp.in")), fmt::arg("banner", banner),
                      fmt::arg("qualified", qualified), fmt::arg("base", f.base),
                      fmt::arg("includes", runtime_includes(body)), fmt::arg("ns_open", ns_open(sig)),
                      fmt::arg("signature", decl), fmt::arg("scalar", p.precision == Precision::F64 ? "double" : "float"),
                      fmt::arg("body", body),
                      fmt::arg("ns_close", ns_close(sig)));
  return f;
}

}  // namespace gg::cpp
