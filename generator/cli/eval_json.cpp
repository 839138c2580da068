// Writing eval results as JSON with shortest round-trip numbers.
#include "cli/eval_json.h"

#include <cmath>

#include "emit/equations.h"
#include "support/error.h"

namespace gg::cli {
namespace {

// -0 as "-0.0": JSON readers take "-0" for the integer 0 (Python's json, nlohmann), and the
// sign is part of the value.
std::string number_json(double v) {
  if (v == 0 && std::signbit(v)) return "-0.0";
  return std::isfinite(v) ? number_text(v) : "null";
}

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

// The outputs in definition order; the grads of every param (declaration order), then of every
// `grad` input.
std::vector<std::string> output_names(const Program& p) {
  std::vector<std::string> out;
  for (const Definition& d : p.definitions)
    if (d.kind == DefKind::Output) out.push_back(d.name);
  return out;
}
std::vector<std::string> grad_names(const Program& p) {
  std::vector<std::string> out;
  for (const Leaf& l : p.leaves)
    if (l.kind == LeafKind::Param) out.push_back(l.name);
  for (const std::string& x : p.grad_inputs) out.push_back(x);
  return out;
}

// {"a": ..., "b": ...} for the named tensors, in the order given; `flat`: each tensor of rank
// 1 or more as one flat array.
std::string object(const std::vector<std::string>& names, const std::map<std::string, Tensor>& values, bool flat) {
  std::string out = "{";
  for (size_t i = 0; i < names.size(); ++i) {
    auto it = values.find(names[i]);
    if (it == values.end()) throw InternalError("eval produced no value for '" + names[i] + "'");
    Tensor t = it->second;
    if (flat && t.rank() > 1) t.shape = {t.numel()};
    out += (i ? ", \"" : "\"") + names[i] + "\": " + tensor_json(t);
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
  const std::vector<std::string> outputs = output_names(p), grads = grad_names(p);
  return "{\"loss\": " + number_json(r.loss) + ", \"outputs\": " + object(outputs, r.outputs, p.flat_values) +
         ", \"grads\": " + object(grads, r.grads, p.flat_values) + "}\n";
}

namespace {

std::string kind_of(double v) { return std::isnan(v) ? "nan" : v > 0 ? "inf" : "-inf"; }

// "[1][2]": the row-major index of flat element `i` of shape `s`.
std::string index_text(const std::vector<int64_t>& s, size_t i) {
  std::string out;
  for (size_t d = s.size(); d-- > 0;) {
    out = "[" + std::to_string(i % static_cast<size_t>(s[d])) + "]" + out;
    i /= static_cast<size_t>(s[d]);
  }
  return out;
}

}  // namespace

std::string nonfinite_note(const Program& p, const EvalResult& r) {
  constexpr size_t kNamed = 5;
  size_t count = 0;
  std::string named;
  auto note = [&](const std::string& where, double v) {
    if (std::isfinite(v)) return;
    if (++count <= kNamed) named += (count > 1 ? ", " : "") + where + " (" + kind_of(v) + ")";
  };
  auto tensors = [&](const std::string& group, const std::vector<std::string>& names,
                     const std::map<std::string, Tensor>& values) {
    for (const std::string& name : names) {
      auto it = values.find(name);
      if (it == values.end()) continue;
      for (size_t i = 0; i < it->second.data.size(); ++i)
        note(group + "." + name + index_text(it->second.shape, i), it->second.data[i]);
    }
  };
  note("loss", r.loss);  // in the order eval_json writes them
  tensors("outputs", output_names(p), r.outputs);
  tensors("grads", grad_names(p), r.grads);
  if (count == 0) return "";
  return "note: " + std::to_string(count) + (count == 1 ? " value is" : " values are") +
         " not finite and printed as null (JSON has no NaN or infinity): " + named + (count > kNamed ? ", ..." : "") +
         "\n";
}

}  // namespace gg::cli
