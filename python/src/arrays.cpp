// The in-memory calls: numpy / DLPack arrays in (no copy for C-contiguous float32), numpy
// arrays out; and the whole identify pipeline over anything with __arrow_c_stream__.
#include <arrow/api.h>
#include <arrow/c/abi.h>
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>

#include <cstring>
#include <vector>

#include "call.hpp"
#include "semdedup/dedup/in_memory.hpp"
#include "semdedup/io/arrow_runtime.hpp"
#include "semdedup/io/stream_source.hpp"
#include "semdedup/kmeans/kmeans.hpp"
#include "semdedup/pairwise/pairwise.hpp"

namespace nb = nanobind;

namespace semdedup::python {

namespace {

using InputArray = nb::ndarray<nb::ro, nb::ndim<2>, nb::device::cpu>;

/// A numpy array owning `values`.
template <typename T>
nb::ndarray<nb::numpy, T> to_numpy(std::vector<T> values, std::initializer_list<size_t> shape) {
  auto* owned = new std::vector<T>(std::move(values));
  nb::capsule owner(owned, [](void* p) noexcept { delete static_cast<std::vector<T>*>(p); });
  return nb::ndarray<nb::numpy, T>(owned->data(), shape, owner);
}

nb::ndarray<nb::numpy, float> to_numpy(Matrix matrix) {
  std::vector<float> values(matrix.data(), matrix.data() + matrix.rows() * matrix.cols());
  return to_numpy(std::move(values),
                  {static_cast<size_t>(matrix.rows()), static_cast<size_t>(matrix.cols())});
}

bool is_float16(const InputArray& a) {
  const nb::dlpack::dtype half{static_cast<uint8_t>(nb::dlpack::dtype_code::Float), 16, 1};
  return a.dtype() == half;
}
bool is_float32(const InputArray& a) { return a.dtype() == nb::dtype<float>(); }

/// The rows of `a` as float32: a view of its memory when it is C-contiguous float32, else
/// (float16) a converted copy held in `storage`. TypeError for other types and layouts.
MatrixView float_rows(const InputArray& a, const char* name, Matrix& storage) {
  const auto rows = static_cast<int64_t>(a.shape(0));
  const auto cols = static_cast<int64_t>(a.shape(1));
  const bool contiguous = cols == 0 || rows <= 1 ||
                          (a.stride(1) == 1 && a.stride(0) == static_cast<int64_t>(cols));
  if (!contiguous || (!is_float32(a) && !is_float16(a))) {
    PyErr_Format(PyExc_TypeError,
                 "%s must be a C-contiguous float32 or float16 array of shape (rows, dim)", name);
    throw nb::python_error();
  }
  if (is_float32(a)) return {static_cast<const float*>(a.data()), rows, cols};
  storage = Matrix(rows, cols);
  const auto* half = static_cast<const _Float16*>(a.data());
  for (int64_t i = 0; i < rows * cols; ++i) storage.data()[i] = static_cast<float>(half[i]);
  return storage.view();
}

ArrowArrayStream* stream_of(const nb::capsule& capsule) {
  auto* stream =
      static_cast<ArrowArrayStream*>(PyCapsule_GetPointer(capsule.ptr(), "arrow_array_stream"));
  if (!stream) throw nb::python_error();
  return stream;
}

}  // namespace

void bind_arrays(nb::module_& m) {
  m.def(
      "pairwise_cosine_similarity_batched",
      [](InputArray cluster_reps, int64_t batch_size, const CallOptions& options) {
        Matrix storage;
        const MatrixView view = float_rows(cluster_reps, "cluster_reps", storage);
        const Context ctx = make_context(options);
        std::pair<std::vector<float>, std::vector<int64_t>> out;
        run_released(ctx, [&]() -> Status {
          SD_ASSIGN_OR_RETURN(out, pairwise::pairwise_cosine_similarity_batched(ctx, view,
                                                                                batch_size));
          return Status::OK();
        });
        const auto n = static_cast<size_t>(view.rows);
        return nb::make_tuple(to_numpy(std::move(out.first), {n}),
                              to_numpy(std::move(out.second), {n}));
      },
      nb::arg("cluster_reps"), nb::arg("batch_size"), nb::arg("options"));

  m.def(
      "kmeans_fit",
      [](InputArray x, const kmeans::FitParams& params, const CallOptions& options) {
        Matrix storage;
        const MatrixView view = float_rows(x, "x", storage);
        const Context ctx = make_context(options);
        kmeans::FitResult fit;
        run_released(ctx, [&]() -> Status {
          SD_ASSIGN_OR_RETURN(const Matrix normalised, io::normalised_copy(view, "x"));
          SD_ASSIGN_OR_RETURN(const kmeans::FitParams ready, kmeans::read_init_file(params));
          SD_ASSIGN_OR_RETURN(fit, kmeans::fit(ctx, normalised.view(), ready));
          return Status::OK();
        });
        const auto n = fit.labels.size();
        return nb::make_tuple(to_numpy(std::move(fit.centroids)),
                              to_numpy(std::move(fit.labels), {n}), fit.inertia, fit.n_iter);
      },
      nb::arg("x"), nb::arg("params"), nb::arg("options"));

  m.def(
      "find_duplicates",
      [](nb::capsule stream, const kmeans::FitParams& fit, const pairwise::Params& pairwise,
         double eps, const CallOptions& options) {
        const Status init = io::initialize_arrow();
        if (!init.ok()) raise_status(init);
        dedup::InMemoryParams params;
        params.fit = fit;
        params.pairwise = pairwise;
        params.eps = eps;
        const Context ctx = make_context(options);
        ArrowArrayStream* raw = stream_of(stream);
        dedup::InMemoryDuplicates found;
        run_released(ctx, [&]() -> Status {
          SD_ASSIGN_OR_RETURN(const auto table, io::read_arrow_stream(raw));
          SD_ASSIGN_OR_RETURN(found, dedup::find_duplicates(ctx, *table, params));
          return Status::OK();
        });
        const auto d = found.rows.size();
        const auto n = found.labels.size();
        return nb::make_tuple(to_numpy(std::move(found.rows), {d}),
                              to_numpy(std::move(found.max_rows), {d}),
                              to_numpy(std::move(found.scores), {d}),
                              to_numpy(std::move(found.labels), {n}));
      },
      nb::arg("stream"), nb::arg("fit"), nb::arg("pairwise"), nb::arg("eps"), nb::arg("options"));
}

}  // namespace semdedup::python
