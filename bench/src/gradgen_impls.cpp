// The gradgen column: adapters from the generated C++ API (NAME.hpp: Params, Grads, OptState,
// workspace_size, loss_and_grad, step) to the bench's Impl, one per generated variant.
// A gradgen step is loss_and_grad followed by step (train_step for --fuse-step variants), on a
// heap workspace sized once.
// W2 and W3 run their GEMMs on gradgen's own kernel (gradgen/gemm.hpp, threads from
// gg::set_gemm_threads) or, with --blas, on OpenBLAS. Both thread counts are global state:
// every gradgen row sets both, as the OpenBLAS baseline does, so that no row inherits the
// previous row's setting; the GEMM variants get a 2-thread row.
#include <cblas.h>
#include <gradgen/gemm.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "impl.h"
#include "w1/bench_w1.hpp"
#include "w1_b4/bench_w1_b4.hpp"
#include "w1_b64/bench_w1_b64.hpp"
#include "w2/bench_w2.hpp"
#include "w2_b64/bench_w2_b64.hpp"
#include "w3/bench_w3.hpp"
#include "w3_b256/bench_w3_b256.hpp"
#include "w1f_b4/bench_w1f_b4.hpp"
#include "w1f_b64/bench_w1f_b64.hpp"
#include "w2f_b64/bench_w2f_b64.hpp"
#include "w1f/bench_w1f.hpp"
#include "w3f_b256/bench_w3f_b256.hpp"
#include "w2fb_b64/bench_w2fb_b64.hpp"
#include "w3fb_b256/bench_w3fb_b256.hpp"

namespace bench {
namespace {

// workspace_size takes the dims left symbolic: (n) without --bind, () with it.
template <class F>
std::size_t workspace_scalars(F f, int64_t n) {
  if constexpr (std::is_invocable_v<F, int64_t>)
    return f(n);
  else
    return f();
}

// One generated variant; A is the traits struct GG_VARIANT(namespace) writes below, since a
// namespace cannot be a template argument.
template <class A>
class GradgenStep final : public Impl {
  using Params = typename A::Params;
  using Grads = typename A::Grads;
  using OptState = typename A::OptState;

 public:
  GradgenStep(const Problem& p, int threads)
      : p_(p), threads_(threads), params_(std::make_unique<Params>()), grads_(std::make_unique<Grads>()),
        state_(std::make_unique<OptState>()), ws_(A::workspace(p.batch)) {
    // Params is one flat array in declaration order: W1, b1, W2, b2, ... as in bench/networks.
    std::size_t at = 0;
    for (int l = 0; l < p.layers(); ++l)
      for (const auto* v : {&p.W[l], &p.b[l]}) {
        if (at + v->size() > Params::size()) throw std::logic_error(A::name() + ": Params smaller than the network");
        std::memcpy(params_->data() + at, v->data(), v->size() * sizeof(float));
        at += v->size();
      }
    if (at != Params::size()) throw std::logic_error(A::name() + ": Params larger than the network");
  }

  void activate() override {
    openblas_set_num_threads(threads_);
    gg::set_gemm_threads(threads_);
  }

  void step() override {
    int s = 0;
    if constexpr (A::fused) {
      s = A::train_step(*params_, p_.X.data(), p_.Y.data(), p_.batch, loss_, *grads_, *state_, ws_);
    } else {
      s = A::loss_and_grad(*params_, p_.X.data(), p_.Y.data(), p_.batch, loss_, *grads_, ws_);
      if (s == 0) s = A::step(*params_, *grads_, *state_);
    }
    if (s != 0) {
      std::fprintf(stderr, "gradgen_bench: %s returned status %d\n", A::name().c_str(), s);
      std::exit(1);
    }
  }

  double loss() override { return loss_; }

 private:
  const Problem& p_;
  int threads_;
  std::unique_ptr<Params> params_;  // W3's params are 8 MiB: not on the stack
  std::unique_ptr<Grads> grads_;
  std::unique_ptr<OptState> state_;
  Floats ws_;
  float loss_ = 0;
};

#define GG_VARIANT(NS) GG_VARIANT_API(NS, false, )

// --fuse-step variants also have train_step (loss_and_grad + step in one pass).
#define GG_TRAIN_STEP(NS)                                                                                       \
  static int train_step(Params& p, const float* X, const float* Y, int64_t n, float& loss, Grads& g, OptState& s, \
                        Floats& ws) {                                                                           \
    return NS::train_step(p, X, Y, n, loss, g, s, NS::WorkspaceRef(ws.data(), ws.size()));                     \
  }

#define GG_VARIANT_API(NS, FUSED, EXTRA)                                                        \
  struct NS##_api {                                                                             \
    static constexpr bool fused = FUSED;                                                        \
    using Params = NS::Params;                                                                  \
    using Grads = NS::Grads;                                                                    \
    using OptState = NS::OptState;                                                              \
    static std::string name() { return #NS; }                                                   \
    static Floats workspace(int64_t n) {                                                        \
      auto f = [](auto... d) -> decltype(NS::workspace_size(d...)) { return NS::workspace_size(d...); }; \
      return Floats(workspace_scalars(f, n));                                                   \
    }                                                                                           \
    static int loss_and_grad(const Params& p, const float* X, const float* Y, int64_t n, float& loss, \
                             Grads& g, Floats& ws) {                                            \
      return NS::loss_and_grad(p, X, Y, n, loss, g, NS::WorkspaceRef(ws.data(), ws.size()));    \
    }                                                                                           \
    static int step(Params& p, const Grads& g, OptState& s) { return NS::step(p, g, s); }      \
    EXTRA                                                                                       \
  };

GG_VARIANT(bench_w1)
GG_VARIANT(bench_w1_b4)
GG_VARIANT(bench_w1_b64)
GG_VARIANT(bench_w2)
GG_VARIANT(bench_w2_b64)
GG_VARIANT(bench_w3)
GG_VARIANT(bench_w3_b256)
GG_VARIANT_API(bench_w1f, true, GG_TRAIN_STEP(bench_w1f))
GG_VARIANT_API(bench_w1f_b4, true, GG_TRAIN_STEP(bench_w1f_b4))
GG_VARIANT_API(bench_w1f_b64, true, GG_TRAIN_STEP(bench_w1f_b64))
GG_VARIANT_API(bench_w2f_b64, true, GG_TRAIN_STEP(bench_w2f_b64))
GG_VARIANT_API(bench_w3f_b256, true, GG_TRAIN_STEP(bench_w3f_b256))
GG_VARIANT_API(bench_w2fb_b64, true, GG_TRAIN_STEP(bench_w2fb_b64))
GG_VARIANT_API(bench_w3fb_b256, true, GG_TRAIN_STEP(bench_w3fb_b256))

// threaded: the variant's large products are GEMM calls, whose threads split them.
template <class A>
ImplSpec spec(std::string label, Role role, bool threaded = false) {
  return {std::move(label), role, threaded,
          [](const Problem& p, int t) -> std::unique_ptr<Impl> { return std::make_unique<GradgenStep<A>>(p, t); }};
}

}  // namespace

std::vector<ImplSpec> gradgen_impls(const Problem& p) {
  const std::string bound = "gradgen --bind n=" + std::to_string(p.batch);
  const std::string free = "gradgen (n at run time)";
  // The reference comes first: train_step of the bound network, which applies each update as
  // soon as its gradient is ready, as the hand-written and OpenBLAS baselines do. The
  // loss_and_grad + step pair of the same network follows it.
  const std::string fused = bound + " --fuse-step";
  const Role ref = Role::Reference, gen = Role::Gradgen, dyn = Role::GradgenFree;
  // W1's "n at run time" row is train_step too (the same call as the reference, n unbound); the
  // loss_and_grad + step pair with n unbound follows it.
  const std::string free_fused = free + " --fuse-step";
  if (p.id == "W1" && p.batch == 4)
    return {spec<bench_w1f_b4_api>(fused, ref), spec<bench_w1_b4_api>(bound, gen), spec<bench_w1f_api>(free_fused, dyn),
            spec<bench_w1_api>(free, gen)};
  if (p.id == "W1" && p.batch == 64)
    return {spec<bench_w1f_b64_api>(fused, ref), spec<bench_w1_b64_api>(bound, gen), spec<bench_w1f_api>(free_fused, dyn),
            spec<bench_w1_api>(free, gen)};
  const std::string fused_blas = fused + " --blas";
  if (p.id == "W2" && p.batch == 64)
    return {spec<bench_w2f_b64_api>(fused, ref, true), spec<bench_w2_b64_api>(bound, gen, true),
            spec<bench_w2fb_b64_api>(fused_blas, gen, true), spec<bench_w2_api>(free, dyn, true)};
  if (p.id == "W3" && p.batch == 256)
    return {spec<bench_w3f_b256_api>(fused, ref, true), spec<bench_w3_b256_api>(bound, gen, true),
            spec<bench_w3fb_b256_api>(fused_blas, gen, true), spec<bench_w3_api>(free, dyn, true)};
  if (p.id == "W1") return {spec<bench_w1_api>(free, dyn)};
  if (p.id == "W2") return {spec<bench_w2_api>(free, dyn, true)};
  if (p.id == "W3") return {spec<bench_w3_api>(free, dyn, true)};
  return {};
}

}  // namespace bench
