// A whole network after the front end: its graph, declared tensors, definitions, loss,
// optimizer, and — once autodiff has run — the named backward equations.
// Front ends (.grad today, C++ and ONNX later) produce a Program; passes and emitters read it.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ir/node.h"
#include "support/source_loc.h"

namespace gg {

enum class Precision { F32, F64 };

/// `init=` of a param: kind is one of zeros, ones, constant, uniform, normal,
/// xavier_uniform, xavier_normal, he_uniform, he_normal; args in source order.
struct Init {
  std::string kind = "zeros";
  std::vector<double> args;
};

enum class LeafKind { Input, Target, Param };

/// A declared tensor (input, target or param). node is an Input or Param node.
struct Leaf {
  std::string name;
  LeafKind kind;
  const Node* node;
  Init init;                 // params only
  std::optional<double> lr;  // params only: per-tensor learning rate override
  SourceLoc loc;
  // A float parameter of a double C++ function: its values are floats (eval rounds a feed).
  bool float_values = false;
};

enum class DefKind { Plain, Output, Loss };

/// `NAME = EXPR`, `output NAME = EXPR` or `loss NAME = EXPR`, in source order (F1..Fk).
struct Definition {
  std::string name;
  DefKind kind;
  const Node* node;
  SourceLoc loc;
};

/// `optimizer sgd(lr=0.5)`: kind "sgd" or "adam", every argument with its default filled in.
struct Optimizer {
  std::string kind = "sgd";
  std::vector<std::pair<std::string, double>> args{{"lr", 0.01}, {"momentum", 0.0}};
  SourceLoc loc;  // the optimizer statement; none for the default
  double arg(const std::string& key) const;
  bool adam() const { return kind == "adam"; }
  /// SGD with momentum > 0: the only SGD that keeps a velocity per scalar.
  bool sgd_momentum() const { return !adam() && arg("momentum") != 0; }
  /// SGD without momentum: its whole state is the step count.
  bool plain_sgd() const { return !adam() && arg("momentum") == 0; }
};

/// One backward equation B_i: `dLoss/d<of> = node`. `of` names a definition or leaf.
struct Adjoint {
  std::string of;
  const Node* node;
};

/// A network's name, or an annotated C++ function's, names the generated files (and their
/// hidden temporaries, .NAME.hpp.tmpPID); file systems take at most 255 bytes for one.
constexpr size_t kMaxFileStem = 200;

struct Program {
  std::unique_ptr<Graph> graph = std::make_unique<Graph>();
  std::string name;
  std::string source_file;  // as given on the command line, for banners and messages
  // A C++ function's values are its arrays: eval reads and prints them flat, in element order
  // (a .grad network's feed nests them by shape).
  bool flat_values = false;
  Precision precision = Precision::F32;
  std::vector<std::string> dims;
  std::vector<Leaf> leaves;  // declaration order
  std::vector<Definition> definitions;
  const Node* loss = nullptr;
  std::string loss_name;
  std::vector<std::string> grad_inputs;  // inputs listed in `grad`, in order
  Optimizer optimizer;
  // Every number written in the source, in order, where it stands (a .grad network): errors
  // about a value point at the number itself.
  std::vector<std::pair<double, SourceLoc>> source_numbers;

  // Filled by autodiff, in equation order B1..Bm; includes every param and grad input.
  std::vector<Adjoint> adjoints;

  const Leaf* find_leaf(const std::string& name) const;
  const Definition* find_definition(const std::string& name) const;
  /// The adjoint node for a leaf or definition name; nullptr if none (or a symbolic zero).
  const Node* adjoint_of(const std::string& name) const;
  /// Every node referenced from the program (definitions, loss, adjoints): the roots passes keep.
  std::vector<const Node*> roots() const;
};

/// Rewrites every node reference in `p` through `f` (used by passes after rebuilding nodes).
template <class F>
void remap(Program& p, F&& f) {
  for (Leaf& l : p.leaves) l.node = f(l.node);
  for (Definition& d : p.definitions) d.node = f(d.node);
  if (p.loss) p.loss = f(p.loss);
  for (Adjoint& a : p.adjoints) a.node = f(a.node);
}

}  // namespace gg
