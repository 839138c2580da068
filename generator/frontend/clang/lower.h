// Lowering of one annotated C++ function's body into IR by symbolic execution: loops are
// unrolled, helper calls inlined, locals become SSA values, branches on data become selects.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ir/expr.h"
#include "ir/program.h"

namespace llvm {
class APSInt;
}  // namespace llvm

namespace clang {
class ASTContext;
class Expr;
class SourceLocation;
class SourceManager;
class FunctionDecl;
class QualType;
class SourceRange;
class Stmt;
class ValueDecl;
class VarDecl;
}  // namespace clang

namespace gg::cppfe {

/// The value of an integer Clang has evaluated, as its type reads it: a bool true (one bit) is 1,
/// not -1; an unsigned 64-bit value past INT64_MAX keeps its bits (wraps, as a cast does).
int64_t int_value(const llvm::APSInt& i);

/// What an unsupported statement or expression is, in words where Clang's class name
/// (BinaryConditionalOperator, CXXNullPtrLiteralExpr) would not tell a user.
std::string construct_name(const clang::Stmt* s);

/// FILE:LINE:COL of `l` (of its expansion, in a macro), as Clang prints it.
SourceLoc source_loc(const clang::SourceManager& sm, clang::SourceLocation l);

/// An unsupported or invalid construct at `begin..end` (raw clang::SourceLocation encodings).
struct LowerError {
  unsigned begin = 0, end = 0;
  std::string message;
};

/// What a C++ object holds during lowering: a known integer (loop counters, indices, bools),
/// a scalar or tensor IR node, or an array of values (C arrays, std::array, pointer params).
struct Value {
  enum class Kind { Undef, Int, Num, Tensor, Array };
  Kind kind = Kind::Undef;
  int64_t i = 0;
  const Node* n = nullptr;
  std::vector<Value> elems;

  static Value of_int(int64_t v) { return Value{Kind::Int, v, nullptr, {}}; }
  static Value num(const Node* n) { return Value{Kind::Num, 0, n, {}}; }
  static Value tensor(const Node* n) { return Value{Kind::Tensor, 0, n, {}}; }
};

/// dst = src, keeping the storage of dst's elements where both are arrays of one size: aliases
/// into them (a reference to a[0], an array passed to a helper's reference parameter) stay valid.
void assign_in_place(Value& dst, const Value& src);

/// How a C++ type lowers: its Value kind and, for arrays and tensors, its shape.
struct TypeInfo {
  enum class Kind { Unsupported, Int, Float, Array, Tensor, Pointer };
  Kind kind = Kind::Unsupported;
  std::vector<int64_t> dims;  // Array: sizes outermost first; Tensor: its shape
  bool is_float32 = false;    // element or scalar type is float
};

/// A call argument: an alias of the caller's object (reference and pointer parameters) or a value.
struct Arg {
  Value* alias = nullptr;
  Value value;
};

class Lowerer {
 public:
  /// `round_floats`: float values of a double function are rounded to float, as C++ does.
  Lowerer(clang::ASTContext& ctx, Program& program, bool round_floats = true);

  /// Runs `fn`'s body with its parameters bound to `args`; returns the return value. `call` is
  /// where it is called from (none for the differentiated function itself).
  Value run_function(const clang::FunctionDecl* fn, std::vector<Arg> args, const clang::Expr* call = nullptr);
  TypeInfo classify(clang::QualType t) const;
  /// Some arithmetic or math call on data computed in double (`x * 0.1` with x a float): a
  /// float function doing so is lowered again as a double one whose float values are rounded.
  bool computes_in_double() const { return computes_in_double_; }
  /// `v` as a value of type `t` holds it (rounded to float where t is float in a double program).
  Value held_as(Value v, clang::QualType t) { return as_held_by(std::move(v), t); }

 private:
  struct Frame {
    const clang::FunctionDecl* fn = nullptr;
    std::map<const clang::ValueDecl*, Value*> vars;
    std::deque<Value> store;
    std::vector<std::pair<const Node*, Value>> returns;  // (path condition or nullptr, value)
    bool returned = false, breaking = false, continuing = false;
  };
  using Snapshot = std::vector<std::deque<Value>>;

  // Statements (lower_stmt.cpp).
  void exec(const clang::Stmt* s);
  void exec_decl(const clang::VarDecl* v);
  void exec_if(const clang::Stmt* s);
  void exec_for(const clang::Stmt* s);
  void exec_while(const clang::Stmt* s);
  void exec_range_for(const clang::Stmt* s);
  void exec_return(const clang::Stmt* s);
  bool loop_iteration(const clang::Stmt* body, int64_t& count, const clang::Stmt* loop);
  void branch_on_data(const Node* cond, const clang::Stmt* then_s, const clang::Stmt* else_s);
  Snapshot snapshot() const;
  void restore(const Snapshot& s);
  Value merge(const Node* cond, const Value& a, const Value& b, const clang::Stmt* at);
  void join(const Node* cond, const Snapshot& before, const Snapshot& after_then, const clang::Stmt* at);
  std::pair<Value, Value> eval_arms(const Node* cond, const clang::Expr* then_e, const clang::Expr* else_e,
                                    const clang::Stmt* at);
  Value fold_returns(const clang::Stmt* at);
  bool stopped() const;

  // Expressions (lower_expr.cpp).
  Value eval(const clang::Expr* e);  // eval_expr within a cap on the depth of nested expressions
  Value eval_expr(const clang::Expr* e);
  Value* lvalue(const clang::Expr* e);
  Value* reference_target(const clang::Expr* init);
  Value* constant_array(const clang::ValueDecl* d);
  Value eval_cast(const clang::Expr* e);
  Value eval_binary(const clang::Expr* e);
  Value eval_unary(const clang::Expr* e);
  Value eval_assign(const clang::Expr* e);
  Value eval_init_list(const clang::Expr* e);
  Value eval_construct(const clang::Expr* e);
  Value eval_decl_ref(const clang::Expr* e);
  Value arith(int opcode, const Value& a, const Value& b, const clang::Expr* at);
  Value int_arith(int opcode, int64_t x, int64_t y, bool u64, const clang::Expr* at);
  void check_signed_overflow(int opcode, int64_t x, int64_t y, clang::QualType t, const clang::Expr* at);
  Value fold(int opcode, double a, double b, const clang::Expr* at);
  double rounded_to(double v, clang::QualType t) const;
  Value as_held_by(Value v, clang::QualType t);
  clang::QualType operation_type(const clang::Expr* at) const;
  void require_wide_signed(clang::QualType t, const clang::Stmt* at) const;
  int64_t to_type(int64_t v, clang::QualType t) const;
  int64_t float_to_int(double d, const clang::Expr* at);
  Value to_integer_target(Value v, clang::QualType computed, const clang::Expr* target);
  bool known(const Value& v, double& d) const;
  bool is_u64(clang::QualType t) const;
  Value zero_of(clang::QualType t, const clang::Stmt* at);
  Value* element(Value* base, const clang::Expr* index, const clang::Expr* at);
  int64_t int_of(const clang::Expr* e);
  const Node* cond_of(const Value& v, const clang::Stmt* at);
  void store(Value* slot, Value v, const clang::ValueDecl* named, const clang::Stmt* at);
  void store_to(const clang::Expr* target, Value* slot, Value v, const clang::Stmt* at);
  void define_all(const std::string& name, const Value& v, const clang::Stmt* at);
  std::string element_name(const clang::Expr* target, const Value* slot);

  // Calls (lower_call.cpp).
  Value eval_call(const clang::Expr* e);
  std::optional<Value> constant_call(const clang::Expr* e);
  void refuse_pointer_cast(const clang::CastExpr* c);
  bool try_math(const clang::FunctionDecl* fn, const clang::Expr* call, Value& out);
  bool try_tensor_api(const clang::FunctionDecl* fn, const clang::Expr* call, Value& out);
  bool try_std_array(const clang::FunctionDecl* fn, const clang::Expr* call, Value& out);
  Value inline_call(const clang::FunctionDecl* fn, const clang::Expr* call);
  Value* array_element_lvalue(const clang::Expr* call);
  // Writes: a target that is not a local object gets a message naming what it is, and a
  // write into the caller's memory (a pointer or reference parameter of the differentiated
  // function, directly or through a called function) is refused: NAME_grad would not make it.
  Value* assignable(const clang::Expr* target, const char* what);  // what: "assignment to"
  bool in_caller_memory(const Value* slot) const;
  bool owned_by_frame(const Value* slot) const;

  // Helpers.
  [[noreturn]] void fail(const clang::Stmt* at, const std::string& message) const;
  const Node* num(const Value& v, const clang::Stmt* at);
  E e(const Node* n) { return E{program_.graph.get(), n}; }
  E k(double v) { return E{program_.graph.get(), program_.graph->constant(v)}; }
  Frame& frame() { return *frames_.back(); }
  void define(const std::string& name, const Node* n, const clang::Stmt* at);

  clang::ASTContext& ctx_;
  Program& program_;
  bool round_floats_;
  bool computes_in_double_ = false;
  std::vector<std::unique_ptr<Frame>> frames_;
  std::set<std::string> names_;       // taken definition and leaf names
  std::map<std::string, int> name_next_;  // last numeric suffix used per base name
  std::set<const Node*> defined_;     // nodes that already have a definition
  std::set<const Node*> bools_;       // nodes known to hold only 0 or 1
  std::deque<Value> temps_;           // temporaries indexed in place (e.g. a returned std::array)
  std::set<unsigned> numbers_seen_;  // floating literals recorded in Program::source_numbers (raw locations)
  std::map<const clang::VarDecl*, Value> constant_arrays_;  // const arrays outside the function, as read
  int eval_depth_ = 0;                // eval() calls in progress
  int64_t loop_passes_ = 0;           // passes through loop bodies so far, every loop counted
};

}  // namespace gg::cppfe
