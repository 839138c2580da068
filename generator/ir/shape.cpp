// Shape helpers: printing, binding and numpy broadcasting.
#include "ir/shape.h"

#include "support/error.h"

namespace gg {

std::string shape_str(const Shape& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + s[i].str();
  return out + "]";
}

std::vector<int64_t> concrete(const Shape& s, const DimBindings& b) {
  std::vector<int64_t> out;
  out.reserve(s.size());
  for (const Dim& d : s) {
    if (!d.is_symbolic()) {
      out.push_back(d.size);
      continue;
    }
    auto it = b.find(d.symbol);
    if (it == b.end()) throw ShapeError("dimension '" + d.symbol + "' is not bound");
    out.push_back(it->second);
  }
  return out;
}

std::optional<int64_t> static_numel(const Shape& s) {
  int64_t n = 1;
  for (const Dim& d : s) {
    if (d.is_symbolic()) return std::nullopt;
    n *= d.size;
  }
  return n;
}

int64_t fixed_numel_capped(const Shape& s) {
  int64_t n = 1;
  for (const Dim& d : s)
    if (!d.is_symbolic()) n = n > kMaxElements / d.size ? kMaxElements + 1 : n * d.size;
  return n;
}

// Trailing dims aligned; each pair equal, or one of them a fixed 1.
std::optional<Shape> broadcast(const Shape& a, const Shape& b) {
  const Shape& longer = a.size() >= b.size() ? a : b;
  const Shape& shorter = a.size() >= b.size() ? b : a;
  Shape out = longer;
  size_t offset = longer.size() - shorter.size();
  for (size_t i = 0; i < shorter.size(); ++i) {
    const Dim& x = longer[offset + i];
    const Dim& y = shorter[i];
    if (x == y || y.is_one()) continue;
    if (x.is_one()) {
      out[offset + i] = y;
      continue;
    }
    return std::nullopt;
  }
  return out;
}

Shape bind(const Shape& s, const DimBindings& b) {
  Shape out = s;
  for (Dim& d : out) {
    if (!d.is_symbolic()) continue;
    auto it = b.find(d.symbol);
    if (it != b.end()) d = Dim::fixed(it->second);
  }
  return out;
}

}  // namespace gg
