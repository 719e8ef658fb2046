#include "sim/output.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "sim/error.h"

namespace switchcost::sim {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& why) {
  throw OutputError("cannot write " + path + ": " + why);
}

std::string errno_text(int err) { return std::strerror(err); }

// Writes all bytes to fd, retrying on EINTR and short writes.
void write_all(int fd, std::string_view content, const std::string& path) {
  const char* p = content.data();
  std::size_t left = content.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(path, errno_text(errno));
    }
    p += n;
    left -= std::size_t(n);
  }
}

std::string directory_of(const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? std::string(".") : parent.string();
}

// The temporary being written (one at a time: outputs are written in turn),
// for remove_pending_temporary(). The path is copied in before the flag is
// set and the flag cleared before the buffer is reused.
char pending_path[4096];
std::atomic<bool> pending{false};

void set_pending(const std::string& tmp) noexcept {
  pending.store(false);
  if (tmp.size() >= sizeof pending_path) return;  // too long to keep: not removed on a second signal
  std::memcpy(pending_path, tmp.c_str(), tmp.size() + 1);
  pending.store(true);
}

// A temporary file next to `path`; returns its fd and fills tmp.
int make_temporary(const std::string& path, std::string& tmp) {
  std::string pattern = directory_of(path) + "/." + std::filesystem::path(path).filename().string() + ".tmp-XXXXXX";
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  const int fd = ::mkstemp(name.data());
  if (fd < 0) fail(path, "cannot create a file in " + directory_of(path) + ": " + errno_text(errno));
  tmp.assign(name.data());
  set_pending(tmp);
  return fd;
}

// Whether the path, or any link on the way to its target, is under /dev/ or
// /proc/ (/dev/stdout -> /proc/self/fd/1 -> the shell's redirect target).
bool leads_into_dev_or_proc(std::string path) {
  auto special = [](const std::string& p) { return p.rfind("/dev/", 0) == 0 || p.rfind("/proc/", 0) == 0; };
  for (int hop = 0; hop < 40; ++hop) {
    if (special(path)) return true;
    char target[4096];
    const ssize_t n = ::readlink(path.c_str(), target, sizeof target - 1);
    if (n < 0) return false;  // not a link (or gone): a plain path
    std::string next(target, std::size_t(n));
    if (!next.empty() && next[0] != '/') next = directory_of(path) + "/" + next;
    path = next;
  }
  return false;
}

}  // namespace

OutputFile::OutputFile(std::string path) : path_(std::move(path)) {
  if (path_.empty()) fail("''", "empty output path");
  if (path_ == "-") {
    direct_ = true;
    return;
  }
  // /dev/stdout, /dev/fd/N, /proc/self/fd/N, devices: never replace them by
  // a rename (that would swap the link for a file); write through them.
  if (leads_into_dev_or_proc(path_)) {
    direct_ = true;
    append_ = true;
    if (::access(path_.c_str(), W_OK) != 0) fail(path_, errno_text(errno));
    return;
  }
  struct stat st {};
  if (::stat(path_.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) fail(path_, "it is a directory");
    if (!S_ISREG(st.st_mode)) {
      direct_ = true;
      if (::access(path_.c_str(), W_OK) != 0) fail(path_, errno_text(errno));
      return;
    }
  } else if (errno != ENOENT) {
    fail(path_, errno_text(errno));
  }
  // Probe the directory with a real temporary file, so a read-only or missing
  // directory is reported before the simulation starts.
  std::string tmp;
  const int fd = make_temporary(path_, tmp);
  ::close(fd);
  ::unlink(tmp.c_str());
  pending.store(false);
}

void OutputFile::write(std::string_view content) const {
  if (direct_) {
    const bool is_stdout = path_ == "-";
    const int fd =
        is_stdout ? STDOUT_FILENO : ::open(path_.c_str(), O_WRONLY | O_CLOEXEC | (append_ ? O_APPEND : 0));
    if (fd < 0) fail(path_, errno_text(errno));
    try {
      write_all(fd, content, path_);
    } catch (...) {
      if (!is_stdout) ::close(fd);
      throw;
    }
    if (!is_stdout && ::close(fd) != 0) fail(path_, errno_text(errno));
    return;
  }
  std::string tmp;
  const int fd = make_temporary(path_, tmp);
  auto abandon = [&](const std::string& why) {
    ::close(fd);
    ::unlink(tmp.c_str());
    fail(path_, why);
  };
  try {
    write_all(fd, content, path_);
  } catch (const OutputError&) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  // mkstemp makes the file 0600; give it the mode a new file would get.
  const mode_t mask = ::umask(0);
  ::umask(mask);
  if (::fchmod(fd, 0666 & ~mask) != 0) abandon(errno_text(errno));
  if (::fsync(fd) != 0) abandon(errno_text(errno));
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    fail(path_, errno_text(err));
  }
  if (::rename(tmp.c_str(), path_.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    pending.store(false);
    fail(path_, errno_text(err));
  }
  pending.store(false);  // renamed: the temporary's name is gone
}

void remove_pending_temporary() noexcept {
  if (pending.load()) ::unlink(pending_path);
}

}  // namespace switchcost::sim
