// Name resolution, argument binding, shape checking and lowering of .grad statements.
#include "frontend/grad/lower.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <string_view>

#include <fmt/format.h>

#include "frontend/grad/suggest.h"
#include "support/error.h"

namespace gg::grad {
namespace {

// "; did you mean 'relu'?", or how .grad writes what another library's function does.
std::string unknown_function_hint(const std::string& name, const std::vector<std::string>& callables) {
  if (name == "matmul" || name == "mm" || name == "dot" || name == "bmm")
    return "; write a @ b for a matrix product";
  if (name == "transpose" || name == "t") return "; write x.T for a transpose";
  if (name == "Linear" || name == "Dense") return "; a layer is a definition h = dense(x, units)";
  return did_you_mean(name, callables);
}

/// Most dimensions a declared tensor may have (numpy's classic limit).
constexpr size_t kMaxRank = 32;

// Words the language gives a meaning inside dense(...) (not functions, and free as tensor
// names, as language.md reserves only keywords and built-ins): what they mean there, else
// empty, for the message when one is used undefined or called.
std::string_view reserved_meaning(std::string_view w) {
  if (w == "linear") return "dense's identity activation (activation=linear)";
  if (w == "true" || w == "false") return "a value of dense's bias= (bias=true, bias=false)";
  return {};
}

/// Every built-in of language.md §5: never tensor names, whether or not the op table has the
/// row yet.
bool is_builtin(std::string_view w) {
  static constexpr std::array<std::string_view, 23> kNames = {
      "sigmoid", "tanh", "relu",     "leaky_relu",  "softplus",      "exp", "log", "sqrt",       "square",
      "abs",     "sin",  "cos",      "pow",         "sum",           "mean", "softmax", "log_softmax", "mse",
      "sse",     "cross_entropy",    "bce",         "bce_logits",    "dense"};
  return std::find(kNames.begin(), kNames.end(), w) != kNames.end() || find_callable(w) != nullptr;
}


/// Extra (constant) parameters of built-ins beyond their tensor operands.
const std::vector<ArgSpec>& extra_params(std::string_view fn) {
  static const std::vector<ArgSpec> none;
  static const std::vector<ArgSpec> alpha{{"alpha", 0.01}};
  static const std::vector<ArgSpec> p{{"p", std::nullopt}};
  static const std::vector<ArgSpec> opt_axis{{"axis", std::nullopt, true}};
  static const std::vector<ArgSpec> last_axis{{"axis", -1.0}};
  if (fn == "leaky_relu") return alpha;
  if (fn == "pow") return p;
  if (fn == "sum" || fn == "mean") return opt_axis;
  if (fn == "softmax" || fn == "log_softmax") return last_axis;
  return none;
}

/// Names callable from .grad ("dense" first), and the subset usable as dense's activation
/// ("linear" first, then elementwise unary ops); computed once from the op table.
const std::vector<std::string>& callable_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v{"dense"};
    for (const OpInfo& r : op_table())
      if (r.name && find_callable(r.name) == &r) v.push_back(r.name);
    return v;
  }();
  return names;
}

const std::vector<std::string>& activation_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v{"linear"};
    for (const OpInfo& r : op_table())
      if (r.name && find_callable(r.name) == &r && (r.flags & kElementwise) && r.arity == 1) v.push_back(r.name);
    return v;
  }();
  return names;
}

struct InitKind {
  const char* name;
  std::vector<ArgSpec> args;
  bool needs_rank2;
};

const std::vector<InitKind>& init_kinds() {
  static const std::vector<InitKind> kinds = {
      {"zeros", {}, false},
      {"ones", {}, false},
      {"constant", {{"c", std::nullopt}}, false},
      {"uniform", {{"a", std::nullopt}, {"b", std::nullopt}}, false},
      {"normal", {{"mean", std::nullopt}, {"std", std::nullopt}}, false},
      {"xavier_uniform", {}, true},
      {"xavier_normal", {}, true},
      {"he_uniform", {}, true},
      {"he_normal", {}, true},
  };
  return kinds;
}

struct OptimizerKind {
  const char* name;
  std::vector<ArgSpec> args;
};

const std::vector<OptimizerKind>& optimizer_kinds() {
  static const std::vector<OptimizerKind> kinds = {
      {"sgd", {{"lr", 0.01}, {"momentum", 0.0}}},
      {"adam", {{"lr", 0.001}, {"beta1", 0.9}, {"beta2", 0.999}, {"eps", 1e-8}}},
  };
  return kinds;
}

// The shortest text that reads back as v: -1e-08, not std::to_string's "-0.000000".
std::string num_str(double v) { return fmt::format("{}", v); }

const char* op_spelling(Op op) {
  switch (op) {
#define GG_OP(e, name, arity) \
  case Op::e: return name;
#include "ir/ops.def"
#undef GG_OP
  }
  return "?";
}

bool is_integer(double v) { return std::isfinite(v) && std::floor(v) == v && std::fabs(v) < 9.0e15; }

// Where an expression starts: its leftmost operand's place (a binary one is located at its
// operator, a transpose at its `.T`), for errors about the whole expression.
SourceLoc start_of(const Expr& e) {
  const Expr* x = &e;
  while ((x->kind == Expr::Binary || x->kind == Expr::Transpose) && !x->args.empty()) x = x->args[0].get();
  return x->loc;
}

}  // namespace

Lowerer::Lowerer(Program& program, Diagnostics& diags, std::string file)
    : p_(program), diags_(diags), file_(std::move(file)) {}

std::string Lowerer::at(const SourceLoc& loc) { return line_col(loc); }

void Lowerer::statement(const Stmt& s) {
  seen_any_ = true;
  // An unrecognisable first line was reported already; the check waits for a real statement.
  bool unknown = s.kind == StmtKind::Broken && s.broken_kind == StmtKind::Broken;
  if (first_ && !unknown) {
    first_ = false;
    bool is_network = s.kind == StmtKind::Network || s.broken_kind == StmtKind::Network;
    if (!is_network) {
      error(s.loc, "a .grad file must start with 'network NAME'");
      network_ = s.loc;  // reported once; later statements are checked as usual
    }
  }
  switch (s.kind) {
    case StmtKind::Network: return network(s);
    case StmtKind::Precision: return precision(s);
    case StmtKind::Dim: return dims(s);
    case StmtKind::Input:
    case StmtKind::Target:
    case StmtKind::Param: return declaration(s);
    case StmtKind::Const: return constant(s);
    case StmtKind::Def:
    case StmtKind::Output:
    case StmtKind::Loss: return definition(s);
    case StmtKind::Grad: return grad(s);
    case StmtKind::Optimizer: return optimizer(s);
    case StmtKind::Broken: return broken(s);
  }
}

void Lowerer::finish() {
  if (!seen_any_) {
    error({file_, 1, 1}, "empty network description: expected 'network NAME'");
    return;
  }
  if (!loss_) error(network_ ? *network_ : SourceLoc{file_, 1, 1}, "no loss defined: add 'loss NAME = EXPR'");
  if (!diags_.has_errors()) warn_unused_dims();
}

// A dim no input, target or param uses is still an argument of every entry point, which
// callers must then pass in range; it is most likely left over or misspelt where it is used.
void Lowerer::warn_unused_dims() {
  for (const std::string& d : p_.dims) {
    bool used = false;
    for (const Leaf& l : p_.leaves)
      for (const Dim& x : l.node->shape) used = used || x.symbol == d;
    if (!used)
      warning(syms_.at(d).loc, "dim '" + d + "' is declared but no input, target or param uses it; the generated "
                                              "functions still take it as an argument");
  }
}

/// Whose header <NAME.h> is, for the names C and C++ code includes as <NAME.h>: the C library
/// (C23, POSIX and glibc; <cstdint> includes <stdint.h>), the compilers (GCC 12's and Clang
/// 14's own include folders: <immintrin.h>, which gradgen/gemm.hpp includes, includes
/// <avx512fintrin.h> and the like) and CBLAS (gradgen/blas.hpp includes <cblas.h>); empty for
/// any other name.
std::string_view system_header_owner(std::string_view name) {
  static constexpr std::array<std::string_view, 101> kLibc = {
      "aio", "alloca", "argp", "assert", "byteswap", "complex", "cpio", "ctype", "dirent", "dlfcn", "elf",
      "endian", "envz", "err", "errno", "error", "execinfo", "fcntl", "features", "fenv", "float", "fmtmsg",
      "fnmatch", "fstab", "ftw", "getopt", "glob", "grp", "iconv", "ifaddrs", "inttypes", "iso646", "langinfo",
      "libgen", "libintl", "limits", "link", "locale", "malloc", "math", "mcheck", "memory", "monetary",
      "mqueue", "ndbm", "netdb", "nl_types", "nss", "obstack", "paths", "poll", "printf", "pthread", "pty",
      "pwd", "regex", "resolv", "sched", "search", "semaphore", "setjmp", "sgtty", "shadow", "signal", "spawn",
      "stdalign", "stdarg", "stdatomic", "stdbit", "stdbool", "stdckdint", "stddef", "stdint", "stdio",
      "stdio_ext", "stdlib", "stdnoreturn", "string", "strings", "syscall", "sysexits", "syslog", "tar",
      "termio", "termios", "tgmath", "threads", "time", "ttyent", "uchar", "ucontext", "ulimit", "unistd",
      "utime", "utmp", "utmpx", "values", "wchar", "wctype", "wordexp", "xlocale"};
  static constexpr std::array<std::string_view, 144> kCompilers = {
      "ISO_Fortran_binding", "acc_prof", "adxintrin", "altivec", "ammintrin", "amxbf16intrin", "amxint8intrin",
      "amxintrin", "amxtileintrin", "arm64intr", "arm_acle", "arm_bf16", "arm_cde", "arm_cmse", "arm_fp16", "arm_mve",
      "arm_neon", "arm_sve", "armintr", "avx2intrin", "avx5124fmapsintrin", "avx5124vnniwintrin", "avx512bf16intrin",
      "avx512bf16vlintrin", "avx512bitalgintrin", "avx512bwintrin", "avx512cdintrin", "avx512dqintrin",
      "avx512erintrin", "avx512fintrin", "avx512fp16intrin", "avx512fp16vlintrin", "avx512ifmaintrin",
      "avx512ifmavlintrin", "avx512pfintrin", "avx512vbmi2intrin", "avx512vbmi2vlintrin", "avx512vbmiintrin",
      "avx512vbmivlintrin", "avx512vlbf16intrin", "avx512vlbitalgintrin", "avx512vlbwintrin", "avx512vlcdintrin",
      "avx512vldqintrin", "avx512vlfp16intrin", "avx512vlintrin", "avx512vlvbmi2intrin", "avx512vlvnniintrin",
      "avx512vlvp2intersectintrin", "avx512vnniintrin", "avx512vnnivlintrin", "avx512vp2intersectintrin",
      "avx512vp2intersectvlintrin", "avx512vpopcntdqintrin", "avx512vpopcntdqvlintrin", "avxintrin", "avxvnniintrin",
      "backtrace", "bmi2intrin", "bmiintrin", "bmmintrin", "builtins", "cet", "cetintrin", "cldemoteintrin",
      "clflushoptintrin", "clwbintrin", "clzerointrin", "cpuid", "crc32intrin", "emmintrin", "enqcmdintrin",
      "f16cintrin", "fma4intrin", "fmaintrin", "fxsrintrin", "gcov", "gfniintrin", "hexagon_circ_brev_intrinsics",
      "hexagon_protos", "hexagon_types", "hresetintrin", "htmintrin", "htmxlintrin", "hvx_hexagon_protos",
      "ia32intrin", "immintrin", "intrin", "invpcidintrin", "keylockerintrin", "lwpintrin", "lzcntintrin", "mm3dnow",
      "mm_malloc", "mmintrin", "movdirintrin", "msa", "mwaitintrin", "mwaitxintrin", "nmmintrin", "omp", "ompt",
      "openacc", "pconfigintrin", "pkuintrin", "pmmintrin", "popcntintrin", "prfchwintrin", "ptwriteintrin",
      "quadmath", "quadmath_weak", "rdseedintrin", "riscv_vector", "rtmintrin", "s390intrin", "serializeintrin",
      "sgxintrin", "shaintrin", "smmintrin", "stdfix", "syslimits", "tbmintrin", "tmmintrin", "tsxldtrkintrin",
      "uintrintrin", "unwind", "vadefs", "vaesintrin", "varargs", "vecintrin", "vpclmulqdqintrin", "waitpkgintrin",
      "wasm_simd128", "wbnoinvdintrin", "wmmintrin", "x86gprintrin", "x86intrin", "xmmintrin", "xopintrin",
      "xsavecintrin", "xsaveintrin", "xsaveoptintrin", "xsavesintrin", "xtestintrin"};
  static constexpr std::array<std::string_view, 3> kCblas = {"cblas", "f77blas", "openblas_config"};
  auto in = [&](const auto& list) { return std::find(list.begin(), list.end(), name) != list.end(); };
  if (in(kLibc)) return "the C library's";
  if (in(kCompilers)) return "the compiler's";
  if (in(kCblas)) return "CBLAS's";
  return {};
}

// ---------------------------------------------------------------- statements

/// network_stmt ::= 'network' ident    (first, exactly once)
void Lowerer::network(const Stmt& s) {
  if (network_ && !p_.name.empty()) {
    error(s.loc, "duplicate 'network' statement (the first is at " + at(*network_) + ")");
    return;
  }
  const Ident& id = s.names[0];
  network_ = s.loc;
  p_.name = id.name;
  if (id.name.size() > kMaxFileStem)
    error(id.loc, "the network name is " + std::to_string(id.name.size()) + " characters long; at most " +
                      std::to_string(kMaxFileStem) + " are allowed, as it names the generated files");
  if (const std::string_view owner = system_header_owner(id.name); !owner.empty())
    error(id.loc, "the network name '" + id.name + "' would name the generated C header '" + id.name + ".h' like " +
                      std::string(owner) + " <" + id.name +
                      ".h>, and hide it from every file compiled with the output folder on its include path; "
                      "choose another name");
}

/// precision_stmt ::= 'precision' ('f32' | 'f64')
void Lowerer::precision(const Stmt& s) {
  const Ident& id = s.names[0];
  if (precision_) return error(s.loc, "duplicate 'precision' statement (the first is at " + at(*precision_) + ")");
  precision_ = s.loc;
  if (id.name == "f32" || id.name == "f64") {
    p_.precision = id.name == "f32" ? Precision::F32 : Precision::F64;
    return;
  }
  error(id.loc, "unknown precision '" + id.name + "'; expected 'f32' or 'f64'");
}

/// dim_stmt ::= 'dim' ident {',' ident}
void Lowerer::dims(const Stmt& s) {
  for (const Ident& id : s.names) {
    if (!check_new_name(id)) continue;
    define(id, {Sym::Dim, nullptr, 0, id.loc});
    p_.dims.push_back(id.name);
  }
}

/// decl ::= ('input'|'target'|'param') ident [shape] {('init'|'lr') '=' expr}
void Lowerer::declaration(const Stmt& s) {
  const Ident& id = s.names[0];
  bool name_ok = check_new_name(id);
  std::optional<Shape> sh = shape(s);
  bool ok = name_ok && sh.has_value();
  bool is_param = s.kind == StmtKind::Param;
  std::optional<Init> in;
  std::optional<double> lr;
  bool seen_init = false, seen_lr = false;
  for (const KwArg& opt : s.options) {
    if (opt.key == "init" || opt.key == "lr") {
      bool& seen = opt.key == "init" ? seen_init : seen_lr;
      if (!is_param) {
        error(opt.loc, "'" + opt.key + "=' is only allowed on params");
        ok = false;
      } else if (seen) {
        error(opt.loc, "'" + opt.key + "=' is given twice");
        ok = false;
      } else if (opt.key == "init") {
        in = sh ? init(opt, *sh, id.name) : std::nullopt;
        ok = ok && in.has_value();
      } else {
        lr = const_value(*opt.value, "lr");
        if (lr && !(*lr >= 0)) {  // lr=0 freezes the param, as in PyTorch
          error(opt.value->loc, "lr must be >= 0, got " + num_str(*lr));
          lr.reset();
        }
        ok = ok && lr.has_value();
      }
      seen = true;
      continue;
    }
    std::string hint = is_param ? did_you_mean(opt.key, {"init", "lr"}) : "";
    error(opt.loc, "unknown option '" + opt.key + "'" + (hint.empty() && !is_param ? " (inputs and targets take no options)" : hint));
    ok = false;
  }
  if (!ok) return name_ok ? poison(id) : void();
  if (!in) in = Init{sh->size() == 2 ? "xavier_uniform" : "zeros", {}};
  LeafKind kind = s.kind == StmtKind::Input ? LeafKind::Input : s.kind == StmtKind::Target ? LeafKind::Target : LeafKind::Param;
  leaf(id, kind, *sh, *in, lr);
}

/// const_stmt ::= 'const' ident '=' number
void Lowerer::constant(const Stmt& s) {
  const Ident& id = s.names[0];
  bool name_ok = check_new_name(id);
  std::optional<double> v = const_value(*s.expr, "a const");
  if (!name_ok) return;
  if (!v) return poison(id);
  define(id, {Sym::Const, nullptr, *v, id.loc});
}

/// def ::= ['output' | 'loss'] ident '=' expr
void Lowerer::definition(const Stmt& s) {
  const Ident& id = s.names[0];
  bool name_ok = check_new_name(id);
  bool first_loss = s.kind == StmtKind::Loss && !loss_;
  // A second loss of a new name (of the same name, "already defined" says it).
  if (s.kind == StmtKind::Loss && loss_ && name_ok)
    error(s.loc, "only one loss is allowed (the first is at " + at(*loss_) + ")");
  if (first_loss) loss_ = s.loc;
  const Expr& e = *s.expr;
  const bool is_dense = e.kind == Expr::Call && e.name == "dense";
  const Node* n = is_dense ? dense(s, e) : lower(e);
  if (!n && is_dense)  // the params it would have made stay silent in later uses, as its name does
    for (const std::string& param : {id.name + "_W", id.name + "_b"})
      if (!syms_.count(param) || syms_.at(param).kind == Sym::Unknown) poison(Ident{param, id.loc});
  if (n && s.kind == StmtKind::Loss && n->rank() != 0) {
    error(start_of(e), "loss must be a scalar (rank 0), got shape " + shape_str(n->shape));
    n = nullptr;
  }
  if (!name_ok) return;
  if (!n) return poison(id);
  define(id, {Sym::Def, n, 0, id.loc});
  DefKind kind = s.kind == StmtKind::Def ? DefKind::Plain : s.kind == StmtKind::Output ? DefKind::Output : DefKind::Loss;
  p_.definitions.push_back({id.name, kind, n, id.loc});
  if (first_loss) {
    p_.loss = n;
    p_.loss_name = id.name;
  }
}

/// grad_stmt ::= 'grad' ident {',' ident}   (inputs or targets). A param, or a name listed
/// again, changes nothing: accepted, with a warning that says so (a user who wrote it may have
/// meant another name).
void Lowerer::grad(const Stmt& s) {
  for (const Ident& id : s.names) {
    const Symbol* sym = lookup_tensor(id.name, id.loc);
    if (!sym) continue;
    switch (sym->kind) {
      case Sym::Input:
      case Sym::Target:
        if (auto first = grad_listed_.find(id.name); first != grad_listed_.end())
          warning(id.loc, "'" + id.name + "' is already listed in 'grad' (at " + at(first->second) + ")");
        else
          grad_listed_.emplace(id.name, id.loc), p_.grad_inputs.push_back(id.name);
        break;
      case Sym::Param:
        warning(id.loc, "'" + id.name + "' is a param, whose gradient is always produced; 'grad' is for inputs and "
                        "targets");
        break;
      case Sym::Def:
      case Sym::Const:
      case Sym::Dim:
        error(id.loc, "'grad' takes inputs and targets; '" + id.name + "' is " +
                          (sym->kind == Sym::Def ? "a definition" : sym->kind == Sym::Const ? "a const" : "a dim"));
        break;
      case Sym::Failed:
      case Sym::Unknown: break;
    }
  }
}

/// optimizer_stmt ::= 'optimizer' ('sgd' | 'adam') ['(' args ')']
void Lowerer::optimizer(const Stmt& s) {
  if (optimizer_) return error(s.loc, "duplicate 'optimizer' statement (the first is at " + at(*optimizer_) + ")");
  optimizer_ = s.loc;
  const Expr& e = *s.expr;
  if (e.kind != Expr::Name && e.kind != Expr::Call)
    return error(e.loc, "expected an optimizer: 'sgd(...)' or 'adam(...)'");
  const OptimizerKind* kind = nullptr;
  std::vector<std::string> names;
  for (const OptimizerKind& k : optimizer_kinds()) {
    names.push_back(k.name);
    if (e.name == k.name) kind = &k;
  }
  if (!kind) {
    const std::string hint = did_you_mean(e.name, names);
    return error(e.loc, "unknown optimizer '" + e.name + "'" + (hint.empty() ? " (gradgen has sgd and adam)" : hint));
  }
  std::vector<const Expr*> pos;
  for (const ExprPtr& a : e.args) pos.push_back(a.get());
  auto args = bind(e.name, pos, e.kwargs, kind->args, e.loc);
  if (!args) return;
  Optimizer opt;
  opt.kind = kind->name;
  opt.loc = s.loc;
  opt.args.clear();
  for (size_t i = 0; i < args->size(); ++i) {
    std::string key = kind->args[i].name;
    double v = (*args)[i].value;
    // As PyTorch's optimizers: lr = 0 is allowed (nothing moves); eps divides, so it is not.
    const char* rule = key == "lr" ? ">= 0" : key == "eps" ? "positive" : "in [0, 1)";
    bool ok = key == "lr" ? v >= 0 : key == "eps" ? v > 0 : v >= 0 && v < 1;
    if (!ok) return error((*args)[i].loc, key + " must be " + rule + ", got " + num_str(v));
    opt.args.emplace_back(key, v);
  }
  p_.optimizer = opt;
}

// A statement that failed to parse: what it would have defined is poisoned, so later uses
// of the name stay silent instead of cascading into "unknown name" errors.
void Lowerer::broken(const Stmt& s) {
  switch (s.broken_kind) {
    case StmtKind::Network: network_ = s.loc; break;
    case StmtKind::Loss:
      if (!loss_) loss_ = s.loc;
      break;
    case StmtKind::Optimizer: optimizer_ = s.loc; break;
    case StmtKind::Precision: precision_ = s.loc; break;
    case StmtKind::Dim:
    case StmtKind::Input:
    case StmtKind::Target:
    case StmtKind::Param:
    case StmtKind::Const:
    case StmtKind::Def:
    case StmtKind::Output:
    case StmtKind::Grad:
    case StmtKind::Broken: break;
  }
  // `input x[2] loss L = sum(x)` on one line: the loss is there, not also "no loss defined".
  if (s.has_loss_word && !loss_) loss_ = s.loc;
  if (s.broken_kind == StmtKind::Grad) return;
  for (const Ident& id : s.names)
    if (!syms_.count(id.name) || syms_.at(id.name).kind == Sym::Unknown) poison(id);
}

// ---------------------------------------------------------------- names

bool Lowerer::check_new_name(const Ident& id) {
  if (is_builtin(id.name)) {
    error(id.loc, "'" + id.name + "' is a built-in function and cannot be used as a name");
    if (!syms_.count(id.name)) poison(id);  // its later uses as a name stay silent
    return false;
  }
  auto it = syms_.find(id.name);
  if (it != syms_.end() && it->second.kind != Sym::Unknown) {
    // A failed earlier definition was already reported; a second one is still an error.
    error(id.loc, "'" + id.name + "' is already defined (at " + at(it->second.loc) + ")");
    return false;
  }
  return true;
}

void Lowerer::define(const Ident& id, Symbol sym) {
  sym.order = next_order_++;
  syms_[id.name] = std::move(sym);
}

void Lowerer::poison(const Ident& id) { define(id, Symbol{Sym::Failed, nullptr, 0, id.loc}); }

// Names of the given kinds in declaration order (did_you_mean prefers the latest).
std::vector<std::string> Lowerer::names_of(std::initializer_list<Sym> kinds) const {
  std::vector<std::pair<size_t, std::string>> found;
  for (const auto& [name, sym] : syms_)
    if (std::find(kinds.begin(), kinds.end(), sym.kind) != kinds.end()) found.emplace_back(sym.order, name);
  std::sort(found.begin(), found.end());
  std::vector<std::string> out;
  for (auto& f : found) out.push_back(std::move(f.second));
  return out;
}

// Reports an unknown name once, then remembers it so that its later uses stay silent.
const Lowerer::Symbol* Lowerer::lookup_tensor(const std::string& name, const SourceLoc& loc) {
  auto it = syms_.find(name);
  if (it != syms_.end()) return &it->second;
  if (std::string_view meaning = reserved_meaning(name); !meaning.empty())
    error(loc, "'" + name + "' is not a tensor: it is " + std::string(meaning));
  else if (is_builtin(name))
    error(loc, "'" + name + "' is a function; call it as " + name + "(...)");
  else if (auto later = defined_later_.find(name); later != defined_later_.end() && later->second.line == loc.line)
    error(loc, "'" + name + "' is used in its own definition; every name is defined before it is used");
  else if (later != defined_later_.end())
    error(loc, "'" + name + "' is used before its definition (at " + at(later->second) +
                   "); every name is defined before it is used");
  else
    error(loc, "unknown name '" + name + "'" +
                   did_you_mean(name, names_of({Sym::Input, Sym::Target, Sym::Param, Sym::Const, Sym::Def, Sym::Failed})));
  define({name, loc}, Symbol{Sym::Unknown, nullptr, 0, loc});
  return nullptr;
}

// ---------------------------------------------------------------- declarations

std::optional<Shape> Lowerer::shape(const Stmt& s) {
  Shape out;
  bool ok = true;
  for (const DimSpec& d : s.dims) {
    std::optional<Dim> dm = dim(d);
    if (!dm) {
      ok = false;
      continue;
    }
    out.push_back(*dm);
  }
  if (!ok) return std::nullopt;
  if (out.size() > kMaxRank) {
    error(s.names[0].loc, "'" + s.names[0].name + "' has " + std::to_string(out.size()) + " dimensions (at most " +
                              std::to_string(kMaxRank) + ")");
    return std::nullopt;
  }
  if (fixed_numel_capped(out) > kMaxElements) {
    error(s.names[0].loc, "'" + s.names[0].name + "' has too many elements (more than 2^40)");
    return std::nullopt;
  }
  return out;
}

/// dim ::= positive integer (at most 2^40) | a declared `dim`
std::optional<Dim> Lowerer::dim(const DimSpec& d) {
  if (d.is_name) {
    auto it = syms_.find(d.text);
    if (it != syms_.end() && it->second.kind == Sym::Dim) return Dim::named(d.text);
    if (it != syms_.end() && (it->second.kind == Sym::Failed || it->second.kind == Sym::Unknown)) return std::nullopt;
    if (it != syms_.end()) {
      error(d.loc, "'" + d.text + "' is not a dimension (declare dimensions with 'dim')");
      return std::nullopt;
    }
    if (auto later = defined_later_.find(d.text); later != defined_later_.end()) {
      error(d.loc, "dimension '" + d.text + "' is used before its declaration (at " + at(later->second) +
                       "); declare it with 'dim' before its first use");
      define({d.text, d.loc}, Symbol{Sym::Unknown, nullptr, 0, d.loc});  // its later uses here stay silent
      return std::nullopt;
    }
    std::string hint = did_you_mean(d.text, names_of({Sym::Dim}));
    error(d.loc, "unknown dimension '" + d.text + "'" + (hint.empty() ? "; declare it with 'dim " + d.text + "'" : hint));
    return std::nullopt;
  }
  std::string shown = d.text.size() > 40 ? d.text.substr(0, 40) + "..." : d.text;
  if (!d.integer) {
    error(d.loc, "a dimension must be a positive integer, got " + shown);
    return std::nullopt;
  }
  int64_t v = 0;
  for (char c : d.text) {
    v = v * 10 + (c - '0');
    if (v > kMaxElements) {
      error(d.loc, "dimension " + shown + " is too large (at most 2^40)");
      return std::nullopt;
    }
  }
  if (v == 0) {
    error(d.loc, "a dimension must be a positive integer, got 0");
    return std::nullopt;
  }
  return Dim::fixed(v);
}

/// init ::= kind | kind '(' args ')'
std::optional<Init> Lowerer::init(const KwArg& opt, const Shape& sh, const std::string& tensor) {
  const Expr& e = *opt.value;
  if (e.kind != Expr::Name && e.kind != Expr::Call) {
    error(e.loc, "expected an init such as 'zeros' or 'uniform(-0.1, 0.1)'");
    return std::nullopt;
  }
  const InitKind* kind = nullptr;
  std::vector<std::string> names;
  for (const InitKind& k : init_kinds()) {
    names.push_back(k.name);
    if (e.name == k.name) kind = &k;
  }
  if (!kind) {
    const std::string hint = did_you_mean(e.name, names);
    std::string all;
    for (const std::string& n : names) all += (all.empty() ? "" : ", ") + n;
    error(e.loc, "unknown init '" + e.name + "'" + (hint.empty() ? " (the inits: " + all + ")" : hint));
    return std::nullopt;
  }
  std::vector<const Expr*> pos;
  for (const ExprPtr& a : e.args) pos.push_back(a.get());
  auto args = bind(e.name, pos, e.kwargs, kind->args, e.loc);
  if (!args) return std::nullopt;
  if (kind->needs_rank2 && sh.size() != 2) {
    error(e.loc, "init '" + e.name + "' needs a rank-2 param (fan_in, fan_out), but '" + tensor + "' has shape " +
                     shape_str(sh));
    return std::nullopt;
  }
  Init out{kind->name, {}};
  for (const ArgValue& a : *args) out.args.push_back(a.value);
  if (out.kind == "uniform" && !(out.args[0] <= out.args[1])) {
    error(e.loc, "uniform(a, b) needs a <= b");
    return std::nullopt;
  }
  if (out.kind == "normal" && !(out.args[1] >= 0)) {
    error((*args)[1].loc, "normal(mean, std) needs std >= 0");
    return std::nullopt;
  }
  return out;
}

const Node* Lowerer::leaf(const Ident& id, LeafKind kind, const Shape& sh, Init in, std::optional<double> lr) {
  Attrs a;
  a.name = id.name;
  a.shape = sh;
  const Node* n = p_.graph->make(kind == LeafKind::Param ? Op::Param : Op::Input, {}, std::move(a));
  p_.leaves.push_back({id.name, kind, n, std::move(in), lr, id.loc});
  Sym sk = kind == LeafKind::Input ? Sym::Input : kind == LeafKind::Target ? Sym::Target : Sym::Param;
  define(id, {sk, n, 0, id.loc});
  return n;
}

// ---------------------------------------------------------------- expressions

// Graph::make with its shape error reported at the operator.
const Node* Lowerer::make(const SourceLoc& loc, Op op, std::vector<const Node*> in, Attrs attrs) {
  try {
    return p_.graph->make(op, std::move(in), std::move(attrs));
  } catch (const ShapeError& e) {
    error(loc, e.what());
  } catch (const InternalError& e) {
    // An op whose table row is still missing: say so instead of crashing.
    error(loc, std::string("'") + op_spelling(op) + "' is not available: " + e.what());
  }
  return nullptr;
}

const Node* Lowerer::lower(const Expr& e) {
  switch (e.kind) {
    case Expr::Number: return p_.graph->constant(e.number);
    case Expr::Name: {
      const Symbol* sym = lookup_tensor(e.name, e.loc);
      if (!sym) return nullptr;
      if (sym->kind == Sym::Dim) {
        error(e.loc, "'" + e.name + "' is a dimension, not a tensor");
        return nullptr;
      }
      if (sym->kind == Sym::Const) return p_.graph->constant(sym->value);
      return sym->node;  // nullptr for names whose definition failed: silent
    }
    case Expr::Neg:
    case Expr::Transpose: {
      const Node* a = lower(*e.args[0]);
      if (!a) return nullptr;
      return make(e.loc, e.kind == Expr::Neg ? Op::Neg : Op::Transpose, {a});
    }
    case Expr::Binary: {
      const Node* a = lower(*e.args[0]);
      const Node* b = lower(*e.args[1]);
      if (!a || !b) return nullptr;
      Op op = e.op == '+' ? Op::Add : e.op == '-' ? Op::Sub : e.op == '*' ? Op::Mul : e.op == '/' ? Op::Div : Op::MatMul;
      return make(e.loc, op, {a, b});
    }
    case Expr::Call: return call(e);
  }
  return nullptr;
}

/// call ::= fn '(' tensor {',' tensor} {',' extra} ')'   (extras: constants, positional or keyword)
const Node* Lowerer::call(const Expr& e) {
  if (e.name == "dense") {
    error(e.loc, "'dense' may only be the whole right-hand side of a definition");
    return nullptr;
  }
  const OpInfo* info = find_callable(e.name);
  if (!info) {
    auto it = syms_.find(e.name);
    if (it != syms_.end() && it->second.kind != Sym::Unknown) {
      error(e.loc, "'" + e.name + "' is not a function");
      return nullptr;
    }
    if (std::string_view meaning = reserved_meaning(e.name); !meaning.empty())
      error(e.loc, "'" + e.name + "' is not a function: it is " + std::string(meaning));
    else
      error(e.loc, "unknown function '" + e.name + "'" + unknown_function_hint(e.name, callable_names()));
    return nullptr;
  }
  size_t arity = static_cast<size_t>(info->arity);
  const std::vector<ArgSpec>& extras = extra_params(e.name);
  if (e.args.size() < arity) {
    // mse(z, y=Y): a tensor given by a name the function does not take is that name's error.
    std::vector<std::string> keys;
    for (const ArgSpec& sp : extras) keys.push_back(sp.name);
    for (const KwArg& kw : e.kwargs)
      if (std::find(keys.begin(), keys.end(), kw.key) == keys.end()) {
        error(kw.loc, "unknown argument '" + kw.key + "' for '" + e.name + "' (its tensors are positional)" +
                          did_you_mean(kw.key, keys));
        return nullptr;
      }
    error(e.loc, "'" + e.name + "' needs " + std::to_string(arity) + " tensor argument" + (arity == 1 ? "" : "s") +
                     ", got " + std::to_string(e.args.size()));
    return nullptr;
  }
  std::vector<const Node*> operands;
  bool ok = true;
  for (size_t i = 0; i < arity; ++i) {
    operands.push_back(lower(*e.args[i]));
    ok = ok && operands.back();
  }
  std::vector<const Expr*> rest;
  for (size_t i = arity; i < e.args.size(); ++i) rest.push_back(e.args[i].get());
  auto args = bind(e.name, rest, e.kwargs, extras, e.loc);
  if (!ok || !args) return nullptr;
  Op op = info->op;
  Attrs attrs;
  if (!extras.empty() && std::string_view(extras[0].name) == "axis") {
    const ArgValue& ax = (*args)[0];
    if (!ax.given && extras[0].optional) return make(e.loc, op, operands);
    std::optional<int> k = axis(ax, operands[0]);
    if (!k) return nullptr;
    attrs.axis = *k;
    if (op == Op::Sum) op = Op::SumAxis;
    if (op == Op::Mean) op = Op::MeanAxis;
  } else if (!extras.empty()) {
    attrs.value = (*args)[0].value;
  }
  const bool elementwise_loss = op == Op::Mse || op == Op::Sse || op == Op::Bce || op == Op::BceLogits;
  if (elementwise_loss && !broadcast_operands(e.loc, operands)) return nullptr;
  return make(e.loc, op, operands, std::move(attrs));
}

// The elementwise losses are defined on p − y (spec §5), so their operands broadcast as `−`
// does: mse(X, 0) is mean(square(X − 0)) over X's elements. Operands that cannot broadcast
// are left for the loss's own shape error.
bool Lowerer::broadcast_operands(const SourceLoc& loc, std::vector<const Node*>& operands) {
  const std::optional<Shape> common = broadcast(operands[0]->shape, operands[1]->shape);
  if (!common) return true;
  // Both operands widened (p[n, 1] against y[n] gives [n, n]): numpy's rules allow it, and it is
  // almost always a target of the wrong shape; PyTorch's losses warn here too.
  if (operands[0]->shape != *common && operands[1]->shape != *common)
    warning(loc, "the loss broadcasts its operands " + shape_str(operands[0]->shape) + " and " +
                     shape_str(operands[1]->shape) + " to " + shape_str(*common) +
                     " (numpy's rules), comparing every prediction with every target; give both the same shape");
  // One tensor operand widened ([n, 1] against [n, 3]): also legal, and also PyTorch's warning;
  // a scalar (a constant target) is not.
  else if (operands[0]->shape != operands[1]->shape && !operands[0]->shape.empty() && !operands[1]->shape.empty()) {
    const Node* narrow = operands[0]->shape == *common ? operands[1] : operands[0];
    warning(loc, "the loss broadcasts its operand " + shape_str(narrow->shape) + " to " + shape_str(*common) +
                     " (numpy's rules) to compare it with the other; give both the same shape if that is not meant");
  }
  for (const Node*& n : operands) {
    if (n->shape == *common) continue;
    Attrs to;
    to.shape = *common;
    n = make(loc, Op::BroadcastTo, {n}, std::move(to));
    if (!n) return false;
  }
  return true;
}

// An axis argument: an integer, negative counting from the end, normalised to >= 0.
std::optional<int> Lowerer::axis(const ArgValue& a, const Node* operand) {
  int rank = operand->rank();
  const bool whole = std::isfinite(a.value) && std::floor(a.value) == a.value;  // 1e20 too: out of range
  if (!whole) {
    error(a.loc, "axis must be an integer, got " + num_str(a.value));
    return std::nullopt;
  }
  double k = a.value < 0 ? a.value + rank : a.value;
  if (k < 0 || k >= rank) {
    error(a.loc, "axis " + num_str(a.value) + " is out of range for shape " + shape_str(operand->shape));
    return std::nullopt;
  }
  return static_cast<int>(k);
}

/// dense ::= 'dense' '(' x ',' units [',' activation] [',' bias] ')'  -> act(x @ NAME_W + NAME_b)
const Node* Lowerer::dense(const Stmt& s, const Expr& e) {
  const Ident& id = s.names[0];
  static const std::vector<std::string> keys{"units", "activation", "bias"};
  const Expr* given[3] = {nullptr, nullptr, nullptr};
  if (e.args.empty()) return error(e.loc, "'dense' needs an input tensor: dense(x, units)"), nullptr;
  if (e.args.size() > 4) return error(e.args[4]->loc, "'dense' takes at most 4 arguments"), nullptr;
  for (size_t i = 1; i < e.args.size(); ++i) given[i - 1] = e.args[i].get();
  for (const KwArg& kw : e.kwargs) {
    auto k = std::find(keys.begin(), keys.end(), kw.key);
    if (k == keys.end()) return error(kw.loc, "unknown argument '" + kw.key + "' for 'dense'" + did_you_mean(kw.key, keys)), nullptr;
    const Expr*& slot = given[k - keys.begin()];
    if (slot) return error(kw.loc, "argument '" + kw.key + "' of 'dense' is given twice"), nullptr;
    slot = kw.value.get();
  }
  const Node* x = lower(*e.args[0]);
  if (!given[0]) return error(e.loc, "'dense' needs argument 'units'"), nullptr;
  std::optional<double> units = const_value(*given[0], "units");
  if (!x || !units) return nullptr;
  if (!is_integer(*units) || *units < 1 || *units > static_cast<double>(kMaxElements))
    return error(given[0]->loc, "units must be a positive integer, got " + num_str(*units)), nullptr;
  if (x->rank() != 2)
    return error(e.args[0]->loc, "'dense' needs an input of rank 2 [n, k], got shape " + shape_str(x->shape)), nullptr;
  // activation: 'linear' or any elementwise built-in whose extra parameters all have defaults.
  const OpInfo* act = nullptr;
  if (given[1]) {
    const Expr& a = *given[1];
    const std::vector<std::string>& acts = activation_names();
    if (a.kind != Expr::Name) return error(a.loc, "activation must be a function name such as 'sigmoid'"), nullptr;
    if (a.name != "linear") {
      if (std::find(acts.begin(), acts.end(), a.name) == acts.end()) {
        if (find_callable(a.name))  // softmax, log_softmax, a loss or a reduction: a built-in, not elementwise
          return error(a.loc, "activation '" + a.name + "' is not elementwise (an activation maps each element on its "
                                  "own); write the layer linear and apply it in the next definition (z = dense(x, "
                                  "units), then h = " + a.name + "(z))"),
                 nullptr;
        return error(a.loc, "unknown activation '" + a.name + "'" + did_you_mean(a.name, acts)), nullptr;
      }
      act = find_callable(a.name);
      for (const ArgSpec& sp : extra_params(a.name))
        if (!sp.def)
          return error(a.loc, "activation '" + a.name + "' needs argument '" + sp.name +
                                  "', which dense cannot pass on; write the layer linear and apply " + a.name +
                                  " to it in the next definition (z = dense(x, units), then h = " + a.name + "(z, ...))"),
                 nullptr;
    }
  }
  bool bias = true;
  if (given[2]) {
    const Expr& b = *given[2];
    if (b.kind != Expr::Name || (b.name != "true" && b.name != "false"))
      return error(b.loc, std::string("bias must be true or false") +
                              (b.kind == Expr::Name && (b.name == "True" || b.name == "False") ? " (lower case)" : "")),
             nullptr;
    bias = b.name == "true";
  }
  Ident w{id.name + "_W", id.loc}, bb{id.name + "_b", id.loc};
  for (const Ident* pid : {&w, &bb}) {
    if (pid == &bb && !bias) continue;
    auto it = syms_.find(pid->name);
    if (it != syms_.end() && it->second.kind != Sym::Unknown)
      return error(e.loc, "'dense' creates param '" + pid->name + "', but it is already defined (at " +
                              at(it->second.loc) + ")"), nullptr;
  }
  Dim units_dim = Dim::fixed(static_cast<int64_t>(*units));
  const Node* n = make(e.loc, Op::MatMul, {x, leaf(w, LeafKind::Param, {x->shape[1], units_dim}, {"xavier_uniform", {}}, {})});
  if (n && bias) n = make(e.loc, Op::Add, {n, leaf(bb, LeafKind::Param, {units_dim}, {"zeros", {}}, {})});
  if (n && act) {
    Attrs at;
    const std::vector<ArgSpec>& ex = extra_params(act->name);
    if (!ex.empty()) at.value = *ex[0].def;
    n = make(e.loc, act->op, {n}, std::move(at));
  }
  return n;
}

// A compile-time number: a literal, a const name, or their negation.
std::optional<double> Lowerer::const_value(const Expr& e, const std::string& what) {
  if (e.kind == Expr::Number) return e.number;
  if (e.kind == Expr::Neg) {
    auto v = const_value(*e.args[0], what);
    return v ? std::optional<double>(-*v) : std::nullopt;
  }
  if (e.kind == Expr::Name) {
    auto it = syms_.find(e.name);
    if (it != syms_.end() && it->second.kind == Sym::Const) return it->second.value;
    if (it != syms_.end() && (it->second.kind == Sym::Failed || it->second.kind == Sym::Unknown)) return std::nullopt;
    if (it == syms_.end()) {
      lookup_tensor(e.name, e.loc);
      return std::nullopt;
    }
  }
  error(start_of(e), what + " must be a number");
  return std::nullopt;
}

// Binds positional and keyword constants to `specs`, filling defaults; reports what is wrong.
std::optional<std::vector<ArgValue>> Lowerer::bind(const std::string& fn, const std::vector<const Expr*>& positional,
                                                   const std::vector<KwArg>& kwargs, const std::vector<ArgSpec>& specs,
                                                   const SourceLoc& loc) {
  std::vector<const Expr*> slot(specs.size(), nullptr);
  std::vector<SourceLoc> where(specs.size(), loc);
  if (positional.size() > specs.size()) {
    error(positional[specs.size()]->loc, "too many arguments for '" + fn + "'");
    return std::nullopt;
  }
  for (size_t i = 0; i < positional.size(); ++i) slot[i] = positional[i];
  std::vector<std::string> names;
  for (const ArgSpec& s : specs) names.push_back(s.name);
  for (const KwArg& kw : kwargs) {
    auto k = std::find(names.begin(), names.end(), kw.key);
    if (k == names.end()) {
      error(kw.loc, "unknown argument '" + kw.key + "' for '" + fn + "'" + did_you_mean(kw.key, names));
      return std::nullopt;
    }
    size_t i = static_cast<size_t>(k - names.begin());
    if (slot[i]) {
      error(kw.loc, "argument '" + kw.key + "' of '" + fn + "' is given twice");
      return std::nullopt;
    }
    slot[i] = kw.value.get();
  }
  std::vector<ArgValue> out(specs.size());
  bool ok = true;
  for (size_t i = 0; i < specs.size(); ++i) {
    out[i].loc = slot[i] ? slot[i]->loc : loc;
    if (!slot[i]) {
      if (specs[i].def) out[i].value = *specs[i].def;
      else if (!specs[i].optional) {
        error(loc, "'" + fn + "' needs argument '" + specs[i].name + "'");
        ok = false;
      }
      continue;
    }
    auto v = const_value(*slot[i], "argument '" + std::string(specs[i].name) + "' of '" + fn + "'");
    if (!v) {
      ok = false;
      continue;
    }
    out[i].value = *v;
    out[i].given = true;
  }
  if (!ok) return std::nullopt;
  return out;
}

}  // namespace gg::grad
