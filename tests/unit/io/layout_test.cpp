// The names of the on-disk contract: built and parsed back, spelled as NeMo Curator spells them.
#include "semdedup/io/layout.hpp"

#include <gtest/gtest.h>

namespace semdedup::io {
namespace {

TEST(Layout, CentroidPartitionNamesRoundTrip) {
  EXPECT_EQ(centroid_partition_name(0), "centroid=0");
  EXPECT_EQ(centroid_partition_name(1234), "centroid=1234");
  EXPECT_EQ(parse_centroid_partition_name("centroid=17"), 17);
  EXPECT_EQ(parse_centroid_partition_name(centroid_partition_name(987654321)), 987654321);
}

TEST(Layout, OtherDirectoryNamesAreNoPartition) {
  for (const char* name : {"centroid=", "centroid=-1", "centroid=+1", "centroid=1a", "centroid=a",
                           "xcentroid=1", "centroid 1", "centroid=99999999999999999999"}) {
    EXPECT_FALSE(parse_centroid_partition_name(name).has_value()) << name;
  }
}

TEST(Layout, ClusterFileNamesRoundTrip) {
  EXPECT_EQ(cluster_file_name(3), "cluster_3.parquet");
  EXPECT_EQ(parse_cluster_file_name("cluster_42.parquet"), 42);
  EXPECT_EQ(parse_cluster_file_name(cluster_file_name(100000)), 100000);
  for (const char* name : {"cluster_.parquet", "cluster_-3.parquet", "cluster_3.parquet.tmp",
                           "cluster_3.json", "cluster3.parquet", "cluster_3a.parquet",
                           "cluster_.parquet.parquet"}) {
    EXPECT_FALSE(parse_cluster_file_name(name).has_value()) << name;
  }
}

TEST(Layout, PartAndLockNames) {
  EXPECT_EQ(kmeans_part_file_name(0), "part-000000.parquet");
  EXPECT_EQ(kmeans_part_file_name(1234567), "part-1234567.parquet");
  EXPECT_EQ(numbered_file_name(7, ".parquet"), "part-00007.parquet");
  EXPECT_EQ(numbered_file_name(12, ".jsonl"), "part-00012.jsonl");
  EXPECT_EQ(output_lock_file_name("out"), ".out.semdedup.lock");
}

}  // namespace
}  // namespace semdedup::io
