// Runs across processes: `mpirun -np N switchcost run ...` or `srun -n N
// switchcost run ...` (docs/mpi.md). Built with -DSWITCHCOST_WITH_MPI=ON;
// otherwise, or when the program was not started by an MPI launcher, there is
// one process (rank 0 of 1) and run() is run_scenario().
//
// Each rank runs a contiguous share of the run's blocks of trials, every MSP
// of them (RunOptions::block_range), so each trial's portfolio sums are taken
// exactly as in one process; rank 0 then gathers the shares in rank order:
// exact mode, every series' values; sketch mode, the portfolio's series, each
// block's moments (folded again in block order, as threads fold them) and the
// sketches (merged: integer counts, so in any order). The result on rank 0 is
// the same bytes as one process's, for any number of ranks.
//
// Ending together. Every rank reads the same files and options, so errors
// before the run arise on all alike; still, each rank's outcome is agreed on
// at two points, before the run and after it (every rank's exit code, 0 for
// none, and the trials it did): if any rank failed, every rank ends with the
// exit code of the lowest failing rank, whose message rank 0 prints. A rank
// that fails contributes its code to the next agreement from finish(). After
// the run only rank 0 works (report, outputs); the others wait for its exit
// code and end with it. A stop (SIGINT, SIGTERM on any rank) makes that
// rank's share a prefix of its blocks; the result is the trials of every rank
// up to the first one that stopped early (a prefix of the run, as in one
// process), written by rank 0 as partial.
#pragma once

#include <iosfwd>
#include <string>
#include <string_view>

#include "sim/engine/engine.h"
#include "sim/scenario/scenario.h"

namespace switchcost::sim::distributed {

// The processes of the program, from main() to its exit: initialises MPI
// (and finalises it) when built with MPI and started by mpirun or srun.
class World {
 public:
  World(int& argc, char**& argv);
  ~World();
  World(const World&) = delete;
  World& operator=(const World&) = delete;
};

int rank() noexcept;  // 0 with one process
int size() noexcept;  // 1 without MPI or a launcher

// The commands that refuse to run on more than one rank: those that
// simulate but do not distribute (compare, sensitivity, plan) and init,
// which writes a file. run and estimate distribute; the others (validate,
// builtin, help, version) run on every rank, rank 0 printing.
bool one_process_only(std::string_view command) noexcept;

// Runs the scenario, each rank its share; the whole result on rank 0, the
// others' own share (not to be reported). Throws ExitRequest when another
// rank failed (rank 0 has printed why).
RunResult run(const Scenario& scenario, const RunOptions& options);

// At the end of main, with the command's exit code and, on ranks other than
// 0, what it wrote to standard error (rank 0 prints it if this rank failed
// first). Takes part in the agreement still pending, if any; returns the
// exit code every rank ends with.
int finish(int code, const std::string& message);

}  // namespace switchcost::sim::distributed
