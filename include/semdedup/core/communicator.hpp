#pragma once
/// \file How ranks talk. Only sums of integers (exact, so any split sums to the same bits),
/// byte gathers, exchanges and broadcasts cross ranks; one process is the 1-rank case.

#include <cstdint>
#include <memory>
#include <vector>

#include "semdedup/core/status.hpp"

namespace semdedup {

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  /// In place: data[i] = sum over ranks of data[i]. Exact (integers), so order-free.
  virtual Status allreduce_sum(int64_t* data, int64_t count) = 0;
  /// Every rank receives every rank's bytes, in rank order.
  virtual Status allgather(const std::vector<uint8_t>& mine,
                           std::vector<std::vector<uint8_t>>* all) = 0;
  /// Every rank sends `send[r]` to rank r (send.size() == size()) and receives in
  /// `(*received)[r]` what rank r sent it.
  virtual Status alltoall(const std::vector<std::vector<uint8_t>>& send,
                          std::vector<std::vector<uint8_t>>* received) = 0;
  /// `data` of rank `root` replaces `data` on every rank.
  virtual Status broadcast(std::vector<uint8_t>* data, int root) = 0;
  /// Every rank learns whether any rank failed: returns `local` if it failed, else the first
  /// failing rank's status, else OK. Call before writing anything that must be all-or-nothing.
  virtual Status agree(const Status& local) = 0;
};

/// The single-process communicator (rank 0 of 1).
std::unique_ptr<Communicator> make_local_communicator();

}  // namespace semdedup
