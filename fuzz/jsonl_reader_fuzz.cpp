// libFuzzer target: arbitrary bytes as a JSON lines input file of the embedding reader.
#include "reader_fuzz.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) { return semdedup::fuzz::initialize(); }

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return semdedup::fuzz::read_dataset(semdedup::io::FileType::kJsonl, "input.jsonl", data, size);
}
