// FEED.json parsing: nested arrays to row-major tensors, with every error located.
#include "cli/feed.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "frontend/grad/suggest.h"
#include "interp/interpreter.h"
#include "support/error.h"
#include "support/files.h"
#include "support/numbers.h"

namespace gg::cli {
namespace {

using json = nlohmann::json;

// Nesting deeper than this is not a tensor gradgen supports, and bounds the recursion.
constexpr size_t kMaxRank = 8;

constexpr size_t kNowhere = std::string_view::npos;

// Finds where a value starts in feed text that nlohmann has already accepted as JSON (the
// parsed tree keeps no positions): a scanner that only needs to skip values, iteratively,
// so that nesting depth costs no stack.
class JsonLocator {
 public:
  explicit JsonLocator(std::string_view text) : s_(text) {}

  struct Key {
    std::string name;
    size_t at;     // the opening quote of the key
    size_t value;  // where its value starts
  };

  // The keys of the root object, in file order (repeated ones included).
  std::vector<Key> keys() const {
    std::vector<Key> found;
    size_t i = ws(0);
    if (at(i) != '{') return found;
    for (i = ws(i + 1); at(i) == '"';) {
      size_t key_end = skip_string(i);
      std::string key = json::parse(s_.substr(i, key_end - i)).get<std::string>();
      size_t value = ws(ws(key_end) + 1);  // past ':'
      found.push_back({std::move(key), i, value});
      i = ws(skip_value(value));
      if (at(i) == ',') i = ws(i + 1);
    }
    return found;
  }

  // Offset of root[name][index[0]][index[1]]..., or kNowhere. A repeated key: the last one
  // (parse_feed refuses repeated keys; this only matters for text that changed since).
  size_t find(const std::string& name, const std::vector<size_t>& index) const {
    size_t found = kNowhere;
    for (const Key& key : keys())
      if (key.name == name) found = key.value;
    for (size_t want : index) {
      if (found == kNowhere || at(found) != '[') return kNowhere;
      size_t j = ws(found + 1);
      for (size_t k = 0; k < want && at(j) != ']'; ++k) {
        j = ws(skip_value(j));
        if (at(j) == ',') j = ws(j + 1);
      }
      found = at(j) == ']' ? kNowhere : j;
    }
    return found;
  }

 private:
  char at(size_t i) const { return i < s_.size() ? s_[i] : '\0'; }
  size_t ws(size_t i) const {
    while (i < s_.size() && (s_[i] == ' ' || s_[i] == '\t' || s_[i] == '\n' || s_[i] == '\r')) ++i;
    return i;
  }
  size_t skip_string(size_t i) const {  // i at the opening quote; returns the offset past the closing one
    for (++i; i < s_.size() && s_[i] != '"'; ++i)
      if (s_[i] == '\\') ++i;
    return i + 1;
  }
  size_t skip_value(size_t i) const {
    int depth = 0;
    do {
      i = ws(i);
      char c = at(i);
      if (c == '"') i = skip_string(i);
      else if (c == '[' || c == '{') ++depth, ++i;
      else if (c == ']' || c == '}') --depth, ++i;
      else if (c == ',' || c == ':') ++i;
      else
        while (i < s_.size() && std::string_view(",]} \t\r\n").find(s_[i]) == kNowhere) ++i;
    } while (depth > 0 && i < s_.size());
    return i;
  }

  std::string_view s_;
};

// 1-based line and byte column of `offset`; line 0 (no position) for kNowhere.
SourceLoc location(const std::string& path, std::string_view text, size_t offset) {
  SourceLoc loc{path, 0, 0};
  if (offset == kNowhere) return loc;
  offset = std::min(offset, text.size());
  size_t line_start = text.rfind('\n', offset == 0 ? 0 : offset - 1);
  line_start = line_start == kNowhere || offset == 0 ? 0 : line_start + 1;
  loc.line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<long>(offset), '\n'));
  loc.col = 1 + static_cast<int>(offset - line_start);
  return loc;
}

struct Reader {
  const std::string& path;
  const std::string& text;
  const std::string& name;
  std::vector<size_t> index;  // of the element being read, for the location of an error

  [[noreturn]] void fail(const std::string& where, const std::string& why) const {
    throw LocatedError(location(path, text, JsonLocator(text).find(name, index)), "'" + name + "'" + where + ": " + why);
  }

  // The shape is read along the first elements; every other element must match it.
  std::vector<int64_t> shape_of(const json& v) {
    std::vector<int64_t> shape;
    const json* cur = &v;
    std::string where;
    while (cur->is_array()) {
      if (cur->empty()) fail(where, "an empty array is not a tensor (every dimension must be positive)");
      if (shape.size() == kMaxRank) fail(where, "nested deeper than " + std::to_string(kMaxRank) + " levels");
      shape.push_back(static_cast<int64_t>(cur->size()));
      cur = &(*cur)[0];
      index.push_back(0);
      where += "[0]";
    }
    index.clear();
    return shape;
  }

  void flatten(const json& v, const std::vector<int64_t>& shape, size_t depth, const std::string& where,
               std::vector<double>& out) {
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
    for (size_t i = 0; i < v.size(); ++i) {
      index.push_back(i);
      flatten(v[i], shape, depth + 1, where + "[" + std::to_string(i) + "]", out);
      index.pop_back();
    }
  }

  Tensor read(const json& v) {
    Tensor t;
    t.shape = shape_of(v);
    flatten(v, t.shape, 0, "", t.data);
    return t;
  }
};

// A key no tensor can have (a control character), or one given twice: JSON parsers keep the
// last of two values for one key, and a feed with two is ambiguous (which one did the user
// mean?), so it is an error at the second.
void refuse_bad_keys(const std::string& text, const std::string& path) {
  std::map<std::string, size_t> first;
  for (const auto& key : JsonLocator(text).keys()) {
    // No tensor is named so; and a NUL would cut every message that quotes the name.
    if (std::any_of(key.name.begin(), key.name.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; }))
      throw LocatedError(location(path, text, key.at),
                         "the name " + json(key.name).dump() + " holds a control character; no tensor is named so");
    auto [it, fresh] = first.emplace(key.name, key.at);
    if (!fresh)
      throw LocatedError(location(path, text, key.at),
                         "'" + key.name + "' is given twice (first at " + line_col(location(path, text, it->second)) + ")");
  }
}

// Where root[name][index...] stands in the feed at `path`, as it was read: parsed values keep
// no positions, and this runs only on the way to an error.
SourceLoc feed_location(const std::string& path, const std::string& name, const std::vector<size_t>& index) {
  std::string reread, why;
  const std::string* text = text_read_from(path);
  if (!text && read_input_file(path, reread, why)) text = &reread;
  size_t at = kNowhere;
  if (text) {
    try {
      at = JsonLocator(*text).find(name, index);
    } catch (const json::exception&) {  // no longer JSON
    }
  }
  return location(path, text ? std::string_view(*text) : std::string_view(), at);
}

}  // namespace

Values parse_feed(const std::string& text, const std::string& path) {
  // The JSON parser takes a NUL byte for the end of the text, and would ignore what follows.
  if (size_t nul = text.find('\0'); nul != std::string::npos)
    throw LocatedError(location(path, text, nul), "invalid JSON: a NUL byte");
  json root;
  try {
    root = json::parse(text);
  } catch (const json::parse_error& e) {
    // e.what() is "[json.exception.parse_error.101] parse error at line 3, column 7: WHY";
    // e.byte counts from 1 and is the byte after the last one read.
    std::string msg = e.what();
    size_t why = msg.find(": ", msg.find("] "));
    throw LocatedError(location(path, text, e.byte == 0 ? 0 : e.byte - 1),
                       "invalid JSON: " + (why == std::string::npos ? msg : msg.substr(why + 2)));
  } catch (const json::exception& e) {  // "[json.exception.out_of_range.406] number overflow parsing '1e999'"
    std::string msg = e.what();
    size_t tag = msg.find("] "), quote = msg.find(" '");
    size_t at = quote == std::string::npos ? kNowhere : text.find(msg.substr(quote + 2, msg.size() - quote - 3));
    throw LocatedError(location(path, text, at), "invalid JSON: " + (tag == std::string::npos ? msg : msg.substr(tag + 2)));
  }
  if (!root.is_object())
    throw LocatedError(location(path, text, text.find_first_not_of(" \t\r\n")),
                       "expected one JSON object mapping tensor names to values, got " + std::string(root.type_name()));
  refuse_bad_keys(text, path);
  Values values;
  for (const auto& [name, v] : root.items()) values[name] = Reader{path, text, name, {}}.read(v);
  return values;
}

// Why a fed name is none of the network's leaves: it is computed (a definition), or a leaf's
// name misspelt ("" when it is a leaf: the error is about its value).
std::string not_a_leaf_hint(const Program& p, const std::string& name) {
  if (p.find_leaf(name)) return "";
  for (const Definition& d : p.definitions)
    if (d.name == name) return " ('" + name + "' is computed by the network, not fed)";
  std::vector<std::string> leaves;
  for (const Leaf& l : p.leaves) leaves.push_back(l.name);
  return grad::did_you_mean(name, leaves);
}

DimBindings feed_dims(const Program& p, const Values& fed, const std::string& path) {
  try {
    return infer_dims(p, fed);
  } catch (const FedTensorError& e) {
    throw LocatedError(feed_location(path, e.tensor, {}), e.what() + not_a_leaf_hint(p, e.tensor));
  } catch (const InputError& e) {
    throw InputError(path + ": " + e.what());
  }
}

void fit_cpp_feed(const Program& p, Values& fed) {
  if (!p.flat_values) return;
  for (auto& [name, t] : fed) {
    const Leaf* l = p.find_leaf(name);
    if (l && l->float_values) round_to_f32(t);  // as the call to the function rounds it
    // A scalar takes a plain number, as in a .grad feed: [2] for `double s` is a shape error.
    if (!l || t.rank() != 1 || l->node->shape.empty()) continue;
    const std::optional<int64_t> numel = static_numel(l->node->shape);  // C++ shapes are fixed
    if (numel && *numel == t.numel()) t.shape = concrete(l->node->shape, {});
  }
}

Values read_feed(const std::string& path) {
  std::string text, why;
  if (!read_input_file(path, text, why)) {
    const std::string feed = path == kStdinPath ? "the feed from the standard input" : "feed '" + path + "'";
    throw InputError("cannot read " + feed + ": " + why);
  }
  return parse_feed(text, path);
}

void require_f32_feed(const Values& fed, const std::string& path, bool cpp_input) {
  // --precision is for .grad networks; a C++ function's types are its own.
  const char* remedy = cpp_input ? "the function takes float there; declare it double" : "evaluate with --precision f64";
  for (const auto& [name, t] : fed)
    for (size_t i = 0; i < t.data.size(); ++i) {
      if (!std::isinf(nearest_float(t.data[i]))) continue;
      std::vector<size_t> index(t.shape.size());
      std::string where;
      for (size_t d = t.shape.size(), rest = i; d-- > 0; rest /= static_cast<size_t>(t.shape[d]))
        index[d] = rest % static_cast<size_t>(t.shape[d]);
      for (size_t k : index) where += "[" + std::to_string(k) + "]";
      throw LocatedError(feed_location(path, name, index),
                         fmt::format("'{}'{}: {} is past the range of f32 (largest {}); {}", name, where, t.data[i],
                                     std::numeric_limits<float>::max(), remedy));
    }
}

std::vector<std::string> names_of(const Values& fed) {
  std::vector<std::string> names;
  for (const auto& [name, t] : fed) names.push_back(name);
  return names;
}

}  // namespace gg::cli
