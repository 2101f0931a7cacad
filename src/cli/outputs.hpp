#pragma once
// The command line's side of the output guard (semdedup/io/output_guard.hpp): the flags that
// name inputs and outputs, --overwrite / --resume (declared in cli/flags.hpp) read back from a
// parsed command, and the parameters recorded in the manifest.

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "semdedup/core/context.hpp"
#include "semdedup/core/status.hpp"
#include "semdedup/io/common.hpp"
#include "semdedup/io/output_guard.hpp"

namespace semdedup::cli {

/// Refuses (invalid_argument) an output (--output, --cache-path, --html) that is, contains or
/// lies inside an input (--input, --duplicates, --config, --init), compared as canonical
/// paths (symlinks resolved, ".." collapsed). Nothing is touched.
Status check_outputs_apart(const CLI::App& app);

/// Refuses (data_error) an input directory that holds an unfinished semdedup output (a
/// manifest without _SUCCESS), saying which command to finish with --resume. Commands that
/// read another stage's output log one info line for an input semdedup did not write.
Status check_inputs_finished(const CLI::App& app, const Context& ctx);

/// The plan of the output directories a command manages, from the parsed flags of `app`
/// (no directory for a command that writes none): the command's name, --overwrite / --resume,
/// --output (and --cache-path for run), every configurable flag that shapes the result with its
/// value, and --input / --duplicates as the inputs fingerprinted.
io::OutputPlan plan_outputs(const CLI::App& app);

/// The directories the command writes (--output, and --cache-path where it has one), to lock.
std::vector<std::string> written_dirs(const CLI::App& app);

}  // namespace semdedup::cli
