// Placeholder for compiled mode until the C++ code generator plugs in here: it says so
// plainly (a usage error) rather than silently falling back to the interpreter.
#include "cli/compiled.h"

#include "cli/common.h"

namespace gg::cli {

int eval_compiled(const EvalRequest&) {
  throw UsageError("eval without --interp needs compiled mode, which this build of gradgen does not have yet; "
                   "use --interp");
}

int check_compiled(const CheckRequest&) {
  throw UsageError("check without --interp needs compiled mode, which this build of gradgen does not have yet; "
                   "use --interp");
}

}  // namespace gg::cli
