// Writing eval results as JSON with shortest round-trip numbers.
#include "cli/eval_json.h"

#include <cmath>

#include "emit/equations.h"
#include "support/error.h"

namespace gg::cli {
namespace {

std::string number_json(double v) { return std::isfinite(v) ? number_text(v) : "null"; }

void nested(const Tensor& t, size_t depth, size_t& at, std::string& out) {
  if (depth == t.shape.size()) {
    out += number_json(t.data.at(at++));
    return;
  }
  out += '[';
  for (int64_t i = 0; i < t.shape[depth]; ++i) {
    if (i) out += ", ";
    nested(t, depth + 1, at, out);
  }
  out += ']';
}

// {"a": ..., "b": ...} for the named tensors, in the order given.
std::string object(const std::vector<std::string>& names, const std::map<std::string, Tensor>& values) {
  std::string out = "{";
  for (size_t i = 0; i < names.size(); ++i) {
    auto it = values.find(names[i]);
    if (it == values.end()) throw InternalError("eval produced no value for '" + names[i] + "'");
    out += (i ? ", \"" : "\"") + names[i] + "\": " + tensor_json(it->second);
  }
  return out + "}";
}

}  // namespace

std::string tensor_json(const Tensor& t) {
  std::string out;
  size_t at = 0;
  nested(t, 0, at, out);
  return out;
}

std::string eval_json(const Program& p, const EvalResult& r) {
  std::vector<std::string> outputs, grads;
  for (const Definition& d : p.definitions)
    if (d.kind == DefKind::Output) outputs.push_back(d.name);
  for (const Leaf& l : p.leaves)
    if (l.kind == LeafKind::Param) grads.push_back(l.name);
  for (const std::string& x : p.grad_inputs) grads.push_back(x);
  return "{\"loss\": " + number_json(r.loss) + ", \"outputs\": " + object(outputs, r.outputs) +
         ", \"grads\": " + object(grads, r.grads) + "}\n";
}

}  // namespace gg::cli
