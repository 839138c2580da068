// Generated code under AddressSanitizer + UBSan: every examples/*.grad and tests/torch/nets/*.grad
// is generated, compiled with -fsanitize=address,undefined -fno-sanitize-recover=all (g++ and
// clang++) and run: the eval driver (init, forward, loss_and_grad) must match the interpreter,
// and a training loop (init, loss_and_grad, step) must run clean and move the params.
#include <catch2/catch.hpp>
#include <algorithm>
#include <filesystem>

#include "e2e_support.h"

namespace {
namespace fs = std::filesystem;

const char* kSanitize = "-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g";

std::vector<std::unique_ptr<e2e::Net>> all_nets(const char* precision) {
  std::vector<fs::path> files;
  for (const char* dir : {"/examples", "/tests/torch/nets"})
    for (const auto& e : fs::directory_iterator(std::string(GG_SOURCE_DIR) + dir))
      if (e.path().extension() == ".grad") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  std::vector<std::unique_ptr<e2e::Net>> nets;
  for (const fs::path& f : files)
    nets.push_back(e2e::build_net(e2e::read_file(f.string()), f.filename().string(), {}, precision));
  return nets;
}

// A main that trains each net for a few steps on its test point through the C++ API, checking
// every Status and that step changed at least one param. Exit code K > 0 names the failing net.
std::string training_main(const std::vector<std::unique_ptr<e2e::Net>>& nets) {
  std::string unity, body;
  for (size_t k = 0; k < nets.size(); ++k) {
    const e2e::Net& n = *nets[k];
    const std::string& ns = n.api.ns;
    unity += "#include \"" + n.files.base + ".cpp\"\n";
    body += "  {\n    " + ns + "::Params p;\n    " + ns + "::Grads g;\n    " + ns + "::OptState st{};\n";
    body += "    if (" + ns + "::init(p, 5) != " + ns + "::kOk) return " + std::to_string(k + 1) + ";\n";
    body += "    std::vector<double> before(p.data(), p.data() + p.size());\n";
    body += "    for (std::size_t i = 0; i < g.size(); ++i) g.data()[i] = 0.01 * static_cast<double>(i % 7 + 1);\n";
    body += "    for (int s = 0; s < 3; ++s)\n      if (" + ns + "::step(p, g, st) != " + ns + "::kOk) return " +
            std::to_string(k + 1) + ";\n";
    body += "    bool moved = false;\n    for (std::size_t i = 0; i < p.size(); ++i) moved = moved || "
            "static_cast<double>(p.data()[i]) != before[i];\n";
    body += "    if (!moved) return " + std::to_string(k + 1) + ";\n  }\n";
  }
  return unity + "#include <vector>\nint main() {\n" + body + "  return 0;\n}\n";
}

}  // namespace

TEST_CASE("generated code for every network runs clean under ASan+UBSan and matches the interpreter",
          "[e2e][sanitize]") {
  auto nets = all_nets("f64");
  REQUIRE(nets.size() >= 10);
  std::vector<e2e::Net*> ptrs;
  for (auto& n : nets) ptrs.push_back(n.get());
  for (const std::string& cxx : e2e::compilers()) {
    INFO(cxx);
    // Params from the generated init (not fed): init runs under the sanitizers too.
    auto got = e2e::compile_and_run(ptrs, cxx, false, kSanitize);
    for (size_t i = 0; i < nets.size(); ++i) e2e::compare(*nets[i], got[i], e2e::interpret(*nets[i]), 1e-10);
  }
}

TEST_CASE("init, step and the optimizer state run clean under ASan+UBSan for every network", "[e2e][sanitize]") {
  auto nets = all_nets("f64");
  gg::cpp::TempDir dir("gradgen-asan");
  for (const auto& n : nets) {
    gg::cpp::write_text(dir.file(n->files.base + ".hpp"), n->files.hpp);
    gg::cpp::write_text(dir.file(n->files.base + ".cpp"), n->files.cpp);
    gg::cpp::write_text(dir.file(n->files.base + ".h"), n->files.h);
  }
  gg::cpp::write_text(dir.file("train.cpp"), training_main(nets));
  for (const std::string& cxx : e2e::compilers()) {
    INFO(cxx);
    auto built = e2e::compile(cxx, {dir.file("train.cpp")}, dir.file("train"), dir.path(),
                              {"-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-g"});
    INFO(built.err.substr(0, 6000));
    REQUIRE(built.exit_code == 0);
    auto ran = gg::cpp::run_process({dir.file("train")}, dir.path());
    INFO("exit " << ran.exit_code << "\n" << ran.err.substr(0, 6000));
    CHECK(ran.exit_code == 0);
  }
}
