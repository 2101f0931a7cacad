#pragma once
// Hands a fuzz input to code that reads files: the bytes are written to one scratch file per
// fuzzer process (under $TMPDIR, /tmp by default), rewritten for every input.

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace semdedup::fuzz {

/// Removes the scratch file when the process ends normally.
struct ScratchFile {
  std::string path;
  ~ScratchFile() { std::remove(path.c_str()); }
};

/// The scratch file's path, "<tmp>/semdedup-fuzz-<pid>-<name>".
inline const std::string& scratch_path(const char* name) {
  static const ScratchFile file{[name] {
    const char* tmp = std::getenv("TMPDIR");
    return std::string(tmp && *tmp ? tmp : "/tmp") + "/semdedup-fuzz-" +
           std::to_string(::getpid()) + "-" + name;
  }()};
  return file.path;
}

/// Writes `data` to the scratch file and returns its path.
inline const std::string& write_input(const char* name, const uint8_t* data, size_t size) {
  const std::string& path = scratch_path(name);
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (!file) std::abort();
  if (size > 0 && std::fwrite(data, 1, size, file) != size) std::abort();
  std::fclose(file);
  return path;
}

}  // namespace semdedup::fuzz
