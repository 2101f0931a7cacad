#include "semdedup/dist/mpi.hpp"

#include <mpi.h>

#include <climits>
#include <cstdlib>
#include <cstring>
#include <string>

namespace semdedup::dist {

namespace {

Status mpi_failure(const char* call, int rc) {
  char text[MPI_MAX_ERROR_STRING] = {};
  int length = 0;
  if (MPI_Error_string(rc, text, &length) != MPI_SUCCESS) length = 0;
  return Status::io_error("{} failed: {}", call, std::string(text, static_cast<size_t>(length)));
}

#define SD_MPI_CALL(call, ...)                                            \
  do {                                                                    \
    const int sd_mpi_rc_ = call(__VA_ARGS__);                             \
    if (sd_mpi_rc_ != MPI_SUCCESS) return mpi_failure(#call, sd_mpi_rc_); \
  } while (false)

// At most this many elements go in one MPI call (counts are int).
constexpr int64_t kMaxChunk = int64_t{1} << 30;

class MpiCommunicator final : public Communicator {
 public:
  MpiCommunicator(MPI_Comm comm, int rank, int size) : comm_(comm), rank_(rank), size_(size) {}
  ~MpiCommunicator() override {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized) MPI_Comm_free(&comm_);
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }

  Status allreduce_sum(int64_t* data, int64_t count) override {
    for (int64_t done = 0; done < count; done += kMaxChunk) {
      const int n = static_cast<int>(std::min(kMaxChunk, count - done));
      SD_MPI_CALL(MPI_Allreduce, MPI_IN_PLACE, data + done, n, MPI_INT64_T, MPI_SUM, comm_);
    }
    return Status::OK();
  }

  Status allgather(const std::vector<uint8_t>& mine,
                   std::vector<std::vector<uint8_t>>* all) override {
    const auto my_size = static_cast<int64_t>(mine.size());
    std::vector<int64_t> sizes(static_cast<size_t>(size_));
    SD_MPI_CALL(MPI_Allgather, &my_size, 1, MPI_INT64_T, sizes.data(), 1, MPI_INT64_T, comm_);
    int64_t total = 0;
    std::vector<int> counts(static_cast<size_t>(size_)), displs(static_cast<size_t>(size_));
    for (int r = 0; r < size_; ++r) {
      displs[static_cast<size_t>(r)] = static_cast<int>(total);
      counts[static_cast<size_t>(r)] = static_cast<int>(sizes[static_cast<size_t>(r)]);
      total += sizes[static_cast<size_t>(r)];
      if (total > INT_MAX) {
        return Status::invalid_argument(
            "allgather of {} bytes or more exceeds MPI's 2 GiB limit for one exchange", total);
      }
    }
    std::vector<uint8_t> gathered(static_cast<size_t>(total));
    SD_MPI_CALL(MPI_Allgatherv, mine.data(), static_cast<int>(my_size), MPI_BYTE, gathered.data(),
                counts.data(), displs.data(), MPI_BYTE, comm_);
    all->assign(static_cast<size_t>(size_), {});
    for (int r = 0; r < size_; ++r) {
      const auto begin = gathered.begin() + displs[static_cast<size_t>(r)];
      (*all)[static_cast<size_t>(r)].assign(begin, begin + counts[static_cast<size_t>(r)]);
    }
    return Status::OK();
  }

  Status alltoall(const std::vector<std::vector<uint8_t>>& send,
                  std::vector<std::vector<uint8_t>>* received) override {
    const auto ranks = static_cast<size_t>(size_);
    SD_DCHECK(send.size() == ranks);
    std::vector<int64_t> send_sizes(ranks), recv_sizes(ranks);
    for (size_t r = 0; r < ranks; ++r) send_sizes[r] = static_cast<int64_t>(send[r].size());
    SD_MPI_CALL(MPI_Alltoall, send_sizes.data(), 1, MPI_INT64_T, recv_sizes.data(), 1,
                MPI_INT64_T, comm_);
    const auto offsets = [&](const std::vector<int64_t>& sizes, std::vector<int>& counts,
                             std::vector<int>& displs) -> Result<int64_t> {
      int64_t total = 0;
      for (size_t r = 0; r < ranks; ++r) {
        displs[r] = static_cast<int>(total);
        counts[r] = static_cast<int>(sizes[r]);
        total += sizes[r];
        if (total > INT_MAX) {
          return Status::invalid_argument(
              "alltoall of {} bytes or more exceeds MPI's 2 GiB limit for one exchange", total);
        }
      }
      return total;
    };
    std::vector<int> send_counts(ranks), send_displs(ranks), recv_counts(ranks),
        recv_displs(ranks);
    // Both sides are checked before either side exchanges, and every rank learns the result:
    // a rank that gave up alone would leave the others waiting in MPI_Alltoallv.
    const Result<int64_t> send_total = offsets(send_sizes, send_counts, send_displs);
    const Result<int64_t> recv_total = offsets(recv_sizes, recv_counts, recv_displs);
    SD_RETURN_IF_ERROR(agree(send_total.ok() ? recv_total.status() : send_total.status()));
    std::vector<uint8_t> packed;
    packed.reserve(static_cast<size_t>(*send_total));
    for (const auto& bytes : send) packed.insert(packed.end(), bytes.begin(), bytes.end());
    std::vector<uint8_t> unpacked(static_cast<size_t>(*recv_total));
    SD_MPI_CALL(MPI_Alltoallv, packed.data(), send_counts.data(), send_displs.data(), MPI_BYTE,
                unpacked.data(), recv_counts.data(), recv_displs.data(), MPI_BYTE, comm_);
    received->assign(ranks, {});
    for (size_t r = 0; r < ranks; ++r) {
      const auto begin = unpacked.begin() + recv_displs[r];
      (*received)[r].assign(begin, begin + recv_counts[r]);
    }
    return Status::OK();
  }

  Status broadcast(std::vector<uint8_t>* data, int root) override {
    auto size = static_cast<int64_t>(data->size());
    SD_MPI_CALL(MPI_Bcast, &size, 1, MPI_INT64_T, root, comm_);
    data->resize(static_cast<size_t>(size));
    for (int64_t done = 0; done < size; done += kMaxChunk) {
      const int n = static_cast<int>(std::min(kMaxChunk, size - done));
      SD_MPI_CALL(MPI_Bcast, data->data() + done, n, MPI_BYTE, root, comm_);
    }
    return Status::OK();
  }

  Status agree(const Status& local) override {
    std::vector<uint8_t> mine;
    if (!local.ok()) {
      const auto code = static_cast<int32_t>(local.code());
      mine.resize(sizeof code);
      std::memcpy(mine.data(), &code, sizeof code);
      mine.insert(mine.end(), local.message().begin(), local.message().end());
    }
    std::vector<std::vector<uint8_t>> all;
    SD_RETURN_IF_ERROR(allgather(mine, &all));
    if (!local.ok()) return local;
    for (const auto& theirs : all) {
      if (theirs.size() < sizeof(int32_t)) continue;
      int32_t code = 0;
      std::memcpy(&code, theirs.data(), sizeof code);
      return Status(static_cast<StatusCode>(code),
                    std::string(theirs.begin() + sizeof code, theirs.end()));
    }
    return Status::OK();
  }

 private:
  MPI_Comm comm_;
  int rank_;
  int size_;
};

}  // namespace

Result<std::shared_ptr<MpiSession>> MpiSession::start(int* argc, char*** argv) {
  int initialized = 0;
  SD_MPI_CALL(MPI_Initialized, &initialized);
  if (initialized) return Status::io_error("MPI is already initialised in this process");
  int provided = 0;
  SD_MPI_CALL(MPI_Init_thread, argc, argv, MPI_THREAD_FUNNELED, &provided);
  std::shared_ptr<MpiSession> session(new MpiSession());
  if (provided < MPI_THREAD_FUNNELED) {
    return Status::io_error("the MPI library offers no MPI_THREAD_FUNNELED support");
  }
  SD_MPI_CALL(MPI_Comm_set_errhandler, MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  return session;
}

MpiSession::~MpiSession() {
  int finalized = 0;
  if (MPI_Finalized(&finalized) == MPI_SUCCESS && !finalized) MPI_Finalize();
}

Result<std::shared_ptr<Communicator>> MpiSession::world() {
  MPI_Comm comm = MPI_COMM_NULL;
  SD_MPI_CALL(MPI_Comm_dup, MPI_COMM_WORLD, &comm);
  SD_MPI_CALL(MPI_Comm_set_errhandler, comm, MPI_ERRORS_RETURN);
  int rank = 0, size = 1;
  SD_MPI_CALL(MPI_Comm_rank, comm, &rank);
  SD_MPI_CALL(MPI_Comm_size, comm, &size);
  return std::shared_ptr<Communicator>(std::make_shared<MpiCommunicator>(comm, rank, size));
}

void MpiSession::abort(int code) {
  MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);
}

}  // namespace semdedup::dist
