// FEED.json parsing: nested arrays to row-major tensors, with every error located.
#include "cli/feed.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "support/error.h"

namespace gg::cli {
namespace {

using json = nlohmann::json;

// Nesting deeper than this is not a tensor gradgen supports, and bounds the recursion.
constexpr size_t kMaxRank = 8;

struct Reader {
  const std::string& path;
  const std::string& name;

  [[noreturn]] void fail(const std::string& where, const std::string& why) const {
    throw InputError(path + ": '" + name + "'" + where + ": " + why);
  }

  // The shape is read along the first elements; every other element must match it.
  std::vector<int64_t> shape_of(const json& v, const std::string& where) const {
    std::vector<int64_t> shape;
    const json* cur = &v;
    while (cur->is_array()) {
      if (cur->empty()) fail(where, "an empty array is not a tensor (every dimension must be positive)");
      if (shape.size() == kMaxRank) fail(where, "nested deeper than " + std::to_string(kMaxRank) + " levels");
      shape.push_back(static_cast<int64_t>(cur->size()));
      cur = &(*cur)[0];
    }
    return shape;
  }

  void flatten(const json& v, const std::vector<int64_t>& shape, size_t depth, const std::string& where,
               std::vector<double>& out) const {
    if (depth == shape.size()) {
      if (!v.is_number()) fail(where, "expected a number, got " + std::string(v.is_array() ? "an array (ragged nesting)" : v.type_name()));
      double x = v.get<double>();
      if (!std::isfinite(x)) fail(where, "the number is out of range");
      out.push_back(x);
      return;
    }
    if (!v.is_array())
      fail(where, "expected an array of " + std::to_string(shape[depth]) + " elements, got " +
                      (v.is_number() ? std::string("a number (ragged nesting)") : std::string(v.type_name())));
    if (static_cast<int64_t>(v.size()) != shape[depth])
      fail(where, "ragged array: " + std::to_string(v.size()) + " elements where the first row has " +
                      std::to_string(shape[depth]));
    for (size_t i = 0; i < v.size(); ++i) flatten(v[i], shape, depth + 1, where + "[" + std::to_string(i) + "]", out);
  }

  Tensor read(const json& v) const {
    Tensor t;
    t.shape = shape_of(v, "");
    flatten(v, t.shape, 0, "", t.data);
    return t;
  }
};

}  // namespace

Values parse_feed(const std::string& text, const std::string& path) {
  json root;
  try {
    root = json::parse(text);
  } catch (const json::exception& e) {
    // e.what() is "[json.exception.parse_error.101] parse error at line 3, column 7: ..."
    std::string msg = e.what();
    size_t at = msg.find("] ");
    throw InputError(path + ": invalid JSON: " + (at == std::string::npos ? msg : msg.substr(at + 2)));
  }
  if (!root.is_object())
    throw InputError(path + ": expected one JSON object mapping tensor names to values, got " +
                     std::string(root.type_name()));
  Values values;
  for (const auto& [name, v] : root.items()) values[name] = Reader{path, name}.read(v);
  return values;
}

Values read_feed(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("cannot read feed '" + path + "': " + std::strerror(errno));
  std::ostringstream buf;
  buf << in.rdbuf();
  return parse_feed(buf.str(), path);
}

}  // namespace gg::cli
