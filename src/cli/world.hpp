#pragma once
// The processes a command runs on: one, or every rank of an mpirun job.

#include <memory>
#include <string>

#include "semdedup/core/communicator.hpp"
#include "semdedup/core/context.hpp"
#include "semdedup/core/status.hpp"

namespace semdedup::cli {

/// Keeps MPI initialised while alive (empty for one process).
using WorldSession = std::shared_ptr<void>;

/// Points ctx.comm at every rank of the job when this process was started by mpirun (MPI is
/// initialised here and finalised when `session` goes), else leaves the local communicator.
/// Ranks other than 0 then log only warnings and errors, show no progress and print nothing to
/// stdout. `distributed` tells whether `command` shares its work over ranks; one that does not
/// refuses to run on more than one rank. A build without MPI refuses a job of several ranks.
Status join_world(Context& ctx, const std::string& command, bool distributed,
                  WorldSession* session);

}  // namespace semdedup::cli
