// Random networks: a chain of layers on h[n, k], each picked from a menu that together covers
// every elementwise function, matmul with transposes, reductions, softmax and every loss.
#include "random_nets.h"

#include <vector>

namespace e2e {
namespace {

struct Builder {
  Gen g;
  std::string decls, body;
  int k = 2, layer = 0, params = 0;
  std::string h = "X";

  std::string param(const std::string& shape, const std::string& extra = "") {
    std::string name = "P" + std::to_string(++params);
    decls += "param " + name + shape + extra + "\n";
    return name;
  }
  void define(const std::string& expr) {
    std::string name = "h" + std::to_string(++layer);
    body += name + " = " + expr + "\n";
    h = name;
  }
  void step() {
    static const std::vector<std::string> unary = {"sigmoid", "tanh", "relu", "softplus", "sin", "cos", "square", "abs"};
    switch (g.pick(12)) {
      case 0: case 1: {  // dense layer
        int k2 = 1 + g.pick(4);
        std::string W = param("[" + std::to_string(k) + ", " + std::to_string(k2) + "]");
        std::string b = param("[" + std::to_string(k2) + "]", " init=uniform(-0.5, 0.5)");
        define(h + " @ " + W + " + " + b);
        k = k2;
        break;
      }
      case 2: define(unary[static_cast<size_t>(g.pick(static_cast<int>(unary.size())))] + "(" + h + ")"); break;
      case 3: define("leaky_relu(" + h + ", alpha=0.2)"); break;
      case 4: define("log(square(" + h + ") + 1) + sqrt(square(" + h + ") + 0.5)"); break;
      case 5: define("pow(square(" + h + ") + 1, 1.5) - exp(-square(" + h + "))"); break;
      case 6: {  // transposed product: (W.T @ h.T).T = h @ W
        int k2 = 1 + g.pick(4);
        std::string W = param("[" + std::to_string(k) + ", " + std::to_string(k2) + "]");
        define("(" + W + ".T @ " + h + ".T).T");
        k = k2;
        break;
      }
      case 7: {  // per-feature scale and shift, division
        std::string c = param("[" + std::to_string(k) + "]", " init=uniform(0.5, 1.5)");
        define(h + " * " + c + " - " + h + " / (square(" + c + ") + 1)");
        break;
      }
      case 8: define(h + " - mean(" + h + ", axis=0)" + (g.pick(2) ? " + sum(" + h + ", axis=0) / 7" : "")); break;
      case 9: define(h + " * mean(" + h + ") + sum(" + h + ") / 10"); break;
      case 10: define(g.pick(2) ? "softmax(" + h + ", axis=-1)" : "log_softmax(" + h + ")"); break;
      case 11: {  // a scalar param broadcast everywhere, and a row sum kept as a column
        std::string s = param("", " init=constant(0.7)");
        define("-" + h + " * " + s);
        break;
      }
    }
  }
};

}  // namespace

std::string random_network(const std::string& name, uint64_t seed) {
  Builder b{Gen{seed * 7919 + 17}, "", "", 2, 0, 0, "X"};
  int layers = 2 + b.g.pick(4);
  for (int i = 0; i < layers; ++i) b.step();
  int ko = b.k;
  std::string loss;
  switch (b.g.pick(6)) {
    case 0: loss = "mse(" + b.h + ", Y)"; break;
    case 1: loss = "sse(" + b.h + ", Y) / 4"; break;
    case 2: loss = "cross_entropy(" + b.h + ", Y)"; break;
    case 3: loss = "bce(sigmoid(" + b.h + "), Y)"; break;
    case 4: loss = "bce_logits(" + b.h + ", Y)"; break;
    case 5: loss = "mean(square(" + b.h + " - Y)) + sum(abs(" + b.h + ")) / 100"; break;
  }
  std::string src = "network " + name + "\ndim n\ninput X[n, 2]\ntarget Y[n, " + std::to_string(ko) + "]\n" + b.decls +
                    b.body + "output out = " + b.h + "\nloss L = " + loss + "\n";
  if (b.g.pick(2)) src += "grad X\n";
  src += b.g.pick(2) ? "optimizer adam(lr=0.01)\n" : "optimizer sgd(lr=0.1, momentum=0.9)\n";
  return src;
}

}  // namespace e2e
