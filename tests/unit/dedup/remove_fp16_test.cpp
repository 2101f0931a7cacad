// The remove step on NeMo 1.4's fp16 embeddings: list<uint16> bit patterns and list<halffloat>
// columns pass through unchanged to Parquet, and as their exact values to JSON lines.
#include <filesystem>

#include "dedup_fixtures.hpp"
#include "semdedup/dedup/remove.hpp"

namespace semdedup::dedup {
namespace {

namespace fs = std::filesystem;
using testing::python_out;
using testing::TempDir;

TEST(RemoveFp16, EmbeddingColumnsOfHalvesPassThrough) {
  TempDir dir;
  ASSERT_OK(io::initialize_arrow());
  fs::create_directories(dir.path() / "data");
  // 30 rows, id 0..29: `bits` list<uint16> of fp16 bits, `half` list<halffloat>, same values.
  ASSERT_EQ(python_out(R"(
import sys
import numpy as np, pyarrow as pa, pyarrow.parquet as pq
e = np.random.default_rng(2).standard_normal((30, 6)).astype(np.float16)
e[0, 0] = np.float16(6.1e-5)   # subnormal
def lists(values, type):
    return pa.ListArray.from_arrays(pa.array(np.arange(0, 181, 6, dtype=np.int32)),
                                    pa.array(values.reshape(-1), type=type))
pq.write_table(pa.table({"id": np.arange(30), "bits": lists(e.view(np.uint16), pa.uint16()),
                         "half": lists(e, pa.float16())}), sys.argv[1])
np.save(sys.argv[2], e)
print("ok")
)",
                       {dir / "data/f.parquet", dir / "e.npy"}),
            "ok");
  fs::create_directories(dir.path() / "dups");
  ASSERT_OK_AND_ASSIGN(auto dups, io::make_table({{"id", std::vector<int64_t>{3, 4, 29}}}));
  ASSERT_OK(io::write_parquet(dir / "dups/part-00000.parquet", dups));
  for (const auto type : {io::FileType::kParquet, io::FileType::kJsonl}) {
    RemoveParams params;
    params.input_paths = {dir / "data"};
    params.duplicates_path = dir / "dups";
    params.output_path = dir / std::string(io::file_type_name(type));
    params.output_filetype = type;
    ASSERT_OK_AND_ASSIGN(auto result, remove_duplicates(Context::make_default(1), params));
    EXPECT_EQ(result.rows_out, 27);
  }
  EXPECT_EQ(python_out(R"(
import sys
import numpy as np, pyarrow as pa, pyarrow.json as pj, pyarrow.parquet as pq
e = np.load(sys.argv[3])
keep = [i for i in range(30) if i not in (3, 4, 29)]
t = pq.read_table(sys.argv[1])
assert t.schema.field("bits").type == pa.list_(pa.uint16()), t.schema
assert t.schema.field("half").type == pa.list_(pa.float16()), t.schema
assert t["id"].to_pylist() == keep
bits = np.stack(t["bits"].to_numpy(zero_copy_only=False)).astype(np.uint16)
assert (bits == e[keep].view(np.uint16)).all()
assert (np.stack(t["half"].to_numpy(zero_copy_only=False)).view(np.uint16) == e[keep].view(np.uint16)).all()
j = pj.read_json(sys.argv[2])
halves = np.array(j["half"].to_pylist(), dtype=np.float32).astype(np.float16)
assert (halves.view(np.uint16) == e[keep].view(np.uint16)).all()
assert np.array(j["bits"].to_pylist()).tolist() == e[keep].view(np.uint16).tolist()
print("ok")
)",
                       {dir / "parquet/f.parquet", dir / "jsonl/f.jsonl", dir / "e.npy"}),
            "ok");
}

}  // namespace
}  // namespace semdedup::dedup
