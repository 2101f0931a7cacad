// `semdedup remove`: the input dataset without the duplicate ids.
#include <cstdio>

#include "cli/common.hpp"
#include "cli/outputs.hpp"
#include "semdedup/dedup/remove.hpp"

namespace semdedup::cli {

Command setup_remove(CLI::App& parent) {
  Command cmd;
  cmd.common = std::make_shared<CommonOptions>();
  struct Options {
    dedup::RemoveParams params;
    std::string input_filetype = "parquet";
    std::string output_filetype = "parquet";
    std::string extensions;
  };
  auto options = std::make_shared<Options>();
  CLI::App* app = parent.add_subcommand(
      "remove", "write the input without the duplicate ids: one output file per input file");
  app->add_option("--input", options->params.input_paths, "input files or directories")
      ->required();
  app->add_option("--duplicates", options->params.duplicates_path,
                  "directory of duplicate id files (the duplicates/ written by identify or run)")
      ->required();
  app->add_option("--output", options->params.output_path, "output directory")->required();
  app->add_option("--id-field", options->params.id_field, "id column")->capture_default_str();
  app->add_option("--input-filetype", options->input_filetype, "parquet|jsonl")
      ->capture_default_str()
      ->check(CLI::IsMember({"parquet", "jsonl"}));
  app->add_option("--input-file-extensions", options->extensions,
                  "comma-separated extensions selecting input files (default: by filetype)");
  app->add_option("--output-filetype", options->output_filetype, "parquet|jsonl")
      ->capture_default_str()
      ->check(CLI::IsMember({"parquet", "jsonl"}));
  add_output_mode_flags(*app, "replace what an earlier semdedup run wrote there",
                        "keep output files already written, do the rest");
  add_common_flags(*app, *cmd.common);
  cmd.app = app;
  cmd.run = [options](const Context& ctx, io::OutputMode mode) -> Status {
    auto& params = options->params;
    SD_ASSIGN_OR_RETURN(params.input_filetype, io::parse_file_type(options->input_filetype));
    SD_ASSIGN_OR_RETURN(params.output_filetype, io::parse_file_type(options->output_filetype));
    params.input_file_extensions = split_list(options->extensions);
    params.output_mode = mode;
    SD_ASSIGN_OR_RETURN(auto result, dedup::remove_duplicates(ctx, params));
    std::printf("remove: %lld of %lld rows removed (%lld duplicate ids), %lld rows kept in %lld files -> %s\n",
                static_cast<long long>(result.rows_removed), static_cast<long long>(result.rows_in),
                static_cast<long long>(result.duplicate_ids), static_cast<long long>(result.rows_out),
                static_cast<long long>(result.files), params.output_path.c_str());
    return Status::OK();
  };
  return cmd;
}

}  // namespace semdedup::cli
