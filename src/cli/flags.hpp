#pragma once
// The flags several subcommands share, each declared here once: what names the inputs and the
// outputs (read back by name by cli/outputs.cpp), the columns and file selection of an input,
// and how an output directory is treated. A command passes the help text that says what the
// flag means for it.

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace semdedup::cli {

/// Flag names the output guard reads back from a parsed command (cli/outputs.cpp).
inline constexpr const char* kInputFlag = "--input";
inline constexpr const char* kOutputFlag = "--output";
inline constexpr const char* kCachePathFlag = "--cache-path";
inline constexpr const char* kDuplicatesFlag = "--duplicates";
inline constexpr const char* kOverwriteFlag = "--overwrite";
inline constexpr const char* kResumeFlag = "--resume";

/// --input: one or more paths (files, directories or glob patterns), required.
CLI::Option* add_input_flag(CLI::App& app, std::vector<std::string>& paths,
                            const std::string& help);
/// --input: one directory (another stage's output), required.
CLI::Option* add_input_flag(CLI::App& app, std::string& dir, const std::string& help);

/// --output: the directory the command writes; required unless `required` is false.
CLI::Option* add_output_flag(CLI::App& app, std::string& dir, const std::string& help,
                             bool required = true);

/// --overwrite, and --resume when `resume_help` is not empty (the two exclude each other).
/// cli/outputs.cpp turns them into the output mode (fresh when neither is given).
void add_output_mode_flags(CLI::App& app, const std::string& overwrite_help,
                           const std::string& resume_help = "");

/// --id-field; its default shown in --help unless `show_default` is false (a default that
/// depends on other inputs).
CLI::Option* add_id_field_flag(CLI::App& app, std::string& field, const std::string& help,
                               bool show_default = true);
/// --embedding-field, as add_id_field_flag.
CLI::Option* add_embedding_field_flag(CLI::App& app, std::string& field, const std::string& help,
                                      bool show_default = true);

/// --input-filetype (parquet|jsonl, parsed by io::parse_file_type), as add_id_field_flag.
CLI::Option* add_input_filetype_flag(CLI::App& app, std::string& filetype,
                                     const std::string& help, bool show_default = true);
/// --input-file-extensions: comma-separated suffixes selecting input files.
CLI::Option* add_input_file_extensions_flag(CLI::App& app, std::string& extensions,
                                            const std::string& help);
/// --input-embedding-dtype (auto|float16|float32, parsed by io::parse_input_embedding_dtype).
CLI::Option* add_input_embedding_dtype_flag(CLI::App& app, std::string& dtype,
                                            const std::string& help);

}  // namespace semdedup::cli
