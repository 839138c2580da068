// The C++ signature of an annotated function, as the C++ front end reads it and the f_grad
// emitter (emit/cpp_function.h) repeats it. Plain data, no Clang types.
#pragma once

#include <string>
#include <vector>

namespace gg {

/// One parameter of an annotated function, as generated code repeats it (`gradgen generate`).
struct CppParam {
  std::string name;
  std::string decl;  // the declaration with fully qualified types: "const double (&w)[3]"
  std::string flat;  // a pointer to its first element, row-major: "&x", "&w[0]", "&W1.data[0]"
  bool scalar = false;  // one float or double: its gradient is `double& d_x`, else `double* d_x`
  bool f32 = false;     // its elements are float (the function's scalar type may differ)
};

/// The C++ signature of an annotated function, parallel to its Program (leaf i = params[i]).
struct CppSignature {
  std::string name;         // unqualified function name
  std::string ns;           // enclosing namespaces, "a::b" ("" at global scope)
  std::string return_type;  // "double" or "float"
  std::vector<CppParam> params;
  bool uses_tensor_api = false;  // a parameter has a gradgen::Matrix/Vector type
};

}  // namespace gg
