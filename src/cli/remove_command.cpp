// `semdedup remove`: the input dataset without the duplicate ids.
#include <fmt/format.h>

#include <cstdio>

#include "cli/common.hpp"
#include "cli/flags.hpp"
#include "semdedup/dedup/remove.hpp"
#include "semdedup/io/layout.hpp"

namespace semdedup::cli {

namespace {

struct RemoveOptions {
  dedup::RemoveParams params;
  std::string input_filetype = "parquet";
  std::string output_filetype = "parquet";
  std::string extensions;
};

void setup_remove(CLI::App& app, RemoveOptions& options) {
  dedup::RemoveParams& params = options.params;
  add_input_flag(app, params.input_paths, "input files or directories");
  app.add_option(kDuplicatesFlag, params.duplicates_path,
                 fmt::format("directory of duplicate id files (the {}/ written by identify or "
                             "run)",
                             io::kDuplicatesDir))
      ->required();
  add_output_flag(app, params.output_path, "output directory");
  add_id_field_flag(app, params.id_field, "id column");
  add_input_filetype_flag(app, options.input_filetype, "parquet|jsonl")
      ->check(CLI::IsMember(enum_names(io::kFileTypeNames)));
  add_input_file_extensions_flag(
      app, options.extensions,
      "comma-separated extensions selecting input files (default: by filetype)");
  app.add_option("--output-filetype", options.output_filetype, "parquet|jsonl")
      ->capture_default_str()
      ->check(CLI::IsMember(enum_names(io::kFileTypeNames)));
  add_output_mode_flags(app, "replace what an earlier semdedup run wrote there",
                        "keep output files already written, do the rest");
}

Status run_remove(const Context& ctx, io::OutputMode mode, RemoveOptions& options) {
  dedup::RemoveParams& params = options.params;
  SD_ASSIGN_OR_RETURN(params.input_filetype, io::parse_file_type(options.input_filetype));
  SD_ASSIGN_OR_RETURN(params.output_filetype, io::parse_file_type(options.output_filetype));
  params.input_file_extensions = split_list(options.extensions);
  params.output_mode = mode;
  SD_ASSIGN_OR_RETURN(auto result, dedup::remove_duplicates(ctx, params));
  std::printf(
      "remove: %lld of %lld rows removed (%lld duplicate ids), %lld rows kept in %lld files -> "
      "%s\n",
      static_cast<long long>(result.rows_removed), static_cast<long long>(result.rows_in),
      static_cast<long long>(result.duplicate_ids), static_cast<long long>(result.rows_out),
      static_cast<long long>(result.files), params.output_path.c_str());
  return Status::OK();
}

}  // namespace

Command add_remove_command(CLI::App& parent) {
  return make_command<RemoveOptions>(
      parent, "remove",
      "write the input without the duplicate ids: one output file per input file", setup_remove,
      run_remove);
}

}  // namespace semdedup::cli
