#include "cli/app.hpp"

#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>

#include "cli/common.hpp"
#include "cli/outputs.hpp"
#include "cli/world.hpp"
#include "cli/yaml_config.hpp"
#include "semdedup/io/arrow_runtime.hpp"
#include "semdedup/io/filesystem.hpp"
#include "semdedup/kernels/isa.hpp"
#include "semdedup/io/output_lock.hpp"
#include "semdedup/kernels/blas.hpp"

#ifndef SEMDEDUP_VERSION
#define SEMDEDUP_VERSION "0.0.0"
#endif
#ifndef SEMDEDUP_BUILD_TYPE
#define SEMDEDUP_BUILD_TYPE "unknown"
#endif

namespace semdedup::cli {

namespace {

int exit_code_for(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return 0;
    case StatusCode::kInvalidArgument:
    case StatusCode::kNotImplemented: return 2;
    default: return 1;
  }
}

/// `text` on one line: control characters (a newline in a path, say) written as escapes.
std::string one_line(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (byte < 0x20 || byte == 0x7f) {
      out += fmt::format("\\x{:02x}", byte);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

/// The one line a failing command prints on stderr.
void print_error(std::string_view prefix, std::string_view message) {
  std::fprintf(stderr, "%s: %s\n", std::string(prefix).c_str(), one_line(message).c_str());
}

}  // namespace

std::vector<std::pair<std::string, std::string>> version_pairs() {
  return {{"semdedup", SEMDEDUP_VERSION},
          {"build_type", SEMDEDUP_BUILD_TYPE},
          {"arrow", io::arrow_description()},
          {"blas", kernels::blas_description()},
          {"cpu_kernel", kernels::cpu_kernel_name(kernels::best_cpu_kernel())}};
}

namespace {

// One "name: value" line per version_pairs() entry under a title line: summary.json records the
// same pairs, so the two always agree.
std::string version_text() {
  std::string text = fmt::format("semdedup {} ({} build)\n", SEMDEDUP_VERSION, SEMDEDUP_BUILD_TYPE);
  for (const auto& [name, value] : version_pairs()) text += fmt::format("{}: {}\n", name, value);
  return text;
}

// The one cancellation flag of the process, set by SIGINT/SIGTERM; stages stop at the next
// tile boundary and nothing half-written is left (outputs are atomic).
std::shared_ptr<std::atomic<bool>> g_cancel = std::make_shared<std::atomic<bool>>(false);
extern "C" void on_signal(int) { g_cancel->store(true); }

// Whether a subcommand shares its work over the ranks of an mpirun job.
bool is_distributed(const CLI::App& app) {
  const std::string& name = app.get_name();
  return name != "report" && name != "generate" && name != "demo";
}

// Stages report failures as Status; an exception that still escapes one (an allocation that
// cannot be met) becomes the same one-line error instead of an abort.
Status run_guarded(const Command& cmd, const Context& ctx, io::OutputMode mode) {
  try {
    return cmd.run(ctx, mode);
  } catch (const std::bad_alloc&) {
    return Status::io_error("out of memory");
  } catch (const std::exception& e) {
    return Status::internal("{}", e.what());
  }
}

}  // namespace

int run_app(int argc, char** argv) {
  // Past RLIMIT_FSIZE a write fails with EFBIG and becomes an I/O error naming the file (whose
  // temporary copy is then removed) instead of the process dying half-way.
  std::signal(SIGXFSZ, SIG_IGN);
  CLI::App app{"semdedup: semantic deduplication of large datasets by their embeddings"};
  app.require_subcommand(1);
  app.set_version_flag("--version", version_text);

  std::vector<Command> commands;
  commands.push_back(add_kmeans_command(app));
  commands.push_back(add_pairwise_command(app));
  commands.push_back(add_identify_command(app));
  commands.push_back(add_run_command(app));
  commands.push_back(add_remove_command(app));
  commands.push_back(add_report_command(app));
  commands.push_back(add_generate_command(app));
  commands.push_back(add_demo_command(app));

  std::vector<std::string> args(argv + 1, argv + argc);
  Result<std::vector<std::string>> expanded = expand_config_file(app, args);
  if (!expanded.ok()) {
    print_error("semdedup", expanded.status().message());
    return exit_code_for(expanded.status().code());
  }
  args = std::move(expanded).value();
  std::reverse(args.begin(), args.end());  // CLI11 takes the arguments in reverse order
  try {
    app.parse(args);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    print_error("semdedup", fmt::format("{} (run with --help for usage)", e.what()));
    return 2;
  }

  if (Status st = io::initialize_arrow(); !st.ok()) {
    print_error("semdedup: error", st.message());
    return 1;
  }
  // S3 support, once used, is shut down before anything else this process holds goes away.
  struct StorageSession {
    ~StorageSession() { io::finalize_storage(); }
  } storage_session;

  WorldSession world;
  for (const Command& cmd : commands) {
    if (!cmd.app->parsed()) continue;
    // Off a terminal (scripts, CI) log lines wait for the command's first seconds, so an up-front
    // failure is one line; an explicit --log-level, or a terminal, shows them as they come.
    cmd.common->hold_log =
        !isatty(STDERR_FILENO) && cmd.app->get_option("--log-level")->count() == 0;
    Result<Context> ctx = make_context(*cmd.common);
    Status st = ctx.ok() ? Status::OK() : ctx.status();
    if (st.ok()) st = io::configure_storage(ctx->storage_options).with_context("--storage-options");
    if (st.ok()) st = join_world(*ctx, cmd.app->get_name(), is_distributed(*cmd.app), &world);
    // Under mpirun every rank fails alike; rank 0 alone says why.
    const bool reports = !ctx.ok() || ctx->comm->rank() == 0;
    if (st.ok()) {
      ctx->cancel_flag = g_cancel;
      std::signal(SIGINT, on_signal);
      std::signal(SIGTERM, on_signal);
      // Nothing is touched before the outputs are known to lie apart from the inputs and the
      // inputs to be finished.
      st = check_outputs_apart(*cmd.app);
      if (st.ok()) st = check_inputs_finished(*cmd.app, *ctx);
      std::vector<io::OutputLock> locks;
      io::OutputGuard outputs(plan_outputs(*cmd.app));
      // One job, one holder: rank 0 locks and prepares the outputs for every rank. A directory
      // inside another one the command writes is covered by the outer lock.
      const bool leader = ctx->comm->rank() == 0;
      if (st.ok() && leader) {
        Result<std::vector<io::OutputLock>> held = io::lock_output_dirs(written_dirs(*cmd.app));
        if (held.ok()) locks = std::move(held).value();
        st = held.status();
      }
      if (st.ok() && leader) st = outputs.begin();
      st = ctx->comm->agree(st);
      if (st.ok()) st = run_guarded(cmd, *ctx, outputs.stage_mode());
      st = ctx->comm->agree(st);
      // _SUCCESS last, once every rank has finished.
      if (st.ok()) st = ctx->comm->agree(leader ? outputs.finish() : Status::OK());
      if (!st.ok() && leader && !locks.empty()) outputs.abandon(st);
    }
    if (ctx.ok()) st = ctx->comm->agree(st);
    if (st.ok()) {
      release_held_lines(*ctx->logger);
      return 0;
    }
    if (reports) print_error(fmt::format("semdedup {}: error", cmd.app->get_name()), st.message());
    return exit_code_for(st.code());
  }
  return 2;
}

}  // namespace semdedup::cli
