// Renders the three generated files from templates/ with the entry points' text.
#include "emit/cpp_emit.h"

#include <algorithm>
#include <cctype>
#include <optional>

#include <fmt/format.h>

#include "emit/cpp_entry.h"
#include "emit/cpp_kernels.h"
#include "emit/cpp_report.h"
#include "emit/cpp_templates.h"
#include "support/identifiers.h"
#include "support/version.h"

namespace gg::cpp {
namespace {

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + v[i];
  return out;
}

std::string upper(std::string s) {
  for (char& ch : s) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return s;
}

// Runtime headers the generated code actually calls, sorted.
std::string includes(const std::string& code, bool has_params, GemmBackend gemm) {
  std::vector<std::string> inc = kernel_includes(code);
  if (has_params) inc.push_back("#include <gradgen/init.hpp>");
  if (code.find("gg::gemm(") != std::string::npos)
    inc.push_back(gemm == GemmBackend::Blas ? "#include <gradgen/blas.hpp>" : "#include <gradgen/gemm.hpp>");
  inc.push_back("#include <gradgen/optim.hpp>");
  std::sort(inc.begin(), inc.end());
  std::string out = standard_includes(code);
  if (!out.empty()) out += "\n";
  if (code.find("std::integral_constant") != std::string::npos) out += "#include <type_traits>\n\n";  // row blocks
  return out + join(inc, "\n") + "\n";
}

struct Sig {
  std::vector<std::string> cpp_params, impl_params, c_params, impl_args_cpp, impl_args_c, ptr_checks;

  /// A parameter spelled `cpp` in the C++ API and impl, `c` in the C ABI, passed on as `arg`.
  void both(const std::string& cpp, const std::string& c, const std::string& arg) {
    cpp_params.push_back(cpp);
    impl_params.push_back(cpp);
    c_params.push_back(c);
    impl_args_cpp.push_back(arg);
    impl_args_c.push_back(arg);
  }
};

std::string const_ptr(const std::string& scalar, const std::string& id) { return "const " + scalar + "* " + id; }

/// Every entry point takes the params first: by reference in C++, by pointer in the C ABI.
Sig params_first(const CppApi& a) {
  Sig s;
  s.cpp_params.push_back("const Params& params");
  s.impl_params.push_back("const ::" + a.cprefix + "params& params");
  s.c_params.push_back("const " + a.cprefix + "params* params");
  s.impl_args_cpp.push_back("params");
  s.impl_args_c.push_back("*params");
  return s;
}

Sig forward_sig(const CppApi& a) {
  Sig s = params_first(a);
  for (const ApiTensor& t : a.forward_inputs) s.both(const_ptr("Scalar", t.ident), const_ptr(a.cprefix + "scalar", t.ident), t.ident);
  for (const std::string& d : a.dim_idents) s.both("std::int64_t " + d, "int64_t " + d, d);
  for (const ApiTensor& t : a.outputs) s.both("Scalar* " + t.ident, a.cprefix + "scalar* " + t.ident, t.ident);
  return s;
}

Sig lag_sig(const CppApi& a) {
  Sig s = params_first(a);
  for (const ApiTensor& t : a.inputs) s.both(const_ptr("Scalar", t.ident), const_ptr(a.cprefix + "scalar", t.ident), t.ident);
  for (const std::string& d : a.dim_idents) s.both("std::int64_t " + d, "int64_t " + d, d);
  s.cpp_params.push_back("Scalar& loss");
  s.impl_params.push_back("Scalar* loss");
  s.c_params.push_back(a.cprefix + "scalar* loss");
  s.impl_args_cpp.push_back("&loss");
  s.impl_args_c.push_back("loss");
  s.cpp_params.push_back("Grads& grads");
  s.impl_params.push_back("::" + a.cprefix + "grads& grads");
  s.c_params.push_back(a.cprefix + "grads* grads");
  s.impl_args_cpp.push_back("grads");
  s.impl_args_c.push_back("*grads");
  for (const ApiTensor& t : a.grad_inputs) s.both("Scalar* " + t.ident, a.cprefix + "scalar* " + t.ident, t.ident);
  return s;
}

// train_step: loss_and_grad's arguments with mutable params and the optimizer state after grads
// (the same position in the C++ API and the C ABI).
Sig train_sig(const CppApi& a) {
  Sig s = lag_sig(a);
  s.cpp_params[0] = "Params& params";
  s.impl_params[0] = "::" + a.cprefix + "params& params";
  s.c_params[0] = a.cprefix + "params* params";
  auto at = std::find(s.cpp_params.begin(), s.cpp_params.end(), "Grads& grads") - s.cpp_params.begin() + 1;
  s.cpp_params.insert(s.cpp_params.begin() + at, "OptState& state");
  s.impl_params.insert(s.impl_params.begin() + at, "::" + a.cprefix + "opt_state& state");
  s.c_params.insert(s.c_params.begin() + at, a.cprefix + "opt_state* state");
  s.impl_args_cpp.insert(s.impl_args_cpp.begin() + at, "state");
  s.impl_args_c.insert(s.impl_args_c.begin() + at, "*state");
  return s;
}

/// A C ABI function: null checks of the struct pointers it dereferences, then the impl.
std::string c_def(const CppApi& a, const std::string& fn, const Sig& s, const std::vector<std::string>& structs) {
  std::vector<std::string> params = s.c_params;
  params.push_back(a.cprefix + "scalar* ws");
  params.push_back("size_t ws_size");
  std::vector<std::string> args = s.impl_args_c;
  args.push_back("ws");
  args.push_back("ws_size");
  std::vector<std::string> nulls;
  for (const std::string& p : structs) nulls.push_back(p + " == nullptr");
  std::string check = join(nulls, " || ");
  return fmt::format("int {}{}({}) {{\n  if ({}) return ::{}::kNullPointer;\n  return ::{}::{}_impl({});\n}}", a.cprefix, fn,
                     join(params, ", "), check, a.ns, a.ns, fn, join(args, ", "));
}

// What the entry points may do beyond their buffers, by who computes the large products.
std::string state_note_text(GemmBackend gemm) {
  switch (gemm) {
    case GemmBackend::Gradgen:
      return "Large products run in gradgen/gemm.hpp:\n"
             "// each thread keeps packing buffers (allocated by its first product and grown when a\n"
             "// larger one needs them; if that fails the process ends, as the entry points are\n"
             "// noexcept), and gg::set_gemm_threads(N) runs them on a process-wide pool ($GG_NUM_THREADS,\n"
             "// else 1): change it only while no product runs. Nothing else allocates, throws, locks or\n"
             "// touches global state.";
    case GemmBackend::Blas:
      return "Large products call CBLAS, which may\n"
             "// allocate and run its own threads; nothing else allocates, throws, locks or touches\n"
             "// global state.";
    case GemmBackend::Loops:
      break;
  }
  return "Nothing allocates, throws, locks or touches global state.";
}

std::string example(const CppApi& a) {
  std::string ns = a.ns + "::";
  std::vector<std::string> l;
  std::vector<std::string> maxes;
  for (size_t i = 0; i < a.free_dims.size(); ++i) maxes.push_back("64");
  std::string ws = maxes.empty() ? ns + "Workspace ws;" : ns + "Workspace<" + join(maxes, ", ") + "> ws;";
  // Params, Grads and an Adam state hold up to 4 copies of the params: past a quarter of a MiB
  // each, they go off the stack (8 MiB by default) as the workspace does.
  const int64_t param_bytes = a.num_params * (a.scalar == "double" ? 8 : 4);
  const std::string where = param_bytes >= (int64_t(1) << 18) ? "static " : "";
  l.push_back(where + ns + "Params params;" + (where.empty() ? "" : "  // static: too large for the stack"));
  l.push_back(ns + "init(params, /*seed=*/0);");
  l.push_back("static " + ws + (maxes.empty() ? "" : "  // batches up to 64"));
  l.push_back(where + ns + "Grads grads;");
  l.push_back(where + ns + "OptState state{};");
  std::vector<std::string> args{"params"};
  for (const ApiTensor& t : a.inputs) args.push_back(t.ident);
  for (const std::string& d : a.dim_idents) args.push_back(d);
  args.push_back("loss");
  args.push_back("grads");
  for (const ApiTensor& t : a.grad_inputs) args.push_back(t.ident);
  args.push_back("ws");
  l.push_back(a.scalar + " loss = 0;");
  l.push_back("if (" + ns + "loss_and_grad(" + join(args, ", ") + ") != " + ns + "kOk) { /* handle */ }");
  l.push_back(ns + "step(params, grads, state);");
  std::vector<std::string> fargs{"params"};
  for (const ApiTensor& t : a.forward_inputs) fargs.push_back(t.ident);
  for (const std::string& d : a.dim_idents) fargs.push_back(d);
  for (const ApiTensor& t : a.outputs) fargs.push_back(t.ident);
  fargs.push_back("ws");
  l.push_back(ns + "forward(" + join(fargs, ", ") + ");");
  for (std::string& s : l) s = "//   " + s;
  return join(l, "\n");
}

std::string param_fields(const CppApi& a) {
  std::vector<std::string> f;
  for (const ApiTensor& t : a.params) f.push_back("  " + a.scalar + " " + t.ident + array_suffix(t.shape) + ";  /* " + shape_str(t.shape) + " */");
  if (f.empty()) f.push_back("  " + a.scalar + " none_[1];  /* the network has no params */");
  return join(f, "\n");
}

std::string ws_body(const CppApi& a, const Entry& fwd, const Entry& lag, const Entry* fused) {
  std::vector<std::string> l;
  std::string all = fwd.workspace_need + " " + lag.workspace_need + (fused ? " " + fused->workspace_need : "");
  // A dim the entry points refuse (kBadDim) needs no workspace; a very negative one would
  // also overflow the products below.
  for (const std::string& d : a.free_dims) l.push_back("if (" + d + " < 1 || " + d + " > kMaxDim) return 0;");
  if (!a.free_dims.empty() && std::any_of(a.free_dims.begin(), a.free_dims.end(), [&](const std::string& d) { return mentions_word(all, d); })) {
    // Dims within kMaxDim still multiply past int64 (three of them, or one times a large
    // fixed size): such a workspace cannot exist, so its size saturates.
    std::string sum = fwd.workspace_need_approx + " + " + lag.workspace_need_approx;
    if (fused) sum += " + " + fused->workspace_need_approx;
    l.push_back("const double approx_need = " + sum + ";  // dims within kMaxDim can still multiply past int64");
    l.push_back("if (approx_need > 4.0e18) return static_cast<std::size_t>(-1);");
  }
  l.push_back("const std::int64_t forward_need = " + fwd.workspace_need + ";");
  if (fused) {
    l.push_back("const std::int64_t grad_need = " + lag.workspace_need + ";");
    l.push_back("const std::int64_t fused_need = " + fused->workspace_need + ";");
    l.push_back("const std::int64_t train_need = grad_need > fused_need ? grad_need : fused_need;");
  } else {
    l.push_back("const std::int64_t train_need = " + lag.workspace_need + ";");
  }
  l.push_back("const std::int64_t need = forward_need > train_need ? forward_need : train_need;");
  l.push_back("return static_cast<std::size_t>(need > 0 ? need : 1);");
  for (std::string& s : l) s = "  " + s;
  return join(l, "\n");
}

}  // namespace

CppApi describe_cpp(const Program& p, const EquationSet& eqs, const CppOptions& o) {
  Names names = make_names(p, eqs, o.dim_args);
  return make_api(p, eqs, names, o);
}

CppFiles emit_cpp(const Program& p, const EquationSet& eqs, const CppOptions& o) {
  Names names = make_names(p, eqs, o.dim_args);
  CppApi a = make_api(p, eqs, names, o);
  EntryContext ctx{p, eqs, names, a, o};
  Entry fwd = forward_entry(ctx);
  Entry lag = loss_and_grad_entry(ctx);
  std::optional<Entry> fused;
  if (o.fuse_step) fused = train_step_entry(ctx);
  std::string init = init_body(ctx), step = step_body(ctx);
  Sig fs = forward_sig(a), ls = lag_sig(a);
  const Sig ts = train_sig(a);  // used only with --fuse-step

  std::string source = o.source.empty() ? p.source_file : o.source;
  std::string banner = fmt::format("// @generated by gradgen {} from {}", version(), source_name(source));
  const bool adam = p.optimizer.adam(), momentum = p.optimizer.sgd_momentum();
  std::string optimizer = adam ? "Adam" : momentum ? "SGD (momentum)" : "SGD";
  std::string num_params = std::to_string(a.num_params);
  std::string nstate = std::to_string(a.num_params > 0 ? a.num_params : 1);
  // Plain SGD (momentum 0) keeps no velocity: its state is the step counter alone.
  std::string state_fields =
      adam ? "  " + a.scalar + " m[" + nstate + "];  /* first moments, flat */\n  " + a.scalar + " v[" + nstate +
                 "];  /* second moments, flat */\n  int64_t t;  /* steps taken */"
      : momentum ? "  " + a.scalar + " velocity[" + nstate + "];  /* flat, param order */\n  int64_t t;  /* steps taken */"
                 : "  int64_t t;  /* steps taken (plain SGD keeps no velocity) */";
  std::vector<std::string> ws_params, tparams, maxes;
  for (const std::string& d : a.free_dims) {
    ws_params.push_back("std::int64_t " + d);
    tparams.push_back("std::int64_t Max_" + d);
    maxes.push_back("Max_" + d);
  }
  std::string tmpl = tparams.empty() ? "" : "template <" + join(tparams, ", ") + ">\n";
  // With every dim bound (or none declared) the workspace is a plain struct of fixed size.
  const std::string ws_for = tparams.empty() ? "the network's fixed sizes" : "batches up to its template arguments";
  // A template argument outside [1, kMaxDim] would make a zero-size array (a GNU extension)
  // that every entry point refuses: a compile error instead.
  std::string ws_checks;
  for (const std::string& m : maxes)
    ws_checks += "  static_assert(" + m + " >= 1 && " + m + " <= kMaxDim, \"Workspace<...>: " + m +
                 " must be in [1, kMaxDim]\");\n";
  std::string ws_struct =
      "/// Scratch memory (saved activations, temporaries) for " +
      std::string(tparams.empty() ? "the network's fixed sizes" : "dims up to the template arguments") + ".\n" + tmpl +
      "struct alignas(64) Workspace {\n" + ws_checks + "  Scalar data[workspace_size(" + join(maxes, ", ") + ")];\n};";
  std::string ws_type = tparams.empty() ? "Workspace" : "Workspace<" + join(maxes, ", ") + ">";
  std::string ws_ctor = (tparams.empty() ? "" : "  " + tmpl.substr(0, tmpl.size() - 1) + "\n") + "  WorkspaceRef(" +
                        ws_type + "& w) : data(w.data), size(workspace_size(" + join(maxes, ", ") + ")) {}";
  std::string pfirst = "none_";
  if (!a.params.empty()) {
    const ApiTensor& t0 = a.params.front();
    pfirst = t0.shape.size() == 1 ? t0.ident : "&" + t0.ident;
    for (size_t i = 0; t0.shape.size() > 1 && i < t0.shape.size(); ++i) pfirst += "[0]";
  }

  std::vector<std::string> param_names;
  for (const ApiTensor& t : a.params) param_names.push_back(t.ident + shape_str(t.shape));
  std::string dims_note = a.dims.empty() ? "" : " (" + join(a.dim_idents, ", ") + ")";
  for (const auto& [d, v] : o.bound) dims_note += "; " + d + " is fixed to " + std::to_string(v) + " by --bind";

  std::string fwd_decl = "Status forward(" + join(fs.cpp_params, ", ") + ", WorkspaceRef ws) noexcept;";
  std::string lag_decl = "Status loss_and_grad(" + join(ls.cpp_params, ", ") + ", WorkspaceRef ws) noexcept;";
  auto cpp_def = [&](const std::string& fn, const Sig& s) {
    std::vector<std::string> args = s.impl_args_cpp;
    args.push_back("ws.data");
    args.push_back("ws.size");
    return "Status " + fn + "(" + join(s.cpp_params, ", ") + ", WorkspaceRef ws) noexcept {\n  return " + fn + "_impl(" +
           join(args, ", ") + ");\n}";
  };
  std::vector<std::string> fimpl = fs.impl_params, limpl = ls.impl_params;
  for (auto* v : {&fimpl, &limpl}) v->push_back("Scalar* ws"), v->push_back("std::size_t ws_size");

  std::vector<std::string> c_ws_params;
  for (const std::string& d : a.free_dims) c_ws_params.push_back("int64_t " + d);
  std::vector<std::string> c_fwd = fs.c_params, c_lag = ls.c_params;
  for (auto* v : {&c_fwd, &c_lag}) v->push_back(a.cprefix + "scalar* ws"), v->push_back("size_t ws_size");
  std::string cp = a.cprefix;
  std::string c_decls = fmt::format(
      "/* A status in words, for messages (\"unknown status\" for any other value). */\n"
      "GRADGEN_{4}API const char* {0}status_string(int status);\n"
      "/* Scalars of workspace needed for the given dims. */\nGRADGEN_{4}API size_t {0}workspace_size({1});\n"
      "/* Fills every param from its init= using seed. */\nGRADGEN_{4}API int {0}init({0}params* params, uint64_t seed);\n"
      "/* Inference for one batch: writes each output. */\nGRADGEN_{4}API int {0}forward({2});\n"
      "/* Loss, every param's gradient, and d(loss)/dX for each input X named in grad. */\nGRADGEN_{4}API int {0}loss_and_grad({3});\n"
      "/* One optimizer update of params from grads. */\nGRADGEN_{4}API int {0}step({0}params* params, const {0}grads* grads, "
      "{0}opt_state* state);",
      cp, c_ws_params.empty() ? "void" : join(c_ws_params, ", "), join(c_fwd, ", "), join(c_lag, ", "), upper(cp));
  std::string c_train;  // --fuse-step: train_step in the C ABI too
  if (fused) {
    std::vector<std::string> c_ts = ts.c_params;
    c_ts.push_back(cp + "scalar* ws"), c_ts.push_back("size_t ws_size");
    c_decls += "\n/* loss_and_grad then step in one pass (--fuse-step): the same params, loss and state;\n"
               "   grads is scratch (a gradient the fused GEMM applied directly is not written). */\nGRADGEN_" + upper(cp) + "API int " +
               cp + "train_step(" + join(c_ts, ", ") + ");";
    c_train = c_def(a, "train_step", ts, {"params", "grads", "state"}) + "\n\n";
  }
  std::string c_defs =
      "extern \"C\" {\n\n" +
      fmt::format("const char* {0}status_string(int status) {{\n  return ::{1}::status_string(static_cast<::{1}::Status>(status));\n}}\n\n",
                  cp, a.ns) +
      fmt::format("size_t {0}workspace_size({1}) {{ return ::{2}::workspace_size({3}); }}\n\n", cp,
                  c_ws_params.empty() ? "void" : join(c_ws_params, ", "), a.ns, join(a.free_dims, ", ")) +
      fmt::format("int {0}init({0}params* params, uint64_t seed) {{\n  if (params == nullptr) return ::{1}::kNullPointer;\n"
                  "  return ::{1}::init_impl(*params, seed);\n}}\n\n",
                  cp, a.ns) +
      c_def(a, "forward", fs, {"params"}) + "\n\n" + c_def(a, "loss_and_grad", ls, {"params", "grads"}) + "\n\n" +
      fmt::format("int {0}step({0}params* params, const {0}grads* grads, {0}opt_state* state) {{\n"
                  "  if (params == nullptr || grads == nullptr || state == nullptr) return ::{1}::kNullPointer;\n"
                  "  return ::{1}::step_impl(*params, *grads, *state);\n}}\n\n",
                  cp, a.ns) +
      c_train + "}  // extern \"C\"";

  // --fuse-step: train_step in the C++ API (and the C ABI above).
  std::string ts_doc, ts_decl, ts_impl, ts_def;
  if (fused) {
    std::vector<std::string> timpl = ts.impl_params;
    timpl.push_back("Scalar* ws"), timpl.push_back("std::size_t ws_size");
    ts_doc = "\n//   train_step loss_and_grad and step in one pass (--fuse-step): each param is updated as\n"
             "//              soon as its gradient is complete and nothing reads it any more; grads is\n"
             "//              scratch (a gradient the fused GEMM applied directly is not written).";
    ts_decl = "\n\n/// loss_and_grad then step, fused: the same params and loss; grads is scratch.\nStatus train_step(" +
              join(ts.cpp_params, ", ") + ", WorkspaceRef ws) noexcept;";
    // With plain SGD every weight gradient may go into its GEMM (beta = 1): then grads is
    // never written, and an unnamed parameter keeps -Wunused-parameter quiet.
    for (std::string& param : timpl) {
      const size_t name = param.find_last_of(" &*") + 1;
      if (!mentions_word(fused->body, param.substr(name))) param = param.substr(0, name) + "/*" + param.substr(name) + "*/";
    }
    ts_impl = "\n\nStatus train_step_impl(" + join(timpl, ", ") + ") {\n" + fused->body + "\n}";
    ts_def = "\n\n" + cpp_def("train_step", ts);
  }
  std::string code = init + fwd.body + lag.body + step + (fused ? fused->body : "");
  const std::string state_note = state_note_text(code.find("gg::gemm(") != std::string::npos ? o.gemm : GemmBackend::Loops);
  const std::string workspace_call = "workspace_size(" + join(a.free_dims, ", ") + ")";  // as the docs call it
  CppFiles f;
  f.base = a.base;
  f.report = memory_report(ctx, fwd, lag, fused ? &*fused : nullptr);
  f.h = fmt::format(fmt::runtime(template_text("network.h.in")), fmt::arg("banner", banner), fmt::arg("network", p.name),
                    fmt::arg("base", a.base), fmt::arg("CP", upper(cp)), fmt::arg("cp", cp),
                    fmt::arg("guard", "GRADGEN_" + upper(cp) + "H"), fmt::arg("scalar", a.scalar),
                    fmt::arg("param_fields", param_fields(a)), fmt::arg("optimizer", optimizer),
                    fmt::arg("state_fields", state_fields), fmt::arg("c_decls", c_decls), fmt::arg("state_note", state_note),
                    fmt::arg("workspace_call", workspace_call));
  f.hpp = fmt::format(
      fmt::runtime(template_text("network.hpp.in")), fmt::arg("banner", banner), fmt::arg("network", p.name),
      fmt::arg("state_note", state_note),
      fmt::arg("scalar", a.scalar), fmt::arg("base", a.base), fmt::arg("param_list", join(param_names, ", ")),
      fmt::arg("loss", p.loss_name), fmt::arg("optimizer", optimizer), fmt::arg("dims_note", dims_note),
      fmt::arg("example", example(a)), fmt::arg("ns", a.ns), fmt::arg("num_params", num_params),
      fmt::arg("max_dim_log2", kMaxDimLog2), fmt::arg("ws_params", join(ws_params, ", ")),
      fmt::arg("ws_users", fused ? "forward, loss_and_grad and train_step" : "forward and loss_and_grad"),
      fmt::arg("ws_body", ws_body(a, fwd, lag, fused ? &*fused : nullptr)),
      fmt::arg("workspace_struct", ws_struct), fmt::arg("workspace_for", ws_for), fmt::arg("workspace_ctor", ws_ctor), fmt::arg("cp", cp),
      fmt::arg("workspace_call", workspace_call), fmt::arg("params_first", pfirst), fmt::arg("grads_first", pfirst), fmt::arg("forward_decl", fwd_decl),
      fmt::arg("loss_and_grad_decl", lag_decl), fmt::arg("train_step_decl", ts_decl), fmt::arg("train_step_doc", ts_doc),
      fmt::arg("link_note", o.gemm == GemmBackend::Blas && code.find("gg::gemm(") != std::string::npos
                                ? ";\n// generated with --blas: link a CBLAS for cblas_" + std::string(a.scalar == "double" ? "d" : "s") +
                                      "gemm, e.g. -lopenblas or CMake's BLAS::BLAS"
                                : ""));
  std::string explain = "gradgen explain";  // the command whose equations the comments quote
  for (const auto& [d, v] : o.bound) explain += " --bind " + d + "=" + std::to_string(v);
  f.cpp = fmt::format(fmt::runtime(template_text("network.cpp.in")), fmt::arg("banner", banner), fmt::arg("explain", explain),
                      fmt::arg("network", p.name), fmt::arg("base", a.base), fmt::arg("includes", includes(code, !a.params.empty(), o.gemm)),
                      fmt::arg("ns", a.ns), fmt::arg("cp", cp), fmt::arg("init_body", init),
                      fmt::arg("forward_params", join(fimpl, ", ")), fmt::arg("forward_body", fwd.body),
                      fmt::arg("lag_params", join(limpl, ", ")), fmt::arg("lag_body", lag.body),
                      fmt::arg("step_body", step), fmt::arg("forward_def", cpp_def("forward", fs)),
                      fmt::arg("loss_and_grad_def", cpp_def("loss_and_grad", ls)), fmt::arg("train_step_impl", ts_impl),
                      fmt::arg("train_step_def", ts_def), fmt::arg("c_defs", c_defs));
  return f;
}

}  // namespace gg::cpp
