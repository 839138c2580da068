// Built instead of the gradgen adapters when GRADGEN_BENCH_GENERATED is OFF: no gradgen column.
#include "impl.h"

namespace bench {

std::vector<ImplSpec> gradgen_impls(const Problem&) { return {}; }

}  // namespace bench
