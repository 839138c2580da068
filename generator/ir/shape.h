// Static tensor shapes: each dimension is a fixed positive size or a named symbolic dim.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace gg {

/// One dimension: a fixed size (symbol empty) or a symbolic `dim` bound at run time.
struct Dim {
  int64_t size = 1;
  std::string symbol;

  static Dim fixed(int64_t n) { return Dim{n, {}}; }
  static Dim named(std::string s) { return Dim{0, std::move(s)}; }
  bool is_symbolic() const { return !symbol.empty(); }
  bool is_one() const { return !is_symbolic() && size == 1; }
  std::string str() const { return is_symbolic() ? symbol : std::to_string(size); }
  friend bool operator==(const Dim& a, const Dim& b) { return a.size == b.size && a.symbol == b.symbol; }
  friend bool operator!=(const Dim& a, const Dim& b) { return !(a == b); }
  friend bool operator<(const Dim& a, const Dim& b) {
    return a.symbol != b.symbol ? a.symbol < b.symbol : a.size < b.size;
  }
};

using Shape = std::vector<Dim>;

/// Largest element count (and fixed dimension) a declared tensor may have: the .grad front
/// end's limit, which binding dims keeps to. Sizes then stay far from int64 overflow.
constexpr int64_t kMaxElements = int64_t{1} << 40;
/// Largest size of a dim in generated code (its kMaxDim): checked there at run time, and the
/// largest size --bind may fix.
constexpr int kMaxDimLog2 = 24;
constexpr int64_t kMaxDim = int64_t{1} << kMaxDimLog2;
/// Values of symbolic dims, e.g. {"n": 4}.
using DimBindings = std::map<std::string, int64_t>;

/// "[n, 3]"; "[]" for a scalar.
std::string shape_str(const Shape& s);
/// Fixed sizes stay; symbolic ones are looked up. Throws ShapeError if a symbol is unbound.
std::vector<int64_t> concrete(const Shape& s, const DimBindings& b);
/// Product of the fixed sizes in `s`, or nullopt if any dim is symbolic.
std::optional<int64_t> static_numel(const Shape& s);
/// Product of the fixed sizes in `s` (symbolic dims skipped), saturating at kMaxElements + 1.
int64_t fixed_numel_capped(const Shape& s);
/// numpy broadcasting of two shapes; nullopt when incompatible.
std::optional<Shape> broadcast(const Shape& a, const Shape& b);
/// Replace bound symbols by their fixed sizes (for --bind).
Shape bind(const Shape& s, const DimBindings& b);

}  // namespace gg
