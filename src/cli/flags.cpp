#include "cli/flags.hpp"

namespace semdedup::cli {

CLI::Option* add_input_flag(CLI::App& app, std::vector<std::string>& paths,
                            const std::string& help) {
  return app.add_option(kInputFlag, paths, help)->required()->expected(1, -1);
}

CLI::Option* add_input_flag(CLI::App& app, std::string& dir, const std::string& help) {
  return app.add_option(kInputFlag, dir, help)->required();
}

CLI::Option* add_output_flag(CLI::App& app, std::string& dir, const std::string& help,
                             bool required) {
  CLI::Option* option = app.add_option(kOutputFlag, dir, help);
  if (required) option->required();
  return option;
}

void add_output_mode_flags(CLI::App& app, const std::string& overwrite_help,
                           const std::string& resume_help) {
  CLI::Option* overwrite = app.add_flag(kOverwriteFlag, overwrite_help);
  if (!resume_help.empty()) app.add_flag(kResumeFlag, resume_help)->excludes(overwrite);
}

namespace {

CLI::Option* add_text_option(CLI::App& app, const char* flag, std::string& value,
                             const std::string& help, bool show_default) {
  CLI::Option* option = app.add_option(flag, value, help);
  if (show_default) option->capture_default_str();
  return option;
}

}  // namespace

CLI::Option* add_id_field_flag(CLI::App& app, std::string& field, const std::string& help,
                               bool show_default) {
  return add_text_option(app, "--id-field", field, help, show_default);
}

CLI::Option* add_embedding_field_flag(CLI::App& app, std::string& field, const std::string& help,
                                      bool show_default) {
  return add_text_option(app, "--embedding-field", field, help, show_default);
}

CLI::Option* add_input_filetype_flag(CLI::App& app, std::string& filetype,
                                     const std::string& help, bool show_default) {
  return add_text_option(app, "--input-filetype", filetype, help, show_default);
}

CLI::Option* add_input_file_extensions_flag(CLI::App& app, std::string& extensions,
                                            const std::string& help) {
  return app.add_option("--input-file-extensions", extensions, help);
}

CLI::Option* add_input_embedding_dtype_flag(CLI::App& app, std::string& dtype,
                                            const std::string& help) {
  return add_text_option(app, "--input-embedding-dtype", dtype, help, true);
}

}  // namespace semdedup::cli
