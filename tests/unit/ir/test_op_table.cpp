// Every op in ops.def has one complete row in the op table.
#include <catch2/catch.hpp>

#include "ir/op_table.h"

using namespace gg;

TEST_CASE("every op has a complete row", "[op_table]") {
#define GG_OP(e, nm, ar)                                  \
  SECTION(nm) {                                           \
    const OpInfo& row = op_table()[size_t(Op::e)];        \
    REQUIRE(row.name != nullptr);                         \
    CHECK(row.op == Op::e);                               \
    CHECK(std::string(row.name) == nm);                   \
    CHECK(row.arity == ar);                               \
    CHECK(row.shape != nullptr);                          \
    CHECK(row.eval != nullptr);                           \
    CHECK(row.vjp != nullptr);                            \
    CHECK(row.display.text != nullptr);                   \
    CHECK(row.display.latex != nullptr);                  \
    CHECK(row.display.precedence > 0);                    \
    CHECK(row.emit != nullptr);                           \
  }
#include "ir/ops.def"
#undef GG_OP
}
