#pragma once
/// \file What a run may do to its output directories, whoever starts it (the CLI or the Python
/// package): outputs apart from inputs, inputs that are finished, one writer per output (the
/// lock), fresh / overwrite / resume, the manifest written first and _SUCCESS written last, and
/// a failed run leaving no directory it created.

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "semdedup/core/context.hpp"
#include "semdedup/core/status.hpp"
#include "semdedup/io/common.hpp"
#include "semdedup/io/output_dir.hpp"
#include "semdedup/io/output_lock.hpp"

namespace semdedup::io {

/// A path and the name it was given by (a flag such as "--input", or a keyword such as
/// "output_path"), used in messages.
struct NamedPath {
  std::string name;
  std::string path;
};

/// Refuses (invalid_argument) an output that is, contains or lies inside an input, compared as
/// canonical paths (symlinks resolved, ".." collapsed; an input that does not exist is expanded
/// as a glob pattern). Nothing is touched.
Status check_outputs_apart(const std::vector<NamedPath>& inputs,
                           const std::vector<NamedPath>& outputs);

/// Refuses (data_error) an input that is, or lies in, an unfinished semdedup output (a manifest
/// without _SUCCESS; the input's directory and the one above it are looked at), saying which
/// command to finish with --resume. `log_foreign`: logs one info line for an input semdedup did
/// not write (for commands that read another stage's output).
Status check_inputs_finished(const std::vector<NamedPath>& inputs, bool log_foreign,
                             const Context& ctx);

/// Locks every directory of `dirs` (see OutputLock); a directory inside another one of `dirs` is
/// covered by the outer one's lock.
Result<std::vector<OutputLock>> lock_output_dirs(const std::vector<std::string>& dirs);

/// What a run records about itself and the directories it writes.
struct OutputPlan {
  /// The command whose output this is ("kmeans", "pairwise", "run", ...); the manifest's first
  /// entry, compared on resume and named in the messages.
  std::string command;
  /// kFresh (refuse a non-empty directory), kOverwrite (clear what semdedup wrote, refusing
  /// anything else) or kResume (the manifest must match).
  OutputMode mode = OutputMode::kFresh;
  /// The directories written; the same directory given twice is managed once.
  std::vector<std::string> dirs;
  /// The parameters that shape the result, as (name, value) pairs in a fixed order; a resume
  /// must be given the same ones.
  std::vector<std::pair<std::string, std::string>> params;
  /// The input files and directories whose fingerprint (path, size, modification time) is
  /// recorded and compared on resume.
  std::vector<std::string> inputs;
};

/// The output directories of one run and how the run treats them.
class OutputGuard {
 public:
  explicit OutputGuard(const OutputPlan& plan);

  /// The mode the stages are given: kResume for a resume, else kFresh (what kOverwrite asks for
  /// is done by begin()).
  OutputMode stage_mode() const;

  /// Applies the mode to every directory (fresh: must be empty; overwrite: clears what semdedup
  /// wrote, refusing anything else; resume: the manifest must match this run's parameters and
  /// inputs), then writes the manifest and removes an earlier _SUCCESS. Every directory is
  /// checked before any is changed.
  Status begin();
  /// Writes _SUCCESS into every directory.
  Status finish() const;
  /// After `failure` (not under resume): removes the directories begin() created (an
  /// interruption only when nothing but the markers is left in them), and the markers of the
  /// others when nothing else is left. What a stage kept for a resume keeps its manifest.
  void abandon(const Status& failure) const;

 private:
  OutputMode mode_ = OutputMode::kFresh;
  std::vector<std::string> dirs_;
  std::vector<bool> created_;
  Manifest manifest_;
};

/// One run in a single process, guarded from start to end: check_outputs_apart(inputs, outputs),
/// check_inputs_finished(inputs, log_foreign), the locks of `plan.dirs`, begin(), then
/// `work(stage_mode)`, then finish() on success or abandon() on failure; the locks are released
/// on return. Returns the first failure.
Status guarded_run(const Context& ctx, const OutputPlan& plan, const std::vector<NamedPath>& inputs,
                   const std::vector<NamedPath>& outputs, bool log_foreign,
                   const std::function<Status(OutputMode)>& work);

}  // namespace semdedup::io
