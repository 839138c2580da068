// `gradgen generate --report`: the memory plan of the generated code as text (bytes of params,
// gradients, optimizer state, saved activations and workspace, and which buffers share memory).
#pragma once

#include <string>

#include "emit/cpp_api.h"
#include "emit/cpp_entry.h"

namespace gg::cpp {

/// The report for one network's entry points (deterministic; symbolic dims stay symbolic).
/// `train_step`: the fused entry point under --fuse-step (its workspace and the gradients it
/// never writes), or null.
std::string memory_report(const EntryContext& c, const Entry& forward, const Entry& loss_and_grad,
                          const Entry* train_step = nullptr);

}  // namespace gg::cpp
