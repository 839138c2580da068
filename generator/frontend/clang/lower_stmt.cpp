// Statements: declarations, assignments, if/else (constant-folded, or merged with select
// when the condition depends on data), loops unrolled while their condition is a known
// constant, and returns (collected per path, folded into a select chain).
#include <algorithm>

#include <clang/AST/ASTContext.h>
#include <clang/AST/Decl.h>
#include <clang/AST/Expr.h>
#include <clang/AST/ExprCXX.h>
#include <clang/AST/Stmt.h>
#include <clang/AST/StmtCXX.h>
#include <clang/Basic/SourceManager.h>

#include "frontend/clang/lower.h"
#include "ir/op_table.h"
#include "support/error.h"

namespace gg::cppfe {

namespace {
constexpr int64_t kMaxIterations = 100000;  // more than any real constant-trip loop; bounds runaway ones
constexpr size_t kMaxNodes = 2000000;       // unrolling budget: beyond it the graph is unusable anyway
// Passes through all loops together: nested loops that only count (no IR nodes to cap them)
// would otherwise run for hours (90000 × 90000); Clang caps constexpr evaluation the same way.
constexpr int64_t kMaxLoopPasses = 2000000;
}  // namespace

Lowerer::Lowerer(clang::ASTContext& ctx, Program& program, bool round_floats)
    : ctx_(ctx), program_(program), round_floats_(round_floats) {}

SourceLoc source_loc(const clang::SourceManager& sm, clang::SourceLocation l) {
  clang::PresumedLoc p = sm.getPresumedLoc(sm.getExpansionLoc(l));
  if (!p.isValid()) return {};
  return SourceLoc{p.getFilename(), static_cast<int>(p.getLine()), static_cast<int>(p.getColumn())};
}

[[noreturn]] void Lowerer::fail(const clang::Stmt* at, const std::string& message) const {
  LowerError err;
  if (at) {
    err.begin = at->getBeginLoc().getRawEncoding();
    err.end = at->getEndLoc().getRawEncoding();
  }
  err.message = message;
  throw err;
}

bool Lowerer::stopped() const {
  const Frame& f = *frames_.back();
  return f.returned || f.breaking || f.continuing;
}

Value Lowerer::run_function(const clang::FunctionDecl* fn, std::vector<Arg> args, const clang::Expr* call) {
  if (frames_.size() >= 64) {
    const bool recursive = std::any_of(frames_.begin(), frames_.end(), [&](const auto& f) { return f->fn == fn; });
    const clang::Stmt* at = call ? static_cast<const clang::Stmt*>(call) : fn->getBody();
    fail(at, recursive ? "recursive call to '" + fn->getNameAsString() + "' (calls nest deeper than 64)"
                       : "calls nest deeper than 64 functions (here '" + fn->getNameAsString() +
                             "'): gradgen inlines every call");
  }
  auto f = std::make_unique<Frame>();
  f->fn = fn;
  for (unsigned i = 0; i < fn->getNumParams(); ++i) {
    const clang::ParmVarDecl* p = fn->getParamDecl(i);
    if (args[i].alias) {  // reference and pointer parameters share the caller's object
      f->vars[p] = args[i].alias;
      continue;
    }
    f->store.push_back(std::move(args[i].value));
    f->vars[p] = &f->store.back();
  }
  frames_.push_back(std::move(f));
  exec(fn->getBody());
  Value r = fold_returns(fn->getBody());
  frames_.pop_back();
  return r;
}

Value Lowerer::fold_returns(const clang::Stmt* at) {
  Frame& f = frame();
  if (f.fn->getReturnType()->isVoidType()) return Value{};
  if (f.returns.empty() || f.returns.back().first != nullptr) {
    LowerError err;  // points at the closing brace, where control falls off
    err.begin = at->getEndLoc().getRawEncoding();
    err.message = "not every path through '" + f.fn->getNameAsString() + "' returns a value";
    throw err;
  }
  Value r = f.returns.back().second;
  for (size_t i = f.returns.size() - 1; i-- > 0;) r = merge(f.returns[i].first, f.returns[i].second, r, at);
  return r;
}

std::string construct_name(const clang::Stmt* s) {
  using SC = clang::Stmt::StmtClass;
  switch (s->getStmtClass()) {
    case SC::BinaryConditionalOperatorClass: return "the GNU conditional 'a ?: b' (write 'a ? a : b')";
    case SC::CXXNullPtrLiteralExprClass: return "nullptr (pointers are supported only as parameters with an extent)";
    case SC::ChooseExprClass: return "__builtin_choose_expr";
    case SC::GenericSelectionExprClass: return "_Generic";
    case SC::GCCAsmStmtClass:
    case SC::MSAsmStmtClass: return "inline assembly";
    default: return s->getStmtClassName();
  }
}

void Lowerer::exec(const clang::Stmt* s) {
  if (!s || stopped()) return;
  if (program_.graph->size() > kMaxNodes) fail(s, "the function is too large after unrolling loops and inlining calls (over 2000000 IR nodes)");
  using SC = clang::Stmt::StmtClass;
  switch (s->getStmtClass()) {
    case SC::CompoundStmtClass:
      for (const clang::Stmt* c : llvm::cast<clang::CompoundStmt>(s)->body()) {
        if (stopped()) break;
        exec(c);
      }
      return;
    case SC::DeclStmtClass:
      for (const clang::Decl* d : llvm::cast<clang::DeclStmt>(s)->decls()) {
        if (llvm::isa<clang::DecompositionDecl>(d))  // a VarDecl, whose names are BindingDecls
          fail(s, "unsupported construct: structured binding (auto [a, b] = ...); read the elements by index");
        if (auto* v = llvm::dyn_cast<clang::VarDecl>(d)) {
          exec_decl(v);
        } else if (!llvm::isa<clang::TypedefNameDecl, clang::StaticAssertDecl, clang::UsingDecl,
                              clang::UsingDirectiveDecl, clang::TagDecl>(d)) {
          fail(s, "unsupported declaration in a differentiated function");
        }
      }
      return;
    case SC::NullStmtClass:
      return;
    case SC::AttributedStmtClass:  // [[likely]], #pragma unroll: hints to a compiler, no change in value
      return exec(llvm::cast<clang::AttributedStmt>(s)->getSubStmt());
    case SC::IfStmtClass:
      return exec_if(s);
    case SC::ForStmtClass:
      return exec_for(s);
    case SC::WhileStmtClass:
    case SC::DoStmtClass:
      return exec_while(s);
    case SC::CXXForRangeStmtClass:
      return exec_range_for(s);
    case SC::ReturnStmtClass:
      return exec_return(s);
    case SC::BreakStmtClass:
      frame().breaking = true;
      return;
    case SC::ContinueStmtClass:
      frame().continuing = true;
      return;
    case SC::GotoStmtClass:
    case SC::IndirectGotoStmtClass:
      fail(s, "unsupported construct: goto");
    case SC::LabelStmtClass:
      fail(s, "unsupported construct: label (goto target)");
    case SC::SwitchStmtClass:
      fail(s, "unsupported construct: switch statement (use if/else)");
    case SC::CXXTryStmtClass:
      fail(s, "unsupported construct: exception handling (try/catch)");
    case SC::GCCAsmStmtClass:
    case SC::MSAsmStmtClass:
      fail(s, "unsupported construct: inline assembly");
    default:
      break;
  }
  if (auto* ex = llvm::dyn_cast<clang::Expr>(s)) {
    eval(ex);
    return;
  }
  fail(s, "unsupported construct: " + construct_name(s));
}

void Lowerer::exec_decl(const clang::VarDecl* v) {
  if (v->isStaticLocal() || v->hasGlobalStorage())
    fail(v->getInit() ? static_cast<const clang::Stmt*>(v->getInit()) : nullptr,
         "unsupported construct: static local variable '" + v->getNameAsString() + "'");
  Frame& f = frame();
  const clang::Expr* init = v->getInit();
  if (v->getType()->isReferenceType()) {
    if (!init) fail(nullptr, "reference without initializer");
    Value* target = reference_target(init);
    if (target) {
      f.vars[v] = target;
      return;
    }
    f.store.push_back(eval(init));  // a reference to a temporary extends its life: own it
    f.vars[v] = &f.store.back();
    return;
  }
  TypeInfo ti = classify(v->getType());
  if (ti.kind == TypeInfo::Kind::Pointer && init) {
    eval(init);  // names the real problem first: pointer arithmetic, new, ...
    fail(init, "unsupported construct: local pointer variable '" + v->getNameAsString() + "' (index the array itself)");
  }
  if (ti.kind == TypeInfo::Kind::Unsupported || ti.kind == TypeInfo::Kind::Pointer)
    fail(init, "unsupported local variable type '" + v->getType().getAsString() + "' of '" + v->getNameAsString() +
                   "' (pointers, heap objects and classes other than std::array and gradgen tensors are not supported)");
  f.store.push_back(Value{});
  Value* slot = &f.store.back();
  f.vars[v] = slot;
  if (init) store(slot, eval(init), v, init);
  else if (ti.kind == TypeInfo::Kind::Tensor || ti.kind == TypeInfo::Kind::Array) *slot = zero_of(v->getType(), nullptr);
}

void Lowerer::exec_if(const clang::Stmt* s) {
  auto* is = llvm::cast<clang::IfStmt>(s);
  if (is->getInit()) exec(is->getInit());
  if (is->getConditionVariableDeclStmt()) exec(is->getConditionVariableDeclStmt());
  if (is->isConsteval()) fail(s, "unsupported construct: if consteval");
  Value c = eval(is->getCond());
  if (c.kind == Value::Kind::Int) {
    exec(c.i ? is->getThen() : is->getElse());
    return;
  }
  branch_on_data(cond_of(c, is->getCond()), is->getThen(), is->getElse());
}

void assign_in_place(Value& dst, const Value& src) {
  if (dst.kind == Value::Kind::Array && src.kind == Value::Kind::Array && dst.elems.size() == src.elems.size()) {
    for (size_t i = 0; i < dst.elems.size(); ++i) assign_in_place(dst.elems[i], src.elems[i]);
    return;
  }
  dst = src;
}

Lowerer::Snapshot Lowerer::snapshot() const {
  Snapshot s;
  for (const auto& f : frames_) s.push_back(f->store);
  return s;
}

// Assigns element-wise so that aliases (pointers into the stores) stay valid.
void Lowerer::restore(const Snapshot& s) {
  for (size_t i = 0; i < frames_.size(); ++i) {
    std::deque<Value>& st = frames_[i]->store;
    while (st.size() > s[i].size()) st.pop_back();
    for (size_t k = 0; k < st.size(); ++k) assign_in_place(st[k], s[i][k]);
    for (size_t k = st.size(); k < s[i].size(); ++k) st.push_back(s[i][k]);
  }
}

// Runs both arms from the same state and joins them: a variable's value after the if is
// select(cond, then-value, else-value); returns inside an arm are guarded by the arm's condition.
void Lowerer::branch_on_data(const Node* cond, const clang::Stmt* then_s, const clang::Stmt* else_s) {
  Frame& f = frame();
  const size_t r0 = f.returns.size();
  Snapshot before = snapshot();
  exec(then_s);
  if (f.breaking || f.continuing) fail(then_s, "break/continue under a condition that depends on floating-point data");
  Snapshot after_then = snapshot();
  bool then_ret = f.returned;
  std::vector<std::pair<const Node*, Value>> then_returns(f.returns.begin() + static_cast<long>(r0), f.returns.end());
  f.returns.resize(r0);
  f.returned = false;
  restore(before);
  exec(else_s);
  if (f.breaking || f.continuing) fail(else_s, "break/continue under a condition that depends on floating-point data");
  bool else_ret = f.returned;
  std::vector<std::pair<const Node*, Value>> else_returns(f.returns.begin() + static_cast<long>(r0), f.returns.end());
  f.returns.resize(r0);
  const Node* not_cond = (k(1.0) - e(cond)).n;
  for (auto& [pc, v] : then_returns) f.returns.emplace_back(pc ? (e(cond) * e(pc)).n : cond, v);
  for (auto& [pc, v] : else_returns) f.returns.emplace_back(pc ? (e(not_cond) * e(pc)).n : not_cond, v);
  f.returned = then_ret && else_ret;
  if (then_ret || else_ret) {
    if (else_ret && !then_ret) restore(after_then);  // only the then-path goes on
    return;                                          // otherwise the else state is current
  }
  join(cond, before, after_then, then_s);
}

// The current state (after the else arm) joined with `after_then`: each object becomes
// select(cond, then-value, else-value); variables declared inside the arms are gone.
void Lowerer::join(const Node* cond, const Snapshot& before, const Snapshot& after_then, const clang::Stmt* at) {
  Snapshot after_else = snapshot();
  for (size_t i = 0; i < frames_.size(); ++i) {
    std::deque<Value>& st = frames_[i]->store;
    while (st.size() > before[i].size()) st.pop_back();
    for (size_t kx = 0; kx < st.size(); ++kx)
      assign_in_place(st[kx], merge(cond, after_then[i][kx], after_else[i][kx], at));
    // The joined values take their variables' names (s = select(c, s_1, s)): unnamed, a
    // branch in a loop would print the whole history of s once per use, on every iteration.
    std::map<const Value*, const clang::ValueDecl*> owner;  // keys only: a branch's own locals are gone
    for (const auto& [decl, slot] : frames_[i]->vars) owner.emplace(slot, decl);
    for (Value& v : st)
      if (auto it = owner.find(&v); it != owner.end()) define_all(it->second->getNameAsString(), v, at);
  }
}

// The operands of `c ? a : b`, `c && b` or `c || b` with c on data: each side's writes happen
// only on its side of c, as if-statement arms (both evaluated, then joined); nullptr: no side.
std::pair<Value, Value> Lowerer::eval_arms(const Node* cond, const clang::Expr* then_e, const clang::Expr* else_e,
                                           const clang::Stmt* at) {
  auto writes = [&](const clang::Expr* x) { return x && x->HasSideEffects(ctx_); };
  if (!writes(then_e) && !writes(else_e))
    return {then_e ? eval(then_e) : Value{}, else_e ? eval(else_e) : Value{}};
  Snapshot before = snapshot();
  Value a = then_e ? eval(then_e) : Value{};
  Snapshot after_then = snapshot();
  restore(before);
  Value b = else_e ? eval(else_e) : Value{};
  join(cond, before, after_then, at);
  return {std::move(a), std::move(b)};
}

Value Lowerer::merge(const Node* cond, const Value& a, const Value& b, const clang::Stmt* at) {
  using K = Value::Kind;
  if (!cond) return a;
  if (a.kind == K::Int && b.kind == K::Int && a.i == b.i) return a;
  if ((a.kind == K::Num || a.kind == K::Tensor) && a.kind == b.kind && a.n == b.n) return a;
  if (a.kind == K::Undef || b.kind == K::Undef) return Value{};
  if (a.kind == K::Array || b.kind == K::Array) {
    if (a.kind != b.kind || a.elems.size() != b.elems.size()) fail(at, "arrays differ in size between branches");
    Value r = a;
    for (size_t i = 0; i < a.elems.size(); ++i) r.elems[i] = merge(cond, a.elems[i], b.elems[i], at);
    return r;
  }
  Graph& g = *program_.graph;
  const Node* x = num(a, at);
  const Node* y = num(b, at);
  const Node* s = g.make(Op::Select, {cond, x, y});
  return (a.kind == K::Tensor || b.kind == K::Tensor) ? Value::tensor(s) : Value::num(s);
}

void Lowerer::exec_return(const clang::Stmt* s) {
  auto* rs = llvm::cast<clang::ReturnStmt>(s);
  Value v = rs->getRetValue() ? eval(rs->getRetValue()) : Value{};
  frame().returns.emplace_back(nullptr, std::move(v));
  frame().returned = true;
}

// One pass through a loop body; false when the loop must stop (break or return).
bool Lowerer::loop_iteration(const clang::Stmt* body, int64_t& count, const clang::Stmt* loop) {
  if (++count > kMaxIterations)
    fail(loop, "unsupported construct: loop runs more than 100000 iterations (unbounded loop?)");
  if (++loop_passes_ > kMaxLoopPasses)
    fail(loop, "unsupported construct: the loops run more than 2000000 passes in all (nested loops whose trip counts "
               "multiply?)");
  exec(body);
  Frame& f = frame();
  f.continuing = false;
  if (f.breaking) {
    f.breaking = false;
    return false;
  }
  return !f.returned;
}

void Lowerer::exec_for(const clang::Stmt* s) {
  auto* fs = llvm::cast<clang::ForStmt>(s);
  exec(fs->getInit());
  int64_t count = 0;
  for (;;) {
    if (fs->getConditionVariableDeclStmt()) exec(fs->getConditionVariableDeclStmt());
    // for (;;) runs until a break or return, as while (true) does (and is bounded the same way).
    Value c = fs->getCond() ? eval(fs->getCond()) : Value::of_int(1);
    if (c.kind != Value::Kind::Int)
      fail(fs->getCond(), "unsupported construct: data-dependent loop bound (the loop condition must be a compile-time constant at each iteration)");
    if (!c.i || !loop_iteration(fs->getBody(), count, s)) return;
    if (fs->getInc()) eval(fs->getInc());
  }
}

void Lowerer::exec_while(const clang::Stmt* s) {
  const clang::Expr* cond = nullptr;
  const clang::Stmt* body = nullptr;
  bool test_first = true;
  if (auto* ws = llvm::dyn_cast<clang::WhileStmt>(s)) {
    cond = ws->getCond();
    body = ws->getBody();
  } else {
    auto* ds = llvm::cast<clang::DoStmt>(s);
    cond = ds->getCond();
    body = ds->getBody();
    test_first = false;
  }
  int64_t count = 0;
  for (bool first = true;; first = false) {
    if (test_first || !first) {
      Value c = eval(cond);
      if (c.kind != Value::Kind::Int)
        fail(cond, "unsupported construct: data-dependent loop bound (the loop condition must be a compile-time constant at each iteration)");
      if (!c.i) return;
    }
    if (!loop_iteration(body, count, s)) return;
  }
}

void Lowerer::exec_range_for(const clang::Stmt* s) {
  auto* rs = llvm::cast<clang::CXXForRangeStmt>(s);
  if (rs->getInit()) exec(rs->getInit());
  const clang::Expr* range = rs->getRangeInit();
  Value* arr = lvalue(range);
  Value tmp;
  if (!arr) {
    tmp = eval(range);
    arr = &tmp;
  }
  if (arr->kind != Value::Kind::Array) fail(range, "range-based for needs a C array or std::array");
  const clang::VarDecl* var = rs->getLoopVariable();
  bool by_ref = var->getType()->isReferenceType();
  int64_t count = 0;
  Frame& f = frame();
  for (size_t i = 0; i < arr->elems.size(); ++i) {
    if (by_ref) {
      f.vars[var] = &arr->elems[i];
    } else {
      f.store.push_back(Value{});
      f.vars[var] = &f.store.back();
      store(&f.store.back(), arr->elems[i], var, range);
    }
    if (!loop_iteration(rs->getBody(), count, s)) return;
  }
}

}  // namespace gg::cppfe
