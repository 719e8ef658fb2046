// Output files that are checked before a run and written so that a failure
// never leaves a half-written report where a good one was.
#pragma once

#include <atomic>
#include <functional>
#include <ostream>
#include <string>

#include "sim/base/error.h"

namespace switchcost::sim {

// A write stopped by a signal (the stop flag given to OutputFile::write was
// set while waiting for a FIFO's reader or inside a blocked write): nothing
// was left at the path (a temporary is removed); the caller exits 128+signal.
class OutputInterrupted : public OutputError {
 public:
  using OutputError::OutputError;
};

// An output path, checked when constructed (throws UsageError for an empty
// path, OutputError if it cannot be written, so the run does not start) and
// written by write():
//   - "-": standard output, written directly;
//   - an existing character device or FIFO (/dev/null, /dev/full, a pipe
//     through /dev/stdout): written directly, never replaced or appended to;
//     a FIFO is opened without blocking and waited for until it has a reader
//     or the stop flag is set;
//   - anything else is a regular file, new or existing, wherever it is
//     (/dev/shm, /proc/self/fd/N, /dev/stdout redirected to a file): symbolic
//     links are followed to the final target, which is replaced atomically:
//     a temporary file in the target's directory, flushed to disk, then
//     renamed over it, keeping the mode of the file it replaces (a new file
//     gets 0666 & ~umask). On any error the temporary is removed and the old
//     file stays as it was. Directories, sockets and block devices are refused.
class OutputFile {
 public:
  explicit OutputFile(std::string path);
  const std::string& path() const noexcept { return path_; }
  // Whether the two name the same file (after links, or by inode), or both
  // standard output.
  bool same_file(const OutputFile& other) const;
  // Whether `path` names this output's file, by the same test (an input
  // given again as an output, through a link or a hard link, say).
  bool is(const std::string& path) const;

  // Renders straight into the destination through a buffered writer (no
  // copy of the whole report in memory) and checks every write; throws
  // OutputError naming the path and the reason (OutputInterrupted if `stop`,
  // clear when the write began, is set while waiting for a FIFO's reader or
  // writing to a FIFO, a device or standard output).
  using Render = std::function<void(std::ostream&)>;
  void write(const Render& render, const std::atomic<bool>* stop = nullptr) const;

 private:
  enum class Kind { standard_output, direct, replace };
  std::string path_;    // as given
  std::string target_;  // Kind::replace: the final target, links followed
  Kind kind_ = Kind::replace;
  std::string identity_;  // for same_file
};

// Removes the temporary file an OutputFile is writing, if any: for a signal
// handler that exits at once (a second Ctrl-C), so that no temporary is left
// behind. Async-signal-safe (an atomic flag, a fixed buffer and unlink).
void remove_pending_temporary() noexcept;

}  // namespace switchcost::sim
