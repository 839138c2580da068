// Work that recurses as deep as its input nests runs on a thread with a large stack: Clang's
// parser and semantic analysis recurse once per operator of a chain such as a + b + c, and a
// sum of about 30000 terms overflowed the main thread's 8 MiB inside Clang, before gradgen's
// own depth check (1024 levels) could report it.
#pragma once

#include <functional>

namespace gg {

/// Runs `work` on a thread with a 1 GiB stack (address space only: pages are used as deep as
/// `work` goes) and returns when it is done; an exception from `work` is rethrown here. Should
/// that stack run out too, gradgen prints an error and exits with status 1 instead of
/// crashing. Runs `work` on the calling thread when no such thread can be made.
void run_on_large_stack(const std::function<void()>& work);

}  // namespace gg
