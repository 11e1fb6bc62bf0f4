#pragma once
// Calibration statistics between MPI ranks, one weight's statistics per message (a rank never holds a
// second full copy to send): point to point for the ordered reduction, and the result broadcast to all.
#include <memory>

#include "calib/calib_stats.h"

namespace vlmq::calib {

void send_stats(int to, const CalibrationStats& stats);
// Receives what `from` sent with send_stats and merges it into `into`, weight by weight.
void receive_and_merge(int from, CalibrationStats& into);
// The root's statistics (weights, sample count, provenance) on every rank: returns `stats` on the root, a
// received copy elsewhere (where `stats` may be null).
std::unique_ptr<CalibrationStats> broadcast_stats(std::unique_ptr<CalibrationStats> stats, int root = 0);

}  // namespace vlmq::calib
