// The command line: finds the command (sim/cli/command.h) by name, runs it, and
// maps every error type to its exit code.
#pragma once

#include <exception>
#include <iosfwd>

namespace switchcost::sim {

namespace exit_code {
inline constexpr int ok = 0;
inline constexpr int internal = 1;
inline constexpr int usage = 2;
inline constexpr int data = 65;    // bad scenario (sysexits EX_DATAERR)
inline constexpr int output = 74;  // output not writable (EX_IOERR)
}  // namespace exit_code

// Ends the command with this exit code, the reason already told: a process
// of a distributed run that learns another one failed (sim/cli/distributed.h).
class ExitRequest : public std::exception {
 public:
  explicit ExitRequest(int exit_with) noexcept : code(exit_with) {}
  const char* what() const noexcept override { return "exit requested"; }
  int code;
};

// Runs the program; returns the exit code. Never throws.
int run_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace switchcost::sim
