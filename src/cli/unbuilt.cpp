// Subcommands whose stages are not built yet.
#include "cli/common.hpp"

namespace semdedup::cli {

Command setup_demo(CLI::App& parent) {
  return setup_unbuilt(parent, "demo", "generate a dataset, deduplicate it, print a summary");
}

}  // namespace semdedup::cli
