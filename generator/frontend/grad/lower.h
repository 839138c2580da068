// Checks parsed .grad statements (names, shapes, arguments) and lowers them into a
// Program, one statement at a time so that diagnostics come out in source order.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "frontend/grad/parser.h"
#include "ir/op_table.h"
#include "ir/program.h"

namespace gg::grad {

/// One parameter of a function, init or optimizer beyond its tensor operands.
struct ArgSpec {
  const char* name;
  std::optional<double> def;  // default value; none: required unless `optional`
  bool optional = false;      // may be left out, with no default (sum's axis)
};

/// A constant argument after binding: its value, whether it was given, where.
struct ArgValue {
  double value = 0;
  bool given = false;
  SourceLoc loc;
};

class Lowerer {
 public:
  Lowerer(Program& program, Diagnostics& diags, std::string file);
  /// Where each name of the file is defined, so that a use before its definition says so
  /// instead of "unknown name".
  void expect_definitions(std::map<std::string, SourceLoc> defined) { defined_later_ = std::move(defined); }
  void statement(const Stmt& s);
  /// Whole-file checks (a network name, exactly one loss) once every statement is seen.
  void finish();

 private:
  enum class Sym { Dim, Input, Target, Param, Const, Def, Failed, Unknown };
  struct Symbol {
    Sym kind;
    const Node* node = nullptr;
    double value = 0;  // Const
    SourceLoc loc;
    size_t order = 0;  // declaration order, for suggestions
  };

  void warn_unused_dims();
  void error(const SourceLoc& loc, std::string message) { diags_.error(loc, std::move(message)); }
  void warning(const SourceLoc& loc, std::string message) { diags_.warning(loc, std::move(message)); }
  static std::string at(const SourceLoc& loc);

  // Statements.
  void network(const Stmt& s);
  void precision(const Stmt& s);
  void dims(const Stmt& s);
  void declaration(const Stmt& s);
  void constant(const Stmt& s);
  void definition(const Stmt& s);
  void grad(const Stmt& s);
  void optimizer(const Stmt& s);
  void broken(const Stmt& s);

  // Names.
  bool check_new_name(const Ident& id);
  void define(const Ident& id, Symbol sym);
  void poison(const Ident& id);
  const Symbol* lookup_tensor(const std::string& name, const SourceLoc& loc);
  std::vector<std::string> names_of(std::initializer_list<Sym> kinds) const;

  // Declarations.
  std::optional<Shape> shape(const Stmt& s);
  std::optional<Dim> dim(const DimSpec& d);
  std::optional<Init> init(const KwArg& opt, const Shape& shape, const std::string& tensor);
  const Node* leaf(const Ident& id, LeafKind kind, const Shape& shape, Init init, std::optional<double> lr);

  // Expressions.
  const Node* lower(const Expr& e);
  const Node* call(const Expr& e);
  const Node* dense(const Stmt& s, const Expr& e);
  const Node* make(const SourceLoc& loc, Op op, std::vector<const Node*> in, Attrs attrs = {});
  std::optional<double> const_value(const Expr& e, const std::string& what);
  std::optional<std::vector<ArgValue>> bind(const std::string& fn, const std::vector<const Expr*>& positional,
                                            const std::vector<KwArg>& kwargs, const std::vector<ArgSpec>& specs,
                                            const SourceLoc& loc);
  std::optional<int> axis(const ArgValue& a, const Node* operand);
  bool broadcast_operands(const SourceLoc& loc, std::vector<const Node*>& operands);

  Program& p_;
  Diagnostics& diags_;
  std::string file_;
  std::map<std::string, SourceLoc> defined_later_;  // every defined name of the file: its definition
  std::map<std::string, SourceLoc> grad_listed_;    // inputs and targets named in 'grad': where first
  std::map<std::string, Symbol> syms_;
  size_t next_order_ = 0;
  bool first_ = true;     // the network-first check is still to do
  bool seen_any_ = false;  // any statement at all
  std::optional<SourceLoc> network_, precision_, optimizer_, loss_;
};

}  // namespace gg::grad
