#pragma once
/// \file MPI for runs under Open MPI's `mpirun`: one session per process, and the Communicator
/// over MPI_COMM_WORLD. Built only when CMake found MPI (SEMDEDUP_HAVE_MPI).

#include <memory>

#include "semdedup/core/communicator.hpp"
#include "semdedup/core/status.hpp"

namespace semdedup::dist {

/// MPI initialised for this process (MPI_THREAD_FUNNELED: only the main thread communicates);
/// finalised when the last reference goes.
class MpiSession {
 public:
  /// Initialises MPI. Fails (io_error) when MPI_Init_thread fails or MPI is already initialised.
  static Result<std::shared_ptr<MpiSession>> start(int* argc, char*** argv);
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;

  /// A communicator over every rank of the job (a duplicate of MPI_COMM_WORLD whose errors are
  /// returned, never fatal). The session must outlive it.
  Result<std::shared_ptr<Communicator>> world();

  /// Ends the whole job at once with `code`: the last resort when ranks cannot agree.
  [[noreturn]] void abort(int code);

 private:
  MpiSession() = default;
};

}  // namespace semdedup::dist
