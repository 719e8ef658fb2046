// switchcost: what leaving a banned security vendor costs an MSP, as a
// distribution. All the work is in the switchcost::sim library.
#include <iostream>
#include <sstream>
#include <string>

#include "sim/cli/cli.h"
#include "sim/cli/distributed.h"

int main(int argc, char** argv) {
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
