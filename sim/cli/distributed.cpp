#include "sim/cli/distributed.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <stdexcept>
#include <vector>

#include "sim/cli/cli.h"

#if SWITCHCOST_WITH_MPI
#include <mpi.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#endif

namespace switchcost::sim::distributed {

namespace {
int world_rank = 0;
int world_size = 1;
}  // namespace

int rank() noexcept { return world_rank; }
int size() noexcept { return world_size; }

bool one_process_only(std::string_view command) noexcept {
  for (const std::string_view c : {"compare", "sensitivity", "plan", "init"})
    if (command == c) return true;
  return false;
}

#if !SWITCHCOST_WITH_MPI

World::World(int&, char**&) {}
World::~World() = default;
RunResult run(const Scenario& scenario, const RunOptions& options) { return run_scenario(scenario, options); }
int finish(int code, const std::string&) { return code; }

#else

namespace {

bool mpi_started = false;

// Where this rank is in the sequence of collective steps every rank takes:
// the agreement before the run, the one after it, then rank 0's exit code.
enum class Phase { before_run, running, reporting, done };
Phase phase = Phase::before_run;

// Values per message when shares of series move: 8 MiB.
constexpr std::size_t chunk_values = std::size_t(1) << 20;
// Bytes per message for packed sketches and moments.
constexpr std::size_t chunk_bytes = std::size_t(8) << 20;

enum Tag : int { tag_message = 1, tag_series, tag_bytes };

// Every rank's code (0 for none); the lowest failing rank's code, 0 if none.
// Rank 0 prints that rank's message when it is another rank's.
int agree(int code, const std::string& message) {
  std::vector<int> codes(static_cast<std::size_t>(world_size));
  MPI_Allgather(&code, 1, MPI_INT, codes.data(), 1, MPI_INT, MPI_COMM_WORLD);
  const auto first = std::find_if(codes.begin(), codes.end(), [](int c) { return c != 0; });
  if (first == codes.end()) return 0;
  const int failed = int(first - codes.begin());
  if (failed != 0) {
    if (world_rank == failed) {
      MPI_Send(message.data(), int(std::min<std::size_t>(message.size(), 1 << 20)), MPI_CHAR, 0, tag_message,
               MPI_COMM_WORLD);
    } else if (world_rank == 0) {
      MPI_Status status;
      MPI_Probe(failed, tag_message, MPI_COMM_WORLD, &status);
      int n = 0;
      MPI_Get_count(&status, MPI_CHAR, &n);
      std::string text(std::size_t(n), '\0');
      MPI_Recv(text.data(), n, MPI_CHAR, failed, tag_message, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      std::cerr << text << std::flush;
    }
  }
  return *first;
}

// A failure while shares move cannot be agreed on (the others are in the
// middle of a send or receive): every rank is ended.
[[noreturn]] void abort_all(const char* what) {
  std::fprintf(stderr, "switchcost: rank %d: %s\n", world_rank, what);
  MPI_Abort(MPI_COMM_WORLD, 1);
  std::abort();
}

// The series of a result in a fixed order, the same on every rank: each
// MSP's kept ones (outputs, then cost formulas), the portfolio's (outputs,
// then cost formula rows), the schedules.
std::vector<Values*> series_of(RunResult& r) {
  std::vector<Values*> out;
  for (auto& msp : r.msps) {
    for (auto& v : msp.series)
      if (!v.empty()) out.push_back(&v);
    for (auto& v : msp.formula_series)
      if (!v.empty()) out.push_back(&v);
  }
  for (auto& v : r.portfolio) out.push_back(&v);
  for (auto& v : r.formula_portfolio) out.push_back(&v);
  for (auto& s : r.schedules)
    for (Values* v : {&s.start_day, &s.setup_days, &s.duration_days, &s.learning_exponent, &s.endpoints})
      out.push_back(v);
  return out;
}

// Sends (to rank 0) or receives (rank 0, from `peer`) the values [first,
// first + n) of every series, in series order, in messages of at most
// chunk_values. Returns the bytes moved.
std::uint64_t move_series(const std::vector<Values*>& series, std::uint64_t first, std::uint64_t n, int peer,
                          bool receive) {
  const std::uint64_t total = series.size() * n;
  std::vector<double> buffer(std::size_t(std::min<std::uint64_t>(total, chunk_values)));
  std::size_t s = 0;
  std::uint64_t offset = 0;
  for (std::uint64_t moved = 0; moved < total;) {
    const std::size_t m = std::size_t(std::min<std::uint64_t>(chunk_values, total - moved));
    if (receive) MPI_Recv(buffer.data(), int(m), MPI_DOUBLE, peer, tag_series, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    for (std::size_t k = 0; k < m;) {
      const std::size_t take = std::size_t(std::min<std::uint64_t>(m - k, n - offset));
      double* v = series[s]->data() + first + offset;
      if (receive)
        std::copy(buffer.data() + k, buffer.data() + k + take, v);
      else
        std::copy(v, v + take, buffer.data() + k);
      k += take;
      offset += take;
      if (offset == n) {
        offset = 0;
        ++s;
      }
    }
    if (!receive) MPI_Send(buffer.data(), int(m), MPI_DOUBLE, 0, tag_series, MPI_COMM_WORLD);
    moved += m;
  }
  return total * sizeof(double);
}

// Sends bytes to `peer`, or receives them from it: their count, then
// messages of at most chunk_bytes.
std::uint64_t move_bytes(std::vector<unsigned char>& bytes, int peer, bool receive) {
  std::uint64_t n = bytes.size();
  if (receive) {
    MPI_Recv(&n, 1, MPI_UINT64_T, peer, tag_bytes, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    bytes.resize(std::size_t(n));
  } else {
    MPI_Send(&n, 1, MPI_UINT64_T, peer, tag_bytes, MPI_COMM_WORLD);
  }
  for (std::uint64_t at = 0; at < n; at += chunk_bytes) {
    const int m = int(std::min<std::uint64_t>(chunk_bytes, n - at));
    if (receive)
      MPI_Recv(bytes.data() + at, m, MPI_BYTE, peer, tag_bytes, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    else
      MPI_Send(bytes.data() + at, m, MPI_BYTE, peer, tag_bytes, MPI_COMM_WORLD);
  }
  return sizeof n + n;
}

// Sketch mode, rank 0: blocks' moments (consecutive blocks, each laid out
// as block_moment_layout says: [msp * output_count + output], then each
// MSP's cost formulas from layout[msp]) folded into the MSPs' moments, after
// those of the blocks before them: the order one process folds them in.
void fold_moments(const BlockMoments* blocks, std::size_t count, const std::vector<std::size_t>& layout,
                  RunResult& r) {
  const std::size_t per_block = layout.back();
  for (std::size_t m = 0; m < r.msps.size(); ++m) {
    auto& moments = r.msps[m].sketch->moments;
    auto& formula = r.msps[m].sketch->formula_moments;
    for (std::size_t at = 0; at < count; at += per_block) {
      for (int o = 0; o < output_count; ++o)
        moments[std::size_t(o)].add(blocks[at + m * std::size_t(output_count) + std::size_t(o)]);
      for (std::size_t k = 0; k < formula.size(); ++k) formula[k].add(blocks[at + layout[m] + k]);
    }
  }
}

// Sketch mode: per MSP, the trials done before updates stop and the sketch
// of every output (sums and merges: any order gives the same counts).
void pack_sketches(const RunResult& r, std::vector<unsigned char>& out) {
  out.clear();
  for (const auto& msp : r.msps) {
    const auto* done = reinterpret_cast<const unsigned char*>(&msp.sketch->done_before_updates_stop);
    out.insert(out.end(), done, done + sizeof(std::uint64_t));
    for (const auto& q : msp.sketch->quantiles) q.append_bytes(out);
    for (const auto& q : msp.sketch->formula_quantiles) q.append_bytes(out);
  }
}

void merge_sketches(const std::vector<unsigned char>& in, RunResult& r) {
  const unsigned char* p = in.data();
  const unsigned char* end = p + in.size();
  for (auto& msp : r.msps) {
    std::uint64_t done = 0;
    if (std::size_t(end - p) < sizeof done) throw std::logic_error("distributed: short sketches");
    std::memcpy(&done, p, sizeof done);
    p += sizeof done;
    msp.sketch->done_before_updates_stop += done;
    for (auto& q : msp.sketch->quantiles) q.merge(QuantileSketch::read_bytes(p, end));
    for (auto& q : msp.sketch->formula_quantiles) q.merge(QuantileSketch::read_bytes(p, end));
  }
  if (p != end) throw std::logic_error("distributed: sketches of another size");
}

// Sketch mode: the sketches of ranks [0, ranks) merged into rank 0's by a
// binary tree (rank r takes in r + 1, r + 2, r + 4, ... while r is a
// multiple of twice the step, then passes its merge on), so rank 0 receives
// log2(ranks) sets of sketches, not ranks - 1. Returns the bytes this rank sent.
std::uint64_t reduce_sketches(RunResult& r, int ranks) {
  std::vector<unsigned char> bytes;
  for (int step = 1; step < ranks; step *= 2) {
    if (world_rank % (2 * step) == step) {
      pack_sketches(r, bytes);
      return move_bytes(bytes, world_rank - step, false);
    }
    if (world_rank + step < ranks) {
      move_bytes(bytes, world_rank + step, true);
      merge_sketches(bytes, r);
    }
  }
  return 0;
}

// What each rank tells the others after its share: the trials it did, whether
// that is its whole share, and its engine time (SWITCHCOST_MPI_STATS).
struct ShareDone {
  std::uint64_t trials_done;
  std::uint64_t complete;
  double engine_seconds;
};

}  // namespace

World::World(int& argc, char**& argv) {
  // Started by a launcher: Open MPI's mpirun, or srun and other PMI ones.
  const bool launched = std::getenv("OMPI_COMM_WORLD_SIZE") || std::getenv("PMIX_RANK") ||
                        std::getenv("PMI_RANK") || std::getenv("PMI_SIZE");
  if (!launched) return;
  int provided = 0;
  // Only the main thread calls MPI; the engine's threads never do.
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  mpi_started = true;
  MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
  MPI_Comm_size(MPI_COMM_WORLD, &world_size);
}

World::~World() {
  if (mpi_started) MPI_Finalize();
}

RunResult run(const Scenario& scenario, const RunOptions& given) {
  if (!mpi_started) return run_scenario(scenario, given);
  if (phase != Phase::before_run) throw std::logic_error("distributed: one run per process");
  if (const int code = agree(0, "")) {
    phase = Phase::done;
    throw ExitRequest(code);
  }
  phase = Phase::running;

  // This rank's share: blocks [first, end) of the run's, in rank order.
  const bool sketch = given.msp_stats == MspStats::sketch;
  const std::uint64_t block = run_block_trials(given);
  const std::uint64_t blocks = (given.trials + block - 1) / block;
  const auto share_first = [&](int r) { return blocks * std::uint64_t(r) / std::uint64_t(world_size); };
  RunOptions options = given;
  options.block_range.emplace(share_first(world_rank), share_first(world_rank + 1));
  // Progress is rank 0's, its share's fraction done standing for the run's.
  const std::uint64_t own_trials =
      std::min(share_first(world_rank + 1) * block, given.trials) - std::min(share_first(world_rank) * block, given.trials);
  if (world_rank != 0 || own_trials == 0)
    options.progress = nullptr;
  else if (given.progress)
    options.progress = [&given, own_trials](std::uint64_t done, std::uint64_t total) {
      given.progress(std::uint64_t(double(done) / double(own_trials) * double(total)), total);
    };
  std::vector<BlockMoments> moments;  // sketch mode: this rank's blocks', in block order
  if (sketch)
    options.block_moments = [&](const std::vector<BlockMoments>& m) { moments.insert(moments.end(), m.begin(), m.end()); };
  const auto started = std::chrono::steady_clock::now();
  RunResult r = run_scenario(scenario, options);  // an error here reaches the others through finish()
  const double engine_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  if (const int code = agree(0, "")) {
    phase = Phase::done;
    throw ExitRequest(code);
  }
  phase = Phase::reporting;
  const ShareDone mine{r.trials_done, r.complete ? 1u : 0u, engine_seconds};
  std::vector<ShareDone> shares(static_cast<std::size_t>(world_size));
  MPI_Allgather(&mine, sizeof mine, MPI_BYTE, shares.data(), sizeof mine, MPI_BYTE, MPI_COMM_WORLD);
  // The result holds the ranks' shares up to the first one not done whole
  // (stopped), itself included: a prefix of the run's trials.
  int contributing = 0;
  std::uint64_t trials_done = 0;
  while (contributing < world_size) {
    trials_done = std::min<std::uint64_t>(share_first(contributing) * block, given.trials) +
                  shares[std::size_t(contributing)].trials_done;
    if (!shares[std::size_t(contributing++)].complete) break;
  }

  std::vector<std::uint64_t> sent(static_cast<std::size_t>(world_size), 0);
  try {
    const std::vector<Values*> series = series_of(r);  // sketch mode: no MSP keeps series
    // First every share's series (and sketch mode's block moments) to rank
    // 0, in rank order; then the sketches, by a tree.
    if (world_rank != 0 && world_rank < contributing) {
      const std::uint64_t first = share_first(world_rank) * block;
      std::uint64_t bytes = move_series(series, first, r.trials_done, 0, false);
      if (sketch) {
        std::vector<unsigned char> packed(reinterpret_cast<const unsigned char*>(moments.data()),
                                          reinterpret_cast<const unsigned char*>(moments.data() + moments.size()));
        bytes += move_bytes(packed, 0, false);
      }
      sent[std::size_t(world_rank)] = bytes;
    }
    if (world_rank == 0) {
      // Sketch mode: the moments folded again from the first block, each
      // rank's as they arrive (in rank order, so in block order).
      const std::vector<std::size_t> layout = block_moment_layout(r);
      if (sketch) {
        for (auto& msp : r.msps) {
          msp.sketch->moments = {};
          std::fill(msp.sketch->formula_moments.begin(), msp.sketch->formula_moments.end(), MomentAccumulator{});
        }
        fold_moments(moments.data(), moments.size(), layout, r);
      }
      std::vector<unsigned char> packed;
      for (int peer = 1; peer < contributing; ++peer) {
        const std::uint64_t first = share_first(peer) * block;
        move_series(series, first, shares[std::size_t(peer)].trials_done, peer, true);
        if (sketch) {
          move_bytes(packed, peer, true);
          const std::uint64_t n = shares[std::size_t(peer)].trials_done;
          const std::uint64_t count = (n + block - 1) / block * std::uint64_t(layout.back());
          if (packed.size() != count * sizeof(BlockMoments)) throw std::logic_error("distributed: moments of another size");
          moments.resize(std::size_t(count));  // aligned for BlockMoments
          std::memcpy(moments.data(), packed.data(), packed.size());
          fold_moments(moments.data(), moments.size(), layout, r);
        }
      }
    }
    if (sketch && world_rank < contributing) sent[std::size_t(world_rank)] += reduce_sketches(r, contributing);
  } catch (const std::exception& e) {
    abort_all(e.what());
  }
  MPI_Allreduce(MPI_IN_PLACE, sent.data(), world_size, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);

  if (world_rank == 0 && std::getenv("SWITCHCOST_MPI_STATS")) {
    for (int q = 0; q < world_size; ++q) {
      const auto& s = shares[std::size_t(q)];
      std::cerr << "switchcost: rank " << q << ": blocks [" << share_first(q) << ", " << share_first(q + 1) << "), "
                << s.trials_done << " trials in " << s.engine_seconds << " s ("
                << (s.engine_seconds > 0 ? double(s.trials_done) / s.engine_seconds : 0.0) << " trials/s), "
                << sent[std::size_t(q)] << " bytes sent\n";
    }
  }
  if (world_rank != 0) return r;

  // Rank 0: the whole result, as run_scenario gives it.
  r.trials_done = trials_done;
  r.complete = trials_done == given.trials;
  if (!r.complete) {
    for (auto& msp : r.msps) {
      for (auto& v : msp.series)
        if (!v.empty()) v.resize(std::size_t(trials_done));
      for (auto& v : msp.formula_series) v.resize(std::size_t(trials_done));
    }
    for (auto& v : r.portfolio) v.resize(std::size_t(trials_done));
    for (auto& v : r.formula_portfolio) v.resize(std::size_t(trials_done));
  }
  if (sketch) {
    for (auto& msp : r.msps) {
      for (auto& q : msp.sketch->quantiles) q.shrink_to_fit();
      for (auto& q : msp.sketch->formula_quantiles) q.shrink_to_fit();
    }
    run_tail_pass(scenario, given, r);
  }
  return r;
}

int finish(int code, const std::string& message) {
  if (!mpi_started) return code;
  switch (phase) {
    case Phase::before_run:
    case Phase::running:
      phase = Phase::done;
      return agree(code, message);
    case Phase::reporting:
      phase = Phase::done;
      MPI_Bcast(&code, 1, MPI_INT, 0, MPI_COMM_WORLD);
      return code;
    case Phase::done:
      break;
  }
  return code;
}

#endif

}  // namespace switchcost::sim::distributed
