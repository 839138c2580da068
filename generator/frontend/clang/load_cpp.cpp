// Runs Clang on a C++ file, finds the GRADGEN_DIFFERENTIATE functions, maps their parameters
// to Program leaves and lowers their bodies; every error is reported in Clang's format.
#include "frontend/clang/load_cpp.h"
#include "support/big_stack.h"

#include <clang/AST/ASTContext.h>
#include <clang/AST/Attr.h>
#include <clang/AST/Decl.h>
#include <clang/AST/DeclCXX.h>
#include <clang/AST/DeclTemplate.h>
#include <clang/Basic/Diagnostic.h>
#include <clang/Basic/DiagnosticOptions.h>
#include <clang/Basic/SourceManager.h>
#include <clang/Frontend/ASTUnit.h>
#include <clang/Frontend/TextDiagnostic.h>
#include <clang/Frontend/TextDiagnosticPrinter.h>
#include <clang/Tooling/Tooling.h>
#include <llvm/Support/raw_ostream.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "frontend/clang/lower.h"
#include "support/error.h"
#include "support/files.h"
#include "support/identifiers.h"

namespace gg {
namespace {

using cppfe::LowerError;
using cppfe::source_loc;
using cppfe::TypeInfo;
using cppfe::Value;

/// Prints Clang's diagnostics as Clang does and records its errors in gg::Diagnostics.
class Collector : public clang::DiagnosticConsumer {
 public:
  Collector(llvm::raw_ostream& os, clang::DiagnosticOptions* opts, Diagnostics& diags)
      : printer_(os, opts), diags_(diags) {}
  void BeginSourceFile(const clang::LangOptions& lo, const clang::Preprocessor* pp) override {
    printer_.BeginSourceFile(lo, pp);
  }
  void EndSourceFile() override { printer_.EndSourceFile(); }
  void HandleDiagnostic(clang::DiagnosticsEngine::Level level, const clang::Diagnostic& info) override {
    clang::DiagnosticConsumer::HandleDiagnostic(level, info);
    printer_.HandleDiagnostic(level, info);
    if (level < clang::DiagnosticsEngine::Error) return;
    llvm::SmallString<128> msg;
    info.FormatDiagnostic(msg);
    SourceLoc loc;
    if (info.hasSourceManager() && info.getLocation().isValid()) loc = source_loc(info.getSourceManager(), info.getLocation());
    diags_.error(loc, std::string(msg.str()));
  }

 private:
  clang::TextDiagnosticPrinter printer_;
  Diagnostics& diags_;
};

/// What the annotations on one function say.
struct Marks {
  bool differentiate = false;
  bool has_wrt = false;
  std::vector<std::string> wrt;
  std::map<std::string, int64_t> extents;
  std::map<std::string, unsigned> extent_at;  // where each GRADGEN_EXTENT is (raw location)
};

// Every element of a pointer parameter is its own IR node: past this, lowering would take
// gigabytes before the node limit stops it.
constexpr int64_t kMaxExtent = int64_t(1) << 20;

const clang::Expr* strip(const clang::Expr* e) {
  for (;;) {
    if (auto* c = llvm::dyn_cast<clang::ConstantExpr>(e)) e = c->getSubExpr();
    else if (auto* i = llvm::dyn_cast<clang::ImplicitCastExpr>(e)) e = i->getSubExpr();
    else if (auto* p = llvm::dyn_cast<clang::ParenExpr>(e)) e = p->getSubExpr();
    else return e;
  }
}

class FileLowering {
 public:
  FileLowering(clang::ASTUnit& ast, const std::string& file, Diagnostics& diags, llvm::raw_ostream& os,
               std::vector<CppSignature>* signatures, bool round_floats)
      : ast_(ast), ctx_(ast.getASTContext()), file_(file), diags_(diags), os_(os), opts_(new clang::DiagnosticOptions),
        signatures_(signatures), round_floats_(round_floats) {}

  void error(clang::SourceLocation begin, clang::SourceLocation end, const std::string& msg) {
    const clang::SourceManager& sm = ctx_.getSourceManager();
    clang::TextDiagnostic td(os_, ast_.getLangOpts(), opts_.get());
    llvm::SmallVector<clang::CharSourceRange, 1> ranges;
    if (end.isValid()) ranges.push_back(clang::CharSourceRange::getTokenRange(begin, end));
    td.emitDiagnostic(clang::FullSourceLoc(begin, sm), clang::DiagnosticsEngine::Error, msg, ranges, {});
    diags_.error(source_loc(sm, begin), msg);
  }

  Marks marks_of(const clang::FunctionDecl* fn) {
    Marks m;
    for (const auto* a : fn->specific_attrs<clang::AnnotateAttr>()) {
      std::vector<const clang::Expr*> args(a->args_begin(), a->args_end());
      auto str = [&](size_t i) -> std::string {
        auto* s = i < args.size() ? llvm::dyn_cast<clang::StringLiteral>(strip(args[i])) : nullptr;
        if (!s) throw LowerError{a->getLocation().getRawEncoding(), 0, "gradgen annotation arguments must be string literals"};
        return s->getString().str();
      };
      if (a->getAnnotation() == "gradgen") {
        m.differentiate = true;
        if (args.empty()) continue;
        if (str(0) != "wrt")
          throw LowerError{a->getLocation().getRawEncoding(), 0, "unknown gradgen annotation '" + str(0) + "' (expected \"wrt\")"};
        m.has_wrt = true;
        if (args.size() == 1)
          throw LowerError{a->getLocation().getRawEncoding(), 0,
                           "the \"wrt\" annotation names no parameter (list the ones to differentiate, or use "
                           "GRADGEN_DIFFERENTIATE for all)"};
        for (size_t i = 1; i < args.size(); ++i) m.wrt.push_back(str(i));
      } else if (a->getAnnotation() == "gradgen.extent") {
        clang::Expr::EvalResult r;
        const unsigned at = a->getLocation().getRawEncoding();
        if (args.size() != 2 || !args[1]->EvaluateAsInt(r, ctx_) || cppfe::int_value(r.Val.getInt()) <= 0)
          throw LowerError{at, 0, "GRADGEN_EXTENT needs a parameter name and a positive constant size"};
        const std::string name = str(0);
        const int64_t size = cppfe::int_value(r.Val.getInt());
        if (size > kMaxExtent)
          throw LowerError{at, 0, "GRADGEN_EXTENT(" + name + ", " + std::to_string(size) + "): at most " +
                                      std::to_string(kMaxExtent) + " elements (each one is unrolled)"};
        if (m.extents.count(name))
          throw LowerError{at, 0, "GRADGEN_EXTENT(" + name + ", ...) is given twice"};
        m.extents[name] = size;
        m.extent_at[name] = at;
      }
    }
    return m;
  }

  /// The leaf for one parameter and the Value its name is bound to in the body.
  Value bind_param(Program& p, cppfe::Lowerer& lw, const clang::ParmVarDecl* pd, const Marks& m) {
    std::string name = pd->getNameAsString();
    if (name.empty()) throw LowerError{pd->getLocation().getRawEncoding(), 0, "parameters of a differentiated function need names"};
    TypeInfo ti = lw.classify(pd->getOriginalType());
    auto where = pd->getLocation().getRawEncoding();
    std::vector<int64_t> dims;
    switch (ti.kind) {
      case TypeInfo::Kind::Float: break;
      case TypeInfo::Kind::Tensor: dims = ti.dims; break;
      case TypeInfo::Kind::Array: {
        if (!is_float_array(pd->getOriginalType()))
          throw LowerError{where, 0, "unsupported construct: array parameter '" + name + "' must hold float or double"};
        int64_t n = 1;
        for (int64_t d : ti.dims) n *= d;
        dims = {n};  // fed flat, in element order
        break;
      }
      case TypeInfo::Kind::Pointer: {
        auto it = m.extents.find(name);
        if (it == m.extents.end())
          throw LowerError{where, 0, "pointer parameter '" + name + "' needs its size: add GRADGEN_EXTENT(" + name + ", N) to the function"};
        dims = {it->second};
        break;
      }
      case TypeInfo::Kind::Int:
        throw LowerError{where, 0, "unsupported construct: integer parameter '" + name +
                                       "' (sizes and loop bounds must be compile-time constants)"};
      case TypeInfo::Kind::Unsupported:
        throw LowerError{where, 0, "unsupported construct: parameter '" + name + "' of type '" +
                                       pd->getType().getAsString() + "'"};
    }
    if (std::find(dims.begin(), dims.end(), 0) != dims.end())
      throw LowerError{where, 0, "unsupported construct: parameter '" + name + "' has no elements (an array of size 0)"};
    bool diff = !m.has_wrt || std::find(m.wrt.begin(), m.wrt.end(), name) != m.wrt.end();
    Attrs at;
    at.name = name;
    for (int64_t d : dims) at.shape.push_back(Dim::fixed(d));
    const Node* leaf = p.graph->make(diff ? Op::Param : Op::Input, {}, at);
    p.leaves.push_back(Leaf{name, diff ? LeafKind::Param : LeafKind::Input, leaf, Init{}, std::nullopt,
                            source_loc(ctx_.getSourceManager(), pd->getLocation())});
    p.leaves.back().float_values = ti.is_float32 && p.precision == Precision::F64 && round_floats_;
    if (ti.kind == TypeInfo::Kind::Float) return Value::num(leaf);
    if (ti.kind == TypeInfo::Kind::Tensor) return Value::tensor(leaf);
    std::vector<int64_t> shape = ti.kind == TypeInfo::Kind::Pointer ? dims : ti.dims;
    int64_t flat = 0;
    return elements(*p.graph, leaf, shape, 0, flat);
  }

  bool is_float_array(clang::QualType t) {
    clang::QualType c = t.getNonReferenceType().getCanonicalType();
    for (;;) {
      if (auto* ca = ctx_.getAsConstantArrayType(c)) {
        c = ca->getElementType().getCanonicalType();
        continue;
      }
      auto* spec = llvm::dyn_cast_or_null<clang::ClassTemplateSpecializationDecl>(c->getAsCXXRecordDecl());
      if (spec && spec->isInStdNamespace() && spec->getName() == "array") {
        c = spec->getTemplateArgs()[0].getAsType().getCanonicalType();
        continue;
      }
      return c->isRealFloatingType();
    }
  }

  /// Nested arrays of index nodes reading `leaf` in row-major order.
  static Value elements(Graph& g, const Node* leaf, const std::vector<int64_t>& shape, size_t d, int64_t& flat) {
    if (d == shape.size()) {
      Attrs at;
      at.axis = static_cast<int>(flat++);
      return Value::num(g.make(Op::Index, {leaf}, at));
    }
    Value v;
    v.kind = Value::Kind::Array;
    for (int64_t i = 0; i < shape[d]; ++i) v.elems.push_back(elements(g, leaf, shape, d + 1, flat));
    return v;
  }

  // A float function that computes something in double (`x * 0.1` promotes x) is lowered
  // again, `widened`: as a double program whose float values, its result included, are rounded
  // where C++ rounds them. In float throughout, 20-45% of such functions' values missed the
  // native ones by an ulp. Functions over tensor-API values stay float (their values are not
  // rounded in a double program).
  std::optional<Program> lower(const clang::FunctionDecl* fn, const Marks& m, bool widened = false) {
    Program p;
    p.name = fn->getNameAsString();
    if (p.name.size() > kMaxFileStem)
      throw LowerError{fn->getLocation().getRawEncoding(), 0,
                       "the function name is " + std::to_string(p.name.size()) + " characters long; at most " +
                           std::to_string(kMaxFileStem) + " are allowed, as it names the generated files"};
    if (fn->isVariadic())
      throw LowerError{fn->getLocation().getRawEncoding(), 0,
                       "unsupported construct: variadic function '" + p.name + "' (its '...' arguments)"};
    p.source_file = file_;
    p.flat_values = true;
    cppfe::Lowerer lw(ctx_, p, round_floats_);
    TypeInfo rt = lw.classify(fn->getReturnType());
    if (rt.kind != TypeInfo::Kind::Float)
      throw LowerError{fn->getLocation().getRawEncoding(), 0, "a differentiated function must return float or double, not '" +
                                                                  fn->getReturnType().getAsString() + "'"};
    p.precision = rt.is_float32 && !widened ? Precision::F32 : Precision::F64;
    check_extents(fn, m, p.name);  // first: a misspelt GRADGEN_EXTENT leaves its pointer without a size
    std::set<std::string> names;
    std::vector<cppfe::Arg> args;
    for (const clang::ParmVarDecl* pd : fn->parameters()) {
      names.insert(pd->getNameAsString());
      args.push_back(cppfe::Arg{nullptr, bind_param(p, lw, pd, m)});
    }
    std::set<std::string> listed;
    for (const std::string& w : m.wrt) {
      if (!names.count(w)) throw LowerError{fn->getLocation().getRawEncoding(), 0, "GRADGEN_DIFFERENTIATE_WRT names '" + w +
                                                                                       "', which is not a parameter of '" + p.name + "'"};
      if (!listed.insert(w).second)
        throw LowerError{fn->getLocation().getRawEncoding(), 0, "GRADGEN_DIFFERENTIATE_WRT names '" + w + "' twice"};
    }
    Value r = lw.run_function(fn, std::move(args));
    if (p.precision == Precision::F32 && round_floats_ && lw.computes_in_double() && !has_tensor_param(fn, lw))
      return lower(fn, m, true);
    if (widened) r = lw.held_as(std::move(r), fn->getReturnType());
    set_loss(p, r, fn);
    if (signatures_) signatures_->push_back(signature_of(fn, lw));
    return p;
  }

  static bool has_tensor_param(const clang::FunctionDecl* fn, cppfe::Lowerer& lw) {
    for (const clang::ParmVarDecl* pd : fn->parameters())
      if (lw.classify(pd->getOriginalType()).kind == TypeInfo::Kind::Tensor) return true;
    return false;
  }

  /// Each GRADGEN_EXTENT names a pointer parameter (an array's size comes from its type).
  void check_extents(const clang::FunctionDecl* fn, const Marks& m, const std::string& fn_name) {
    for (const auto& [name, size] : m.extents) {
      const clang::ParmVarDecl* param = nullptr;
      for (const clang::ParmVarDecl* pd : fn->parameters())
        if (pd->getNameAsString() == name) param = pd;
      const std::string what = "GRADGEN_EXTENT(" + name + ", " + std::to_string(size) + ")";
      if (!param)
        throw LowerError{m.extent_at.at(name), 0, what + " names no parameter of '" + fn_name + "'"};
      if (!param->getOriginalType()->isPointerType())
        throw LowerError{m.extent_at.at(name), 0, what + ": '" + name +
                                                      "' is not a pointer parameter (its size comes from its type)"};
    }
  }

  /// A pointer to the first element: nested C arrays and std::arrays are contiguous row-major.
  static std::string flat_pointer(const std::string& name, const TypeInfo& ti) {
    switch (ti.kind) {
      case TypeInfo::Kind::Float: return "&" + name;
      case TypeInfo::Kind::Tensor: return "&" + name + ".data[0]";
      case TypeInfo::Kind::Pointer: return name;
      case TypeInfo::Kind::Array: {
        std::string e = "&" + name;
        for (size_t d = 0; d < ti.dims.size(); ++d) e += "[0]";
        return e;
      }
      case TypeInfo::Kind::Int: case TypeInfo::Kind::Unsupported: break;
    }
    return "";  // bind_param has already rejected these
  }

  /// The function's C++ signature with canonical (fully qualified) types, for generated code.
  CppSignature signature_of(const clang::FunctionDecl* fn, cppfe::Lowerer& lw) const {
    clang::PrintingPolicy pol(ctx_.getLangOpts());
    pol.FullyQualifiedName = true;
    pol.SuppressScope = false;
    CppSignature sig;
    sig.name = fn->getNameAsString();
    // The enclosing named namespaces; an anonymous one is left out (f_grad is its own
    // translation unit, and "namespace (anonymous namespace)" is not C++).
    for (const clang::DeclContext* dc = fn->getDeclContext(); dc; dc = dc->getParent())
      if (auto* nd = llvm::dyn_cast<clang::NamespaceDecl>(dc); nd && !nd->isAnonymousNamespace())
        sig.ns = nd->getNameAsString() + (sig.ns.empty() ? "" : "::" + sig.ns);
    sig.return_type = fn->getReturnType().getCanonicalType().getUnqualifiedType().getAsString(pol);
    for (const clang::ParmVarDecl* pd : fn->parameters()) {
      CppParam cp;
      cp.name = pd->getNameAsString();
      std::string decl;
      llvm::raw_string_ostream os(decl);
      pd->getOriginalType().getCanonicalType().print(os, pol, cp.name);
      os.flush();
      cp.decl = decl;
      TypeInfo ti = lw.classify(pd->getOriginalType());
      cp.scalar = ti.kind == TypeInfo::Kind::Float;
      cp.f32 = ti.is_float32;
      sig.uses_tensor_api = sig.uses_tensor_api || ti.kind == TypeInfo::Kind::Tensor;
      cp.flat = flat_pointer(cp.name, ti);
      sig.params.push_back(std::move(cp));
    }
    return sig;
  }

  void set_loss(Program& p, const Value& r, const clang::FunctionDecl* fn) {
    const Node* loss = r.kind == Value::Kind::Int ? p.graph->constant(static_cast<double>(r.i)) : r.n;
    if (!loss || !loss->is_scalar())
      throw LowerError{fn->getLocation().getRawEncoding(), 0, "the return value of '" + p.name + "' is not a scalar"};
    p.loss = loss;
    for (Definition& d : p.definitions)
      if (d.node == loss) {  // `double J = ...; return J;` names the loss J
        d.kind = DefKind::Loss;
        p.loss_name = d.name;
        return;
      }
    std::string name = "loss";
    for (int i = 1; p.find_leaf(name) || p.find_definition(name); ++i) name = "loss_" + std::to_string(i);
    p.loss_name = name;
    p.definitions.push_back(Definition{name, DefKind::Loss, loss, source_loc(ctx_.getSourceManager(), fn->getLocation())});
  }

  void collect(const clang::DeclContext* dc, std::vector<const clang::FunctionDecl*>& out) {
    for (const clang::Decl* d : dc->decls()) {
      if (auto* ns = llvm::dyn_cast<clang::NamespaceDecl>(d)) collect(ns, out);
      else if (auto* ls = llvm::dyn_cast<clang::LinkageSpecDecl>(d)) collect(ls, out);
      else if (auto* ft = llvm::dyn_cast<clang::FunctionTemplateDecl>(d)) {
        if (ft->getTemplatedDecl()->hasAttr<clang::AnnotateAttr>() && marks_of(ft->getTemplatedDecl()).differentiate)
          error(ft->getLocation(), {}, "unsupported construct: a function template cannot be differentiated directly (call it from an annotated function)");
      } else if (auto* fn = llvm::dyn_cast<clang::FunctionDecl>(d)) {
        if (fn->isThisDeclarationADefinition() && fn->hasAttr<clang::AnnotateAttr>()) out.push_back(fn);
        // Marked, but defined nowhere in the file: nothing to differentiate (an error in run()).
        else if (!fn->isDefined() && fn->hasAttr<clang::AnnotateAttr>() && fn->isFirstDecl()) out.push_back(fn);
      } else if (auto* rd = llvm::dyn_cast<clang::CXXRecordDecl>(d)) {
        for (const clang::CXXMethodDecl* md : rd->methods())
          if (md->hasAttr<clang::AnnotateAttr>() && marks_of(md).differentiate)
            error(md->getLocation(), {}, "unsupported construct: member function '" + md->getNameAsString() + "' cannot be differentiated (make it a free function)");
      }
    }
  }

  std::optional<std::vector<Program>> run(const std::string& only) {
    std::vector<const clang::FunctionDecl*> fns;
    std::vector<Program> out;
    bool ok = true;
    try {
      collect(ctx_.getTranslationUnitDecl(), fns);
    } catch (const LowerError& e) {
      report(e, nullptr);
      return std::nullopt;
    }
    ok = !diags_.has_errors();
    bool any = false;
    std::map<std::string, const clang::FunctionDecl*> by_name;  // chosen functions, by plain name
    for (const clang::FunctionDecl* fn : fns) {
      try {
        Marks m = marks_of(fn);
        if (!m.differentiate || !named(fn, only)) continue;
        any = true;
        if (!fn->isDefined()) {
          error(fn->getLocation(), {}, "'" + fn->getQualifiedNameAsString() +
                                           "' is marked GRADGEN_DIFFERENTIATE but not defined in this file (gradgen reads the body)");
          ok = false;
          continue;
        }
        if (!unique_name(fn, by_name)) {
          ok = false;
          continue;
        }
        if (auto p = lower(fn, m)) out.push_back(std::move(*p));
      } catch (const LowerError& e) {
        report(e, fn);
        ok = false;
      } catch (const ShapeError& e) {
        error(fn->getLocation(), {}, std::string("shape error: ") + e.what());
        ok = false;
      } catch (const std::exception& e) {
        error(fn->getLocation(), {}, std::string("internal error while lowering: ") + e.what());
        ok = false;
      }
    }
    if (ok && !any) {
      std::string marked;  // what --function could have named
      for (const clang::FunctionDecl* fn : fns)
        if (marks_of(fn).differentiate) marked += (marked.empty() ? "" : ", ") + fn->getQualifiedNameAsString();
      std::string what = only.empty() ? "no function is marked GRADGEN_DIFFERENTIATE"
                                      : "no function named '" + only + "' is marked GRADGEN_DIFFERENTIATE" +
                                            (marked.empty() ? "" : " (marked: " + marked + ")");
      diags_.error(SourceLoc{file_, 0, 0}, what);
      os_ << file_ << ": error: " << what << "\n";
      return std::nullopt;
    }
    if (!ok) return std::nullopt;
    return out;
  }

  // `--function NAME` takes the plain name (f) or the qualified one (ns::f, ::ns::f).
  static bool named(const clang::FunctionDecl* fn, const std::string& only) {
    if (only.empty()) return true;
    const std::string qualified = fn->getQualifiedNameAsString();
    return only == fn->getNameAsString() || only == qualified || only == "::" + qualified;
  }

  // The name --function picks a function by: its qualified name, a global one as ::f.
  static std::string function_option(const std::string& qualified) {
    return (qualified.find("::") == std::string::npos ? "::" : "") + qualified;
  }

  // Two chosen functions with one plain name would generate the same files (NAME_grad.*)
  // and could not be told apart in the output: an error at the second, naming both.
  bool unique_name(const clang::FunctionDecl* fn, std::map<std::string, const clang::FunctionDecl*>& by_name) {
    auto [it, fresh] = by_name.emplace(fn->getNameAsString(), fn);
    if (fresh) return true;
    const std::string first = it->second->getQualifiedNameAsString(), second = fn->getQualifiedNameAsString();
    const std::string what = "two functions named '" + fn->getNameAsString() + "' are marked GRADGEN_DIFFERENTIATE";
    if (first == second)  // overloads: no name tells them apart
      error(fn->getLocation(), {}, what + " (overloads of " + second + "); rename one");
    else  // --function takes a global one as ::f: its plain name f matches both
      error(fn->getLocation(), {},
            what + " (" + first + " and " + second + "); their generated files would share one name: choose one with " +
                "--function " + function_option(first) + " or --function " + function_option(second));
    return false;
  }

  void report(const LowerError& e, const clang::FunctionDecl* fn) {
    auto b = clang::SourceLocation::getFromRawEncoding(e.begin);
    auto en = clang::SourceLocation::getFromRawEncoding(e.end);
    if (b.isInvalid() && fn) b = fn->getLocation();
    error(b, en, e.message);
  }

 private:
  clang::ASTUnit& ast_;
  clang::ASTContext& ctx_;
  std::string file_;
  Diagnostics& diags_;
  llvm::raw_ostream& os_;
  llvm::IntrusiveRefCntPtr<clang::DiagnosticOptions> opts_;
  std::vector<CppSignature>* signatures_;
  bool round_floats_;
};

// The length of the longest run of identifier characters in `text`.
size_t longest_word(const std::string& text) {
  size_t longest = 0, run = 0;
  for (char c : text) {
    run = is_word_char(c) ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  return longest;
}

std::vector<std::string> compiler_args(const std::string& text, const CppOptions& options) {
  // -xc++: the file is C++ whatever its extension says to clang (.CPP, .cp).
  std::vector<std::string> args{"-xc++", "-std=c++17", "-resource-dir", GG_CLANG_RESOURCE_DIR, "-isystem", runtime_include_dir(),
                                "-Wno-unused-value"};
  // Clang's "did you mean" compares an unknown name with every known one, in time that grows
  // with the square of its length: an undeclared 200,000-character name took over a minute.
  constexpr size_t kLongestSpellChecked = 1024;
  if (longest_word(text) > kLongestSpellChecked) args.push_back("-fno-spell-checking");
  args.insert(args.end(), options.clang_args.begin(), options.clang_args.end());
  return args;
}

}  // namespace

// The C++ extensions g++ and clang++ know, in any case but for `.c`/`.h` (C) versus
// `.C`/`.H` (C++).
bool is_cpp_file(const std::string& path) {
  const size_t dot = path.rfind('.');
  if (dot == std::string::npos || dot == 0 || path.find('/', dot) != std::string::npos || path[dot - 1] == '/')
    return false;
  const std::string ext = path.substr(dot + 1);
  if (ext == "C" || ext == "H") return true;
  std::string lower;
  for (char c : ext) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* e : {"cpp", "cc", "cxx", "c++", "cp", "hpp", "hh", "hxx", "h++", "ii"})
    if (lower == e) return true;
  return false;
}

namespace {

std::optional<std::vector<Program>> parse_and_lower(const std::string& text, const std::string& filename,
                                                    const CppOptions& options, Diagnostics& diags,
                                                    std::string& rendered) {
  llvm::raw_string_ostream os(rendered);
  llvm::IntrusiveRefCntPtr<clang::DiagnosticOptions> opts(new clang::DiagnosticOptions);
  Collector collector(os, opts.get(), diags);
  std::unique_ptr<clang::ASTUnit> ast = clang::tooling::buildASTFromCodeWithArgs(
      text, compiler_args(text, options), filename, "gradgen", std::make_shared<clang::PCHContainerOperations>(),
      clang::tooling::getClangStripDependencyFileAdjuster(), clang::tooling::FileContentMappings(), &collector);
  if (!ast || collector.getNumErrors() > 0 || diags.has_errors()) {
    if (!ast && !diags.has_errors()) {
      diags.error(SourceLoc{filename, 0, 0}, "clang could not parse the file");
      os << filename << ": error: clang could not parse the file\n";
    }
    os.flush();
    return std::nullopt;
  }
  FileLowering fl(*ast, filename, diags, os, options.signatures, options.round_floats);
  auto result = fl.run(options.function);
  os.flush();
  return result;
}

}  // namespace

std::optional<std::vector<Program>> load_cpp(const std::string& text, const std::string& filename,
                                             const CppOptions& options, Diagnostics& diags, std::string& rendered) {
  std::optional<std::vector<Program>> programs;
  run_on_large_stack([&] { programs = parse_and_lower(text, filename, options, diags, rendered); });
  return programs;
}

std::optional<std::vector<Program>> load_cpp_file(const std::string& path, const CppOptions& options,
                                                  Diagnostics& diags, std::string& rendered) {
  std::string text, why;
  if (!read_input_file(path, text, why)) {
    diags.error(SourceLoc{path, 0, 0}, "cannot read '" + path + "': " + why);
    rendered += path + ": error: cannot read '" + path + "': " + why + "\n";
    return std::nullopt;
  }
  return load_cpp(text, path, options, diags, rendered);
}

}  // namespace gg

namespace gg {

CppOptions& command_line_cpp_options() {
  static CppOptions options;
  return options;
}

std::optional<Program> load_cpp_network(const std::string& path, const CppOptions& options, Diagnostics& diags,
                                        std::string& rendered) {
  auto ps = load_cpp_file(path, options, diags, rendered);
  if (!ps) return std::nullopt;
  if (ps->size() != 1) {
    std::string names;
    for (const Program& p : *ps) names += (names.empty() ? "" : ", ") + p.name;
    std::string msg = "several functions are marked GRADGEN_DIFFERENTIATE (" + names +
                      "); name one with --function NAME";
    diags.error(SourceLoc{path, 0, 0}, msg);
    rendered += path + ": error: " + msg + "\n";
    return std::nullopt;
  }
  return std::move(ps->front());
}

}  // namespace gg
