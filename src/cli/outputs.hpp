#pragma once
// The one place that decides what a command may do to its output directories: outputs apart
// from inputs, inputs that are finished, --overwrite / --resume / fresh, the manifest written
// first and _SUCCESS written last.

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "semdedup/core/context.hpp"
#include "semdedup/core/status.hpp"
#include "semdedup/io/common.hpp"
#include "semdedup/io/output_dir.hpp"

namespace semdedup::cli {

/// Adds --overwrite, and --resume when `resume_help` is not empty (the two exclude each other).
void add_output_mode_flags(CLI::App& app, const std::string& overwrite_help,
                           const std::string& resume_help = "");

/// Refuses (invalid_argument) an output (--output, --cache-path, --html) that is, contains or
/// lies inside an input (--input, --duplicates, --config, --init), compared as canonical
/// paths (symlinks resolved, ".." collapsed). Nothing is touched.
Status check_outputs_apart(const CLI::App& app);

/// Refuses (data_error) an input directory that holds an unfinished semdedup output (a
/// manifest without _SUCCESS), saying which command to finish with --resume. Commands that
/// read another stage's output log one info line for an input semdedup did not write.
Status check_inputs_finished(const CLI::App& app, const Context& ctx);

/// The output directories a command manages and how their run treats them.
class OutputDirs {
 public:
  /// From the parsed flags of `app` (empty for a command that writes no directory).
  static OutputDirs plan(const CLI::App& app);

  /// The mode the command's stages are given: kResume for --resume, else kFresh (what
  /// --overwrite asks for is done by begin()).
  io::OutputMode stage_mode() const;

  /// Applies the mode to every directory (fresh: must be empty; --overwrite: clears what
  /// semdedup wrote, refusing anything else; --resume: the manifest must match this run's
  /// parameters and inputs), then writes the manifest and removes an earlier _SUCCESS.
  Status begin();
  /// Writes _SUCCESS into every directory.
  Status finish() const;
  /// After `failure` (not under --resume): removes the directories begin() created (an
  /// interruption only when nothing but the markers is left in them), and the markers of the
  /// others when nothing else is left. What a stage kept for --resume keeps its manifest.
  void abandon(const Status& failure) const;

 private:
  io::OutputMode mode_ = io::OutputMode::kFresh;
  std::vector<std::string> dirs_;
  std::vector<bool> created_;
  io::Manifest manifest_;
};

}  // namespace semdedup::cli
