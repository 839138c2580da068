// Random ROW-WISE networks (seeded, deterministic) on the row-block schedule
// (generator/emit/cpp_rowblock.h): 1-4 layers of widths 1-12 on inputs of width 1-8, every
// elementwise activation, elementwise combinations of row values (residual adds, products,
// constant scales, param vectors broadcast along the rows, a width-1 column broadcast along a
// row), row sums, softmax / log_softmax outputs, every loss with post-loop terms, `grad X`
// sometimes, sgd / momentum / adam; n in {1, 2, 3, 4, 5, 16, 17, 33}, bound with --bind or
// given at run time. Each net must take the row-block path; its compiled code (f64 and f32,
// g++ and clang++ alternately; at -O0, and at -O2 or -O3 -march=native) must match the interpreter
// (loss, outputs, every gradient), and for a few nets train_step (--fuse-step) must equal
// loss_and_grad + step.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <sstream>

#include "e2e_support.h"
#include "random_nets.h"

namespace {

using e2e::Gen;

const char* const kBlock = "auto rows = [&](auto lanes, std::int64_t r0) {";
const int64_t kRows[] = {1, 2, 3, 4, 5, 16, 17, 33};
// 48 nets by default; GG_ROWBLOCK_RANDOM_NETS=N checks N (a longer hunt, by hand).
int net_count() {
  const char* env = std::getenv("GG_ROWBLOCK_RANDOM_NETS");
  return env ? std::max(1, std::atoi(env)) : 48;
}

size_t count(const std::string& text, const std::string& what) {
  size_t k = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++k;
  return k;
}

struct RowNet {
  std::string text;
  int in_width = 0, out_width = 0;
  bool grad_x = false;
};

std::string str(int v) { return std::to_string(v); }

// One random row-wise network. `no_grad_x`: never `grad X` (the train_step driver passes no dX).
RowNet row_network(const std::string& name, uint64_t seed, bool no_grad_x = false) {
  Gen g{seed * 104729 + 31};
  RowNet net;
  std::string decls, body;
  int params = 0, values = 0;
  auto param = [&](const std::string& shape, const std::string& extra = "") {
    std::string p = "P" + str(++params);
    decls += "param " + p + shape + extra + "\n";
    return p;
  };
  auto define = [&](const std::string& expr) {
    std::string v = "v" + str(++values);
    body += v + " = " + expr + "\n";
    return v;
  };
  struct Val {
    std::string name;
    int width;
  };
  net.in_width = g.range(1, 8);
  std::vector<Val> rows{{"X", net.in_width}};  // row values of the net so far
  int layers = g.range(1, 4);
  int k = g.range(1, 12);  // output width
  net.out_width = k;
  Val cur = rows.back();
  bool bounded_input = true;  // |cur| small enough for exp(.) (inputs in (0.1, 0.9), first layer)
  for (int i = 0; i < layers; ++i) {
    bool last = i == layers - 1;
    int w = last ? k : g.range(1, 12);
    // The affine part.
    std::string z;
    bool bias = g.pick(3) != 0;
    bool dense_activation = false;
    switch (g.pick(4)) {
      case 0: case 1: {
        std::string W = param("[" + str(cur.width) + ", " + str(w) + "]");
        std::string e = cur.name + " @ " + W;
        if (bias) e += " + " + param("[" + str(w) + "]", " init=uniform(-0.5, 0.5)");
        z = define(e);
        break;
      }
      case 2: {  // transposed product (Wᵀ @ hᵀ)ᵀ = h @ W
        std::string W = param("[" + str(cur.width) + ", " + str(w) + "]");
        std::string e = "(" + W + ".T @ " + cur.name + ".T).T";
        if (bias) e += " + " + param("[" + str(w) + "]", " init=uniform(-0.5, 0.5)");
        z = define(e);
        break;
      }
      case 3: {  // the dense shorthand, with an activation on hidden layers half the time
        z = "v" + str(++values);
        std::string act;
        if (!last && g.pick(2)) {
          static const char* const acts[] = {"sigmoid", "tanh", "relu", "softplus", "sin", "cos", "square", "abs"};
          act = std::string(", activation=") + acts[g.pick(8)];
          dense_activation = true;
        }
        body += z + " = dense(" + cur.name + ", " + str(w) + act + (bias ? "" : ", bias=false") + ")\n";
        break;
      }
    }
    cur = {z, w};
    if (!last) {
      // The activation: every elementwise function of the language.
      std::string a;
      int pick = g.pick(15);
      if (i == 0) pick = static_cast<int>(seed % 15);  // every activation in a few nets of the suite
      if (dense_activation) a = z;  // dense(..., activation=...) applied it
      else switch (pick) {
        case 0: a = "sigmoid(" + z + ")"; break;
        case 1: a = "tanh(" + z + ")"; break;
        case 2: a = "relu(" + z + ")"; break;
        case 3: a = "leaky_relu(" + z + ", alpha=0.2)"; break;
        case 4: a = "softplus(" + z + ")"; break;
        case 5: a = bounded_input ? "exp(" + z + ")" : "exp(-square(" + z + "))"; break;
        case 6: a = "square(" + z + ")"; break;
        case 7: a = "abs(" + z + ")"; break;
        case 8: a = "sin(" + z + ")"; break;
        case 9: a = "cos(" + z + ")"; break;
        case 10: a = "log(square(" + z + ") + 1)"; break;
        case 11: a = "sqrt(square(" + z + ") + 0.5)"; break;
        case 12: a = "pow(abs(" + z + ") + 1, 1.5)"; break;
        case 13: a = "-" + z; break;
        case 14: a = "sigmoid(" + z + ") * tanh(" + z + ")"; break;
      }
      cur = dense_activation ? Val{z, w} : Val{define(a), w};
      // Elementwise combinations with earlier row values, constants and params.
      std::vector<Val> same;
      for (const Val& v : rows)
        if (v.width == w) same.push_back(v);
      const Val* column = nullptr;
      for (const Val& v : rows)
        if (v.width == 1 && w > 1) column = &v;
      switch (g.pick(8)) {
        case 0:
          if (!same.empty()) cur = {define(cur.name + " + " + same[g.pick(static_cast<int>(same.size()))].name), w};
          break;
        case 1:
          if (!same.empty()) cur = {define(cur.name + " * " + same[g.pick(static_cast<int>(same.size()))].name), w};
          break;
        case 2: cur = {define(g.pick(2) ? "0.5 * " + cur.name : cur.name + " / 3 - 0.25"), w}; break;
        case 3:
          cur = {define(cur.name + (g.pick(2) ? " * " : " + ") + param("[" + str(w) + "]", " init=uniform(0.5, 1.5)")),
                 w};
          break;
        case 4:
          if (column) cur = {define(cur.name + " * " + column->name), w};
          break;
        case 5: {
          std::string c = "c" + str(++params);
          decls += "const " + c + " = 0.7\n";
          cur = {define(c + " * " + cur.name + " - " + c), w};
          break;
        }
        default: break;
      }
      bounded_input = false;
    }
    rows.push_back(cur);
  }
  // The loss and outputs on the last layer's z[n, k].
  const std::string z = cur.name;
  std::string loss, outputs;
  switch (g.pick(9)) {
    case 0: loss = "mse(" + z + ", Y)"; outputs = "output yhat = " + z + "\n"; break;
    case 1: loss = "sse(" + z + ", Y) / 4"; outputs = "output yhat = " + z + "\n"; break;
    case 2:
      loss = "cross_entropy(" + z + ", Y)";
      outputs = "output p = softmax(" + z + (g.pick(2) ? ", axis=-1)" : ", axis=1)") + "\n";
      break;
    case 3: loss = "cross_entropy(" + z + ", Y)"; outputs = "output lp = log_softmax(" + z + ")\n"; break;
    case 4:
      body += "p = sigmoid(" + z + ")\n";
      loss = "bce(p, Y)";
      outputs = "output q = p\n";
      break;
    case 5: loss = "bce_logits(" + z + ", Y)"; outputs = "output p = sigmoid(" + z + ")\n"; break;
    case 6: loss = "mse(softmax(" + z + "), Y)"; outputs = "output p = softmax(" + z + ")\n"; break;
    case 7: loss = "sse(log_softmax(" + z + "), Y) / 10"; outputs = "output lp = log_softmax(" + z + ")\n"; break;
    case 8: loss = "3 * mse(" + z + ", Y) + sum(" + z + ") / 50"; outputs = "output yhat = " + z + "\n"; break;
  }
  // Post-loop terms: sums over rows of other row values, combined after the loop.
  const Val& other = rows[static_cast<size_t>(g.pick(static_cast<int>(rows.size())))];
  switch (g.pick(5)) {
    case 0: loss += " + 0.1 * mean(square(" + other.name + "))"; break;
    case 1: loss += " + sum(abs(" + other.name + ")) / 100"; break;
    case 2: loss = "2 * " + loss + " - 0.5 * mean(softplus(" + z + "))"; break;
    default: break;
  }
  // Extra row outputs: a sum / mean over the non-row axis of another value.
  if (g.pick(3) == 0) outputs += "output s = sum(" + other.name + ", axis=1)\n";
  if (g.pick(4) == 0) outputs += "output m = mean(" + z + ", axis=-1)\n";
  if (g.pick(4) == 0) outputs += "output colsum = sum(" + cur.name + ", axis=0)\n";  // a sum over rows
  net.grad_x = !no_grad_x && g.pick(3) == 0;
  std::string opt;
  switch (g.pick(3)) {
    case 0: opt = "sgd(lr=0.1)"; break;
    case 1: opt = "sgd(lr=0.1, momentum=0.9)"; break;
    case 2: opt = "adam(lr=0.01)"; break;
  }
  // A second input (its gradient too, sometimes) and the target read outside a loss.
  std::string second, grads = net.grad_x ? "X" : "";
  switch (no_grad_x ? 2 : g.pick(4)) {
    case 0:
      second = "input Z[n, " + str(k) + "]\n";
      loss += " + mean(Z * " + z + ")";
      if (g.pick(2)) grads += grads.empty() ? "Z" : ", Z";
      break;
    case 1: loss += " - 0.1 * mean(Y * sigmoid(" + z + "))"; break;
    default: break;
  }
  net.text = "network " + name + "\ndim n\ninput X[n, " + str(net.in_width) + "]\ntarget Y[n, " + str(k) + "]\n" +
             second + decls + body + outputs + "loss J = " + loss + "\n" + (grads.empty() ? "" : "grad " + grads + "\n") +
             "optimizer " + opt + "\n";
  return net;
}

// Net i: rows kRows[i % 8], bound for (i / 8) odd.
std::unique_ptr<e2e::Net> build(int i, const char* precision) {
  int64_t rows = kRows[i % 8];
  bool bound = (i / 8) % 2 == 1;
  std::string name = "rb" + std::to_string(i);
  RowNet r = row_network(name, static_cast<uint64_t>(i));
  gg::DimBindings bind;
  if (bound) bind["n"] = rows;
  auto n = e2e::build_net(r.text, name + (bound ? "_bound" : "") + ".grad", bind, precision, static_cast<uint64_t>(i) + 1);
  if (!bound) e2e::set_batch(*n, rows, 3);
  return n;
}

// Nets first .. first + nets - 1 in `precision`, net i compiled with compilers[(i + parity) % 2]
// (and `flags`), one unity translation unit per compiler.
void check_all(const char* precision, int parity, double tol, const std::string& flags = "", int first = 0,
               int nets = net_count()) {
  std::vector<std::string> compilers = e2e::compilers();
  REQUIRE(!compilers.empty());
  std::vector<std::vector<std::unique_ptr<e2e::Net>>> groups(compilers.size());
  std::map<std::string, std::string> texts;
  for (int i = first; i < first + nets; ++i) {
    auto n = build(i, precision);
    INFO(n->file << "\n" << row_network("rb" + std::to_string(i), static_cast<uint64_t>(i)).text << "\n"
                 << n->files.report);
    texts[n->file] = row_network("rb" + std::to_string(i), static_cast<uint64_t>(i)).text;
    if (n->file.find("_bound") != std::string::npos && n->dims.at("n") == 1)
      CHECK(count(n->files.cpp, kBlock) == 0);  // --bind n=1: one row, the general schedule by design
    else
      CHECK(count(n->files.cpp, kBlock) >= 2);  // forward and loss_and_grad
    groups[static_cast<size_t>(i + parity) % compilers.size()].push_back(std::move(n));
  }
  for (size_t c = 0; c < compilers.size(); ++c) {
    std::vector<e2e::Net*> ptrs;
    for (auto& n : groups[c]) ptrs.push_back(n.get());
    if (ptrs.empty()) continue;
    auto got = e2e::compile_and_run(ptrs, compilers[c], true, flags);
    for (size_t i = 0; i < ptrs.size(); ++i) {
      INFO(compilers[c] << " " << precision << " " << ptrs[i]->file << " n=" << ptrs[i]->dims.at("n") << "\n"
                        << texts[ptrs[i]->file]);
      e2e::compare(*ptrs[i], got[i], e2e::interpret(*ptrs[i]), tol);
    }
  }
}

// X and Y in (0.1, 0.9): 0.5 + 0.4 sin(0.37 i) and 0.5 + 0.4 cos(0.5 i).
const char* const kFuseFill =
    "  for (std::size_t i = 0; i < X.size(); ++i) X[i] = Scalar(0.5 + 0.4 * std::sin(0.37 * double(i)));\n"
    "  for (std::size_t i = 0; i < Y.size(); ++i) Y[i] = Scalar(0.5 + 0.4 * std::cos(0.5 * double(i)));\n";

}  // namespace

TEST_CASE("random row-wise nets cover every activation, combination, output and loss", "[e2e][rowblock][random]") {
  std::string all;
  for (int i = 0; i < net_count(); ++i) all += row_network("rb" + std::to_string(i), static_cast<uint64_t>(i)).text;
  for (const char* what :
       {"sigmoid(", "tanh(", "relu(", "leaky_relu(", "softplus(", " exp(", "exp(-square(", "square(", "abs(", "sin(",
        "cos(", "log(", "sqrt(", "pow(", "= -v", "activation=", "bias=false", ".T @ ", "softmax(", "log_softmax(",
        "mse(", "sse(", "cross_entropy(", "bce(p, Y)", "bce_logits(", "init=uniform(0.5, 1.5)", "const c",
        ", axis=1)", ", axis=-1)", ", axis=0)", "+ 0.1 * mean(square(", "2 * ", "grad X", "sgd(lr=0.1)\n", "momentum=0.9", "input Z[", "grad Z", "grad X, Z", "mean(Y * ",
        "adam("}) {
    INFO(what);
    CHECK(all.find(what) != std::string::npos);
  }
  // Residual adds and products of equal-width row values, and a width-1 column times a row.
  bool residual = false, product = false;
  for (size_t at = all.find("\nv"); at != std::string::npos; at = all.find("\nv", at + 1)) {
    std::string line = all.substr(at + 1, all.find('\n', at + 1) - at - 1);
    residual |= line.find(" + v") != std::string::npos || line.find(" + X") != std::string::npos;
    product |= line.find(" * v") != std::string::npos || line.find(" * X") != std::string::npos;
  }
  CHECK(residual);
  CHECK(product);
}

TEST_CASE("random row-wise nets take row blocks and match the interpreter (f64, g++/clang++)",
          "[e2e][rowblock][random]") {
  check_all("f64", 0, 1e-10);
}

TEST_CASE("random row-wise nets take row blocks and match the interpreter (f32, g++/clang++)",
          "[e2e][rowblock][random]") {
  check_all("f32", 1, 1e-5);
}

// As users build them: the short loops marked GG_UNROLL unrolled and the lanes vectorized.
TEST_CASE("random row-wise nets compiled at -O3 and -O2 -march=native match the interpreter",
          "[e2e][rowblock][random][vectorize]") {
  // Half the nets each, bound and unbound, every row count. Once failed to compile under
  // -Werror: rb23 in f64 at -O3 (g++: a row past the end in a dead block, from `r + 4 <= n`),
  // rb42 in f32 at -O2 (g++ -Wstringop-overflow through &grads.P1[0][0]).
  const int half = net_count() / 2;
  check_all("f64", 1, 1e-10, "-O3 -march=native", 0, half);
  check_all("f32", 0, 1e-5, "-O2 -march=native", half, net_count() - half);
}

TEST_CASE("random row-wise nets with --fuse-step: train_step equals loss_and_grad + step",
          "[e2e][rowblock][random][fuse]") {
  struct Case {
    uint64_t seed;
    const char* optimizer;
    int64_t rows;
    bool bound;
  };
  const Case cases[] = {{101, "sgd(lr=0.1)", 5, true},
                        {102, "sgd(lr=0.1, momentum=0.9)", 17, false},
                        {103, "adam(lr=0.01)", 33, false},
                        {104, "adam(lr=0.01)", 4, true},
                        {105, "sgd(lr=0.1, momentum=0.9)", 2, true},
                        {107, "adam(lr=0.01)", 1, false},
                        {106, "sgd(lr=0.1)", 16, false}};
  gg::cpp::TempDir dir("gradgen-rowblock-random");
  std::string unity = "#include <cmath>\n#include <cstdio>\n#include <vector>\n", functions, calls;
  std::vector<std::string> names;
  for (const Case& c : cases) {
    std::string name = "rbf" + std::to_string(c.seed);
    RowNet r = row_network(name, c.seed, true);
    r.text = r.text.substr(0, r.text.rfind("\noptimizer ") + 1) + "optimizer " + c.optimizer + "\n";
    gg::DimBindings bind;
    if (c.bound) bind["n"] = c.rows;
    auto n = e2e::build_net(r.text, name + ".grad", bind, "f64", 1, false, true);
    INFO(r.text << "\n" << n->files.report);
    REQUIRE(count(n->files.cpp, kBlock) == 3);  // forward, loss_and_grad, train_step
    gg::cpp::write_text(dir.file(n->files.base + ".hpp"), n->files.hpp);
    gg::cpp::write_text(dir.file(n->files.base + ".cpp"), n->files.cpp);
    gg::cpp::write_text(dir.file(n->files.base + ".h"), n->files.h);
    unity += "#include \"" + n->files.base + ".cpp\"\n";
    functions += e2e::fuse_step_function("run_" + name, name, r.in_width, r.out_width, kFuseFill, c.rows, c.bound, 5);
    calls += "  if (int e = run_" + name + "()) return e;\n";
    names.push_back(name);
  }
  gg::cpp::write_text(dir.file("driver.cpp"), unity + functions + "int main() {\n" + calls + "  return 0;\n}\n");
  std::string compiler = e2e::compilers().back();
  for (const std::string& cxx : e2e::compilers()) e2e::check_strict(cxx, dir, unity);
  auto built = e2e::compile(compiler, {dir.file("driver.cpp")}, dir.file("driver"), dir.path());
  if (built.exit_code != 0) FAIL(compiler << " failed:\n" << built.err.substr(0, 6000));
  auto ran = gg::cpp::run_process({dir.file("driver")}, dir.path());
  INFO(ran.out);
  REQUIRE(ran.exit_code == 0);
  std::istringstream lines(ran.out);
  for (const std::string& name : names) {
    e2e::FuseOutcome o = e2e::read_fuse_outcome(lines);
    INFO(name);
    CHECK(o.fn == "run_" + name);
    CHECK(o.moved > 1e-6);
    CHECK(o.param_diff <= 1e-12);
    CHECK(o.rel_loss_diff <= 1e-12);
  }
}

TEST_CASE("row blocks keep softmax, log_softmax, cross_entropy, bce_logits and softplus finite for logits near 1000",
          "[e2e][rowblock][random]") {
  const std::string text = R"(network bigz
dim n
input X[n, 3]
target Y[n, 4]
param W[3, 4]
param b[4]
z = X @ W + b
output p = softmax(z)
output lp = log_softmax(z)
output s = sigmoid(z)
loss J = cross_entropy(z, Y) + bce_logits(z, Y) + mean(softplus(z)) / 10 + mean(softplus(-z)) / 10
grad X
)";
  for (const char* precision : {"f64", "f32"}) {
    std::vector<std::unique_ptr<e2e::Net>> nets;
    std::vector<e2e::Net*> ptrs;
    for (int64_t rows : {1, 5, 17, 33}) {
      std::string suffix = "_" + std::to_string(rows);
      std::string t = text;
      t.insert(t.find('\n'), suffix);
      auto n = e2e::build_net(t, "bigz" + suffix + ".grad", {}, precision);
      e2e::set_batch(*n, rows, 3);
      gg::Tensor& x = n->values["X"];
      for (size_t i = 0; i < x.data.size(); ++i) x.data[i] = (i % 2 ? -1000.0 : 900.0) * x.data[i];
      gg::Tensor& w = n->values["W"];
      for (size_t i = 0; i < w.data.size(); ++i) w.data[i] = i % 3 == 0 ? 1.0 : (i % 3 == 1 ? -0.5 : 0.25);
      INFO(n->file);
      CHECK(count(n->files.cpp, kBlock) >= 2);
      ptrs.push_back(n.get());
      nets.push_back(std::move(n));
    }
    auto got = e2e::compile_and_run(ptrs, e2e::compilers().back(), true);
    for (size_t i = 0; i < ptrs.size(); ++i) {
      INFO(precision << " " << ptrs[i]->file);
      CHECK(std::isfinite(got[i].loss));
      for (const auto& [name, v] : got[i].outputs)
        for (double e : v) CHECK(std::isfinite(e));
      for (const auto& [name, v] : got[i].grads)
        for (double e : v) CHECK(std::isfinite(e));
      // f32: one rounding of z ≈ 1000 is 6e-5, which moves a near-tied softmax by about as much.
      e2e::compare(*ptrs[i], got[i], e2e::interpret(*ptrs[i]), std::string(precision) == "f64" ? 1e-10 : 1e-3);
    }
  }
}
