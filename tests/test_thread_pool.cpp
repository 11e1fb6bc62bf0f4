// ThreadPool: every index exactly once, exceptions carried to the caller, nested calls serial, and no lost
// wake-ups whether the workers are spinning (back-to-back calls) or asleep (calls after a pause).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include "core/thread_pool.h"

using vlmq::ThreadPool;

namespace {

// Runs one parallel_for over [0, n) and checks each index was visited exactly once.
void expect_covers_once(ThreadPool& pool, int64_t n, int64_t grain) {
    std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
    pool.parallel_for(n, grain, [&](int64_t b, int64_t e) {
        ASSERT_LE(0, b);
        ASSERT_LE(e, n);
        for (int64_t i = b; i < e; ++i) hits[size_t(i)].fetch_add(1);
    });
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[size_t(i)].load(), 1) << "n=" << n << " grain=" << grain << " i=" << i;
}

}  // namespace

TEST(ThreadPool, CoversEveryIndexOnceForManyShapes) {
    for (int threads : {1, 2, 3, 8}) {
        ThreadPool pool(threads);
        EXPECT_EQ(pool.size(), threads);
        for (int64_t n : {1, 2, 7, 64, 1000, 4097})
            for (int64_t grain : {1, 3, 64, 5000}) expect_covers_once(pool, n, grain);
    }
}

TEST(ThreadPool, ChunksRespectTheGrain) {
    ThreadPool pool(4);
    std::atomic<int> short_chunks{0}, chunks{0};
    pool.parallel_for(1000, 100, [&](int64_t b, int64_t e) {
        chunks.fetch_add(1);
        if (e - b < 100 && e != 1000) short_chunks.fetch_add(1);
    });
    EXPECT_EQ(short_chunks.load(), 0);
    EXPECT_LE(chunks.load(), 10);
    EXPECT_GE(chunks.load(), 2);
}

TEST(ThreadPool, BackToBackCallsWhileWorkersSpin) {
    ThreadPool pool(2);
    std::atomic<int64_t> sum{0};
    for (int call = 0; call < 20000; ++call)
        pool.parallel_for(64, 1, [&](int64_t b, int64_t e) { sum.fetch_add(e - b); });
    EXPECT_EQ(sum.load(), 20000 * 64);
}

TEST(ThreadPool, CallsAfterWorkersFellAsleep) {
    ThreadPool pool(3);
    for (int call = 0; call < 5; ++call) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));  // well past the spin window
        expect_covers_once(pool, 300, 1);
    }
}

TEST(ThreadPool, UsesMoreThanOneThreadForSlowChunks) {
    ThreadPool pool(2);
    std::atomic<int> caller{0}, others{0};
    const auto me = std::this_thread::get_id();
    pool.parallel_for(8, 1, [&](int64_t, int64_t) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        (std::this_thread::get_id() == me ? caller : others).fetch_add(1);
    });
    EXPECT_EQ(caller.load() + others.load(), 8);
    EXPECT_GT(others.load(), 0);
}

TEST(ThreadPool, RethrowsTheFirstExceptionAndStaysUsable) {
    ThreadPool pool(2);
    EXPECT_THROW(pool.parallel_for(100, 1,
                                   [&](int64_t b, int64_t) {
                                       if (b >= 50) throw std::runtime_error("chunk failed");
                                   }),
                 std::runtime_error);
    expect_covers_once(pool, 500, 1);
}

TEST(ThreadPool, NestedCallsRunSerially) {
    ThreadPool pool(2);
    std::atomic<int64_t> inner{0};
    pool.parallel_for(4, 1, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i)
            pool.parallel_for(100, 1, [&](int64_t ib, int64_t ie) { inner.fetch_add(ie - ib); });
    });
    EXPECT_EQ(inner.load(), 400);
}

TEST(ThreadPool, TwoCallersShareOnePool) {
    ThreadPool pool(2);
    std::atomic<int64_t> total{0};
    auto caller = [&] {
        for (int i = 0; i < 2000; ++i) pool.parallel_for(32, 1, [&](int64_t b, int64_t e) { total.fetch_add(e - b); });
    };
    std::thread other(caller);
    caller();
    other.join();
    EXPECT_EQ(total.load(), 2 * 2000 * 32);
}
