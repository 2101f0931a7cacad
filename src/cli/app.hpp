#pragma once

namespace semdedup::cli {

/// Parses argv, runs the chosen subcommand and returns the process exit code:
/// 0 success; 1 data/IO/runtime error; 2 usage error. The only place that prints errors.
int run_app(int argc, char** argv);

}  // namespace semdedup::cli
