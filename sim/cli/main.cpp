// switchcost: what leaving a banned security vendor costs an MSP, as a
// distribution. All the work is in the switchcost::sim library.
#include <malloc.h>
#include <sys/resource.h>

#include <iostream>
#include <sstream>
#include <string>

#include "sim/cli/cli.h"
#include "sim/cli/distributed.h"

namespace {
// Under an address-space limit (RLIMIT_AS, `ulimit -v`) glibc's malloc gives
// each thread that allocates its own heap, reserving 64 MiB of address space
// at once: two worker threads took 128 MiB of a 300 MiB limit unused, and
// whether a run that fits ended in "out of memory" depended on which threads
// allocated first. With one heap the limit counts memory in use, so the
// memory check (--max-memory-gib's default is 3/4 of the limit) holds.
void one_heap_under_address_space_limit() {
  struct rlimit as {};
  if (getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY) mallopt(M_ARENA_MAX, 1);
}
}  // namespace

int main(int argc, char** argv) {
  one_heap_under_address_space_limit();
  namespace distributed = switchcost::sim::distributed;
  const distributed::World world(argc, argv);
  if (distributed::size() == 1) return switchcost::sim::run_cli(argc, argv, std::cout, std::cerr);
  // Several ranks (sim/cli/distributed.h): rank 0 speaks for all; the
  // others' output is dropped, their errors passed on if they fail first.
  const std::string command = argc > 1 ? argv[1] : "";
  if (distributed::one_process_only(command)) {
    if (distributed::rank() == 0)
      std::cerr << "switchcost: " << command
                << " runs in one process; of the simulating commands only run and estimate run on several "
                   "MPI ranks (see docs/mpi.md)\n";
    return distributed::finish(2, "");
  }
  std::ostringstream quiet_out, quiet_err;
  const bool root = distributed::rank() == 0;
  const int code = switchcost::sim::run_cli(argc, argv, root ? std::cout : quiet_out, root ? std::cerr : quiet_err);
  return distributed::finish(code, quiet_err.str());
}
