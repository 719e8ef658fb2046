// Output files that are checked before a run and written so that a failure
// never leaves a half-written report where a good one was.
#pragma once

#include <string>
#include <string_view>

namespace switchcost::sim {

// An output path, checked when constructed (throws OutputError if it cannot
// be written, so the run does not start) and written by write():
//   - a regular file or a new path: written to a temporary file in the same
//     directory, flushed to disk, then renamed over the target; on any error
//     the temporary is removed and the old file stays as it was;
//   - an existing path that is not a regular file (/dev/stdout, a FIFO,
//     /dev/full): written directly, never replaced; write errors are caught
//     the same way.
// "-" means standard output. Paths under /dev/ and /proc/ (/dev/stdout,
// /dev/fd/3) are always written directly, appending, even when they lead to
// a regular file: renaming over them would replace the link itself.
class OutputFile {
 public:
  explicit OutputFile(std::string path);
  const std::string& path() const noexcept { return path_; }
  // Writes all of content; throws OutputError naming the path and the reason.
  void write(std::string_view content) const;

 private:
  std::string path_;
  bool direct_ = false;  // existing non-regular target (or "-")
  bool append_ = false;  // under /dev or /proc: never truncate what is behind the link
};

// Removes the temporary file an OutputFile is writing, if any: for a signal
// handler that exits at once (a second Ctrl-C), so that no temporary is left
// behind. Async-signal-safe (an atomic flag, a fixed buffer and unlink).
void remove_pending_temporary() noexcept;

}  // namespace switchcost::sim
