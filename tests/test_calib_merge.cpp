// Merging calibration statistics: the reduction behind blocked calibration and `mpirun -n N vlmq calibrate`.
#include <gtest/gtest.h>

#include <memory>

#include "calib/calib_stats.h"
#include "core/distributed.h"
#include "core/error.h"
#include "pipeline/calibrate.h"
#include "test_util.h"

namespace vlmq {
namespace {

constexpr int64_t K = 8;

std::unique_ptr<calib::CalibrationStats> observed(const std::vector<float>& x, int64_t rows) {
    auto s = std::make_unique<calib::CalibrationStats>();
    s->observe("w", x.data(), rows, K, K);
    s->samples = 1;
    return s;
}

TEST(CalibMerge, MergedEqualsTheSumsOfItsParts) {
    const std::vector<float> a = test::gaussian(size_t(5 * K), 1), b = test::gaussian(size_t(3 * K), 2);
    auto total = observed(a, 5);
    total->merge(std::move(*observed(b, 3)));
    const auto sa = observed(a, 5), sb = observed(b, 3);
    const calib::InputStats& t = *total->find("w");
    const calib::InputStats &pa = *sa->find("w"), &pb = *sb->find("w");
    EXPECT_EQ(total->samples, 2);
    EXPECT_EQ(t.rows, 8);
    EXPECT_EQ(t.xtx_rows, 8);
    for (size_t i = 0; i < size_t(K); ++i) {
        EXPECT_EQ(t.sum_sq[i], pa.sum_sq[i] + pb.sum_sq[i]);
        EXPECT_EQ(t.sum_abs[i], pa.sum_abs[i] + pb.sum_abs[i]);
        EXPECT_EQ(t.max_abs[i], std::max(pa.max_abs[i], pb.max_abs[i]));
    }
    for (size_t i = 0; i < t.xtx.size(); ++i) EXPECT_EQ(t.xtx[i], pa.xtx[i] + pb.xtx[i]);
}

TEST(CalibMerge, IntoEmptyIsExact) {
    const std::vector<float> a = test::gaussian(size_t(4 * K), 3);
    calib::CalibrationStats total;
    total.merge(std::move(*observed(a, 4)));
    const auto direct = observed(a, 4);
    EXPECT_EQ(total.find("w")->sum_sq, direct->find("w")->sum_sq);
    EXPECT_EQ(total.find("w")->xtx, direct->find("w")->xtx);
}

TEST(CalibMerge, DisagreeingShapesFailNamingTheWeight) {
    auto total = observed(test::gaussian(size_t(2 * K), 4), 2);
    calib::CalibrationStats other;
    const std::vector<float> x = test::gaussian(4, 5);
    other.observe("w", x.data(), 1, 4, 4);
    try {
        total->merge(std::move(other));
        FAIL() << "merge of 8 and 4 input channels accepted";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("'w'"), std::string::npos) << e.what();
    }
}

TEST(CalibMerge, SingleProcessBuildHasOneRank) {
    if (dist::compiled_with_mpi()) GTEST_SKIP() << "MPI build: scripts/test-mpi.sh checks the ranks";
    EXPECT_EQ(dist::size(), 1);
    EXPECT_TRUE(dist::is_root());
    EXPECT_EQ(dist::all_gather(std::vector<std::byte>(3)).size(), 1u);
    EXPECT_THROW(dist::send(1, {}), Error);
    EXPECT_EQ(pipeline::kCalibrationBlock, 16);  // changing it changes every multi-block statistics file
}

}  // namespace
}  // namespace vlmq
