// The params structs of the KMeans and Pairwise stages and of the workflow, bound field by field
// (the Python classes set them in one function each), and the file-based runs of the three.
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/map.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <cstring>

#include "call.hpp"
#include "guard.hpp"
#include "semdedup/dedup/workflow.hpp"
#include "semdedup/io/filesystem.hpp"
#include "semdedup/io/half.hpp"
#include "semdedup/kernels/blas.hpp"
#include "semdedup/kmeans/params.hpp"
#include "semdedup/kmeans/stage.hpp"
#include "semdedup/pairwise/params.hpp"
#include "semdedup/pairwise/stage.hpp"

namespace nb = nanobind;

namespace semdedup::python {

namespace {

// A string property over one of the engine's dtype enums, parsed and named by its own pair.
template <typename Params, typename Enum, typename Get, typename Parse, typename Name>
void dtype_property(nb::class_<Params>& cls, const char* name, Get get, Parse parse, Name name_of) {
  cls.def_prop_rw(
      name, [get, name_of](const Params& p) { return std::string(name_of(get(p))); },
      [get, parse](Params& p, const std::string& text) {
        Result<Enum> value = parse(text);
        if (!value.ok()) raise_status(value.status());
        get(p) = *value;
      });
}

using CentroidArray = nb::ndarray<const float, nb::ndim<2>, nb::c_contig, nb::device::cpu>;

nb::dict kmeans_result_dict(const kmeans::StageResult& r) {
  nb::dict d;
  d["num_files"] = r.num_files;
  d["num_rows"] = r.num_rows;
  d["num_rejected"] = r.num_rejected;
  d["fit_files"] = r.fit_files;
  d["fit_rows"] = r.fit_rows;
  d["dim"] = r.dim;
  d["num_clusters_written"] = r.num_clusters_written;
  d["n_iter"] = r.n_iter;
  d["inertia"] = r.inertia;
  d["kmeans_read_time"] = r.read_seconds;
  d["kmeans_fit_time"] = r.fit_seconds;
  d["kmeans_write_time"] = r.write_seconds;
  d["total_time"] = r.total_seconds;
  d["centroids_path"] = r.centroids_path;
  return d;
}

nb::dict pairwise_result_dict(const pairwise::StageResult& r) {
  nb::dict d;
  d["clusters"] = r.clusters;
  d["clusters_written"] = r.clusters_written;
  d["clusters_empty"] = r.clusters_empty;
  d["rows"] = r.rows;
  d["total_time"] = r.seconds;
  return d;
}

/// A Python enum `name` whose members are the rows of the C++ enum's name table.
template <typename Enum, size_t N>
void bind_enum(nb::module_& m, const char* name, const std::array<EnumName<Enum>, N>& table) {
  nb::enum_<Enum> bound(m, name);
  for (const auto& row : table) bound.value(row.name.data(), row.value);  // literals
}

}  // namespace

void bind_stages(nb::module_& m) {
  bind_enum(m, "FileType", io::kFileTypeNames);
  bind_enum(m, "OutputMode", io::kOutputModeNames);
  bind_enum(m, "WhichToKeep", pairwise::kWhichToKeepNames);
  bind_enum(m, "SimMetric", pairwise::kSimMetricNames);

  nb::class_<kmeans::FitParams>(m, "FitParams")
      .def(nb::init<>())
      .def_rw("n_clusters", &kmeans::FitParams::n_clusters)
      .def_rw("max_iter", &kmeans::FitParams::max_iter)
      .def_rw("tol", &kmeans::FitParams::tol)
      .def_rw("random_state", &kmeans::FitParams::random_state)
      .def_rw("n_init", &kmeans::FitParams::n_init)
      .def_rw("oversampling_factor", &kmeans::FitParams::oversampling_factor)
      .def_rw("max_samples_per_batch", &kmeans::FitParams::max_samples_per_batch)
      .def("set_init",
           [](kmeans::FitParams& p, const std::string& text) {
             const Status status = kmeans::parse_init(text, p);
             if (!status.ok()) raise_status(status);
           },
           "NeMo's init string: 'k-means||', 'scalable-k-means++', 'random' or an .npy path.")
      .def("set_init_centroids",
           [](kmeans::FitParams& p, CentroidArray centroids) {
             Matrix matrix(static_cast<int64_t>(centroids.shape(0)),
                           static_cast<int64_t>(centroids.shape(1)));
             if (centroids.size() > 0) {
               std::memcpy(matrix.data(), centroids.data(), centroids.size() * sizeof(float));
             }
             p.init = kmeans::InitMethod::kArray;
             p.init_centroids = std::move(matrix);
           },
           "Initial centroids: a C-contiguous float32 (n_clusters, dim) array.")
      .def("validate", [](const kmeans::FitParams& p) {
        const Status status = p.validate();
        if (!status.ok()) raise_status(status);
      });

  nb::class_<kmeans::Params> kmeans_params(m, "KMeansParams");
  kmeans_params.def(nb::init<>())
      .def_rw("fit", &kmeans::Params::fit)
      .def_rw("input_paths", &kmeans::Params::input_paths)
      .def_rw("input_filetype", &kmeans::Params::input_filetype)
      .def_rw("input_file_extensions", &kmeans::Params::input_file_extensions)
      .def_prop_rw(
          "id_field", [](const kmeans::Params& p) { return p.columns.id_field; },
          [](kmeans::Params& p, std::string v) { p.columns.id_field = std::move(v); })
      .def_prop_rw(
          "embedding_field", [](const kmeans::Params& p) { return p.columns.embedding_field; },
          [](kmeans::Params& p, std::string v) { p.columns.embedding_field = std::move(v); })
      .def_prop_rw(
          "metadata_fields", [](const kmeans::Params& p) { return p.columns.metadata_fields; },
          [](kmeans::Params& p, std::vector<std::string> v) {
            p.columns.metadata_fields = std::move(v);
          })
      .def_rw("fit_data_fraction", &kmeans::Params::fit_data_fraction)
      .def_rw("output_path", &kmeans::Params::output_path)
      .def_rw("cache_path", &kmeans::Params::cache_path)
      .def_rw("output_mode", &kmeans::Params::output_mode)
      .def_rw("memory_limit", &kmeans::Params::memory_limit)
      .def("validate", [](const kmeans::Params& p) {
        const Status status = p.validate();
        if (!status.ok()) raise_status(status);
      });
  dtype_property<kmeans::Params, io::InputEmbeddingDtype>(
      kmeans_params, "input_embedding_dtype",
      [](auto& p) -> auto& { return p.input_embedding_dtype; }, io::parse_input_embedding_dtype,
      io::input_embedding_dtype_name);
  dtype_property<kmeans::Params, io::EmbeddingOutputDtype>(
      kmeans_params, "embedding_output_dtype",
      [](auto& p) -> auto& { return p.embedding_output_dtype; }, io::parse_embedding_output_dtype,
      io::embedding_output_dtype_name);

  nb::class_<pairwise::Params> pairwise_params(m, "PairwiseParams");
  pairwise_params.def(nb::init<>())
      .def_rw("input_path", &pairwise::Params::input_path)
      .def_rw("output_path", &pairwise::Params::output_path)
      .def_rw("id_field", &pairwise::Params::id_field)
      .def_rw("embedding_field", &pairwise::Params::embedding_field)
      .def_rw("which_to_keep", &pairwise::Params::which_to_keep)
      .def_rw("sim_metric", &pairwise::Params::sim_metric)
      .def_rw("random_seed", &pairwise::Params::random_seed)
      .def_rw("ranking_columns", &pairwise::Params::ranking_columns)
      .def_rw("ranking_ascending", &pairwise::Params::ranking_ascending)
      .def_rw("pairwise_batch_size", &pairwise::Params::pairwise_batch_size)
      .def_rw("output_mode", &pairwise::Params::output_mode)
      .def("validate", [](const pairwise::Params& p) {
        const Status status = p.validate();
        if (!status.ok()) raise_status(status);
      });
  dtype_property<pairwise::Params, io::InputEmbeddingDtype>(
      pairwise_params, "input_embedding_dtype",
      [](auto& p) -> auto& { return p.input_embedding_dtype; }, io::parse_input_embedding_dtype,
      io::input_embedding_dtype_name);
  dtype_property<pairwise::Params, pairwise::ComputeDtype>(
      pairwise_params, "compute_dtype", [](auto& p) -> auto& { return p.compute_dtype; },
      pairwise::parse_compute_dtype, pairwise::compute_dtype_name);

  nb::class_<dedup::WorkflowParams>(m, "WorkflowParams")
      .def(nb::init<>())
      .def_rw("kmeans", &dedup::WorkflowParams::kmeans)
      .def_rw("pairwise", &dedup::WorkflowParams::pairwise)
      .def_rw("eps", &dedup::WorkflowParams::eps)
      .def_rw("output_path", &dedup::WorkflowParams::output_path)
      .def_rw("cache_path", &dedup::WorkflowParams::cache_path)
      .def_rw("output_mode", &dedup::WorkflowParams::output_mode)
      .def_rw("versions", &dedup::WorkflowParams::versions)
      .def("validate", [](const dedup::WorkflowParams& p) {
        const Status status = p.validate();
        if (!status.ok()) raise_status(status);
      });

  nb::class_<CallOptions>(m, "CallOptions")
      .def(nb::init<>())
      .def_rw("threads", &CallOptions::threads)
      .def_rw("progress", &CallOptions::progress)
      .def_rw("storage_options", &CallOptions::storage_options);

  m.def("validate_storage_options",
        [](const io::StorageOptions& options) {
          const Status status = io::validate_storage_options(options);
          if (!status.ok()) raise_status(status);
        },
        nb::arg("options"),
        "Checks object-storage options (flat string keys and values): ValueError naming the "
        "first bad key or value.");

  m.def("run_kmeans_stage", [](const kmeans::Params& params, const CallOptions& options) {
    const Context ctx = make_context(options);
    kmeans::StageResult result;
    run_released(ctx, [&]() -> Status {
      return guarded_kmeans(ctx, params, [&](io::OutputMode mode) -> Status {
        kmeans::Params guarded = params;
        guarded.output_mode = mode;
        SD_ASSIGN_OR_RETURN(result, kmeans::run_stage(ctx, guarded));
        return Status::OK();
      });
    });
    return kmeans_result_dict(result);
  });

  m.def("run_pairwise_stage", [](const pairwise::Params& params, const CallOptions& options) {
    const Context ctx = make_context(options);
    pairwise::StageResult result;
    run_released(ctx, [&]() -> Status {
      return guarded_pairwise(ctx, params, [&](io::OutputMode mode) -> Status {
        pairwise::Params guarded = params;
        guarded.output_mode = mode;
        SD_ASSIGN_OR_RETURN(result, pairwise::run_stage(ctx, guarded));
        return Status::OK();
      });
    });
    return pairwise_result_dict(result);
  });

  m.def("run_workflow", [](const dedup::WorkflowParams& params, const CallOptions& options) {
    const Context ctx = make_context(options);
    dedup::WorkflowResult result;
    run_released(ctx, [&]() -> Status {
      return guarded_workflow(ctx, params, [&](io::OutputMode mode) -> Status {
        dedup::WorkflowParams guarded = params;
        guarded.output_mode = mode;
        SD_ASSIGN_OR_RETURN(result, dedup::run_workflow(ctx, guarded));
        return Status::OK();
      });
    });
    nb::dict d;
    d["kmeans"] = kmeans_result_dict(result.kmeans);
    d["pairwise"] = pairwise_result_dict(result.pairwise);
    d["num_duplicates"] = result.identify ? result.identify->duplicates : 0;
    d["identified"] = result.identify.has_value();
    d["kmeans_time"] = result.kmeans_seconds;
    d["pairwise_time"] = result.pairwise_seconds;
    d["identify_time"] = result.identify_seconds;
    d["total_time"] = result.total_seconds;
    d["summary_path"] = result.summary_path;
    d["kmeans_results_path"] = dedup::kmeans_results_dir(params);
    d["pairwise_results_path"] = dedup::pairwise_results_dir(params);
    d["duplicates_path"] =
        result.identify ? dedup::duplicates_dir(params.output_path) : std::string();
    return d;
  });

  m.def("use_blas_library",
        [](std::string path, std::string symbol_prefix, bool pthreads) {
          const Status status = kernels::use_blas_library(
              {std::move(path), std::move(symbol_prefix), pthreads});
          if (!status.ok()) raise_status(status);
        },
        nb::arg("path"), nb::arg("symbol_prefix"), nb::arg("pthreads"),
        "Loads this BLAS instead of the build's OpenBLAS; only before the first GEMM.");
  m.def("blas_description", &kernels::blas_description, "The BLAS in use, with its core type.");
}

}  // namespace semdedup::python
