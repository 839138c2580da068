// Keyword-safe identifiers and scalar literals for generated C++.
#include "emit/cpp_names.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <string_view>

#include <fmt/format.h>

#include "support/files.h"
#include "support/identifiers.h"
#include "support/numbers.h"

namespace gg::cpp {
namespace {

// C++20 keywords and alternative tokens, C11 keywords, macros and typedefs that generated
// code or its headers use unqualified, and every name of the generated API and its bodies.
constexpr std::array kReserved = {
    "alignas", "alignof", "and", "and_eq", "asm", "auto", "bitand", "bitor", "bool", "break", "case", "catch",
    "char", "char8_t", "char16_t", "char32_t", "class", "compl", "concept", "const", "consteval", "constexpr",
    "constinit", "const_cast", "continue", "co_await", "co_return", "co_yield", "decltype", "default", "delete",
    "do", "double", "dynamic_cast", "else", "enum", "explicit", "export", "extern", "false", "float", "for",
    "friend", "goto", "if", "inline", "int", "long", "mutable", "namespace", "new", "noexcept", "not", "not_eq",
    "nullptr", "operator", "or", "or_eq", "private", "protected", "public", "register", "reinterpret_cast",
    "requires", "return", "short", "signed", "sizeof", "static", "static_assert", "static_cast", "struct",
    "switch", "template", "this", "thread_local", "throw", "true", "try", "typedef", "typeid", "typename",
    "union", "unsigned", "using", "virtual", "void", "volatile", "wchar_t", "while", "xor", "xor_eq", "restrict",
    "final", "override", "import", "module",
    // Macros and typedefs from <stdint.h>, <stddef.h>, <math.h>, <assert.h>, <errno.h>, <stdio.h>, compilers.
    "NULL", "EOF", "errno", "assert", "stdin", "stdout", "stderr", "offsetof", "INFINITY", "NAN", "HUGE_VAL",
    "int8_t", "int16_t", "int32_t", "int64_t", "uint8_t", "uint16_t", "uint32_t", "uint64_t", "size_t",
    "ptrdiff_t", "intptr_t", "uintptr_t", "unix", "linux", "i386",
    // Namespaces and entry points.
    "std", "gg", "rt", "main",
    // The generated API.
    "Scalar", "Status", "Params", "Grads", "OptState", "Workspace", "WorkspaceRef", "init", "forward",
    "loss_and_grad", "step", "data", "size", "workspace_size", "status_string", "kOk", "kNullPointer", "kBadDim",
    "kWorkspaceTooSmall", "kBadInit", "kNumParams", "kMaxDim", "params", "grads", "state", "loss", "ws",
    "ws_size", "need", "approx_need", "forward_need", "train_need", "init_impl", "forward_impl", "loss_and_grad_impl",
    "step_impl",
    // Locals of generated bodies.
    "acc", "col_sums", "lse", "dv", "pv", "yv", "zv", "i0", "i1", "i2", "i3", "i4", "i5", "i6", "i7", "impl",
};

#include "emit/system_names.inc"

}  // namespace

bool is_reserved(std::string_view name) {
  for (const char* r : kReserved)
    if (name == r) return true;
  return std::binary_search(std::begin(kSystemMacros), std::end(kSystemMacros), name);
}

bool is_system_global(std::string_view name) {
  return std::binary_search(std::begin(kSystemGlobals), std::end(kSystemGlobals), name);
}

std::string mangle_namespace(std::string_view raw) {
  std::string s = mangle(raw);
  while (is_system_global(s)) s += '_';
  return s;
}

std::string mangle(std::string_view raw) {
  std::string s;
  for (char c : raw) s += is_word_char(c) ? c : '_';
  if (s.empty()) s = "v";
  for (size_t at = s.find("__"); at != std::string::npos; at = s.find("__")) s.replace(at, 2, "_x_");
  if (std::isdigit(static_cast<unsigned char>(s[0]))) s = "v" + s;
  if (s[0] == '_') s = "u" + s;
  if (is_reserved(s)) s += '_';
  return s;
}

std::string Namer::claim(std::string_view raw) {
  std::string base = mangle(raw);
  std::string s = base;
  for (int k = 2; used_.count(s) || is_reserved(s); ++k) s = base + "_" + std::to_string(k);
  used_.insert(s);
  return s;
}

std::string source_name(std::string_view path) {
  if (path == kStdinPath) return kStdinName;
  const size_t slash = path.find_last_of('/');
  std::string name(slash == std::string_view::npos ? path : path.substr(slash + 1));
  for (char& c : name)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F || c == '\\') c = '?';
  return name;
}

std::string literal(double v, Precision p) {
  const bool f32 = p == Precision::F32;
  if (f32) v = nearest_float(v);  // as the f32 interpreter rounds it: 1e300f would not compile, 1e-320f warns
  if (std::isnan(v)) return "std::numeric_limits<Scalar>::quiet_NaN()";
  if (std::isinf(v)) return v > 0 ? "std::numeric_limits<Scalar>::infinity()" : "(-std::numeric_limits<Scalar>::infinity())";
  // The shortest text that reads back as the float (f32) or the double.
  std::string s = f32 ? fmt::format("{}", static_cast<float>(v)) : fmt::format("{}", v);
  if (s.find_first_of(".en") == std::string::npos) s += ".0";
  if (f32) s += "f";
  return v < 0 || std::signbit(v) ? "(" + s + ")" : s;
}

std::string from_accum(const std::string& sum, Precision p) {
  return p == Precision::F32 ? "static_cast<Scalar>(" + sum + ")" : sum;
}

}  // namespace gg::cpp
