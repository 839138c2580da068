// Calls: <cmath> functions become IR ops, the gradgen tensor API maps one-to-one onto ops,
// std::array members give elements and sizes, and functions defined in the input are inlined.
#include <clang/AST/ASTContext.h>
#include <clang/AST/Decl.h>
#include <clang/AST/DeclCXX.h>
#include <clang/AST/Expr.h>
#include <clang/AST/ExprCXX.h>
#include <clang/Basic/SourceManager.h>

#include <cmath>

#include "frontend/clang/lower.h"
#include "ir/op_table.h"
#include "passes/const_fold.h"

namespace gg::cppfe {

using K = Value::Kind;

namespace {

/// Arguments as written (for a member operator call, the object is argument 0).
std::vector<const clang::Expr*> call_args(const clang::Expr* call) {
  std::vector<const clang::Expr*> out;
  if (auto* mc = llvm::dyn_cast<clang::CXXMemberCallExpr>(call)) out.push_back(mc->getImplicitObjectArgument());
  auto* c = llvm::cast<clang::CallExpr>(call);
  for (const clang::Expr* a : c->arguments()) out.push_back(a);
  return out;
}

bool is_std_array(clang::QualType t) {
  auto* spec = llvm::dyn_cast_or_null<clang::ClassTemplateSpecializationDecl>(
      t.getNonReferenceType().getCanonicalType()->getAsCXXRecordDecl());
  return spec && spec->isInStdNamespace() && spec->getName() == "array";
}

// The <cmath> functions try_math lowers (each also with its f and l suffixes, but max, min, clamp).
constexpr const char* kMathFunctions[] = {"exp",  "log",  "sqrt",  "tanh",  "sin",   "cos",  "tan",  "abs",
                                          "fabs", "pow",  "fmax",  "fmin",  "max",   "min",  "log2", "log10",
                                          "exp2", "expm1", "log1p", "sinh", "cosh", "hypot", "clamp"};

std::string math_function_list() {
  std::string out;
  for (const char* f : kMathFunctions) out += (out.empty() ? "" : ", ") + std::string(f);
  return out;
}

/// "expf" -> "exp", "__builtin_fabsl" -> "fabs": the C and builtin spellings of a math function.
std::string math_name(const clang::FunctionDecl* fn) {
  if (!fn->getIdentifier()) return "";
  std::string n = fn->getName().str();
  if (n.rfind("__builtin_", 0) == 0) n = n.substr(10);
  for (const char* b : kMathFunctions) {
    std::string base = b;
    if (n == base || ((n == base + "f" || n == base + "l") && base != "max" && base != "min" && base != "clamp"))
      return base;
  }
  return "";
}

}  // namespace

// A call that is a constant expression, as Clang evaluates it: NAN and INFINITY
// (__builtin_nanf(""), __builtin_inff()), HUGE_VAL, std::numeric_limits<double>::infinity().
std::optional<Value> Lowerer::constant_call(const clang::Expr* ex) {
  clang::Expr::EvalResult r;
  if (ex->isValueDependent() || !ex->EvaluateAsRValue(r, ctx_) || r.HasSideEffects) return std::nullopt;
  if (r.Val.isInt()) return Value::of_int(int_value(r.Val.getInt()));
  if (!r.Val.isFloat()) return std::nullopt;
  llvm::APFloat f = r.Val.getFloat();
  bool lost = false;
  f.convert(llvm::APFloat::IEEEdouble(), llvm::APFloat::rmNearestTiesToEven, &lost);
  return Value::num(program_.graph->constant(f.convertToDouble()));
}

Value Lowerer::eval_call(const clang::Expr* ex) {
  auto* ce = llvm::cast<clang::CallExpr>(ex);
  const clang::FunctionDecl* fn = ce->getDirectCallee();
  if (!fn) fail(ex, "unsupported construct: call through a function pointer, lambda or functor");
  auto* method = llvm::dyn_cast<clang::CXXMethodDecl>(fn);
  if (method && method->isVirtual()) fail(ex, "unsupported construct: virtual call to '" + fn->getQualifiedNameAsString() + "'");
  Value out;
  if (try_math(fn, ex, out) || try_tensor_api(fn, ex, out) || try_std_array(fn, ex, out)) return out;
  const clang::FunctionDecl* def = nullptr;
  bool system = ctx_.getSourceManager().isInSystemHeader(fn->getLocation());
  if (method && !method->isStatic())
    fail(ex, "unsupported construct: call to member function '" + fn->getQualifiedNameAsString() + "'");
  if (!system && fn->hasBody(def) && !def->isVariadic()) return inline_call(def, ex);
  if (auto constant = constant_call(ex)) return *constant;
  fail(ex, "unsupported construct: call to unknown function '" + fn->getQualifiedNameAsString() +
               "' (supported: the <cmath> functions " + math_function_list() +
               "; the gradgen tensor API; and functions defined in the input)");
}

bool Lowerer::try_math(const clang::FunctionDecl* fn, const clang::Expr* call, Value& out) {
  const clang::SourceManager& sm = ctx_.getSourceManager();
  const clang::DeclContext* dc = fn->getDeclContext()->getRedeclContext();
  bool library = sm.isInSystemHeader(fn->getLocation()) || fn->getBuiltinID() != 0;
  if (!library || !(dc->isTranslationUnit() || dc->isStdNamespace())) return false;
  std::string name = math_name(fn);
  if (name.empty()) return false;
  std::vector<const clang::Expr*> a = call_args(call);
  std::vector<Value> v;
  for (const clang::Expr* x : a) v.push_back(eval(x));
  bool ints = !v.empty();
  for (const Value& x : v) ints = ints && x.kind == K::Int;
  auto arg = [&](size_t i) { return e(num(v[i], a[i])); };
  // A call on constants is a constant, computed now as C++ computes it (a float function's
  // result rounded to float), so that C++ arithmetic on it folds and rounds as well.
  auto ret = [&](E r) {
    const std::optional<double> known = constant_value(r.n);
    if (!known && call->getType()->isSpecificBuiltinType(clang::BuiltinType::Double)) computes_in_double_ = true;
    out = known ? Value::num(program_.graph->constant(rounded_to(*known, call->getType())))
                : as_held_by(Value::num(r.n), call->getType());  // sqrtf of data in a double function
    return true;
  };
  // std::max(a, b) as C++ has it, a < b ? b : a (a NaN b gives a), with a tie split evenly as
  // torch.maximum differentiates it: select(a < b, b, select(a == b, a/2 + b/2, a)), the halves
  // summed apart so that a tie at 1e308 does not overflow. std::min is b < a ? b : a.
  auto pick = [&](E x, E y, bool is_max) {
    Graph& g = *program_.graph;
    E y_wins = e(is_max ? g.make(Op::Less, {x, y}) : g.make(Op::Less, {y, x}));
    E tie = e(g.make(Op::Equal, {x, y}));
    E split = k(0.5) * x + k(0.5) * y;
    return e(g.make(Op::Select, {y_wins, y, e(g.make(Op::Select, {tie, split, x}))}));
  };
  // fmax(a, b) as C has it (a NaN operand is ignored) and as torch.fmax differentiates it
  // (a tie goes to a): select(b <= a, a, select(b == b, b, a)); fmin alike.
  auto c_pick = [&](E x, E y, bool is_max) {
    Graph& g = *program_.graph;
    E x_wins = e(is_max ? g.make(Op::LessEq, {y, x}) : g.make(Op::LessEq, {x, y}));
    E y_is_number = e(g.make(Op::Equal, {y, y}));
    return e(g.make(Op::Select, {x_wins, x, e(g.make(Op::Select, {y_is_number, y, x}))}));
  };
  // std::clamp(v, lo, hi) is v < lo ? lo : hi < v ? hi : v; as torch.clamp, v's gradient
  // passes for lo <= v <= hi, bounds included.
  auto clamp = [&](E x, E lo, E hi) {
    Graph& g = *program_.graph;
    E above = e(g.make(Op::Select, {e(g.make(Op::Less, {hi, x})), hi, x}));
    return e(g.make(Op::Select, {e(g.make(Op::Less, {x, lo})), lo, above}));
  };
  if (ints && (name == "abs" || name == "max" || name == "min")) {
    int64_t r = name == "abs" ? std::llabs(v[0].i) : name == "max" ? std::max(v[0].i, v[1].i) : std::min(v[0].i, v[1].i);
    out = Value::of_int(r);
    return true;
  }
  if (name == "exp") return ret(unary(Op::Exp, arg(0)));
  if (name == "log") return ret(unary(Op::Log, arg(0)));
  if (name == "sqrt") return ret(unary(Op::Sqrt, arg(0)));
  if (name == "tanh") return ret(unary(Op::Tanh, arg(0)));
  if (name == "sin") return ret(unary(Op::Sin, arg(0)));
  if (name == "cos") return ret(unary(Op::Cos, arg(0)));
  if (name == "tan") return ret(unary(Op::Tan, arg(0)));
  if (name == "abs" || name == "fabs") return ret(unary(Op::Abs, arg(0)));
  if (name == "log2") return ret(unary(Op::Log2, arg(0)));
  if (name == "log10") return ret(unary(Op::Log10, arg(0)));
  if (name == "exp2") return ret(unary(Op::Exp2, arg(0)));
  if (name == "expm1") return ret(unary(Op::Expm1, arg(0)));
  if (name == "log1p") return ret(unary(Op::Log1p, arg(0)));
  if (name == "sinh") return ret(unary(Op::Sinh, arg(0)));
  if (name == "cosh") return ret(unary(Op::Cosh, arg(0)));
  if (name == "hypot") return ret(unary(Op::Sqrt, arg(0) * arg(0) + arg(1) * arg(1)));
  if (name == "max") return ret(pick(arg(0), arg(1), true));
  if (name == "min") return ret(pick(arg(0), arg(1), false));
  if (name == "fmax") return ret(c_pick(arg(0), arg(1), true));
  if (name == "fmin") return ret(c_pick(arg(0), arg(1), false));
  if (name == "clamp") return ret(clamp(arg(0), arg(1), arg(2)));
  if (name == "pow") {
    const Node* p = num(v[1], a[1]);
    if (p->op == Op::Const) return ret(with_value(Op::Pow, arg(0), p->attrs.value));
    return ret(gg::call(arg(0), e(p), Op::Power));  // std::pow itself: negative and zero bases as C++ has them
  }
  return false;
}

bool Lowerer::try_tensor_api(const clang::FunctionDecl* fn, const clang::Expr* call, Value& out) {
  std::string qn = fn->getQualifiedNameAsString();
  if (qn.rfind("gradgen::", 0) != 0) return false;
  std::vector<const clang::Expr*> a = call_args(call);
  std::vector<Value> v;
  for (const clang::Expr* x : a) v.push_back(eval(x));
  Graph& g = *program_.graph;
  auto node = [&](size_t i) { return num(v[i], a[i]); };
  auto ret = [&](const Node* r) {
    out = r->is_scalar() ? Value::num(r) : Value::tensor(r);
    return true;
  };
  switch (fn->getOverloadedOperator()) {
    case clang::OO_Plus: return ret(g.make(Op::Add, {node(0), node(1)}));
    case clang::OO_Minus:
      return ret(a.size() == 1 ? g.make(Op::Neg, {node(0)}) : g.make(Op::Sub, {node(0), node(1)}));
    case clang::OO_Star: return ret(g.make(Op::Mul, {node(0), node(1)}));
    case clang::OO_Slash: return ret(g.make(Op::Div, {node(0), node(1)}));
    case clang::OO_Call:
    case clang::OO_Subscript: {
      const Node* t = node(0);
      int64_t flat = 0;
      for (size_t i = 1; i < a.size(); ++i) {
        int64_t idx = int_of(a[i]);
        int64_t extent = t->shape[i - 1].size;
        if (idx < 0 || idx >= extent)
          fail(a[i], "index " + std::to_string(idx) + " is out of bounds for a dimension of " + std::to_string(extent));
        flat = flat * extent + idx;
      }
      Attrs at;
      at.axis = static_cast<int>(flat);
      return ret(g.make(Op::Index, {t}, at));
    }
    case clang::OO_None: break;
    default: fail(call, "unsupported construct: operator " + qn.substr(9) + " of the gradgen tensor API");
  }
  std::string name = fn->getName().str();
  if (name == "matmul" && a.size() == 2) return ret(g.make(Op::MatMul, {node(0), node(1)}));
  if (name == "transpose" && a.size() == 1) return ret(g.make(Op::Transpose, {node(0)}));
  const OpInfo* info = find_callable(name);
  if (!info || info->arity != static_cast<int>(a.size()))
    fail(call, "unsupported construct: '" + qn + "' is not part of the gradgen tensor API that gradgen lowers");
  std::vector<const Node*> ins;
  for (size_t i = 0; i < a.size(); ++i) ins.push_back(node(i));
  Attrs at;
  if (info->op == Op::Softmax || info->op == Op::LogSoftmax) at.axis = ins[0]->rank() - 1;  // row-wise, last axis
  return ret(g.make(info->op, ins, at));
}

Value* Lowerer::array_element_lvalue(const clang::Expr* call) {
  auto* ce = llvm::cast<clang::CallExpr>(call);
  auto* method = llvm::dyn_cast_or_null<clang::CXXMethodDecl>(ce->getDirectCallee());
  if (!method || !is_std_array(ctx_.getRecordType(method->getParent()))) return nullptr;
  std::vector<const clang::Expr*> a = call_args(call);
  std::string name = method->getOverloadedOperator() == clang::OO_Subscript ? "[]" : method->getNameAsString();
  if (name != "[]" && name != "at" && name != "front" && name != "back") return nullptr;
  Value* base = lvalue(a[0]);
  if (!base) {
    temps_.push_back(eval(a[0]));  // an element of a temporary (e.g. a returned array)
    base = &temps_.back();
  }
  if (base->kind != K::Array) fail(call, "subscript of something that is not an array");
  if (name == "front" || name == "back") {
    if (base->elems.empty()) fail(call, "front/back of an empty array");
    return name == "front" ? &base->elems.front() : &base->elems.back();
  }
  return element(base, a[1], call);
}

bool Lowerer::try_std_array(const clang::FunctionDecl* fn, const clang::Expr* call, Value& out) {
  auto* method = llvm::dyn_cast<clang::CXXMethodDecl>(fn);
  if (!method || !is_std_array(ctx_.getRecordType(method->getParent()))) return false;
  std::string name = method->getIdentifier() ? method->getName().str() : "";
  if (name == "size" || name == "max_size") {
    TypeInfo ti = classify(ctx_.getRecordType(method->getParent()));
    out = Value::of_int(ti.dims.empty() ? 0 : ti.dims[0]);
    return true;
  }
  if (name == "empty") {
    TypeInfo ti = classify(ctx_.getRecordType(method->getParent()));
    out = Value::of_int(ti.dims.empty() || ti.dims[0] == 0);
    return true;
  }
  if (name == "fill") {
    std::vector<const clang::Expr*> a = call_args(call);
    Value* base = lvalue(a[0]);
    if (!base) fail(call, "fill of a temporary array");
    Value x = eval(a[1]);
    for (Value& el : base->elems) el = x;
    out = Value{};
    return true;
  }
  if (method->isCopyAssignmentOperator() || method->isMoveAssignmentOperator()) {  // d = c
    std::vector<const clang::Expr*> a = call_args(call);
    Value* target = assignable(a[0], "assignment to");
    assign_in_place(*target, eval(a[1]));
    out = *target;
    return true;
  }
  Value* p = array_element_lvalue(call);
  if (!p) fail(call, "unsupported construct: std::array member '" + (name.empty() ? method->getNameAsString() : name) + "'");
  out = *p;
  return true;
}

Value Lowerer::inline_call(const clang::FunctionDecl* fn, const clang::Expr* call) {
  auto* ce = llvm::cast<clang::CallExpr>(call);
  if (ce->getNumArgs() != fn->getNumParams()) fail(call, "unsupported call (argument count differs from parameters)");
  std::vector<Arg> args;
  for (unsigned i = 0; i < fn->getNumParams(); ++i) {
    const clang::Expr* a = ce->getArg(i);
    clang::QualType pt = fn->getParamDecl(i)->getType();
    Arg arg;
    if (pt->isReferenceType()) arg.alias = reference_target(a);
    if (pt->isPointerType()) arg.alias = lvalue(a);
    if (!arg.alias && pt->isPointerType())
      fail(a, "unsupported construct: pointer argument that is not a named array (pointer arithmetic?)");
    if (!arg.alias) arg.value = eval(a);
    args.push_back(std::move(arg));
  }
  return run_function(fn, std::move(args), call);
}

}  // namespace gg::cppfe
