// Keyword names end to end through the CLI: `gradgen generate` on tests/torch/nets/keywords.grad
// (tensors named int, new, class, return, ...) gives C++ that compiles warning-free under g++ and
// clang++ (-std=c++17 -Wall -Wextra -Wpedantic -Werror), and compiled `eval` equals `eval --interp`.
#include <catch2/catch.hpp>
#include <cmath>
#include <nlohmann/json.hpp>

#include "run.h"

using namespace gg::test;
using json = nlohmann::json;

namespace {

std::string keywords_grad() { return std::string(GG_SOURCE_DIR) + "/tests/torch/nets/keywords.grad"; }

// Every number in `got` within 1e-10 (relative, with a 1e-14 floor) of the one in `want`,
// and the same keys and array lengths.
void expect_close(const json& got, const json& want, const std::string& where) {
  INFO(where);
  REQUIRE(got.type() == want.type());
  if (want.is_number()) {
    double a = got.get<double>(), b = want.get<double>();
    CHECK(std::fabs(a - b) <= 1e-10 * std::max(std::fabs(a), std::fabs(b)) + 1e-14);
  } else if (want.is_array()) {
    REQUIRE(got.size() == want.size());
    for (size_t i = 0; i < want.size(); ++i) expect_close(got[i], want[i], where + "[" + std::to_string(i) + "]");
  } else if (want.is_object()) {
    REQUIRE(got.size() == want.size());
    for (const auto& [key, value] : want.items()) {
      REQUIRE(got.contains(key));
      expect_close(got.at(key), value, where + "." + key);
    }
  }
}

// Builds gen/BASE.cpp with main.cpp under g++ and clang++ (-std=CXX_STD, warnings as errors)
// and runs it; checks main.c, which includes gen/BASE.h, with gcc and clang (-std=C_STD).
void build_and_run(const Scratch& s, const std::string& base, const std::string& cxx_std, const std::string& c_std) {
  const std::string runtime = std::string(GG_SOURCE_DIR) + "/runtime/include";
  for (const char* cxx : {"g++", "clang++"}) {
    INFO(cxx);
    Result built = run_argv({cxx, "-std=" + cxx_std, "-Wall", "-Wextra", "-Wpedantic", "-Werror", "-I" + runtime,
                             "-I" + s.path("gen"), s.path("gen/" + base + ".cpp"), s.path("main.cpp"), "-o",
                             s.path("main")},
                            s);
    INFO(built.err.substr(0, 4000));
    CHECK(built.status == 0);
    CHECK(run_argv({s.path("main")}, s).status == 0);
  }
  for (const char* cc : {"gcc", "clang"}) {
    INFO(cc);
    Result built = run_argv({cc, "-std=" + c_std, "-Wall", "-Wextra", "-Wpedantic", "-Werror", "-I" + s.path("gen"),
                             "-fsyntax-only", s.path("main.c")},
                            s);
    INFO(built.err.substr(0, 4000));
    CHECK(built.status == 0);
  }
}

}  // namespace

TEST_CASE("keywords.grad: generated C++ compiles warning-free with g++ and clang++", "[cli][keywords]") {
  Scratch s;
  Result gen = gradgen({"generate", keywords_grad(), "-o", s.path("gen")});
  INFO(gen.err);
  REQUIRE(gen.status == 0);
  // The files are named after the network (`network class`); the C++ inside must mangle it.
  const std::string hpp = slurp(s.path("gen/class.hpp"));
  REQUIRE(!hpp.empty());
  CHECK(hpp.find("namespace class ") == std::string::npos);
  // A main that uses the whole API through the mangled names, so every declaration is instantiated.
  s.write("main.cpp", R"(#include <cmath>
#include "class.hpp"
int main() {
  class_::Params params;
  class_::Grads grads;
  class_::OptState state{};
  static class_::Workspace<3> ws;
  double int_[6] = {0.1, 0.7, 0.4, -0.3, 0.9, 0.25}, new_[3] = {0.5, -0.2, 1.5}, dint[6], ret[3], loss = 0;
  if (class_::init(params, 1) != class_::kOk) return 1;
  if (class_::loss_and_grad(params, int_, new_, 3, loss, grads, dint, ws) != class_::kOk) return 2;
  if (class_::step(params, grads, state) != class_::kOk) return 3;
  if (class_::forward(params, int_, 3, ret, ws) != class_::kOk) return 4;
  return std::isfinite(loss) && std::isfinite(ret[0]) && std::isfinite(dint[0]) ? 0 : 5;
}
)");
  // The C names: class_params, not class__params (names with "__" are reserved in C++).
  CHECK(slurp(s.path("gen/class.h")).find("class__") == std::string::npos);
  s.write("main.c", "#include \"class.h\"\nint main(void) { class_params p; return class_init(&p, 1); }\n");
  build_and_run(s, "class", "c++17", "c11");
}

TEST_CASE("keywords.grad: compiled eval equals eval --interp to 1e-10", "[cli][keywords]") {
  Scratch s;
  // int[n, 2] and new[n, 1] with n = 3; params come from their init with --seed.
  std::string feed = s.write("feed.json",
                             R"({"int": [[0.1, 0.7], [0.4, -0.3], [0.9, 0.25]], "new": [[0.5], [-0.2], [1.5]]})");
  for (const char* seed : {"0", "7"}) {
    INFO("seed " << seed);
    Result interp = gradgen({"eval", keywords_grad(), "--feed", feed, "--seed", seed, "--interp"});
    Result compiled = gradgen({"eval", keywords_grad(), "--feed", feed, "--seed", seed});
    INFO(interp.err << compiled.err);
    REQUIRE(interp.status == 0);
    REQUIRE(compiled.status == 0);
    json want = json::parse(interp.out), got = json::parse(compiled.out);
    // Every keyword name survives into the JSON under its source spelling.
    REQUIRE(want.at("outputs").contains("return"));
    for (const char* g : {"std", "_X", "main", "__y", "int"}) CHECK(want.at("grads").contains(g));
    CHECK(want.at("loss").get<double>() > 0);
    expect_close(got, want, "eval");
  }
}

// Names the C library and the compilers already use: object-like macros (INT64_MAX, EINVAL,
// M_PI, and unix and linux in GNU mode) are renamed wherever they appear; a name declared at
// global scope (sqrt, printf) is renamed only as the namespace, where it would clash.
TEST_CASE("names the C library claims: generated code compiles and matches the interpreter", "[cli][keywords]") {
  Scratch s;
  const std::string net = s.write("sqrt.grad", R"(network sqrt
dim n
input INT64_MAX[n, 2]
target EINVAL[n, 1]
param M_PI[2, 3]
param unix[3] init=uniform(-0.5, 0.5)
param sched_priority[3, 1]
param printf[1] init=constant(0.25)
h = tanh(INT64_MAX @ M_PI + unix)
output linux = h @ sched_priority + printf
loss SIZE_MAX = mse(linux, EINVAL)
grad INT64_MAX
)");
  Result gen = gradgen({"generate", net, "-o", s.path("gen")});
  INFO(gen.err);
  REQUIRE(gen.status == 0);
  CHECK(has(slurp(s.path("gen/sqrt.hpp")), "namespace sqrt_ {"));
  s.write("main.cpp", R"(#include <cmath>
#include <cstdio>
#include "sqrt.hpp"
int main() {
  sqrt_::Params params;
  sqrt_::Grads grads;
  static sqrt_::Workspace<2> ws;
  float x[4] = {0.1f, 0.7f, 0.4f, -0.3f}, y[2] = {0.5f, -0.2f}, dx[4], out[2], loss = 0;
  if (sqrt_::init(params, 1) != sqrt_::kOk || sqrt_::loss_and_grad(params, x, y, 2, loss, grads, dx, ws) != sqrt_::kOk)
    return 1;
  if (sqrt_::forward(params, x, 2, out, ws) != sqrt_::kOk) return 2;
  std::printf("%g\n", static_cast<double>(std::sqrt(loss)));
  return std::isfinite(loss) && std::isfinite(out[0]) && std::isfinite(dx[0]) ? 0 : 3;
}
)");
  s.write("main.c", "#include <math.h>\n#include \"sqrt.h\"\nint main(void) { sqrt_params p; return sqrt_init(&p, 1); }\n");
  build_and_run(s, "sqrt", "gnu++17", "gnu11");  // GNU mode: unix and linux are macros
  const std::string feed = s.write("feed.json", R"({"INT64_MAX": [[0.1, 0.7], [0.4, -0.3]], "EINVAL": [[0.5], [-0.2]]})");
  Result interp = gradgen({"eval", net, "--feed", feed, "--interp"});
  Result compiled = gradgen({"eval", net, "--feed", feed});
  INFO(interp.err << compiled.err);
  REQUIRE(interp.status == 0);
  REQUIRE(compiled.status == 0);
  json want = json::parse(interp.out), got = json::parse(compiled.out);
  CHECK(want.at("grads").contains("INT64_MAX"));
  CHECK(want.at("outputs").contains("linux"));
  CHECK(got.at("loss").get<double>() == Approx(want.at("loss").get<double>()).epsilon(1e-5));
  CHECK(got.at("grads").at("M_PI")[1][2].get<double>() ==
        Approx(want.at("grads").at("M_PI")[1][2].get<double>()).epsilon(1e-4).margin(1e-7));
  // --namespace is the user's choice: a top-level clash is refused, a nested one is fine.
  Result top = gradgen({"generate", net, "-o", s.path("ns"), "--namespace", "printf"});
  CHECK(top.status == 2);
  CHECK(has(top.err, "--namespace 'printf': 'printf' is a C++ keyword or a name the C++ or C library or gradgen's "
                    "runtime (gg) uses; choose another, such as 'nets'"));
  CHECK(gradgen({"generate", net, "-o", s.path("ns"), "--namespace", "my::printf"}).status == 0);
  Result empty = gradgen({"generate", net, "-o", s.path("ns"), "--namespace", ""});
  CHECK(empty.status == 2);
  CHECK(has(empty.err, "--namespace"));
}

// The C ABI names NAME_init, NAME_params, ...: a network named pthread_attr would declare
// pthread_attr_init, which <pthread.h> (under <thread>) declares already.
TEST_CASE("a C ABI name the C library declares gets the prefix NAME_gg_", "[cli][keywords]") {
  Scratch s;
  const std::string net = s.write("pthread_attr.grad", "network pthread_attr\ninput x[2]\nparam w[2]\nloss L = sum(x * w)\n");
  Result check = gradgen({"check", net});  // compiles the generated code
  INFO(check.err);
  CHECK(check.status == 0);
  REQUIRE(gradgen({"generate", net, "-o", s.path("gen")}).status == 0);
  const std::string h = slurp(s.path("gen/pthread_attr.h"));
  CHECK(has(h, "int pthread_attr_gg_init(pthread_attr_gg_params* params, uint64_t seed);"));
  CHECK(!has(h, "pthread_attr_init"));
}

// POSIX names a program includes beside the generated header (<unistd.h>'s read, <csignal>'s
// SIGINT): a network named `read` had made `namespace read`, which clashed with ::read.
TEST_CASE("names of common POSIX headers are renamed too: a network named read", "[cli][keywords]") {
  Scratch s;
  const std::string net = s.write("read.grad", R"(network read
dim n
input X[n, 2]
target Y[n, 1]
param SIGINT[2, 1]
param R_OK[1]
loss J = mse(X @ SIGINT + R_OK, Y)
)");
  Result gen = gradgen({"generate", net, "-o", s.path("gen")});
  INFO(gen.err);
  REQUIRE(gen.status == 0);
  CHECK(has(slurp(s.path("gen/read.hpp")), "namespace read_ {"));
  s.write("main.cpp", R"(#include <csignal>
#include <fcntl.h>
#include <unistd.h>
#include "read.hpp"
int main() {
  read_::Params params;
  read_::Grads grads;
  static read_::Workspace<2> ws;
  float x[4] = {0.1f, 0.7f, 0.4f, -0.3f}, y[2] = {0.5f, -0.2f}, loss = 0;
  return read_::init(params, 1) == read_::kOk && read_::loss_and_grad(params, x, y, 2, loss, grads, ws) == read_::kOk ? 0 : 1;
}
)");
  s.write("main.c", "#include <signal.h>\n#include <unistd.h>\n#include \"read.h\"\nint main(void) { read_params p; return read_init(&p, 1); }\n");
  build_and_run(s, "read", "c++17", "c11");
}
