// semdedup reading from and writing to s3:// against a real S3-compatible server (moto's, from
// .venv-moto, which scripts/bootstrap.sh installs), started by each test on 127.0.0.1 with
// credential checking on. The objects are put and fetched with boto3, a client independent of
// the one under test.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "testing/testing.hpp"

namespace semdedup {
namespace {

using testing::CommandResult;
using testing::list_files;
using testing::read_bytes;
using testing::run_command;
using testing::run_semdedup;
using testing::TempDir;

namespace fs = std::filesystem;

constexpr const char* kBucket = "semdedup-test";

// boto3 side of the tests: setup (an IAM user whose key the server accepts, and the bucket),
// put, get, keys, buckets.
constexpr const char* kClient = R"PY(
import os, sys, boto3
command, port = sys.argv[1], sys.argv[2]
endpoint = "http://127.0.0.1:" + port
def client(service, key, secret):
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id=key, aws_secret_access_key=secret)
if command == "setup":
    iam = client("iam", "bootstrap", "bootstrap")
    iam.create_user(UserName="semdedup")
    iam.put_user_policy(UserName="semdedup", PolicyName="all", PolicyDocument=
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}')
    key = iam.create_access_key(UserName="semdedup")["AccessKey"]
    s3 = client("s3", key["AccessKeyId"], key["SecretAccessKey"])
    s3.create_bucket(Bucket=sys.argv[3])
    print(key["AccessKeyId"], key["SecretAccessKey"])
    sys.exit(0)
s3 = client("s3", sys.argv[3], sys.argv[4])
bucket = sys.argv[5]
if command == "put":
    local, prefix = sys.argv[6], sys.argv[7]
    for root, _, files in os.walk(local):
        for name in files:
            path = os.path.join(root, name)
            s3.upload_file(path, bucket, prefix + "/" + os.path.relpath(path, local))
elif command == "get":
    prefix, local = sys.argv[6], sys.argv[7]
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + "/"):
        for item in page.get("Contents", []):
            if item["Key"].endswith("/"):
                continue
            path = os.path.join(local, os.path.relpath(item["Key"], prefix))
            os.makedirs(os.path.dirname(path), exist_ok=True)
            s3.download_file(bucket, item["Key"], path)
elif command == "keys":
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            print(item["Key"])
elif command == "buckets":
    for item in s3.list_buckets()["Buckets"]:
        print(item["Name"])
elif command == "put-object":
    s3.put_object(Bucket=bucket, Key=sys.argv[6], Body=sys.argv[7].encode())
)PY";

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ::close(fd);
    return -1;
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

bool accepts_connections(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  ::close(fd);
  return ok;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

class S3Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(SEMDEDUP_MOTO_PYTHON))
        << SEMDEDUP_MOTO_PYTHON << " is missing: run scripts/bootstrap.sh";
    port_ = free_port();
    ASSERT_GT(port_, 0);
    server_ = ::fork();
    ASSERT_GE(server_, 0);
    if (server_ == 0) {
      // Every request after the three of `setup` (the IAM user and its key) must be signed with
      // a key the server knows.
      ::setenv("INITIAL_NO_AUTH_ACTION_COUNT", "3", 1);
      const int null = ::open("/dev/null", O_WRONLY);
      ::dup2(null, STDOUT_FILENO);
      ::dup2(null, STDERR_FILENO);
      const std::string port = std::to_string(port_);
      ::execl(SEMDEDUP_MOTO_PYTHON, SEMDEDUP_MOTO_PYTHON, "-m", "moto.server", "-H", "127.0.0.1",
              "-p", port.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!accepts_connections(port_)) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "moto server did not start";
      ASSERT_EQ(::waitpid(server_, nullptr, WNOHANG), 0) << "moto server exited";
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    const CommandResult setup = client({"setup", std::to_string(port_), kBucket});
    ASSERT_EQ(setup.exit_code, 0) << setup.err;
    std::istringstream keys(setup.out);
    keys >> key_ >> secret_;
    ASSERT_FALSE(secret_.empty()) << setup.out;
    // The AWS environment semdedup reads; nothing from this machine's ~/.aws or an EC2 role.
    ::setenv("AWS_ACCESS_KEY_ID", key_.c_str(), 1);
    ::setenv("AWS_SECRET_ACCESS_KEY", secret_.c_str(), 1);
    ::setenv("AWS_ENDPOINT_URL", endpoint().c_str(), 1);
    ::setenv("AWS_REGION", "us-east-1", 1);
    ::setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    ::setenv("AWS_CONFIG_FILE", "/dev/null", 1);
    ::setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null", 1);
    ::unsetenv("AWS_SESSION_TOKEN");
    ::unsetenv("AWS_PROFILE");
  }

  void TearDown() override {
    if (server_ > 0) {
      ::kill(server_, SIGTERM);
      ::waitpid(server_, nullptr, 0);
    }
  }

  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

  CommandResult client(std::vector<std::string> args) const {
    args.insert(args.begin(), {SEMDEDUP_MOTO_PYTHON, "-c", kClient});
    return run_command(args);
  }

  // boto3 with the good key: `command port key secret bucket args...`.
  CommandResult with_key(const std::string& command, std::vector<std::string> args,
                         const std::string& bucket = kBucket) const {
    args.insert(args.begin(), {command, std::to_string(port_), key_, secret_, bucket});
    return client(args);
  }

  std::vector<std::string> keys() const {
    const CommandResult listed = with_key("keys", {});
    EXPECT_EQ(listed.exit_code, 0) << listed.err;
    return lines_of(listed.out);
  }

  std::vector<std::string> keys_under(const std::string& prefix) const {
    std::vector<std::string> found;
    // Keys ending in '/' are the empty directory markers Arrow's S3 filesystem keeps.
    for (const auto& key : keys()) {
      if (key.starts_with(prefix) && !key.ends_with('/')) found.push_back(key);
    }
    return found;
  }

  // Generates a small dataset locally and puts its files under s3://bucket/in.
  std::string put_input(const TempDir& dir) const {
    const std::string root = dir.path().string();
    const CommandResult generated =
        run_semdedup({"generate", "--output", root + "/gen", "--rows", "1200", "--dim", "16",
                      "--files", "2", "--quiet"});
    EXPECT_EQ(generated.exit_code, 0) << generated.err;
    const CommandResult put = with_key("put", {root + "/gen/data", "in"});
    EXPECT_EQ(put.exit_code, 0) << put.err;
    return root + "/gen/data";
  }

  std::string s3(const std::string& key) const { return std::string("s3://") + kBucket + "/" + key; }

  int port_ = -1;
  pid_t server_ = -1;
  std::string key_, secret_;
};

const std::vector<std::string> kRunFlags{"--n-clusters", "6", "--eps", "0.05", "--threads", "2",
                                         "--cpu-kernel", "fp32", "--quiet"};

std::vector<std::string> with_run_flags(std::vector<std::string> args) {
  args.insert(args.end(), kRunFlags.begin(), kRunFlags.end());
  return args;
}

// The files of `dir` and their bytes, leaving out those that name paths (the manifest, the
// run summary).
std::map<std::string, std::string> data_files(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& name : list_files(dir)) {
    const std::string base = fs::path(name).filename().string();
    if (base == "_semdedup_manifest" || base == "summary.json") continue;
    files[name] = read_bytes(dir / name);
  }
  return files;
}

TEST_F(S3Cli, RunAndRemoveOnS3WriteTheBytesOfTheLocalRun) {
  TempDir dir;
  const std::string root = dir.path().string();
  const std::string local_input = put_input(dir);

  CommandResult r = run_semdedup(with_run_flags(
      {"run", "--input", local_input, "--output", root + "/local/out"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_semdedup({"remove", "--input", local_input, "--duplicates", root + "/local/out/duplicates",
                    "--output", root + "/local/dedup", "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;

  // The run takes its endpoint and key from the environment, remove from --storage-options.
  r = run_semdedup(with_run_flags({"run", "--input", s3("in"), "--output", s3("out")}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ::unsetenv("AWS_ACCESS_KEY_ID");
  ::unsetenv("AWS_SECRET_ACCESS_KEY");
  ::unsetenv("AWS_ENDPOINT_URL");
  r = run_semdedup({"remove", "--input", s3("in"), "--duplicates", s3("out/duplicates"),
                    "--output", s3("dedup"), "--quiet", "--storage-options",
                    "endpoint_override=" + endpoint() + ",key=" + key_ + ",secret=" + secret_});
  ASSERT_EQ(r.exit_code, 0) << r.err;

  for (const char* out : {"out", "dedup"}) {
    const CommandResult got = with_key("get", {out, root + "/fetched/" + out});
    ASSERT_EQ(got.exit_code, 0) << got.err;
    const auto local = data_files(root + "/local/" + out);
    const auto remote = data_files(root + "/fetched/" + out);
    EXPECT_GE(local.size(), 3u) << out;  // dedup: two data files and _SUCCESS
    EXPECT_EQ(local.size(), remote.size()) << out;
    for (const auto& [name, bytes] : local) {
      const auto it = remote.find(name);
      ASSERT_NE(it, remote.end()) << out << "/" << name << " is missing on s3";
      EXPECT_TRUE(it->second == bytes) << out << "/" << name << " differs";
    }
    // The markers are there too: the manifest first, _SUCCESS last.
    EXPECT_TRUE(fs::exists(root + "/fetched/" + out + "/_SUCCESS")) << out;
    EXPECT_TRUE(fs::exists(root + "/fetched/" + out + "/_semdedup_manifest")) << out;
  }
  // The credentials given on the command line are not recorded.
  EXPECT_EQ(read_bytes(root + "/fetched/dedup/_semdedup_manifest").find(secret_), std::string::npos);
  // No temporary object and no lock is left behind.
  for (const auto& key : keys()) {
    EXPECT_EQ(key.find(".tmp-"), std::string::npos) << key;
    EXPECT_EQ(key.find(".semdedup.lock"), std::string::npos) << key;
  }
}

TEST_F(S3Cli, RunUnderMpirunOnS3WritesTheBytesOfOneLocalProcess) {
  TempDir dir;
  const std::string root = dir.path().string();
  const std::string local_input = put_input(dir);
  const std::vector<std::string> flags{"--n-clusters", "6",   "--eps",        "0.05",
                                       "--threads",    "1",   "--cpu-kernel", "fp32", "--quiet"};
  std::vector<std::string> local{"run", "--input", local_input, "--output", root + "/local"};
  local.insert(local.end(), flags.begin(), flags.end());
  CommandResult r = run_semdedup(local);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Open MPI starts the ranks on this machine with this environment (the AWS variables).
  ::setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
  ::setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
  ::setenv("OMPI_MCA_btl_vader_single_copy_mechanism", "none", 1);
  std::vector<std::string> mpi{"/usr/bin/env", "mpirun", "--oversubscribe", "--allow-run-as-root",
                               "--mca", "btl", "self,vader", "-np", "2", SEMDEDUP_BINARY,
                               "run", "--input", s3("in"), "--output", s3("mpi")};
  mpi.insert(mpi.end(), flags.begin(), flags.end());
  r = run_command(mpi);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const CommandResult got = with_key("get", {"mpi", root + "/fetched"});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  const auto want = data_files(root + "/local");
  const auto have = data_files(root + "/fetched");
  EXPECT_GT(want.size(), 10u);
  EXPECT_EQ(list_files(root + "/fetched"), list_files(root + "/local"));
  EXPECT_TRUE(have == want) << "the bytes differ";
}

TEST_F(S3Cli, BadCredentialsFailWithOneLineAndWriteNothing) {
  TempDir dir;
  put_input(dir);
  ::setenv("AWS_ACCESS_KEY_ID", "AKIANOTAKNOWNKEY0000", 1);
  CommandResult r = run_semdedup(with_run_flags({"run", "--input", s3("in"), "--output", s3("bad")}));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(lines_of(r.err).size(), 1u) << r.err;
  EXPECT_THAT(r.err, ::testing::HasSubstr("AWS Error"));
  // A known key with a wrong secret: refused alike, also to a local output.
  ::setenv("AWS_ACCESS_KEY_ID", key_.c_str(), 1);
  ::setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret", 1);
  r = run_semdedup(with_run_flags({"run", "--input", s3("in"), "--output", dir / "local_out"}));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(lines_of(r.err).size(), 1u) << r.err;
  EXPECT_THAT(r.err, ::testing::HasSubstr("input '" + s3("in") + "': "));
  EXPECT_THAT(r.err, ::testing::HasSubstr("AWS Error"));
  EXPECT_FALSE(fs::exists(dir / "local_out"));
  EXPECT_TRUE(keys_under("bad").empty());
  EXPECT_TRUE(keys_under(".bad").empty());
}

TEST_F(S3Cli, MissingBucketFailsWithOneLineAndWritesNothing) {
  TempDir dir;
  const std::string local_input = put_input(dir);
  CommandResult r = run_semdedup(
      with_run_flags({"run", "--input", local_input, "--output", "s3://no-such-bucket/out"}));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(lines_of(r.err).size(), 1u) << r.err;
  EXPECT_THAT(r.err, ::testing::HasSubstr("no-such-bucket"));
  r = run_semdedup(with_run_flags(
      {"run", "--input", "s3://no-such-bucket/in", "--output", dir / "local_out"}));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(lines_of(r.err).size(), 1u) << r.err;
  EXPECT_THAT(r.err, ::testing::HasSubstr("no-such-bucket"));
  EXPECT_FALSE(fs::exists(dir / "local_out"));
  const CommandResult buckets = with_key("buckets", {});
  EXPECT_EQ(lines_of(buckets.out), std::vector<std::string>{kBucket});
}

TEST_F(S3Cli, StorageOptionsAreCheckedBeforeAnythingIsRead) {
  TempDir dir;
  CommandResult r = run_semdedup(with_run_flags({"run", "--input", s3("in"), "--output",
                                                 dir / "out", "--storage-options", "bogus=1"}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(lines_of(r.err).size(), 1u) << r.err;
  EXPECT_THAT(r.err, ::testing::HasSubstr("unknown storage option 'bogus'"));
  r = run_semdedup(with_run_flags({"run", "--input", s3("in"), "--output", dir / "out",
                                   "--storage-options", "anonymous=maybe"}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, ::testing::HasSubstr("anonymous"));
  // A YAML storage_options mapping, NeMo's nesting included, reaches the same options.
  const std::string config = dir / "config.yaml";
  std::ofstream(config) << "storage_options:\n  client_kwargs:\n    endpoint_url: "
                        << endpoint() << "\n  region: us-east-1\n  bogus: 1\n";
  r = run_semdedup(with_run_flags(
      {"run", "--config", config, "--input", s3("in"), "--output", dir / "out"}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, ::testing::HasSubstr("unknown storage option 'bogus'"));
  EXPECT_FALSE(fs::exists(dir / "out"));
}

TEST_F(S3Cli, YamlStorageOptionsInNemosSpellingReachTheServer) {
  TempDir dir;
  const std::string local_input = put_input(dir);
  ::unsetenv("AWS_ACCESS_KEY_ID");
  ::unsetenv("AWS_SECRET_ACCESS_KEY");
  ::unsetenv("AWS_ENDPOINT_URL");
  const std::string config = dir / "config.yaml";
  std::ofstream(config) << "n_clusters: 6\neps: 0.05\nstorage_options:\n  key: " << key_
                        << "\n  secret: " << secret_ << "\n  client_kwargs:\n    endpoint_url: "
                        << endpoint() << "\n";
  CommandResult r = run_semdedup({"run", "--config", config, "--input", local_input, "--output",
                                  s3("yaml"), "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto written = keys_under("yaml/");
  EXPECT_NE(std::find(written.begin(), written.end(), "yaml/_SUCCESS"), written.end());
}

TEST_F(S3Cli, AKilledRunIsResumedOnS3) {
  TempDir dir;
  const std::string root = dir.path().string();
  const std::string local_input = put_input(dir);
  CommandResult r = run_semdedup(with_run_flags({"run", "--input", local_input, "--output",
                                                 root + "/local"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // SIGKILL part-way (or after the end on a fast machine): the lock object stays behind, and
  // its pid no longer runs on this host, so --resume takes it over and finishes the run.
  testing::run_and_kill_after(with_run_flags({"run", "--input", local_input, "--output",
                                              s3("killed")}),
                              700);
  r = run_semdedup(with_run_flags(
      {"run", "--input", local_input, "--output", s3("killed"), "--resume"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(with_key("get", {"killed", root + "/fetched"}).exit_code, 0);
  EXPECT_EQ(list_files(root + "/fetched"), list_files(root + "/local"));
  EXPECT_TRUE(data_files(root + "/fetched") == data_files(root + "/local"));
  for (const auto& key : keys()) {
    EXPECT_EQ(key.find(".tmp-"), std::string::npos) << key;
    EXPECT_EQ(key.find(".semdedup.lock"), std::string::npos) << key;
  }
  // A lock whose pid is gone from this host is a killed run's: a fresh run takes it over too.
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ::waitpid(child, nullptr, 0);
  char host[256] = {};
  ::gethostname(host, sizeof(host) - 1);
  ASSERT_EQ(with_key("put-object", {".stale.semdedup.lock",
                                    "pid " + std::to_string(child) + " on " + host + "\n"})
                .exit_code,
            0);
  r = run_semdedup(with_run_flags({"run", "--input", local_input, "--output", s3("stale")}));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(keys_under(".stale.semdedup.lock").empty());
}

TEST_F(S3Cli, OutputRulesHoldOnS3) {
  TempDir dir;
  const std::string local_input = put_input(dir);
  // A lock object beside the output (another run, or a killed one) refuses the run.
  ASSERT_EQ(with_key("put-object", {".locked.semdedup.lock", "pid 1 on elsewhere\n"}).exit_code, 0);
  CommandResult r =
      run_semdedup(with_run_flags({"run", "--input", local_input, "--output", s3("locked")}));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, ::testing::HasSubstr("is in use by another semdedup run"));
  EXPECT_THAT(r.err, ::testing::HasSubstr(".locked.semdedup.lock"));
  EXPECT_TRUE(keys_under("locked").empty());

  // An output inside the input is refused before anything is written.
  r = run_semdedup(with_run_flags({"run", "--input", s3("in"), "--output", s3("in/out")}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, ::testing::HasSubstr("lies inside the input"));
  EXPECT_TRUE(keys_under("in/out").empty());

  // Fresh refuses a non-empty output; --overwrite replaces semdedup's own output; a resume of
  // a finished run keeps it.
  r = run_semdedup(with_run_flags({"run", "--input", local_input, "--output", s3("twice")}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto first = keys_under("twice/");
  r = run_semdedup(with_run_flags({"run", "--input", local_input, "--output", s3("twice")}));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, ::testing::HasSubstr("is not empty"));
  r = run_semdedup(
      with_run_flags({"run", "--input", local_input, "--output", s3("twice"), "--overwrite"}));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(keys_under("twice/"), first);
  r = run_semdedup(
      with_run_flags({"run", "--input", local_input, "--output", s3("twice"), "--resume"}));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(keys_under("twice/"), first);
  // --overwrite deletes nothing semdedup did not write.
  ASSERT_EQ(with_key("put-object", {"twice/notes.txt", "mine"}).exit_code, 0);
  r = run_semdedup(
      with_run_flags({"run", "--input", local_input, "--output", s3("twice"), "--overwrite"}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, ::testing::HasSubstr("notes.txt"));
  EXPECT_EQ(keys_under("twice/").size(), first.size() + 1);
}

}  // namespace
}  // namespace semdedup
