// Every unsupported construct is an error at its exact location in the C++ file, in Clang's
// format (FILE:LINE:COL: error: MESSAGE, the source line, a caret), naming the construct;
// a file Clang cannot parse gets Clang's own errors.
#include <catch2/catch.hpp>

#include <string>

#include "frontend/clang/load_cpp.h"

using namespace gg;

namespace {

struct Case {
  const char* what;
  const char* source;
  const char* at;       // the text the error points at (its first occurrence after a "@" mark)
  const char* message;  // expected message, a prefix of the full one
};

/// 1-based line and column of the first `at` after the '@' marker (which is then removed).
std::pair<int, int> locate(std::string& src, const std::string& at) {
  size_t mark = src.find('@');
  REQUIRE(mark != std::string::npos);
  src.erase(mark, 1);
  size_t pos = src.find(at, mark);
  REQUIRE(pos != std::string::npos);
  int line = 1, col = 1;
  for (size_t i = 0; i < pos; ++i) {
    if (src[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return {line, col};
}

void expect_error(const Case& c) {
  std::string src = std::string("#include <gradgen/annotate.hpp>\n") + c.source;
  auto [line, col] = locate(src, c.at);
  Diagnostics diags;
  std::string rendered;
  auto ps = load_cpp(src, "input.cpp", CppOptions{}, diags, rendered);
  INFO(c.what << "\n" << rendered);
  CHECK_FALSE(ps);
  REQUIRE(diags.errors().size() >= 1);
  const Diagnostic& d = diags.errors().front();
  CHECK(d.loc.file == "input.cpp");
  CHECK(d.loc.line == line);
  CHECK(d.loc.col == col);
  CHECK(d.message.rfind(c.message, 0) == 0);
  std::string head = "input.cpp:" + std::to_string(line) + ":" + std::to_string(col) + ": error: " + c.message;
  size_t at = rendered.find(head);  // Clang's own warnings may come first
  REQUIRE(at != std::string::npos);
  // Clang's format goes on with the source line and a caret under the column.
  size_t nl = rendered.find('\n', at);
  REQUIRE(nl != std::string::npos);
  size_t nl2 = rendered.find('\n', nl + 1);
  REQUIRE(nl2 != std::string::npos);
  std::string caret = rendered.substr(nl2 + 1, rendered.find('\n', nl2 + 1) - nl2 - 1);
  CHECK(caret.find('^') == static_cast<size_t>(col - 1));
}

const Case kCases[] = {
    {"pointer arithmetic", "GRADGEN_DIFFERENTIATE GRADGEN_EXTENT(p, 3)\ndouble f(const double* p) {\n  return @(p + 1)[0];\n}\n",
     "(p + 1)", "unsupported construct: pointer arithmetic"},
    {"pointer arithmetic in a local", "GRADGEN_DIFFERENTIATE GRADGEN_EXTENT(p, 3)\ndouble f(const double* p) {\n  const double* q = @p + 1;\n  return q[0];\n}\n",
     "p + 1", "unsupported construct: pointer arithmetic"},
    {"heap allocation", "GRADGEN_DIFFERENTIATE\ndouble f(double x) {\n  double* q = @new double[3];\n  return x;\n}\n",
     "new", "unsupported construct: heap allocation (new)"},
    {"heap deallocation", "double* g();\nGRADGEN_DIFFERENTIATE\ndouble f(double x) {\n  @delete g();\n  return x;\n}\n",
     "delete", "unsupported construct: heap deallocation (delete)"},
    {"virtual call", "struct B { virtual double h(double) const; };\nextern const B& b;\nGRADGEN_DIFFERENTIATE\ndouble f(double x) {\n  return @b.h(x);\n}\n",
     "b.h", "unsupported construct: virtual call to 'B::h'"},
    {"unbounded for", "GRADGEN_DIFFERENTIATE\ndouble f(double x) {\n  @for (;;) x += 1;\n  return x;\n}\n",
     "for", "unsupported construct: loop runs more than 100000 iterations"},
    {"runaway while", "GRADGEN_DIFFERENTIATE\ndouble f(double x) {\n  @while (true) x += 1;\n  return x;\n}\n",
     "while", "unsupported construct: loop runs more than 100000 iterations"},
    {"matrix element write", "#include <gradgen/tensor_api.hpp>\nGRADGEN_DIFFERENTIATE\ndouble f(const double (&x)[2]) {\n  gradgen::Matrix<2, 2> M;\n  @M(0, 1) = x[0] * x[1];\n  return x[0];\n}\n",
     "M(0, 1)", "unsupported construct: assignment to an element of a tensor-API matrix (a matrix is computed whole, by the tensor API's operations; to write element by element use a C array or std::array)"},
    {"GNU conditional", "GRADGEN_DIFFERENTIATE\ndouble f(double x) {\n  return @x ?: 1.0;\n}\n", "x ?: 1.0",
     "unsupported construct: the GNU conditional 'a ?: b' (write 'a ? a : b')"},
    {"nullptr", "GRADGEN_DIFFERENTIATE\ndouble f(double x) {\n  return @nullptr == nullptr ? x : 0.0;\n}\n", "nullptr",
     "unsupported construct: nullptr (pointers are supported only as parameters with an extent)"},
    {"nested loops that only count", "GRADGEN_DIFFERENTIATE\ndouble f(double x) {\n  int c = 0;\n  for (int i = 0; i < 90000; ++i)\n    @for (int j = 0; j < 90000; ++j) c = (c + j) % 7;\n  return x * c;\n}\n",
     "for", "unsupported construct: the loops run more than 2000000 passes in all (nested loops whose trip counts multiply?)"},
    {"data-dependent bound", "GRADGEN_DIFFERENTIATE\ndouble f(double x) {\n  double s = 0;\n  for (int i = 0; @i < x; ++i) s += x;\n  return s;\n}\n",
     "i < x", "unsupported construct: data-dependent loop bound"},
    {"data-dependent index", "GRADGEN_DIFFERENTIATE\ndouble f(const double (&a)[3], double x) {\n  return a[(int)@x];\n}\n",
     "x]", "unsupported construct: conversion of floating-point data to an integer"},
    {"goto", "GRADGEN_DIFFERENTIATE\ndouble f(double x) {\n  @goto end;\nend:\n  return x;\n}\n", "goto",
     "unsupported construct: goto"},
    {"throw", "GRADGEN_DIFFERENTIATE\ndouble f(double x) {\n  if (x > 0) @throw 1;\n  return x;\n}\n", "throw",
     "unsupported construct: throw expression (exceptions)"},
    {"try", "GRADGEN_DIFFERENTIATE\ndouble f(double x) {\n  @try { x += 1; } catch (...) {}\n  return x;\n}\n", "try",
     "unsupported construct: exception handling (try/catch)"},
    {"unknown function", "double g(double);\nGRADGEN_DIFFERENTIATE\ndouble f(double x) {\n  return 2 * @g(x);\n}\n",
     "g(x)", "unsupported construct: call to unknown function 'g'"},
    {"math function not lowered", "#include <cmath>\nGRADGEN_DIFFERENTIATE\ndouble f(double x) {\n  return @std::atan(x);\n}\n",
     "std::atan(x)", "unsupported construct: call to unknown function 'atan' (supported: the <cmath> functions exp, log, sqrt"},
    {"address-of", "GRADGEN_DIFFERENTIATE\ndouble f(double x) {\n  double* p = @&x;\n  return x;\n}\n", "&x",
     "unsupported construct: address-of operator"},
    {"global variable", "double scale = 2;\nGRADGEN_DIFFERENTIATE\ndouble f(double x) {\n  return x * @scale;\n}\n",
     "scale;", "unsupported construct: global variable 'scale'"},
    {"switch", "GRADGEN_DIFFERENTIATE\ndouble f(double x) {\n  int k = 1;\n  @switch (k) { default: break; }\n  return x;\n}\n",
     "switch", "unsupported construct: switch statement"},
    {"break on data", "GRADGEN_DIFFERENTIATE\ndouble f(double x) {\n  for (int i = 0; i < 3; ++i) {\n    if (x > i) @break;\n  }\n  return x;\n}\n",
     "break", "break/continue under a condition that depends on floating-point data"},
    {"out of bounds", "GRADGEN_DIFFERENTIATE\ndouble f(const double (&a)[3]) {\n  return a[@3];\n}\n", "3]",
     "index 3 is out of bounds for an array of 3 elements"},
    {"uninitialised", "GRADGEN_DIFFERENTIATE\ndouble f(double x) {\n  double y;\n  return x + @y;\n}\n", "y;",
     "use of a variable before it is assigned a value"},
    {"missing return path", "GRADGEN_DIFFERENTIATE\ndouble f(double x) {\n  if (x > 0) return x;\n@}\n", "}",
     "not every path through 'f' returns a value"},
    {"integer parameter", "GRADGEN_DIFFERENTIATE\ndouble f(double x, int @n) {\n  return x;\n}\n", "n)",
     "unsupported construct: integer parameter 'n'"},
    {"pointer without extent", "GRADGEN_DIFFERENTIATE\ndouble f(const double* @p) {\n  return p[0];\n}\n", "p)",
     "pointer parameter 'p' needs its size: add GRADGEN_EXTENT(p, N)"},
    {"extent past the limit", "GRADGEN_DIFFERENTIATE @GRADGEN_EXTENT(p, 4000000000)\ndouble f(const double* p) {\n  return p[0];\n}\n",
     "GRADGEN_EXTENT(p", "GRADGEN_EXTENT(p, 4000000000): at most 1048576 elements (each one is unrolled)"},
    {"extent given twice", "GRADGEN_DIFFERENTIATE GRADGEN_EXTENT(p, 3) @GRADGEN_EXTENT(p, 4)\ndouble f(const double* p) {\n  return p[0];\n}\n",
     "GRADGEN_EXTENT(p, 4", "GRADGEN_EXTENT(p, ...) is given twice"},
    {"extent of no parameter", "GRADGEN_DIFFERENTIATE GRADGEN_EXTENT(p, 3) @GRADGEN_EXTENT(q, 3)\ndouble f(const double* p) {\n  return p[0];\n}\n",
     "GRADGEN_EXTENT(q", "GRADGEN_EXTENT(q, 3) names no parameter of 'f'"},
    {"extent of a scalar", "GRADGEN_DIFFERENTIATE @GRADGEN_EXTENT(x, 3)\ndouble f(double x) {\n  return x;\n}\n",
     "GRADGEN_EXTENT(x", "GRADGEN_EXTENT(x, 3): 'x' is not a pointer parameter (its size comes from its type)"},
    {"wrt names no parameter", "GRADGEN_DIFFERENTIATE_WRT(\"q\")\ndouble @f(double x) {\n  return x;\n}\n", "f(",
     "GRADGEN_DIFFERENTIATE_WRT names 'q', which is not a parameter of 'f'"},
    {"wrt names a parameter twice", "GRADGEN_DIFFERENTIATE_WRT(\"x\", \"y\", \"x\")\ndouble @f(double x, double y) {\n  return x * y;\n}\n",
     "f(", "GRADGEN_DIFFERENTIATE_WRT names 'x' twice"},
    {"class parameter", "struct S { double v; };\nGRADGEN_DIFFERENTIATE\ndouble f(S @s) {\n  return 1.0;\n}\n", "s)",
     "unsupported construct: parameter 's' of type"},
    {"initializer list", "#include <algorithm>\nGRADGEN_DIFFERENTIATE\ndouble f(double x, double y) {\n  return std::max(@{x, y, x * y});\n}\n",
     "{x", "unsupported construct: an initializer list (std::max({a, b, c}) and the like): nest two-argument calls"},
    {"lambda", "GRADGEN_DIFFERENTIATE\ndouble f(double x) {\n  auto g = @[](double v) { return v; };\n  return x;\n}\n",
     "[]", "unsupported local variable type"},
    {"member function", "struct S {\n  GRADGEN_DIFFERENTIATE double @m(double x) { return x; }\n};\n", "m(",
     "unsupported construct: member function 'm' cannot be differentiated"},
    {"write through a pointer parameter", "GRADGEN_DIFFERENTIATE GRADGEN_EXTENT(out, 2)\ndouble f(double x, double* out) {\n  @out[0] = x;\n  return x;\n}\n",
     "out[0]", "assignment to memory the caller passed to 'f' (a pointer or reference parameter): gradgen differentiates the "
     "return value, and f_grad would not write it; copy it into a local variable or array first"},
    {"increment through a pointer parameter", "GRADGEN_DIFFERENTIATE GRADGEN_EXTENT(out, 2)\ndouble f(double x, double* out) {\n  @out[1]++;\n  return x * out[1];\n}\n",
     "out[1]", "increment of memory the caller passed to 'f'"},
    {"write through a called function", "void h(double* p) {\n  @p[0] = 1;\n}\nGRADGEN_DIFFERENTIATE GRADGEN_EXTENT(out, 2)\ndouble f(double x, double* out) {\n  h(out);\n  return x;\n}\n",
     "p[0]", "assignment to memory the caller passed to 'f'"},
    {"write through a local reference", "GRADGEN_DIFFERENTIATE GRADGEN_EXTENT(p, 2)\ndouble f(double* p) {\n  double& r = p[0];\n  @r = 5 * p[1];\n  return p[0] * p[1];\n}\n",
     "r =", "assignment to memory the caller passed to 'f'"},
    {"write through a helper's reference parameter", "void set(double& v, double a) { @v = a; }\nGRADGEN_DIFFERENTIATE\ndouble f(double (&p)[2]) {\n  set(p[0], 3 * p[1]);\n  return p[0] * p[1];\n}\n",
     "v = a", "assignment to memory the caller passed to 'f'"},
    {"a reference to the result of ?:", "GRADGEN_DIFFERENTIATE\ndouble f(double x, double y) {\n  double a = x, b = y;\n  const double& r = @(x > y) ? a : b;\n  a = 10 * x;\n  return r;\n}\n",
     "(x > y)", "unsupported construct: a reference bound to the result of ?:, an assignment, an increment or a comma "
     "(bind it to a variable or an array element, chosen with if/else)"},
    {"a reference parameter bound to a compound assignment", "void twice(double& v) { v = 2 * v; }\nGRADGEN_DIFFERENTIATE\ndouble f(double x, double y) {\n  double a = x;\n  twice(@a += y);\n  return a;\n}\n",
     "a +=", "unsupported construct: a reference bound to the result of ?:, an assignment"},
    {"a reference parameter bound to an increment", "void twice(double& v) { v = 2 * v; }\nGRADGEN_DIFFERENTIATE\ndouble f(double x) {\n  double b = x;\n  twice(@++b);\n  return b;\n}\n",
     "++b", "unsupported construct: a reference bound to the result of ?:, an assignment"},
    {"a write into the caller's memory after a return on data", "double h(double& a, double c) {\n  a = a * 2;\n  if (c > 0) return a;\n  @a = a + 100;\n  return a;\n}\nGRADGEN_DIFFERENTIATE\ndouble f(double x, double y) {\n  double s = y;\n  return h(s, x) + s;\n}\n",
     "a = a + 100", "unsupported construct: assignment to memory of the caller of 'h' after a return that depends on data "
     "(it would happen on both paths); write it before the return, or return once at the end"},
    {"floating-point data added into an int", "GRADGEN_DIFFERENTIATE\ndouble f(double x) {\n  int k = 0;\n  @k += x;\n  return k * x;\n}\n",
     "k +=", "unsupported construct: conversion of floating-point data to an integer (not differentiable)"},
    {"integer division of comparisons on data", "GRADGEN_DIFFERENTIATE\ndouble f(double x, double y) {\n  int k = (x > 0) + (y > 0);\n  int h = @k / 2;\n  return y * h;\n}\n",
     "k / 2", "unsupported construct: integer division of a value that depends on floating-point data (a comparison); "
     "divide as floating point"},
    {"an unsigned integer made from a comparison on data", "GRADGEN_DIFFERENTIATE\ndouble f(double x, double y) {\n  unsigned u = @(y > 0) - 1u;\n  return u * x;\n}\n",
     "(y > 0) - 1u", "unsupported construct: an integer that depends on floating-point data (a comparison) in type "
     "'unsigned int', where C++ wraps it around; use int"},
    {"a comparison on data added into an unsigned char", "GRADGEN_DIFFERENTIATE\ndouble f(double x) {\n  unsigned char c = 250;\n  @c += (x > 0) * 10;\n  return c * x;\n}\n",
     "c +=", "unsupported construct: an integer that depends on floating-point data (a comparison) in type "
     "'unsigned char', where C++ wraps it around; use int"},
    {"a comparison on data scaled into a short", "GRADGEN_DIFFERENTIATE\ndouble f(double x) {\n  short s = @(x > 0) * 40000;\n  return s * x;\n}\n",
     "(x > 0) * 40000", "unsupported construct: an integer that depends on floating-point data (a comparison) in type "
     "'short', where C++ wraps it around; use int"},
    {"remainder of an int made from comparisons on data", "GRADGEN_DIFFERENTIATE\ndouble f(double x, double y) {\n  int n = (x > 0) + (y > 0);\n  int m = @n % 2;\n  return m * x;\n}\n",
     "n % 2", "unsupported construct: operator % on an integer that depends on floating-point data (a comparison)"},
    {"a reference bound to the reference std::max returns", "#include <algorithm>\nGRADGEN_DIFFERENTIATE\ndouble f(double x, double y) {\n  double a = x, b = y;\n  const double& m = @std::max(a, b);\n  a = 10 * y;\n  return m;\n}\n",
     "std::max(a, b)", "unsupported construct: a reference bound to the reference that 'max' returns (gradgen inlines "
     "calls to values); copy the value instead (const double m = ...)"},
    {"a chain of 70 helpers, none recursive", "double h0(double x) { return x; }\ndouble h1(double x) { return h0(x) + 1; }\ndouble h2(double x) { return h1(x) + 1; }\ndouble h3(double x) { return h2(x) + 1; }\ndouble h4(double x) { return h3(x) + 1; }\ndouble h5(double x) { return h4(x) + 1; }\ndouble h6(double x) { return h5(x) + 1; }\ndouble h7(double x) { return @h6(x) + 1; }\ndouble h8(double x) { return h7(x) + 1; }\ndouble h9(double x) { return h8(x) + 1; }\ndouble h10(double x) { return h9(x) + 1; }\ndouble h11(double x) { return h10(x) + 1; }\ndouble h12(double x) { return h11(x) + 1; }\ndouble h13(double x) { return h12(x) + 1; }\ndouble h14(double x) { return h13(x) + 1; }\ndouble h15(double x) { return h14(x) + 1; }\ndouble h16(double x) { return h15(x) + 1; }\ndouble h17(double x) { return h16(x) + 1; }\ndouble h18(double x) { return h17(x) + 1; }\ndouble h19(double x) { return h18(x) + 1; }\ndouble h20(double x) { return h19(x) + 1; }\ndouble h21(double x) { return h20(x) + 1; }\ndouble h22(double x) { return h21(x) + 1; }\ndouble h23(double x) { return h22(x) + 1; }\ndouble h24(double x) { return h23(x) + 1; }\ndouble h25(double x) { return h24(x) + 1; }\ndouble h26(double x) { return h25(x) + 1; }\ndouble h27(double x) { return h26(x) + 1; }\ndouble h28(double x) { return h27(x) + 1; }\ndouble h29(double x) { return h28(x) + 1; }\ndouble h30(double x) { return h29(x) + 1; }\ndouble h31(double x) { return h30(x) + 1; }\ndouble h32(double x) { return h31(x) + 1; }\ndouble h33(double x) { return h32(x) + 1; }\ndouble h34(double x) { return h33(x) + 1; }\ndouble h35(double x) { return h34(x) + 1; }\ndouble h36(double x) { return h35(x) + 1; }\ndouble h37(double x) { return h36(x) + 1; }\ndouble h38(double x) { return h37(x) + 1; }\ndouble h39(double x) { return h38(x) + 1; }\ndouble h40(double x) { return h39(x) + 1; }\ndouble h41(double x) { return h40(x) + 1; }\ndouble h42(double x) { return h41(x) + 1; }\ndouble h43(double x) { return h42(x) + 1; }\ndouble h44(double x) { return h43(x) + 1; }\ndouble h45(double x) { return h44(x) + 1; }\ndouble h46(double x) { return h45(x) + 1; }\ndouble h47(double x) { return h46(x) + 1; }\ndouble h48(double x) { return h47(x) + 1; }\ndouble h49(double x) { return h48(x) + 1; }\ndouble h50(double x) { return h49(x) + 1; }\ndouble h51(double x) { return h50(x) + 1; }\ndouble h52(double x) { return h51(x) + 1; }\ndouble h53(double x) { return h52(x) + 1; }\ndouble h54(double x) { return h53(x) + 1; }\ndouble h55(double x) { return h54(x) + 1; }\ndouble h56(double x) { return h55(x) + 1; }\ndouble h57(double x) { return h56(x) + 1; }\ndouble h58(double x) { return h57(x) + 1; }\ndouble h59(double x) { return h58(x) + 1; }\ndouble h60(double x) { return h59(x) + 1; }\ndouble h61(double x) { return h60(x) + 1; }\ndouble h62(double x) { return h61(x) + 1; }\ndouble h63(double x) { return h62(x) + 1; }\ndouble h64(double x) { return h63(x) + 1; }\ndouble h65(double x) { return h64(x) + 1; }\ndouble h66(double x) { return h65(x) + 1; }\ndouble h67(double x) { return h66(x) + 1; }\ndouble h68(double x) { return h67(x) + 1; }\ndouble h69(double x) { return h68(x) + 1; }\nGRADGEN_DIFFERENTIATE\ndouble f(double x) {\n  return h69(x);\n}\n",
     "h6(x) + 1", "calls nest deeper than 64 functions (here 'h6'): gradgen inlines every call"},
    {"a structured binding", "#include <array>\nGRADGEN_DIFFERENTIATE\ndouble f(double x) {\n  std::array<double, 2> a{x, 2 * x};\n  @auto [u, v] = a;\n  return u * v;\n}\n",
     "auto [u, v]", "unsupported construct: structured binding (auto [a, b] = ...); read the elements by index"},
    {"a variadic function", "GRADGEN_DIFFERENTIATE\ndouble @f(double x, ...) {\n  return x;\n}\n",
     "f(double x, ...)", "unsupported construct: variadic function 'f' (its '...' arguments)"},
    {"a recursive call, located at the call", "GRADGEN_DIFFERENTIATE\ndouble rec(double x) {\n  if (x > 1) return @rec(x / 2);\n  return x;\n}\n",
     "rec(x / 2)", "recursive call to 'rec' (calls nest deeper than 64)"},
    {"a zero-size array parameter", "#include <array>\nGRADGEN_DIFFERENTIATE\ndouble f(const std::array<double, 0>& @a, double x) {\n  return 2 * x;\n}\n",
     "a, double", "unsupported construct: parameter 'a' has no elements (an array of size 0)"},
    {"a wrt annotation that names nothing", "[[@clang::annotate(\"gradgen\", \"wrt\")]]\ndouble f(double x) {\n  return x;\n}\n",
     "clang::annotate(\"gradgen\", \"wrt\")", "the \"wrt\" annotation names no parameter (list the ones to differentiate, or use "
     "GRADGEN_DIFFERENTIATE for all)"},
    {"a misspelt extent, before its pointer's missing size", "GRADGEN_DIFFERENTIATE @GRADGEN_EXTENT(q, 3)\ndouble f(const double* p) {\n  return p[0];\n}\n",
     "GRADGEN_EXTENT(q", "GRADGEN_EXTENT(q, 3) names no parameter of 'f'"},
    {"a known value out of an integer's range", "GRADGEN_DIFFERENTIATE\ndouble f(const double (&a)[3]) {\n  double big = 1e30;\n  return a[(int)@big];\n}\n",
     "big]", "conversion of 1e+30 to 'int' is out of its range (undefined behaviour in C++)"},
    {"signed int overflow in a sum", "#include <climits>\nGRADGEN_DIFFERENTIATE\ndouble f(double x) {\n  int k = INT_MAX;\n  int m = @k + 1;\n  return x * m;\n}\n",
     "k + 1", "signed integer overflow: 2147483647 + 1 does not fit in 'int' (undefined behaviour in C++)"},
    {"signed overflow by increment", "GRADGEN_DIFFERENTIATE\ndouble f(double x) {\n  long long b = 9223372036854775807LL;\n  @++b;\n  return x * b;\n}\n",
     "++b", "signed integer overflow: 9223372036854775807 + 1 does not fit in 'long long'"},
    {"signed overflow in a loop's product", "GRADGEN_DIFFERENTIATE\ndouble f(double x) {\n  int s = 1;\n  for (int i = 0; i < 40; ++i) @s *= 3;\n  return x * s;\n}\n",
     "s *= 3", "signed integer overflow: 1162261467 * 3 does not fit in 'int'"},
    {"negating the most negative int", "#include <climits>\nGRADGEN_DIFFERENTIATE\ndouble f(double x) {\n  int m = INT_MIN;\n  return x * @-m;\n}\n",
     "-m;", "signed integer overflow: -(-2147483648) does not fit in 'int'"},
    {"bitwise not of an int made from a comparison on data", "GRADGEN_DIFFERENTIATE\ndouble f(double x) {\n  int c = (x > 0);\n  return (@~c) * x;\n}\n",
     "~c)", "unsupported construct: bitwise not on an integer that depends on floating-point data (a comparison)"},
    {"assignment to the variable ?: picks", "GRADGEN_DIFFERENTIATE\ndouble f(double x, double y) {\n  double a = 1, b = 2;\n  @(x > y ? a : b) = x * y;\n  return a + b;\n}\n",
     "(x > y ? a : b) =", "unsupported construct: assignment to the variable a ?: picks (not supported: assign in an if/else instead)"},
    {"assignment through a returned reference", "double& pick(double* w, int i) { return w[i]; }\nGRADGEN_DIFFERENTIATE\ndouble f(double x) {\n  double w[2] = {x, 1};\n  @pick(w, 1) += x;\n  return w[0] * w[1];\n}\n",
     "pick(w, 1) +=", "unsupported construct: assignment to the reference a function call returns (not supported: assign to the variable itself)"},
    {"a known negative value to unsigned", "GRADGEN_DIFFERENTIATE\ndouble f(double x) {\n  double m = -2;\n  unsigned u = @m;\n  return x * u;\n}\n",
     "m;", "conversion of -2 to 'unsigned int' is out of its range"},
    {"write to a global", "double g = 0;\nGRADGEN_DIFFERENTIATE\ndouble f(double x) {\n  @g = x;\n  return x;\n}\n",
     "g =", "unsupported construct: assignment to 'g', which is not a local variable or parameter (globals and static variables are not supported)"},
    {"heap allocation through malloc", "#include <cstdlib>\nGRADGEN_DIFFERENTIATE\ndouble f(double x) {\n  double* t = (double*)@std::malloc(8);\n  return x;\n}\n",
     "std::malloc", "unsupported construct: heap allocation (malloc)"},
    {"a pointer cast to an integer", "GRADGEN_DIFFERENTIATE\ndouble f(double x) {\n  long k = @(long)&x;\n  return x * k;\n}\n",
     "(long)", "unsupported construct: pointer cast (PointerToIntegral)"},
    {"a marked function defined nowhere in the file", "GRADGEN_DIFFERENTIATE double @f(double x);\n",
     "f(double", "'f' is marked GRADGEN_DIFFERENTIATE but not defined in this file (gradgen reads the body)"},
    {"a long double function", "GRADGEN_DIFFERENTIATE\nlong double @f(long double x) { return x * x; }\n",
     "f(long", "a differentiated function must return float or double, not 'long double'"},
    {"a long double parameter", "GRADGEN_DIFFERENTIATE\ndouble f(long double @x) { return x; }\n",
     "x)", "unsupported construct: parameter 'x' of type 'long double'"},
    {"long double arithmetic inside a double function", "GRADGEN_DIFFERENTIATE\ndouble f(double x) {\n  return @(x + 1e-17L) * x;\n}\n",
     "(x + 1e-17L)", "unsupported construct: arithmetic in 'long double' (only float and double are computed as C++ computes them)"},
    {"a const global computed at run time", "#include <cmath>\nconst double kA = std::sqrt(2.0);\nGRADGEN_DIFFERENTIATE\ndouble f(double x) {\n  return x * @kA;\n}\n",
     "kA;", "unsupported construct: global constant 'kA' whose value is not a constant expression (make it constexpr, or pass it as a parameter)"},
    {"Clang's own parse error", "GRADGEN_DIFFERENTIATE\ndouble f(double x) {\n  return x +@;\n}\n", ";",
     "expected expression"},
    {"Clang's own type error", "GRADGEN_DIFFERENTIATE\ndouble f(double x) {\n  return @y;\n}\n", "y",
     "use of undeclared identifier 'y'"},
};

}  // namespace

TEST_CASE("unsupported constructs are located errors in Clang's format", "[clang][errors]") {
  for (const Case& c : kCases) {
    SECTION(c.what) { expect_error(c); }
  }
}

TEST_CASE("writes to local arrays, also through called functions, are not the caller's", "[clang][errors]") {
  const char* src = R"(#include <gradgen/annotate.hpp>
void scale(double* p, double k) { p[0] *= k; p[1] *= k; }
GRADGEN_DIFFERENTIATE double f(double x, double y) {
  double v[2] = {x, y};
  scale(v, 3.0);
  x = v[0] + v[1];  // a by-value parameter is the function's own copy
  return x * y;
}
)";
  Diagnostics diags;
  std::string rendered;
  auto ps = load_cpp(src, "input.cpp", CppOptions{}, diags, rendered);
  INFO(rendered);
  REQUIRE(ps);
  CHECK(ps->size() == 1);
}

TEST_CASE("a function name too long to name a file is a located error", "[clang][errors]") {
  const std::string src = "GRADGEN_DIFFERENTIATE\ndouble @f" + std::string(200, 'x') + "(double x) {\n  return x;\n}\n";
  expect_error({"long name", src.c_str(), "fxx",
                "the function name is 201 characters long; at most 200 are allowed, as it names the generated files"});
}

// Lowering a sum recursed once per term and overflowed the stack at ~20000 terms (Clang's own
// parse gives out near 30000). Past 1024 levels it is an error at the expression, as in .grad.
TEST_CASE("an expression too deep to lower is a located error, not a stack overflow", "[clang][errors]") {
  auto sum_of = [](int terms) {
    std::string src = "GRADGEN_DIFFERENTIATE\ndouble f(double x, double y) {\n  return @x";
    for (int i = 0; i < terms; ++i) src += "\n      + x * y";
    return src + ";\n}\n";
  };
  const std::string deep = sum_of(5000);
  expect_error({"5000 terms", deep.c_str(), "x", "expression is too deep (more than 1024 levels); split it into statements"});

  Diagnostics diags;
  std::string rendered, ok = "#include <gradgen/annotate.hpp>\n" + sum_of(1000);
  ok.erase(ok.find('@'), 1);
  CHECK(load_cpp(ok, "input.cpp", CppOptions{}, diags, rendered));
  INFO(rendered);
  CHECK(diags.errors().empty());
}

TEST_CASE("a file with no annotated function is an error", "[clang][errors]") {
  Diagnostics diags;
  std::string rendered;
  auto ps = load_cpp("double f(double x) { return x; }\n", "plain.cpp", CppOptions{}, diags, rendered);
  CHECK_FALSE(ps);
  CHECK(rendered == "plain.cpp: error: no function is marked GRADGEN_DIFFERENTIATE\n");
}

TEST_CASE("an unreadable file is an error, not a crash", "[clang][errors]") {
  Diagnostics diags;
  std::string rendered;
  CHECK_FALSE(load_cpp_file("/nonexistent/model.cpp", CppOptions{}, diags, rendered));
  CHECK(rendered == "/nonexistent/model.cpp: error: cannot read '/nonexistent/model.cpp': No such file or directory\n");
}

TEST_CASE("is_cpp_file dispatches on the extension", "[clang]") {
  CHECK(is_cpp_file("model.cpp"));
  CHECK(is_cpp_file("dir/m.cc"));
  CHECK(is_cpp_file("m.hpp"));
  CHECK_FALSE(is_cpp_file("seed.grad"));
  CHECK_FALSE(is_cpp_file("cpp"));
  // As g++ and clang++ read them: any case, except that .c and .h are C.
  for (const char* name : {"M.CPP", "m.C", "m.Cc", "m.cp", "m.CXX", "m.c++", "m.H", "m.HPP", "m.hh", "m.ii"}) CHECK(is_cpp_file(name));
  for (const char* name : {"m.c", "m.h", ".cpp", "dir/.cpp", "x.cpp/seed.grad", "m.cpp.grad", "m."}) CHECK_FALSE(is_cpp_file(name));
}
