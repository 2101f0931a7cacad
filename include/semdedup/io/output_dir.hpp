#pragma once
/// \file What marks a directory as semdedup's output, and what semdedup may delete in one.
///
/// A command that writes a directory writes a manifest there first (`_semdedup_manifest`: the
/// command, the parameters that shape its result and a fingerprint of its inputs) and `_SUCCESS`
/// last. A manifest without `_SUCCESS` is an unfinished output; neither marker is a directory
/// semdedup did not write (NeMo Curator's outputs carry none). Both names start with `_`, which
/// pyarrow's and NeMo's dataset readers skip.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "semdedup/core/status.hpp"
#include "semdedup/io/layout.hpp"

namespace semdedup::io {

/// What a manifest records: (key, value) pairs in a fixed order. The first is ("command", name).
struct Manifest {
  std::vector<std::pair<std::string, std::string>> entries;

  /// The value of `key`, or nullopt.
  std::optional<std::string> get(const std::string& key) const;
  /// The manifest's text (one "key: value" line each, newlines and backslashes escaped).
  std::string to_text() const;
  static Manifest parse(const std::string& text);
};

/// The manifest of `dir`, nullopt when it has none.
Result<std::optional<Manifest>> read_manifest(const std::string& dir);

/// State of a directory as semdedup sees it.
enum class OutputState {
  kForeign,      ///< no manifest: not written by semdedup (e.g. NeMo Curator's output)
  kUnfinished,   ///< a manifest but no _SUCCESS
  kComplete,     ///< both
};
OutputState output_state(const std::string& dir);

/// True when `dir` holds a manifest (discovery does not descend into such a directory).
bool holds_semdedup_output(const std::string& dir);

/// The first entry of `dir` (depth-first, relative path) that semdedup's layouts do not name,
/// or nullopt when every entry is one semdedup writes: the markers, hidden temporary files,
/// summary.json, kmeans_centroids.npy, ground_truth.parquet, cluster_K.parquet, and the
/// directories kmeans_results/, pairwise_results/, duplicates/, deduplicated/, rejected/,
/// data/ and centroid=K/ holding only data files (.parquet, .jsonl, .json, .npy), markers and
/// such directories. `data_files_are_own` also admits data files and directories of them at
/// the top level (the output of `remove`, whose file names follow its input).
Result<std::optional<std::string>> first_foreign_entry(const std::string& dir,
                                                       bool data_files_are_own);

/// True when `dir` holds nothing but hidden temporary files (or nothing at all): what a run
/// killed before its manifest landed leaves.
bool holds_only_temporaries(const std::string& dir);

/// True when `dir` holds nothing but the markers (or nothing at all).
bool holds_only_markers(const std::string& dir);

/// Deletes every entry of `dir` after checking that semdedup wrote all of them (see
/// first_foreign_entry; data files are admitted when `data_files_are_own` or the directory has
/// a `remove` manifest). Refuses with invalid_argument naming the first foreign entry,
/// deleting nothing.
Status clear_own_output(const std::string& dir, bool data_files_are_own = false);

/// "path size mtime_ns" of every regular file under `paths` (files, directories searched
/// recursively, glob patterns expanded), sorted; directories holding a semdedup manifest
/// other than the roots are not entered, and the markers are left out.
std::vector<std::string> fingerprint_inputs(const std::vector<std::string>& paths);

}  // namespace semdedup::io
