// The reference interpreter: evaluates Program nodes in double (or emulating f32) straight
// from the op table's reference evaluations. `check --interp`, `eval --interp` and the
// gradient tests use it; generated code is compared against it.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "ir/program.h"
#include "ir/tensor.h"
#include "support/error.h"

namespace gg {

/// Leaf name -> value (inputs, targets, params).
using Values = std::map<std::string, Tensor>;

/// A fed value that does not fit the network: `tensor` names it, so that a caller holding the
/// feed's text can point at it.
struct FedTensorError : InputError {
  FedTensorError(std::string name, const std::string& message) : InputError(message), tensor(std::move(name)) {}
  std::string tensor;
};

/// Binds every symbolic dim from the fed shapes. Throws InputError naming the tensor, its
/// declared and fed shape on a missing input/target, and FedTensorError on a rank or size
/// mismatch, a conflicting dim, a name that is not declared, or a value whose element count
/// does not fit its shape.
/// Missing params are allowed (see complete_params), but for a C++ function's
/// (Program::flat_values), which have no init=.
DimBindings infer_dims(const Program& p, const Values& fed);

/// Every param initialised from its Init via runtime/include/gradgen/init.hpp (one stream per
/// param name), so generated code with the same seed produces the same values bit for bit.
/// Throws InputError on a bad init (unknown kind, wrong argument count, xavier/he not rank 2).
Values init_params(const Program& p, uint64_t seed, const DimBindings& dims);

/// `fed` plus an initialised value for every param it lacks (the CLI's --seed behaviour).
Values complete_params(const Program& p, Values fed, uint64_t seed, const DimBindings& dims);

/// What complete_params first checks, without allocating: an InputError naming the first param
/// missing from `fed` whose shape uses a dim that `dims` does not bind.
void require_initialisable(const Program& p, const Values& fed, const DimBindings& dims);

/// Memoized evaluation of nodes of one graph. Leaves (Input, Param) read `leaves` by name;
/// everything else runs its op table row. Nodes are evaluated in increasing id order (ids are
/// creation order, so operands come first): iterative, no recursion depth limit.
class Interpreter {
 public:
  /// Borrows `leaves` (they must outlive the interpreter) unless f32 rounding needs a copy:
  /// `check` evaluates the loss hundreds of times over params that can be megabytes.
  Interpreter(const Values& leaves, DimBindings dims, Precision precision = Precision::F64);
  /// Owns them.
  Interpreter(Values&& leaves, DimBindings dims, Precision precision = Precision::F64);

  /// The value of `n`, evaluating it and whatever it needs first.
  const Tensor& eval(const Node* n);
  /// Evaluates all of `nodes` (and what they need) in one topological sweep.
  void eval_all(const std::vector<const Node*>& nodes);
  const DimBindings& dims() const { return dims_; }

 private:
  void round_owned();  // every owned leaf to the nearest float (f32 networks)
  void compute(const Node* n);
  const Tensor& leaf_value(const Node* n) const;
  const Tensor* known(const Node* n) const;  // null until computed

  Values owned_;          // the leaves when owned or rounded to f32
  const Values* leaves_;  // &owned_ or the caller's
  DimBindings dims_;
  Precision precision_;
  std::unordered_map<const Node*, Tensor> memo_;               // computed values; lookup only, never iterated
  std::unordered_map<const Node*, const Tensor*> leaf_memo_;  // leaves, read in place
};

struct EvalResult {
  double loss = 0;
  std::map<std::string, Tensor> outputs;  // every `output` definition, by name
  std::map<std::string, Tensor> grads;    // every param and grad input, by name
  DimBindings dims;                       // the bindings inferred from the fed shapes
};

/// Loss, outputs and gradients of a differentiated Program. `values` must hold every input,
/// target and param (use complete_params for defaults). A null adjoint is an exact zero.
/// With Precision::F32 every leaf and every op result is rounded to float, emulating f32 code.
EvalResult evaluate(const Program& p, const Values& values, Precision precision);

/// Rounds each element to the nearest float (f32 emulation).
void round_to_f32(Tensor& t);

}  // namespace gg
