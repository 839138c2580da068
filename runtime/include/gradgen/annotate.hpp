// Marks C++ functions for gradgen's C++ front end; expands to nothing outside Clang, so an
// annotated file stays ordinary C++ that any compiler builds.
//
//   GRADGEN_DIFFERENTIATE                  gradient w.r.t. every floating-point parameter
//   GRADGEN_DIFFERENTIATE_WRT("w", "b")    gradient w.r.t. the named parameters only
//   GRADGEN_EXTENT(p, 3)                   pointer parameter p points at 3 elements
//
// Put them before the function, e.g.
//   GRADGEN_DIFFERENTIATE GRADGEN_EXTENT(p, 2)
//   double loss(const double* p, double x) { ... }
// Underneath: [[clang::annotate("gradgen")]], [[clang::annotate("gradgen", "wrt", "w", "b")]]
// and [[clang::annotate("gradgen.extent", "p", 3)]].
#pragma once

#if defined(__clang__)
#define GRADGEN_DIFFERENTIATE [[clang::annotate("gradgen")]]
#define GRADGEN_DIFFERENTIATE_WRT(...) [[clang::annotate("gradgen", "wrt", __VA_ARGS__)]]
#define GRADGEN_EXTENT(param, n) [[clang::annotate("gradgen.extent", #param, n)]]
#else
#define GRADGEN_DIFFERENTIATE
#define GRADGEN_DIFFERENTIATE_WRT(...)
#define GRADGEN_EXTENT(param, n)
#endif
