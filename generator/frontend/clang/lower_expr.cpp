// Expressions: literals, variables, casts, arithmetic and comparisons (on known integers they
// are computed, on floating data they build IR), assignments, array elements and initialisers.
#include <clang/AST/ASTContext.h>
#include <clang/AST/Decl.h>
#include <clang/AST/DeclTemplate.h>
#include <clang/AST/Expr.h>
#include <clang/AST/ExprCXX.h>
#include <clang/AST/OperationKinds.h>
#include <clang/Basic/SourceManager.h>

#include <cmath>
#include <functional>
#include <limits>
#include <sstream>

#include "frontend/clang/lower.h"
#include "ir/op_table.h"

namespace gg::cppfe {

int64_t int_value(const llvm::APSInt& i) {
  const llvm::APSInt wide = i.extOrTrunc(64);  // extends as i's signedness says
  return wide.isSigned() ? wide.getSExtValue() : static_cast<int64_t>(wide.getZExtValue());
}

using K = Value::Kind;

const Node* Lowerer::num(const Value& v, const clang::Stmt* at) {
  switch (v.kind) {
    case K::Int:
      return program_.graph->constant(static_cast<double>(v.i));
    case K::Num:
    case K::Tensor:
      return v.n;
    case K::Undef:
      fail(at, "use of a variable before it is assigned a value");
    case K::Array:
      fail(at, "an array is used where a number is expected");
  }
  fail(at, "bad value");
}

const Node* Lowerer::cond_of(const Value& v, const clang::Stmt* at) {
  const Node* x = num(v, at);
  if (bools_.count(x)) return x;
  const Node* c = (k(1.0) - e(program_.graph->make(Op::Equal, {x, program_.graph->constant(0.0)}))).n;
  bools_.insert(c);
  return c;
}

int64_t Lowerer::int_of(const clang::Expr* ex) {
  Value v = eval(ex);
  if (v.kind == K::Int) return v.i;
  if (v.kind == K::Num && v.n->op == Op::Const) return static_cast<int64_t>(v.n->attrs.value);
  fail(ex, "unsupported construct: data-dependent index or size (it must be a compile-time constant)");
}

void Lowerer::define(const std::string& name, const Node* n, const clang::Stmt* at) {
  if (n->op == Op::Input || n->op == Op::Param || n->op == Op::Const || n->op == Op::Index || defined_.count(n)) return;
  std::string unique = name;
  int& next = name_next_[name];  // next suffix to try: keeps long unrolled chains linear
  while (names_.count(unique) || program_.find_leaf(unique)) unique = name + "_" + std::to_string(++next);
  names_.insert(unique);
  defined_.insert(n);
  SourceLoc loc;
  if (at) {
    clang::PresumedLoc p = ctx_.getSourceManager().getPresumedLoc(
        ctx_.getSourceManager().getExpansionLoc(at->getBeginLoc()));
    if (p.isValid()) loc = SourceLoc{p.getFilename(), static_cast<int>(p.getLine()), static_cast<int>(p.getColumn())};
  }
  program_.definitions.push_back(Definition{unique, DefKind::Plain, n, loc});
}

void Lowerer::store(Value* slot, Value v, const clang::ValueDecl* named, const clang::Stmt* at) {
  assign_in_place(*slot, v);
  if (named) define_all(named->getNameAsString(), *slot, at);
}

// store() into what the assignment target names: a variable (x), or an element of a local
// array (y[0], named y_0).
void Lowerer::store_to(const clang::Expr* target, Value* slot, Value v, const clang::Stmt* at) {
  const clang::ValueDecl* named = nullptr;
  if (auto* dr = llvm::dyn_cast<clang::DeclRefExpr>(target->IgnoreParenImpCasts())) named = dr->getDecl();
  store(slot, std::move(v), named, at);
  if (!named)
    if (std::string element = element_name(target, slot); !element.empty()) define_all(element, *slot, at);
}

// Names v's values after the variable: `s`, and an array's elements `y_0`, `a_1_2`. Every
// stored value gets a name, so an element updated in a loop (y[0] = y[0] * y[0] - y[0]) is
// an equation of its own instead of a subexpression that each update would print again.
void Lowerer::define_all(const std::string& name, const Value& v, const clang::Stmt* at) {
  if (v.kind == K::Num || v.kind == K::Tensor) define(name, v.n, at);
  for (size_t i = 0; i < v.elems.size(); ++i) define_all(name + "_" + std::to_string(i), v.elems[i], at);
}

// The name of the element `slot` of the array that `target` indexes (`y[0]` gives y_0), or ""
// when the target is not an element of a local array.
std::string Lowerer::element_name(const clang::Expr* target, const Value* slot) {
  const clang::Expr* e = target->IgnoreParenImpCasts();
  for (;;) {
    if (auto* as = llvm::dyn_cast<clang::ArraySubscriptExpr>(e)) e = as->getBase()->IgnoreParenImpCasts();
    else if (auto* oc = llvm::dyn_cast<clang::CXXOperatorCallExpr>(e); oc && oc->getOperator() == clang::OO_Subscript)
      e = oc->getArg(0)->IgnoreParenImpCasts();
    else break;
  }
  auto* dr = llvm::dyn_cast<clang::DeclRefExpr>(e);
  if (!dr) return "";
  auto it = frame().vars.find(dr->getDecl());
  if (it == frame().vars.end()) return "";
  std::string path;
  std::function<bool(const Value&)> find = [&](const Value& v) {
    if (&v == slot) return true;
    for (size_t i = 0; i < v.elems.size(); ++i) {
      const size_t mark = path.size();
      path += "_" + std::to_string(i);
      if (find(v.elems[i])) return true;
      path.resize(mark);
    }
    return false;
  };
  return find(*it->second) ? dr->getDecl()->getNameAsString() + path : "";
}

namespace {
// A floating type other than float and double (long double, _Float16, __float128): eval and
// check would compute it in double while the generated code keeps the type.
bool wider_floating(clang::QualType qt) {
  const clang::QualType t = qt.getCanonicalType();
  return t->isRealFloatingType() && !t->isSpecificBuiltinType(clang::BuiltinType::Float) &&
         !t->isSpecificBuiltinType(clang::BuiltinType::Double);
}
}  // namespace

// Clang parses `x + x * y + ...` of any length, but lowering recurses once per operator: past
// the cap (the .grad parser's) the error names the expression instead of overflowing the stack.
Value Lowerer::eval(const clang::Expr* ex) {
  constexpr int kMaxDepth = 1024;
  if (eval_depth_ >= kMaxDepth)
    fail(ex, "expression is too deep (more than " + std::to_string(kMaxDepth) + " levels); split it into statements");
  struct Nested {
    int& depth;
    explicit Nested(int& d) : depth(++d) {}
    ~Nested() { --depth; }
  } nested(eval_depth_);
  if (wider_floating(ex->getType()))
    fail(ex, "unsupported construct: arithmetic in '" + ex->getType().getAsString() +
                 "' (only float and double are computed as C++ computes them)");
  Value v = eval_expr(ex);
  if (v.kind == K::Int) v.i = to_type(v.i, ex->getType());
  return v;
}

// Integers are held as int64_t and wrapped to the type C++ gives each expression: unsigned
// types modulo 2^width, narrower signed ones to their low bits (two's complement, as GCC and
// Clang do). A 64-bit unsigned value is kept as its bits (past 2^63 it reads as negative):
// is_u64 makes division, comparison and conversion to floating point read it unsigned.
int64_t Lowerer::to_type(int64_t v, clang::QualType t) const {
  if (t.isNull() || !t->isIntegralOrEnumerationType() || t->isBooleanType()) return v;
  const uint64_t width = ctx_.getIntWidth(t);
  if (width >= 64) return v;
  const uint64_t bits = static_cast<uint64_t>(v) & ((uint64_t(1) << width) - 1);
  if (t->isUnsignedIntegerOrEnumerationType()) return static_cast<int64_t>(bits);
  const uint64_t sign = uint64_t(1) << (width - 1);
  return static_cast<int64_t>((bits ^ sign) - sign);
}

// A known double converted to the integer type of `at` as C++ does (toward zero); a value
// the type cannot hold is undefined behaviour there, and an error here.
int64_t Lowerer::float_to_int(double d, const clang::Expr* at) {
  const clang::QualType t = at->getType();
  const int width = static_cast<int>(ctx_.getIntWidth(t));
  const bool is_signed = t->isSignedIntegerOrEnumerationType();
  const double whole = std::trunc(d);
  const double lo = is_signed ? -std::ldexp(1.0, width - 1) : 0.0, hi = std::ldexp(1.0, is_signed ? width - 1 : width);
  if (!(whole >= lo && whole < hi)) {
    std::ostringstream text;
    text << d;
    fail(at, "conversion of " + text.str() + " to '" + t.getAsString() + "' is out of its range (undefined behaviour in C++)");
  }
  return is_signed ? static_cast<int64_t>(whole) : static_cast<int64_t>(static_cast<uint64_t>(whole));
}

bool Lowerer::is_u64(clang::QualType t) const {
  return !t.isNull() && t->isIntegralOrEnumerationType() && t->isUnsignedIntegerOrEnumerationType() &&
         ctx_.getIntWidth(t) >= 64;
}

Value Lowerer::eval_expr(const clang::Expr* ex) {
  using SC = clang::Stmt::StmtClass;
  switch (ex->getStmtClass()) {
    case SC::IntegerLiteralClass:
      return Value::of_int(int_value(llvm::APSInt(llvm::cast<clang::IntegerLiteral>(ex)->getValue(),
                                                  ex->getType()->isUnsignedIntegerType())));
    case SC::CharacterLiteralClass:
      return Value::of_int(llvm::cast<clang::CharacterLiteral>(ex)->getValue());
    case SC::CXXBoolLiteralExprClass:
      return Value::of_int(llvm::cast<clang::CXXBoolLiteralExpr>(ex)->getValue() ? 1 : 0);
    case SC::FloatingLiteralClass: {
      const double v = llvm::cast<clang::FloatingLiteral>(ex)->getValueAsApproximateDouble();
      // Where it is written, for errors about the number (past float's range, say); once per
      // literal, however often a loop reads it.
      if (numbers_seen_.insert(ex->getBeginLoc().getRawEncoding()).second)
        program_.source_numbers.emplace_back(std::fabs(v), source_loc(ctx_.getSourceManager(), ex->getBeginLoc()));
      return Value::num(program_.graph->constant(v));
    }
    case SC::ParenExprClass:
      return eval(llvm::cast<clang::ParenExpr>(ex)->getSubExpr());
    case SC::ConstantExprClass:
    case SC::ExprWithCleanupsClass:
      return eval(llvm::cast<clang::FullExpr>(ex)->getSubExpr());
    case SC::MaterializeTemporaryExprClass:
      return eval(llvm::cast<clang::MaterializeTemporaryExpr>(ex)->getSubExpr());
    case SC::CXXBindTemporaryExprClass:
      return eval(llvm::cast<clang::CXXBindTemporaryExpr>(ex)->getSubExpr());
    case SC::SubstNonTypeTemplateParmExprClass:
      return eval(llvm::cast<clang::SubstNonTypeTemplateParmExpr>(ex)->getReplacement());
    case SC::CXXDefaultArgExprClass:
      return eval(llvm::cast<clang::CXXDefaultArgExpr>(ex)->getExpr());
    case SC::CXXDefaultInitExprClass:
      return eval(llvm::cast<clang::CXXDefaultInitExpr>(ex)->getExpr());
    case SC::ImplicitCastExprClass:
    case SC::CStyleCastExprClass:
    case SC::CXXFunctionalCastExprClass:
    case SC::CXXStaticCastExprClass:
    case SC::CXXConstCastExprClass:
      return eval_cast(ex);
    case SC::DeclRefExprClass:
      return eval_decl_ref(ex);
    case SC::BinaryOperatorClass:
    case SC::CompoundAssignOperatorClass:
      return eval_binary(ex);
    case SC::UnaryOperatorClass:
      return eval_unary(ex);
    case SC::ConditionalOperatorClass: {
      auto* co = llvm::cast<clang::ConditionalOperator>(ex);
      Value c = eval(co->getCond());
      if (c.kind == K::Int) return eval(c.i ? co->getTrueExpr() : co->getFalseExpr());
      const Node* cn = cond_of(c, co->getCond());
      auto [a, b] = eval_arms(cn, co->getTrueExpr(), co->getFalseExpr(), ex);
      return merge(cn, a, b, ex);
    }
    case SC::ArraySubscriptExprClass: {
      Value* p = lvalue(ex);
      if (!p) fail(ex, "unsupported array access");
      return *p;
    }
    case SC::CallExprClass:
    case SC::CXXMemberCallExprClass:
    case SC::CXXOperatorCallExprClass:
      return eval_call(ex);
    case SC::InitListExprClass:
      return eval_init_list(ex);
    case SC::CXXConstructExprClass:
    case SC::CXXTemporaryObjectExprClass:
      return eval_construct(ex);
    case SC::ImplicitValueInitExprClass:
    case SC::CXXScalarValueInitExprClass:
      return zero_of(ex->getType(), ex);
    case SC::CXXThrowExprClass:
      fail(ex, "unsupported construct: throw expression (exceptions)");
    case SC::CXXNewExprClass:
      fail(ex, "unsupported construct: heap allocation (new)");
    case SC::CXXDeleteExprClass:
      fail(ex, "unsupported construct: heap deallocation (delete)");
    case SC::LambdaExprClass:
      fail(ex, "unsupported construct: lambda expression");
    case SC::CXXDynamicCastExprClass:
    case SC::CXXReinterpretCastExprClass:
      fail(ex, std::string("unsupported construct: ") + llvm::cast<clang::CastExpr>(ex)->getCastKindName() + " cast");
    case SC::CXXTypeidExprClass:
      fail(ex, "unsupported construct: typeid (run-time type information)");
    case SC::StmtExprClass:
      fail(ex, "unsupported construct: statement expression");
    case SC::CXXStdInitializerListExprClass:
      fail(ex, "unsupported construct: an initializer list (std::max({a, b, c}) and the like): nest two-argument "
               "calls, std::max(a, std::max(b, c))");
    default:
      break;
  }
  // sizeof, alignof, noexcept(...) and other integer constants Clang can fold.
  clang::Expr::EvalResult r;
  if (ex->getType()->isIntegralOrEnumerationType() && !ex->isValueDependent() && ex->EvaluateAsInt(r, ctx_))
    return Value::of_int(int_value(r.Val.getInt()));
  if (llvm::isa<clang::MemberExpr>(ex)) fail(ex, "unsupported construct: member access (classes and structs are not supported)");
  fail(ex, "unsupported construct: " + construct_name(ex));
}

Value* Lowerer::lvalue(const clang::Expr* ex) {
  using SC = clang::Stmt::StmtClass;
  switch (ex->getStmtClass()) {
    case SC::ParenExprClass:
      return lvalue(llvm::cast<clang::ParenExpr>(ex)->getSubExpr());
    case SC::ImplicitCastExprClass: {
      auto* c = llvm::cast<clang::ImplicitCastExpr>(ex);
      bool pointer_read = c->getCastKind() == clang::CK_LValueToRValue && c->getType()->isPointerType();
      if (c->getCastKind() == clang::CK_NoOp || c->getCastKind() == clang::CK_ArrayToPointerDecay || pointer_read)
        return lvalue(c->getSubExpr());
      return nullptr;
    }
    case SC::DeclRefExprClass: {
      const clang::ValueDecl* d = llvm::cast<clang::DeclRefExpr>(ex)->getDecl();
      auto it = frame().vars.find(d);
      if (it != frame().vars.end()) return it->second;
      return constant_array(d);
    }
    case SC::ArraySubscriptExprClass: {
      auto* as = llvm::cast<clang::ArraySubscriptExpr>(ex);
      if (!as->getBase()->getType()->isPointerType() && !as->getBase()->getType()->isArrayType())
        fail(ex, "unsupported construct: subscript on a non-array");
      if (as->getBase()->IgnoreParenImpCasts()->getType()->isPointerType() &&
          llvm::isa<clang::BinaryOperator, clang::UnaryOperator>(as->getBase()->IgnoreParenImpCasts()))
        fail(as->getBase(), "unsupported construct: pointer arithmetic");
      Value* base = lvalue(as->getBase());
      if (!base) fail(as->getBase(), "unsupported construct: subscript of an expression that is not a named array (pointer arithmetic?)");
      return element(base, as->getIdx(), ex);
    }
    case SC::CXXOperatorCallExprClass:
    case SC::CXXMemberCallExprClass:
      return array_element_lvalue(ex);
    case SC::UnaryOperatorClass:
      if (llvm::cast<clang::UnaryOperator>(ex)->getOpcode() == clang::UO_Deref)
        fail(ex, "unsupported construct: pointer dereference (index the array instead)");
      return nullptr;
    default:
      return nullptr;
  }
}

// The object a reference binds to: a variable or an array element, or nullptr for a temporary
// (a value the reference then owns). An object picked by ?:, or the result of an assignment,
// increment or comma, would be an alias gradgen cannot follow: an error, not a silent copy.
Value* Lowerer::reference_target(const clang::Expr* init) {
  if (Value* target = lvalue(init)) return target;
  const clang::Expr* bare = init->IgnoreParenImpCasts();
  bool aliasing = llvm::isa<clang::ConditionalOperator>(bare);
  if (auto* bo = llvm::dyn_cast<clang::BinaryOperator>(bare))
    aliasing = bo->isAssignmentOp() || bo->getOpcode() == clang::BO_Comma;
  if (auto* uo = llvm::dyn_cast<clang::UnaryOperator>(bare)) aliasing = uo->isPrefix() && uo->isIncrementDecrementOp();
  if (aliasing && init->isGLValue())
    fail(init, "unsupported construct: a reference bound to the result of ?:, an assignment, an increment or a "
               "comma (bind it to a variable or an array element, chosen with if/else)");
  // A call returning a reference (std::max, a helper's `double&`) is inlined to its value: a
  // reference bound to it would be a copy, and writes through it or to its object would be lost.
  if (auto* call = llvm::dyn_cast<clang::CallExpr>(bare); call && bare->isGLValue() &&
                                                          !llvm::isa<clang::CXXOperatorCallExpr>(bare)) {
    const clang::FunctionDecl* fn = call->getDirectCallee();
    fail(init, "unsupported construct: a reference bound to the reference that '" +
                   (fn ? fn->getNameAsString() : std::string("the call")) +
                   "' returns (gradgen inlines calls to values); copy the value instead (const double m = ...)");
  }
  return nullptr;
}

namespace {

// A constant Clang has evaluated (a number, or an array of them at any depth) as a Value.
bool from_constant(const clang::APValue& c, Graph& g, Value& out) {
  if (c.isFloat()) {
    out = Value::num(g.constant(c.getFloat().convertToDouble()));
    return true;
  }
  if (c.isInt()) {
    out = Value::of_int(int_value(c.getInt()));
    return true;
  }
  // A std::array is a struct around its one array member.
  if (c.isStruct() && c.getStructNumBases() == 0 && c.getStructNumFields() == 1)
    return from_constant(c.getStructField(0), g, out);
  if (!c.isArray()) return false;
  out = Value{Value::Kind::Array, 0, nullptr, {}};
  out.elems.resize(c.getArraySize());
  for (unsigned i = 0; i < c.getArraySize(); ++i) {
    const clang::APValue& e = i < c.getArrayInitializedElts() ? c.getArrayInitializedElt(i) : c.getArrayFiller();
    if (!from_constant(e, g, out.elems[i])) return false;
  }
  return true;
}

}  // namespace

// A const or constexpr array (C array or std::array) outside the function (a table of
// coefficients): its values, kept for the whole lowering; nullptr for anything else.
Value* Lowerer::constant_array(const clang::ValueDecl* d) {
  auto* v = llvm::dyn_cast<clang::VarDecl>(d);
  if (!v || classify(v->getType()).kind != TypeInfo::Kind::Array || !v->getType().isConstQualified() ||
      !v->hasGlobalStorage())
    return nullptr;
  if (auto it = constant_arrays_.find(v); it != constant_arrays_.end()) return &it->second;
  const clang::APValue* c = v->evaluateValue();
  Value value;
  if (!c || !from_constant(*c, *program_.graph, value)) return nullptr;
  return &constant_arrays_.emplace(v, std::move(value)).first->second;
}

Value* Lowerer::assignable(const clang::Expr* target, const char* what) {
  Value* slot = lvalue(target);
  const clang::Expr* bare = target->IgnoreParenImpCasts();
  if (!slot) {
    std::string why = "a target gradgen cannot follow";
    if (auto* ref = llvm::dyn_cast<clang::DeclRefExpr>(bare))
      why = "'" + ref->getDecl()->getNameAsString() + "', which is not a local variable or parameter (globals and static "
            "variables are not supported)";
    else if (llvm::isa<clang::MemberExpr>(bare))
      why = "a member of a struct or class (not supported: use local variables or arrays)";
    else if (llvm::isa<clang::ConditionalOperator>(bare))
      why = "the variable a ?: picks (not supported: assign in an if/else instead)";
    else if (auto* op = llvm::dyn_cast<clang::CXXOperatorCallExpr>(bare); op && op->getOperator() == clang::OO_Call)
      why = "an element of a tensor-API matrix (a matrix is computed whole, by the tensor API's operations; to "
            "write element by element use a C array or std::array)";
    else if (llvm::isa<clang::CallExpr>(bare))
      why = "the reference a function call returns (not supported: assign to the variable itself)";
    fail(target, std::string("unsupported construct: ") + what + " " + why);
  }
  if (frames_.size() > 1 && !frame().returns.empty() && !owned_by_frame(slot)) {
    const std::string fn = frame().fn->getNameAsString();
    fail(target, std::string("unsupported construct: ") + what + " memory of the caller of '" + fn +
                     "' after a return that depends on data (it would happen on both paths); write it before the "
                     "return, or return once at the end");
  }
  if (in_caller_memory(slot)) {
    const std::string fn = frames_.front()->fn->getNameAsString();
    fail(target, std::string(what) + " memory the caller passed to '" + fn +
                     "' (a pointer or reference parameter): gradgen differentiates the return value, and " + fn +
                     "_grad would not write it; copy it into a local variable or array first");
  }
  return slot;
}

namespace {

// Whether `slot` is `object` or one of its elements, at any depth.
bool contains(const Value& object, const Value* slot) {
  if (&object == slot) return true;
  if (object.kind != Value::Kind::Array || object.elems.empty()) return false;
  const Value* first = object.elems.data();
  if (slot >= first && slot < first + object.elems.size()) return true;
  if (first->kind != Value::Kind::Array) return false;
  for (const Value& e : object.elems)
    if (contains(e, slot)) return true;
  return false;
}

}  // namespace

// Whether `slot` lies in one of the current function's own objects (its locals and by-value
// parameters), not in memory a reference or pointer parameter shares with its caller.
bool Lowerer::owned_by_frame(const Value* slot) const {
  for (const Value& v : frames_.back()->store)
    if (contains(v, slot)) return true;
  return false;
}

// Whether `slot` lies in an object a pointer or reference parameter of the differentiated
// function refers to, however it was reached (a local reference, a helper's parameter).
bool Lowerer::in_caller_memory(const Value* slot) const {
  const Frame& top = *frames_.front();
  for (const clang::ParmVarDecl* pd : top.fn->parameters()) {
    const clang::QualType t = pd->getType();
    if (!t->isPointerType() && !t->isReferenceType()) continue;
    auto p = top.vars.find(pd);
    if (p != top.vars.end() && contains(*p->second, slot)) return true;
  }
  return false;
}

Value* Lowerer::element(Value* base, const clang::Expr* index, const clang::Expr* at) {
  if (base->kind != K::Array) fail(at, "subscript of something that is not an array");
  int64_t i = int_of(index);
  if (i < 0 || i >= static_cast<int64_t>(base->elems.size()))
    fail(index, "index " + std::to_string(i) + " is out of bounds for an array of " + std::to_string(base->elems.size()) +
                    " elements");
  return &base->elems[static_cast<size_t>(i)];
}

Value Lowerer::eval_cast(const clang::Expr* ex) {
  auto* c = llvm::cast<clang::CastExpr>(ex);
  const clang::Expr* sub = c->getSubExpr();
  switch (c->getCastKind()) {
    case clang::CK_LValueToRValue: {
      Value* p = lvalue(sub);
      Value v = p ? *p : eval(sub);
      if (v.kind == K::Undef) fail(sub, "use of a variable before it is assigned a value");
      return v;
    }
    case clang::CK_NoOp:
    case clang::CK_ArrayToPointerDecay:
    case clang::CK_ConstructorConversion:
    case clang::CK_UserDefinedConversion:
    case clang::CK_UncheckedDerivedToBase:
    case clang::CK_DerivedToBase:
      return eval(sub);
    case clang::CK_FloatingCast: {  // a double stored in a float is rounded, as C++ rounds it
      Value v = eval(sub);
      if (v.kind == K::Num && v.n->op == Op::Const) {
        const double r = rounded_to(v.n->attrs.value, ex->getType());
        if (r != v.n->attrs.value) return Value::num(program_.graph->constant(r));
      }
      return as_held_by(std::move(v), ex->getType());
    }
    case clang::CK_ToVoid:
      eval(sub);
      return Value{};
    case clang::CK_IntegralCast:
    case clang::CK_IntegralToFloating:
    case clang::CK_BooleanToSignedIntegral: {
      Value v = eval(sub);
      if (v.kind == K::Int && c->getCastKind() == clang::CK_IntegralToFloating)
        return Value::num(program_.graph->constant(
            rounded_to(is_u64(sub->getType()) ? static_cast<double>(static_cast<uint64_t>(v.i)) : static_cast<double>(v.i),
                       ex->getType())));
      if (v.kind != K::Int && c->getCastKind() == clang::CK_IntegralCast && !bools_.count(v.n))  // 0 or 1 fits any
        require_wide_signed(ex->getType(), ex);
      if (v.kind == K::Int && c->getCastKind() == clang::CK_BooleanToSignedIntegral) return Value::of_int(-v.i);
      return v;
    }
    case clang::CK_IntegralToBoolean:
    case clang::CK_FloatingToBoolean: {
      Value v = eval(sub);
      if (v.kind == K::Int) return Value::of_int(v.i != 0);
      if (v.kind == K::Num && v.n->op == Op::Const) return Value::of_int(v.n->attrs.value != 0);
      return Value::num(cond_of(v, sub));
    }
    case clang::CK_FloatingToIntegral: {
      clang::Expr::EvalResult folded;  // a constant expression, e.g. static_cast<int>(3.9 * 2): Clang's value
      if (ex->EvaluateAsInt(folded, ctx_) && folded.Val.getInt().getBitWidth() <= 64)
        return Value::of_int(int_value(folded.Val.getInt()));
      Value v = eval(sub);
      if (v.kind == K::Num && v.n->op == Op::Const) return Value::of_int(float_to_int(v.n->attrs.value, ex));
      fail(ex, "unsupported construct: conversion of floating-point data to an integer (not differentiable)");
    }
    default:
      refuse_pointer_cast(c);
      fail(ex, std::string("unsupported construct: ") + c->getCastKindName() + " conversion");
  }
}

// A cast to or from a pointer names what it casts: `(double*)std::malloc(n)` is a heap
// allocation (it said "BitCast conversion").
void Lowerer::refuse_pointer_cast(const clang::CastExpr* c) {
  const clang::Expr* sub = c->getSubExpr()->IgnoreParenImpCasts();
  if (const auto* call = llvm::dyn_cast<clang::CallExpr>(sub))
    if (const clang::FunctionDecl* callee = call->getDirectCallee()) {
      const std::string name = callee->getNameAsString();
      for (const char* heap : {"malloc", "calloc", "realloc", "aligned_alloc", "memalign", "valloc"})
        if (name == heap) fail(call, "unsupported construct: heap allocation (" + name + ")");
    }
  if (c->getType()->isPointerType() || c->getSubExpr()->getType()->isPointerType())
    fail(c, std::string("unsupported construct: pointer cast (") + c->getCastKindName() + ")");
}

Value Lowerer::eval_decl_ref(const clang::Expr* ex) {
  auto* dr = llvm::cast<clang::DeclRefExpr>(ex);
  const clang::ValueDecl* d = dr->getDecl();
  auto it = frame().vars.find(d);
  if (it != frame().vars.end()) return *it->second;
  if (auto* ec = llvm::dyn_cast<clang::EnumConstantDecl>(d)) return Value::of_int(int_value(ec->getInitVal()));
  if (auto* v = llvm::dyn_cast<clang::VarDecl>(d)) {
    clang::Expr::EvalResult r;
    if (v->getType()->isIntegralOrEnumerationType() && ex->EvaluateAsInt(r, ctx_))
      return Value::of_int(int_value(r.Val.getInt()));
    if (v->getType()->isRealFloatingType() && v->getType().isConstQualified() && ex->EvaluateAsRValue(r, ctx_) &&
        r.Val.isFloat())
      return Value::num(program_.graph->constant(r.Val.getFloat().convertToDouble()));
    if (const Value* table = constant_array(v)) return *table;
    if (v->hasGlobalStorage() && v->getType().isConstQualified())  // const double kA = std::sqrt(2.0)
      fail(ex, "unsupported construct: global constant '" + v->getNameAsString() +
                   "' whose value is not a constant expression (make it constexpr, or pass it as a parameter)");
    if (v->hasGlobalStorage())
      fail(ex, "unsupported construct: global variable '" + v->getNameAsString() + "' (pass it as a parameter or make it a constant)");
  }
  fail(ex, "unsupported reference to '" + d->getNameAsString() + "'");
}

// +, - and * wrap (computed on the bits; eval() then wraps to the result type); an unsigned
// 64-bit operand makes division, remainder, shifts and comparisons unsigned.
Value Lowerer::int_arith(int opcode, int64_t x, int64_t y, bool u64, const clang::Expr* at) {
  auto op = static_cast<clang::BinaryOperatorKind>(opcode);
  const auto ux = static_cast<uint64_t>(x), uy = static_cast<uint64_t>(y);
  auto of = [](uint64_t bits) { return Value::of_int(static_cast<int64_t>(bits)); };
  switch (op) {
    case clang::BO_Add: return of(ux + uy);
    case clang::BO_Sub: return of(ux - uy);
    case clang::BO_Mul: return of(ux * uy);
    case clang::BO_Div:
    case clang::BO_Rem:
      if (y == 0) fail(at, "integer division by zero");
      if (u64) return of(op == clang::BO_Div ? ux / uy : ux % uy);
      if (x == std::numeric_limits<int64_t>::min() && y == -1) fail(at, "integer overflow in division");
      return Value::of_int(op == clang::BO_Div ? x / y : x % y);
    case clang::BO_LT: return Value::of_int(u64 ? ux < uy : x < y);
    case clang::BO_GT: return Value::of_int(u64 ? ux > uy : x > y);
    case clang::BO_LE: return Value::of_int(u64 ? ux <= uy : x <= y);
    case clang::BO_GE: return Value::of_int(u64 ? ux >= uy : x >= y);
    case clang::BO_EQ: return Value::of_int(x == y);
    case clang::BO_NE: return Value::of_int(x != y);
    case clang::BO_And: return Value::of_int(x & y);
    case clang::BO_Or: return Value::of_int(x | y);
    case clang::BO_Xor: return Value::of_int(x ^ y);
    case clang::BO_Shl:
      if (y < 0 || y > 63) fail(at, "shift count out of range");
      return of(ux << y);
    case clang::BO_Shr:
      if (y < 0 || y > 63) fail(at, "shift count out of range");
      return u64 ? of(ux >> y) : Value::of_int(x >> y);
    case clang::BO_LAnd: return Value::of_int(x && y);
    case clang::BO_LOr: return Value::of_int(x || y);
    default: fail(at, "unsupported integer operator");
  }
}

// Signed overflow is undefined behaviour in C++ (compilers assume it never happens, so the
// native function need not wrap): an error, as in Clang's constant evaluation. ++ and -- on a
// type narrower than int compute in int and cannot overflow.
void Lowerer::check_signed_overflow(int opcode, int64_t x, int64_t y, clang::QualType t, const clang::Expr* at) {
  auto op = static_cast<clang::BinaryOperatorKind>(opcode);
  if (t.isNull() || !t->isSignedIntegerOrEnumerationType()) return;
  if (op != clang::BO_Add && op != clang::BO_Sub && op != clang::BO_Mul) return;
  const uint64_t width = ctx_.getIntWidth(t);
  if (width < ctx_.getIntWidth(ctx_.IntTy)) return;
  int64_t exact = 0;
  bool overflows = op == clang::BO_Add   ? __builtin_add_overflow(x, y, &exact)
                   : op == clang::BO_Sub ? __builtin_sub_overflow(x, y, &exact)
                                         : __builtin_mul_overflow(x, y, &exact);
  if (!overflows && width < 64) overflows = exact < -(int64_t(1) << (width - 1)) || exact >= (int64_t(1) << (width - 1));
  if (!overflows) return;
  const bool negation = llvm::isa<clang::UnaryOperator>(at) &&
                        llvm::cast<clang::UnaryOperator>(at)->getOpcode() == clang::UO_Minus;
  const std::string what = negation ? "-(" + std::to_string(y) + ")"
                                    : std::to_string(x) + (op == clang::BO_Add   ? " + "
                                                           : op == clang::BO_Sub ? " - "
                                                                                 : " * ") +
                                          std::to_string(y);
  fail(at, "signed integer overflow: " + what + " does not fit in '" + t.getAsString() + "' (undefined behaviour in C++)");
}

Value Lowerer::arith(int opcode, const Value& a, const Value& b, const clang::Expr* at) {
  auto op = static_cast<clang::BinaryOperatorKind>(opcode);
  if (a.kind == K::Int && b.kind == K::Int) {
    // The operands' common type (after the usual conversions), or the operand of ++/--.
    clang::QualType t;
    if (auto* ca = llvm::dyn_cast<clang::CompoundAssignOperator>(at)) t = ca->getComputationLHSType();
    else if (auto* bo = llvm::dyn_cast<clang::BinaryOperator>(at)) t = bo->getLHS()->getType();
    else if (auto* uo = llvm::dyn_cast<clang::UnaryOperator>(at)) t = uo->getSubExpr()->getType();
    check_signed_overflow(opcode, a.i, b.i, t, at);
    return int_arith(opcode, a.i, b.i, is_u64(t), at);
  }
  if (op == clang::BO_Div) {  // an integer division on data (an int made from comparisons)
    clang::QualType t;
    if (auto* ca = llvm::dyn_cast<clang::CompoundAssignOperator>(at)) t = ca->getComputationResultType();
    else if (auto* bo = llvm::dyn_cast<clang::BinaryOperator>(at)) t = bo->getType();
    if (!t.isNull() && t->isIntegralOrEnumerationType())
      fail(at, "unsupported construct: integer division of a value that depends on floating-point data (a "
               "comparison); divide as floating point");
  }
  double unused = 0;
  if (!(known(a, unused) && known(b, unused))) require_wide_signed(operation_type(at), at);
  bool tensor = a.kind == K::Tensor || b.kind == K::Tensor;
  double known_a = 0, known_b = 0;
  if (!tensor && known(a, known_a) && known(b, known_b)) return fold(opcode, known_a, known_b, at);
  E x = e(num(a, at)), y = e(num(b, at));
  Graph& g = *program_.graph;
  const Node* r = nullptr;
  bool is_bool = true;
  switch (op) {
    case clang::BO_Add: r = (x + y).n; is_bool = false; break;
    case clang::BO_Sub: r = (x - y).n; is_bool = false; break;
    case clang::BO_Mul: r = (x * y).n; is_bool = false; break;
    case clang::BO_Div: r = (x / y).n; is_bool = false; break;
    case clang::BO_LT: r = g.make(Op::Less, {x, y}); break;
    case clang::BO_GT: r = g.make(Op::Less, {y, x}); break;
    case clang::BO_LE: r = g.make(Op::LessEq, {x, y}); break;
    case clang::BO_GE: r = g.make(Op::LessEq, {y, x}); break;
    case clang::BO_EQ: r = g.make(Op::Equal, {x, y}); break;
    case clang::BO_NE: r = (k(1.0) - e(g.make(Op::Equal, {x, y}))).n; break;
    case clang::BO_LAnd: r = (e(cond_of(a, at)) * e(cond_of(b, at))).n; break;
    case clang::BO_LOr: r = (k(1.0) - (k(1.0) - e(cond_of(a, at))) * (k(1.0) - e(cond_of(b, at)))).n; break;
    default:
      fail(at, std::string("unsupported construct: operator ") + clang::BinaryOperator::getOpcodeStr(op).str() +
                   (operation_type(at)->isIntegralOrEnumerationType()
                        ? " on an integer that depends on floating-point data (a comparison)"
                        : " on floating-point data"));
  }
  if (is_bool) bools_.insert(r);
  if (tensor) return Value::tensor(r);
  if (!is_bool && operation_type(at)->isSpecificBuiltinType(clang::BuiltinType::Double)) computes_in_double_ = true;
  return is_bool ? Value::num(r) : as_held_by(Value::num(r), operation_type(at));
}

// `a op b` of two known numbers, at least one floating-point, computed as C++ computes it: in
// double, rounded to float where the result type is float (a float operation rounds the exact
// result once, and double holds the exact sum or product of two floats to within that
// rounding). Folding lets a floating-point loop counter (`for (double t = 0; t < 1; t += 0.25)`)
// decide its loop, and a comparison of constants choose its branch.
Value Lowerer::fold(int opcode, double a, double b, const clang::Expr* at) {
  auto op = static_cast<clang::BinaryOperatorKind>(opcode);
  double r = 0;
  switch (op) {
    case clang::BO_Add: r = a + b; break;
    case clang::BO_Sub: r = a - b; break;
    case clang::BO_Mul: r = a * b; break;
    case clang::BO_Div: r = a / b; break;
    case clang::BO_LT: return Value::of_int(a < b);
    case clang::BO_GT: return Value::of_int(a > b);
    case clang::BO_LE: return Value::of_int(a <= b);
    case clang::BO_GE: return Value::of_int(a >= b);
    case clang::BO_EQ: return Value::of_int(a == b);
    case clang::BO_NE: return Value::of_int(a != b);
    case clang::BO_LAnd: return Value::of_int(a != 0 && b != 0);
    case clang::BO_LOr: return Value::of_int(a != 0 || b != 0);
    default:
      fail(at, std::string("unsupported construct: operator ") + clang::BinaryOperator::getOpcodeStr(op).str() +
                   " on floating-point values");
  }
  return Value::num(program_.graph->constant(rounded_to(r, operation_type(at))));
}

// The type C++ computes `at` in: a compound assignment's computation type, the operand of
// ++/--, else the expression's own type.
clang::QualType Lowerer::operation_type(const clang::Expr* at) const {
  if (auto* ca = llvm::dyn_cast<clang::CompoundAssignOperator>(at)) return ca->getComputationResultType();
  if (auto* uo = llvm::dyn_cast<clang::UnaryOperator>(at)) return uo->getSubExpr()->getType();
  return at->getType();
}

// Data of a double function held in a float (a float local, a cast, a float operation or
// math call) is rounded to float, as C++ rounds it; a float function computes in float anyway.
Value Lowerer::as_held_by(Value v, clang::QualType t) {
  const bool rounds = round_floats_ && program_.precision == Precision::F64 && !t.isNull() &&
                      t->isSpecificBuiltinType(clang::BuiltinType::Float);
  if (!rounds || v.kind != K::Num || v.n->op == Op::Const || v.n->op == Op::ToFloat) return v;
  return Value::num(unary(Op::ToFloat, e(v.n)).n);
}

// v as a value of floating-point type t holds it: rounded to float where t is float.
double Lowerer::rounded_to(double v, clang::QualType t) const {
  if (!t.isNull() && t->isSpecificBuiltinType(clang::BuiltinType::Float)) return static_cast<float>(v);
  return v;
}

Value Lowerer::eval_binary(const clang::Expr* ex) {
  auto* bo = llvm::cast<clang::BinaryOperator>(ex);
  if (bo->isAssignmentOp()) return eval_assign(ex);
  auto op = bo->getOpcode();
  if (op == clang::BO_Comma) {
    eval(bo->getLHS());
    return eval(bo->getRHS());
  }
  if (bo->getLHS()->getType()->isPointerType() || bo->getRHS()->getType()->isPointerType())
    fail(ex, "unsupported construct: pointer arithmetic");
  if (op == clang::BO_PtrMemD || op == clang::BO_PtrMemI) fail(ex, "unsupported construct: pointer to member");
  Value a = eval(bo->getLHS());
  const bool logical = op == clang::BO_LAnd || op == clang::BO_LOr;
  if (logical && a.kind == K::Int && (a.i != 0) == (op == clang::BO_LOr))
    return Value::of_int(op == clang::BO_LOr);  // short circuit on a known operand
  // On data, the right operand's writes happen only where C++ evaluates it.
  Value b = !logical || a.kind == K::Int ? eval(bo->getRHS())
            : op == clang::BO_LAnd       ? eval_arms(cond_of(a, bo->getLHS()), bo->getRHS(), nullptr, ex).first
                                         : eval_arms(cond_of(a, bo->getLHS()), nullptr, bo->getRHS(), ex).second;
  if (logical && a.kind == K::Int && b.kind == K::Int) return Value::of_int(b.i != 0);
  return arith(op, a, b, ex);
}

Value Lowerer::eval_assign(const clang::Expr* ex) {
  auto* bo = llvm::cast<clang::BinaryOperator>(ex);
  if (bo->getLHS()->getType()->isPointerType()) fail(ex, "unsupported construct: pointer assignment or arithmetic");
  // C++17: the right operand, side effects included, is sequenced before the left (a[i++] = i
  // stores the old i at the old index).
  Value v = eval(bo->getRHS());
  Value* slot = assignable(bo->getLHS(), "assignment to");
  if (bo->getOpcode() != clang::BO_Assign) {
    if (slot->kind == K::Undef) fail(bo->getLHS(), "use of a variable before it is assigned a value");
    const auto op = clang::BinaryOperator::getOpForCompoundAssignment(bo->getOpcode());
    const clang::QualType computed = llvm::cast<clang::CompoundAssignOperator>(bo)->getComputationResultType();
    v = arith(op, *slot, v, ex);  // k *= 0.5 with k known folds to 1.5, converted to int below
    v = to_integer_target(v, computed, bo->getLHS());
    if (v.kind == K::Int) v.i = to_type(v.i, bo->getLHS()->getType());
    if (v.kind == K::Num && v.n->op == Op::Const)  // `float t; t += 0.1` is computed in double, stored as float
      v = Value::num(program_.graph->constant(rounded_to(v.n->attrs.value, bo->getLHS()->getType())));
    v = as_held_by(std::move(v), bo->getLHS()->getType());
  }
  store_to(bo->getLHS(), slot, std::move(v), ex);
  return *slot;
}

// A value known while lowering (an integer, or a number with no data in it), as a double.
bool Lowerer::known(const Value& v, double& d) const {
  if (v.kind == K::Int) d = static_cast<double>(v.i);
  else if (v.kind == K::Num && v.n->op == Op::Const) d = v.n->attrs.value;
  else return false;
  return true;
}

// The result of `k op= v` (computed in type `computed`) as the integer or bool `target` holds
// it: a known floating-point result converts toward zero, as C++ does, and any result into a
// bool is `!= 0`; a floating-point one that depends on data cannot be followed into an integer
// (not differentiable).
Value Lowerer::to_integer_target(Value v, clang::QualType computed, const clang::Expr* target) {
  const clang::QualType t = target->getType();
  if (!t->isIntegralOrEnumerationType() || v.kind == K::Int) {
    if (v.kind == K::Int && t->isBooleanType()) v.i = v.i != 0;
    return v;
  }
  if (v.kind == K::Num && v.n->op == Op::Const) {
    const double d = v.n->attrs.value;
    return Value::of_int(t->isBooleanType() ? d != 0 : float_to_int(d, target));
  }
  if (t->isBooleanType()) {  // `b += (x > 0)`, `b *= x`: stored as C++ stores into a bool, != 0
    const Node* c = cond_of(v, target);
    bools_.insert(c);
    return Value::num(c);
  }
  if (computed->isRealFloatingType())
    fail(target, "unsupported construct: conversion of floating-point data to an integer (not differentiable)");
  require_wide_signed(t, target);
  return v;
}

// An integer made from comparisons on data is followed as a number, without C++'s wrap-around:
// right in int, long and long long (signed, at least 32 bits), where such small values cannot
// wrap, and refused in an unsigned or narrower type, where `(y > 0) - 1u` wraps to 4294967295.
void Lowerer::require_wide_signed(clang::QualType t, const clang::Stmt* at) const {
  if (t.isNull() || !t->isIntegralOrEnumerationType() || t->isBooleanType()) return;
  if (t->isSignedIntegerOrEnumerationType() && ctx_.getIntWidth(t) >= 32) return;
  fail(at, "unsupported construct: an integer that depends on floating-point data (a comparison) in type '" +
               t.getAsString() + "', where C++ wraps it around; use int");
}

Value Lowerer::eval_unary(const clang::Expr* ex) {
  auto* uo = llvm::cast<clang::UnaryOperator>(ex);
  const clang::Expr* sub = uo->getSubExpr();
  switch (uo->getOpcode()) {
    case clang::UO_Plus:
      return eval(sub);
    case clang::UO_Minus: {
      Value v = eval(sub);
      if (v.kind == K::Int) {
        check_signed_overflow(clang::BO_Sub, 0, v.i, uo->getType(), ex);
        return Value::of_int(static_cast<int64_t>(uint64_t(0) - static_cast<uint64_t>(v.i)));  // wrapped to its type by eval
      }
      if (v.kind == K::Num && v.n->op == Op::Const) return Value::num(program_.graph->constant(-v.n->attrs.value));
      const Node* r = (-e(num(v, sub))).n;
      return v.kind == K::Tensor ? Value::tensor(r) : Value::num(r);
    }
    case clang::UO_LNot: {
      Value v = eval(sub);
      if (v.kind == K::Int) return Value::of_int(!v.i);
      const Node* r = (k(1.0) - e(cond_of(v, sub))).n;
      bools_.insert(r);
      return Value::num(r);
    }
    case clang::UO_Not: {
      Value v = eval(sub);
      if (v.kind != K::Int)
        fail(ex, v.kind == K::Num && bools_.count(v.n)
                     ? "unsupported construct: bitwise not on an integer that depends on floating-point data (a comparison)"
                     : "unsupported construct: bitwise not on floating-point data");
      return Value::of_int(~v.i);
    }
    case clang::UO_PreInc:
    case clang::UO_PostInc:
    case clang::UO_PreDec:
    case clang::UO_PostDec: {
      if (sub->getType()->isPointerType()) fail(ex, "unsupported construct: pointer arithmetic");
      Value* slot = assignable(sub, uo->isIncrementOp() ? "increment of" : "decrement of");
      if (slot->kind == K::Undef) fail(sub, "use of a variable before it is assigned a value");
      Value old = *slot;
      Value one = Value::of_int(1);
      Value nv = arith(uo->isIncrementOp() ? clang::BO_Add : clang::BO_Sub, old, one, ex);
      if (nv.kind == K::Int) nv.i = to_type(nv.i, sub->getType());
      store_to(sub, slot, nv, ex);
      return uo->isPrefix() ? nv : old;
    }
    case clang::UO_Deref:
      fail(ex, "unsupported construct: pointer dereference (index the array instead)");
    case clang::UO_AddrOf:
      fail(ex, "unsupported construct: address-of operator (pointers to locals)");
    default:
      fail(ex, std::string("unsupported construct: unary operator ") + clang::UnaryOperator::getOpcodeStr(uo->getOpcode()).str());
  }
}

TypeInfo Lowerer::classify(clang::QualType qt) const {
  TypeInfo ti;
  clang::QualType t = qt.getNonReferenceType().getCanonicalType();
  if (wider_floating(t)) return ti;  // unsupported
  if (t->isRealFloatingType()) {
    ti.kind = TypeInfo::Kind::Float;
    ti.is_float32 = t->isSpecificBuiltinType(clang::BuiltinType::Float);
    return ti;
  }
  if (t->isIntegralOrEnumerationType()) {
    ti.kind = TypeInfo::Kind::Int;
    return ti;
  }
  if (auto* ca = ctx_.getAsConstantArrayType(t)) {
    TypeInfo inner = classify(ca->getElementType());
    if (inner.kind != TypeInfo::Kind::Float && inner.kind != TypeInfo::Kind::Int && inner.kind != TypeInfo::Kind::Array)
      return ti;
    ti = inner;
    ti.kind = TypeInfo::Kind::Array;
    ti.dims.insert(ti.dims.begin(), static_cast<int64_t>(ca->getSize().getZExtValue()));
    return ti;
  }
  if (t->isPointerType()) {
    TypeInfo inner = classify(t->getPointeeType());
    if (inner.kind != TypeInfo::Kind::Float) return ti;
    ti.kind = TypeInfo::Kind::Pointer;
    ti.is_float32 = inner.is_float32;
    return ti;
  }
  auto* spec = llvm::dyn_cast_or_null<clang::ClassTemplateSpecializationDecl>(t->getAsCXXRecordDecl());
  if (!spec) return ti;
  const clang::TemplateArgumentList& args = spec->getTemplateArgs();
  std::string name = spec->getQualifiedNameAsString();
  auto int_arg = [&](unsigned i) { return static_cast<int64_t>(args[i].getAsIntegral().getExtValue()); };
  if (spec->isInStdNamespace() && spec->getName() == "array" && args.size() == 2 &&
      args[1].getKind() == clang::TemplateArgument::Integral) {
    TypeInfo inner = classify(args[0].getAsType());
    if (inner.kind != TypeInfo::Kind::Float && inner.kind != TypeInfo::Kind::Int && inner.kind != TypeInfo::Kind::Array)
      return ti;
    ti = inner;
    ti.kind = TypeInfo::Kind::Array;
    ti.dims.insert(ti.dims.begin(), int_arg(1));
    return ti;
  }
  bool matrix = name == "gradgen::Matrix" && args.size() == 3;
  bool vector = name == "gradgen::Vector" && args.size() == 2;
  if (!matrix && !vector) return ti;
  TypeInfo elem = classify(args[args.size() - 1].getAsType());
  if (elem.kind != TypeInfo::Kind::Float) return ti;
  ti.kind = TypeInfo::Kind::Tensor;
  ti.is_float32 = elem.is_float32;
  ti.dims = matrix ? std::vector<int64_t>{int_arg(0), int_arg(1)} : std::vector<int64_t>{int_arg(0)};
  return ti;
}

namespace {
Shape shape_of(const std::vector<int64_t>& dims) {
  Shape s;
  for (int64_t d : dims) s.push_back(Dim::fixed(d));
  return s;
}
}  // namespace

Value Lowerer::zero_of(clang::QualType t, const clang::Stmt* at) {
  TypeInfo ti = classify(t);
  switch (ti.kind) {
    case TypeInfo::Kind::Float:
      return Value::num(program_.graph->constant(0.0));
    case TypeInfo::Kind::Int:
      return Value::of_int(0);
    case TypeInfo::Kind::Tensor:
      return Value::tensor(with_shape(Op::BroadcastTo, k(0.0), shape_of(ti.dims)).n);
    case TypeInfo::Kind::Array: {
      clang::QualType c = t.getNonReferenceType().getCanonicalType();
      clang::QualType elem;
      if (auto* ca = ctx_.getAsConstantArrayType(c)) elem = ca->getElementType();
      else elem = llvm::cast<clang::ClassTemplateSpecializationDecl>(c->getAsCXXRecordDecl())->getTemplateArgs()[0].getAsType();
      Value v;
      v.kind = K::Array;
      Value z = zero_of(elem, at);
      v.elems.assign(static_cast<size_t>(ti.dims[0]), z);
      return v;
    }
    case TypeInfo::Kind::Pointer:
    case TypeInfo::Kind::Unsupported:
      break;
  }
  fail(at, "unsupported type '" + t.getAsString() + "'");
}

// A tensor built from its elements: the sum of each non-zero element placed at its index.
static Value tensor_from(Graph& g, const Value& arr, const std::vector<int64_t>& dims) {
  std::vector<const Node*> flat;
  // Depth-first over nested arrays gives row-major order.
  std::function<void(const Value&)> walk = [&](const Value& v) {
    if (v.kind == K::Array)
      for (const Value& x : v.elems) walk(x);
    else
      flat.push_back(v.kind == K::Int ? g.constant(static_cast<double>(v.i)) : v.n);
  };
  walk(arr);
  Shape s = shape_of(dims);
  const Node* acc = nullptr;
  for (size_t i = 0; i < flat.size(); ++i) {
    if (!flat[i] || flat[i]->is_const(0.0)) continue;
    Attrs at;
    at.axis = static_cast<int>(i);
    at.shape = s;
    const Node* sc = g.make(Op::Scatter, {flat[i]}, at);
    acc = acc ? g.make(Op::Add, {acc, sc}) : sc;
  }
  if (!acc) {
    Attrs at;
    at.shape = s;
    acc = g.make(Op::BroadcastTo, {g.constant(0.0)}, at);
  }
  return Value::tensor(acc);
}

Value Lowerer::eval_init_list(const clang::Expr* ex) {
  auto* il = llvm::cast<clang::InitListExpr>(ex);
  clang::QualType t = il->getType().getCanonicalType();
  TypeInfo ti = classify(t);
  if (ti.kind == TypeInfo::Kind::Float || ti.kind == TypeInfo::Kind::Int)
    return il->getNumInits() ? eval(il->getInit(0)) : zero_of(t, ex);
  if (auto* ca = ctx_.getAsConstantArrayType(t)) {
    Value v;
    v.kind = K::Array;
    size_t n = ca->getSize().getZExtValue();
    for (size_t i = 0; i < n; ++i) {
      if (i < il->getNumInits()) v.elems.push_back(eval(il->getInit(static_cast<unsigned>(i))));
      else if (il->hasArrayFiller()) v.elems.push_back(eval(il->getArrayFiller()));
      else v.elems.push_back(zero_of(ca->getElementType(), ex));
    }
    return v;
  }
  if (ti.kind == TypeInfo::Kind::Array || ti.kind == TypeInfo::Kind::Tensor) {
    // std::array and the gradgen tensors are aggregates around one array member.
    if (il->getNumInits() == 0) return zero_of(t, ex);
    if (il->getNumInits() != 1) fail(ex, "unsupported initializer");
    Value inner = eval(il->getInit(0));
    if (ti.kind == TypeInfo::Kind::Array) return inner;
    return tensor_from(*program_.graph, inner, ti.dims);
  }
  fail(ex, "unsupported initializer of type '" + il->getType().getAsString() + "'");
}

Value Lowerer::eval_construct(const clang::Expr* ex) {
  auto* ce = llvm::cast<clang::CXXConstructExpr>(ex);
  const clang::CXXConstructorDecl* ctor = ce->getConstructor();
  if (ctor->isCopyOrMoveConstructor() && ce->getNumArgs() >= 1) return eval(ce->getArg(0));
  if (ctor->isDefaultConstructor() && ce->getNumArgs() == 0) return zero_of(ce->getType(), ex);
  fail(ex, "unsupported construct: constructor of '" + ce->getType().getAsString() + "'");
}

}  // namespace gg::cppfe
