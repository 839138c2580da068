// Graph::make, the only way nodes come into existence.
#include <string>

#include "ir/op_table.h"
#include "support/error.h"

namespace gg {

const Node* Graph::make(Op op, std::vector<const Node*> inputs, Attrs attrs) {
  const OpInfo& info = op_info(op);
  if (info.arity != kVariadic && static_cast<int>(inputs.size()) != info.arity)
    throw InternalError(std::string(info.name) + " takes " + std::to_string(info.arity) + " operands, got " +
                        std::to_string(inputs.size()));
  for (const Node* in : inputs)
    if (!in) throw InternalError(std::string(info.name) + ": null operand");
  Shape shape = info.shape(inputs, attrs);
  auto node = std::make_unique<Node>(Node{op, std::move(inputs), std::move(attrs), std::move(shape),
                                          static_cast<uint32_t>(nodes_.size())});
  nodes_.push_back(std::move(node));
  return nodes_.back().get();
}

const Node* Graph::constant(double v) {
  Attrs a;
  a.value = v;
  return make(Op::Const, {}, std::move(a));
}

}  // namespace gg
