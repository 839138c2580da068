// libtorch baseline: torch::nn::Linear layers, functional activations and losses, autograd,
// and torch::optim::SGD — the way a C++ libtorch user would write the step.
#include <torch/torch.h>
#include <torch/version.h>

#include <cblas.h>

#include "impl.h"

namespace bench {
namespace {

torch::Tensor copy_of(const Floats& v, std::vector<int64_t> shape) {
  return torch::from_blob(const_cast<float*>(v.data()), shape, torch::kFloat32).clone();
}

class TorchMlp final : public Impl {
 public:
  TorchMlp(const Problem& p, int threads) : p_(p), threads_(threads) {
    std::vector<torch::Tensor> params;
    for (int l = 0; l < p.layers(); ++l) {
      auto lin = torch::nn::Linear(p.sizes[l], p.sizes[l + 1]);
      torch::NoGradGuard no_grad;
      // Linear keeps weight as [out, in]; the .grad layout is [in, out].
      lin->weight.copy_(copy_of(p.W[l], {p.sizes[l], p.sizes[l + 1]}).t());
      lin->bias.copy_(copy_of(p.b[l], {p.sizes[l + 1]}));
      params.push_back(lin->weight);
      params.push_back(lin->bias);
      layers_.push_back(lin);
    }
    X_ = copy_of(p.X, {p.batch, p.in()});
    if (p.loss == LossKind::Mse)
      Y_ = copy_of(p.Y, {p.batch, p.out()});
    else
      Y_ = torch::from_blob(const_cast<int64_t*>(p.label.data()), {p.batch}, torch::kInt64).clone();
    opt_ = std::make_unique<torch::optim::SGD>(params, torch::optim::SGDOptions(p.lr));
  }

  void activate() override {
    torch::set_num_threads(threads_);
    openblas_set_num_threads(threads_);  // ATen's CPU matmuls go through the same OpenBLAS
  }

  void step() override {
    opt_->zero_grad();
    torch::Tensor h = X_;
    for (size_t l = 0; l < layers_.size(); ++l) {
      h = layers_[l]->forward(h);
      if (l + 1 < layers_.size()) h = p_.hidden == Act::Relu ? torch::relu(h) : torch::sigmoid(h);
    }
    loss_ = p_.loss == LossKind::Mse ? torch::mse_loss(h, Y_)
                                     : torch::nn::functional::cross_entropy(h, Y_);
    loss_.backward();
    opt_->step();
  }

  double loss() override { return loss_.item<float>(); }

 private:
  const Problem& p_;
  int threads_;
  std::vector<torch::nn::Linear> layers_;
  std::unique_ptr<torch::optim::SGD> opt_;
  torch::Tensor X_, Y_, loss_;
};

}  // namespace

std::unique_ptr<Impl> make_torch_mlp(const Problem& p, int threads) {
  return std::make_unique<TorchMlp>(p, threads);
}

std::string torch_version() { return TORCH_VERSION; }

void torch_warm_up() {
  auto w = torch::ones({4, 4}, torch::requires_grad());
  torch::matmul(torch::ones({2, 4}), w).sum().backward();
}

}  // namespace bench
