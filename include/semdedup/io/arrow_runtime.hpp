#pragma once
/// \file Process start-up of the Arrow runtime and what it reports about itself.

#include <string>

#include "semdedup/core/status.hpp"

namespace semdedup::io {

/// Checks that the Arrow shared libraries loaded match the headers built against and
/// initialises Arrow compute. Call once, before any other io function (idempotent).
Status initialize_arrow();

/// e.g. "Arrow 25.0.1".
std::string arrow_description();

}  // namespace semdedup::io
