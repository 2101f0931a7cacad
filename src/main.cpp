#include "cli/app.hpp"

int main(int argc, char** argv) { return semdedup::cli::run_app(argc, argv); }
