// FEED.json for `eval`: one object mapping input, target and param names to nested arrays
// (row-major) or plain numbers, read into interpreter Values.
#pragma once

#include <string>

#include "interp/interpreter.h"

namespace gg::cli {

/// Reads `path` into Values, one Tensor per key, its shape taken from the nesting. Throws
/// LocatedError (FILE:LINE:COL of the offending value) for invalid JSON, a non-object root, a
/// non-numeric or non-finite element, ragged or empty arrays; InputError when unreadable.
/// Whether the names and shapes fit the network is checked later (infer_dims).
Values read_feed(const std::string& path);

/// Parses feed text; `path` is only used in messages.
Values parse_feed(const std::string& text, const std::string& path);

/// Where the value of `name` starts in the feed file at `path` (read again), for messages about
/// a fed tensor that does not fit the network; line 0 when it cannot be found.
SourceLoc feed_location(const std::string& path, const std::string& name);

}  // namespace gg::cli
