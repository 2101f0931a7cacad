// The golden check of the on-disk contract: `generate`, `run`, `remove` and `report` on small
// demo-like data give byte-identical outputs (every file's SHA-256, recorded here) whatever the
// thread count. Two things are normalised before hashing, since they differ from run to run by
// nature: the temporary directory's path (replaced by "<root>") wherever a file records it, and
// the modification times a manifest records of its input files; summary.json is compared
// without its "timings" and "versions" (wall-clock times, library and CPU names).
#include <fstream>
#include <string>
#include <vector>

#include "testing/testing.hpp"

namespace semdedup {
namespace {

using testing::run_python;
using testing::run_semdedup;
using testing::TempDir;

// "relative/path sha256" per file under argv[1], sorted, normalised as the header says.
constexpr const char* kDigests = R"(
import hashlib, json, os, sys
root = sys.argv[1]
entries = []
for dirpath, _, names in os.walk(root):
    for name in names:
        path = os.path.join(dirpath, name)
        rel = os.path.relpath(path, root)
        data = open(path, "rb").read()
        if name == "summary.json":
            summary = json.loads(data)
            summary.pop("timings")
            summary.pop("versions")
            data = json.dumps(summary, sort_keys=True).encode()
        if name in ("summary.json", "_semdedup_manifest", "report.txt"):
            data = data.replace(root.encode(), b"<root>")
        if name == "_semdedup_manifest":
            lines = data.decode().split("\n")
            lines = [l.rsplit(" ", 1)[0] if l.startswith("input file: ") else l for l in lines]
            data = "\n".join(lines).encode()
        entries.append(f"{rel} {hashlib.sha256(data).hexdigest()}\n")
print("".join(sorted(entries)), end="")
)";

// Recorded once; a change here is a change of the on-disk bytes.
constexpr const char* kGolden = R"(
dedup/_SUCCESS e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
dedup/_semdedup_manifest 60c20ba757b6c183068dc9321e4a380fb4528ea007644eb4d1b2506c7ebc3331
dedup/part-00000.parquet e3f0a060b9dce93bd8f2015def9b9243d6b085e9b3d18551b5c4d4027d189367
dedup/part-00001.parquet 2159697108091aeb9db759acf983e129237e34486897d95778ef507ef0934eb4
gen/_SUCCESS e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
gen/_semdedup_manifest 6298e3cce20a5e80be48ae1143a6a856dc9204c57288101b976fc6dbfcb9b58d
gen/data/part-00000.parquet c9d3dd6792de3ff998fc56ecd32e44423981bc3e2dfd346d186bc1ecabe8cda5
gen/data/part-00001.parquet bd2aec421ffa9cea1614b863270b43f552b06f28f8a6724d21b42bc37bfc4e78
gen/ground_truth.parquet 9b74911c0266a98bf727d8d8ffd345959a998fe716144a080a8e5e4188335f07
out/_SUCCESS e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
out/_semdedup_manifest 837cbedfafdca5c30059cb53cb008307becd254ed7071852f0b61efba7fb95dd
out/duplicates/part-00000.parquet ef333ca11f53b32891248a073970f962c2281e41ceb7540c38c42524790d4736
out/kmeans_centroids.npy 0b665979c1c7688c4a8f68a960dcdd8b1d17646e25544407d10411d3e67bfad8
out/kmeans_results/_SUCCESS 41f697ebca5c2b8cb754d4afaea5e93c98f752c8d7f09397d6ede43e2ecd3dbb
out/kmeans_results/_kmeans_centroids.npy 0b665979c1c7688c4a8f68a960dcdd8b1d17646e25544407d10411d3e67bfad8
out/kmeans_results/_semdedup_manifest b08a0abc46223f83ea4b7325a34cea490aa5d8bc09661b638971012b159b031f
out/kmeans_results/centroid=0/part-000000.parquet 0c4beabef6d4e4d8de9876e3ebfb07d4afaa33b61e370230ba593a66c571ed6d
out/kmeans_results/centroid=1/part-000000.parquet 6fc4642d012d542fde5248f6928fb9e4e95b5a789349b05fbe340d4e67c0283e
out/kmeans_results/centroid=2/part-000000.parquet 1e8e3e1b162d33fbf7141fd0a794576092aaea49000f285ea5e514d7a77c97de
out/kmeans_results/centroid=3/part-000000.parquet 605dbe171f5036c4184a441a0f0fc136187801973b6cfe92f3f8d15097761ce2
out/kmeans_results/centroid=4/part-000000.parquet a4f76fb5a2debe8f50e10ce0e7e4d5c20a395e91e11c50f21daac85c1eac3490
out/kmeans_results/centroid=5/part-000000.parquet 4e1095628fa6379e92d3be93462d2b2ae4cf151af349c5d8061e6de8c73dc6ee
out/kmeans_results/centroid=6/part-000000.parquet f7da3661da752c8c766d7e08ae9655b36ec07d005f87b17f1a32de6543e81c17
out/kmeans_results/centroid=7/part-000000.parquet cf2bfd99e571dd996c1a3751e78f72620ffe1185dc5530bdf2856e9d757d7852
out/pairwise_results/_SUCCESS e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
out/pairwise_results/_semdedup_manifest 8861029bc371b4826253dbdd4a992c5fc1bf2d9d74580ca56c483ecffbf2f2ab
out/pairwise_results/cluster_0.parquet af7df60d904d9759a61db0598762f1a3856917944285f99bbd2cbb39752d237e
out/pairwise_results/cluster_1.parquet 03efcd207a806962bf3649d818bfea26335bf7427423c4a2e5a9a0111436cb2e
out/pairwise_results/cluster_2.parquet 38ce47c1e327939ba7af924fce38c62899bcfcf513a0b846d63b1c12ceb3a720
out/pairwise_results/cluster_3.parquet 85f7296e256ecdeecbf18a8de84e31da07c554c1d507235b7bff00ae547b7898
out/pairwise_results/cluster_4.parquet 37d7cc68115469ee9dce1bbe9bb286c3b6871f1f7942eac1e2970901e9f6f927
out/pairwise_results/cluster_5.parquet 5ce9fbc5ee6527846899e57a38c005e2079999311ca9bdecb1ea85fb6691fd82
out/pairwise_results/cluster_6.parquet 86305976d5ef0d712f7ffd6dfc0c6158f0ac330f4a62d4be441b24370795fbac
out/pairwise_results/cluster_7.parquet a2d68eadb3194df81b915f53b1e2010fadb5545078cd3c1de36f43618597b29d
out/summary.json dbdf0fe87544944f3a6df8c55f29305e1c63f8f3ac4fef05a0972822d5cb34e0
report.txt 233e9f7cf5f0c6fc01a3c12a94faa52d1b497f6455cabef368a3d0331b68ea07
)";

// Runs the whole pipeline with `threads` worker threads under `dir` and returns the digests.
std::string pipeline_digests(const TempDir& dir, const std::string& threads) {
  const std::string root = dir.path().string();
  const std::vector<std::string> common{"--threads", threads, "--cpu-kernel", "fp32", "--quiet"};
  const auto with_common = [&](std::vector<std::string> args) {
    args.insert(args.end(), common.begin(), common.end());
    return run_semdedup(args);
  };
  auto r = run_semdedup({"generate", "--output", root + "/gen", "--rows", "3000", "--dim", "32",
                         "--files", "2", "--threads", threads, "--quiet"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = with_common({"run", "--input", root + "/gen/data", "--output", root + "/out",
                   "--n-clusters", "8", "--eps", "0.05"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = with_common({"remove", "--input", root + "/gen/data", "--duplicates",
                   root + "/out/duplicates", "--output", root + "/dedup"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = with_common({"report", "--input", root + "/out"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::ofstream(root + "/report.txt", std::ios::binary) << r.out;
  const auto digests = run_python(kDigests, {root});
  EXPECT_EQ(digests.exit_code, 0) << digests.err;
  return digests.out;
}

TEST(GoldenCli, OutputsMatchTheRecordedDigestsWithOneAndTwoThreads) {
  for (const char* threads : {"1", "2"}) {
    TempDir dir;
    EXPECT_EQ(pipeline_digests(dir, threads), std::string(kGolden).substr(1)) << threads;
  }
}

}  // namespace
}  // namespace semdedup
