// switchcost: what leaving a banned security vendor costs an MSP, as a
// distribution. All the work is in the switchcost::sim library.
#include <iostream>

#include "sim/cli/cli.h"

int main(int argc, char** argv) { return switchcost::sim::run_cli(argc, argv, std::cout, std::cerr); }
