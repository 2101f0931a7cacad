#include "cli/world.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "semdedup/core/communicator.hpp"
#include "semdedup/core/progress.hpp"

#ifdef SEMDEDUP_HAVE_MPI
#include "semdedup/dist/mpi.hpp"
#endif

namespace semdedup::cli {

namespace {

int launcher_ranks() {
  const char* value = std::getenv("OMPI_COMM_WORLD_SIZE");
  return value == nullptr ? 0 : std::max(0, std::atoi(value));
}

}  // namespace

Status join_world(Context& ctx, const std::string& command, bool distributed,
                  WorldSession* session) {
  const int ranks = launcher_ranks();
  if (ranks == 0) return Status::OK();
#ifdef SEMDEDUP_HAVE_MPI
  SD_ASSIGN_OR_RETURN(std::shared_ptr<dist::MpiSession> mpi,
                      dist::MpiSession::start(nullptr, nullptr));
  *session = mpi;
  SD_ASSIGN_OR_RETURN(ctx.comm, mpi->world());
  if (ctx.comm->rank() != 0) {
    ctx.logger->set_level(std::max(ctx.logger->level(), spdlog::level::warn));
    ctx.logger->set_pattern(fmt::format("[%H:%M:%S.%e] [rank {}] [%^%l%$] %v", ctx.comm->rank()));
    ctx.progress = make_progress(ProgressMode::kNever, ctx.logger);
    if (std::freopen("/dev/null", "w", stdout) == nullptr) {
      return Status::io_error("rank {}: cannot silence stdout", ctx.comm->rank());
    }
  }
  if (!distributed && ctx.comm->size() > 1) {
    return Status::invalid_argument(
        "semdedup {} runs as one process; start it without mpirun (or with -np 1)", command);
  }
  return Status::OK();
#else
  (void)ctx;
  (void)distributed;
  (void)session;
  if (ranks > 1) {
    return Status::not_implemented(
        "semdedup {}: this build has no MPI support, so it cannot run as {} ranks under mpirun",
        command, ranks);
  }
  return Status::OK();
#endif
}

}  // namespace semdedup::cli
