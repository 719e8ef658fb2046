#include "sim/report/output.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <streambuf>
#include <vector>

#include "sim/base/format.h"

namespace switchcost::sim {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& why) {
  throw OutputError("cannot write " + path + ": " + why);
}

std::string errno_text(int err) { return std::strerror(err); }

std::string directory_of(const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? std::string(".") : parent.string();
}

// A buffered writer over a file descriptor that checks every write(2):
// retries short writes and EINTR, and on an error keeps errno and makes the
// stream fail (its owner sets badbit exceptions, so rendering stops there).
// Once `stop` is set it gives up as interrupted before the next write(2),
// or when a blocked one returns (EINTR or short).
class FdBuf : public std::streambuf {
 public:
  FdBuf(int fd, const std::atomic<bool>* stop) : fd_(fd), stop_(stop), buffer_(1 << 16) {
    setp(buffer_.data(), buffer_.data() + buffer_.size());
  }
  int error() const noexcept { return error_; }
  bool interrupted() const noexcept { return interrupted_; }

 protected:
  int_type overflow(int_type ch) override {
    if (!drain()) return traits_type::eof();
    if (!traits_type::eq_int_type(ch, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(ch);
      pbump(1);
    }
    return traits_type::not_eof(ch);
  }
  int sync() override { return drain() ? 0 : -1; }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    if (n > epptr() - pptr()) {  // larger than the room left: drain, then write big pieces directly
      if (!drain()) return 0;
      if (n >= std::streamsize(buffer_.size())) return put_all(s, std::size_t(n)) ? n : 0;
    }
    std::memcpy(pptr(), s, std::size_t(n));
    pbump(int(n));
    return n;
  }

 private:
  bool drain() {
    const std::size_t n = std::size_t(pptr() - pbase());
    if (n == 0) return error_ == 0;
    const bool ok = put_all(pbase(), n);
    setp(buffer_.data(), buffer_.data() + buffer_.size());
    return ok;
  }
  bool put_all(const char* p, std::size_t left) {
    if (error_ != 0) return false;
    while (left > 0) {
      if (stop_ && stop_->load()) {
        interrupted_ = true;
        error_ = EINTR;
        return false;
      }
      const ssize_t n = ::write(fd_, p, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        error_ = errno;
        return false;
      }
      p += n;
      left -= std::size_t(n);
    }
    return true;
  }
  int fd_;
  const std::atomic<bool>* stop_;
  std::vector<char> buffer_;
  int error_ = 0;
  bool interrupted_ = false;
};

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

// A temporary file next to `target`; returns its fd and fills tmp. Its name
// is "." + at most 64 bytes of the target's name + ".tmp-XXXXXX", so that a
// valid name of up to 255 bytes never makes one that is too long.
int make_temporary(const std::string& path, const std::string& target, std::string& tmp) {
  std::string base = std::filesystem::path(target).filename().string();
  if (base.size() > 64) {
    std::size_t cut = 0;  // at a UTF-8 character boundary
    for (std::size_t i = 0; i < base.size();) {
      next_code_point(base, i);
      if (i > 64) break;
      cut = i;
    }
    base.resize(cut);
  }
  const std::string dir = directory_of(target);
  const std::string pattern = dir + "/." + base + ".tmp-XXXXXX";
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  const int fd = ::mkostemp(name.data(), O_CLOEXEC);
  if (fd < 0) fail(path, "cannot create a file in " + dir + ": " + errno_text(errno));
  tmp.assign(name.data());
  set_pending(tmp);
  return fd;
}

// The path with symbolic links in its last component followed (at most 40),
// so that the atomic replace happens to the file the link leads to and the
// link stays. Relative link targets are relative to the link's directory.
std::string follow_links(const std::string& path) {
  std::string current = path;
  for (int hop = 0; hop < 40; ++hop) {
    struct stat st {};
    if (::lstat(current.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return current;
    std::vector<char> target(std::size_t(st.st_size > 0 ? st.st_size : 4095) + 1);
    const ssize_t n = ::readlink(current.c_str(), target.data(), target.size());
    if (n < 0 || std::size_t(n) >= target.size()) return current;
    std::string next(target.data(), std::size_t(n));
    if (!next.empty() && next[0] != '/') next = directory_of(current) + "/" + next;
    current = next;
  }
  fail(path, errno_text(ELOOP));
}

std::string inode_identity(const struct stat& st) {
  return "inode:" + std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
}

// What same_file compares: the file's device and inode where it exists, else
// its path with the links followed.
std::string path_identity(const std::string& target) {
  std::error_code ec;
  const auto canonical = std::filesystem::weakly_canonical(target, ec);
  return "path:" + (ec ? target : canonical.string());
}

// Opens a FIFO for writing without blocking on a missing reader: retries
// until one comes or `stop` is set (Ctrl-C, SIGTERM), then makes the
// descriptor blocking again. (An anonymous pipe reached through
// /proc/self/fd, /dev/stdout on a pipe, opens at once even without a
// reader; the write then fails with EPIPE.)
int open_fifo(const std::string& path, const std::atomic<bool>* stop) {
  for (;;) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd >= 0) {
      const int flags = ::fcntl(fd, F_GETFL);
      if (flags < 0 || ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
        const int err = errno;
        ::close(fd);
        fail(path, errno_text(err));
      }
      return fd;
    }
    if (errno != ENXIO && errno != EINTR) fail(path, errno_text(errno));
    if (stop && stop->load()) throw OutputInterrupted("stopped while waiting for a reader of the FIFO " + path);
    if (errno == ENXIO) {
      const struct timespec pause{0, 20'000'000};
      ::nanosleep(&pause, nullptr);
    }
  }
}

}  // namespace

OutputFile::OutputFile(std::string path) : path_(std::move(path)) {
  if (path_.empty()) throw UsageError("an output path is empty");
  if (path_ == "-") {
    kind_ = Kind::standard_output;
    struct stat st {};
    identity_ = ::fstat(STDOUT_FILENO, &st) == 0 ? inode_identity(st) : std::string("stdout");
    return;
  }
  struct stat st {};
  if (::stat(path_.c_str(), &st) == 0) {
    identity_ = inode_identity(st);
    if (S_ISDIR(st.st_mode)) fail(path_, "it is a directory");
    if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode)) {
      kind_ = Kind::direct;
      if (::access(path_.c_str(), W_OK) != 0) fail(path_, errno_text(errno));
      return;
    }
    if (!S_ISREG(st.st_mode)) fail(path_, "not a regular file, a character device or a FIFO");
  } else if (errno != ENOENT) {
    fail(path_, errno_text(errno));
  }
  kind_ = Kind::replace;
  target_ = follow_links(path_);
  if (identity_.empty()) identity_ = path_identity(target_);
  // Probe the directory with a real temporary file, so a read-only or missing
  // directory is reported before the simulation starts.
  std::string tmp;
  const int fd = make_temporary(path_, target_, tmp);
  ::close(fd);
  ::unlink(tmp.c_str());
  pending.store(false);
}

bool OutputFile::same_file(const OutputFile& other) const { return identity_ == other.identity_; }

bool OutputFile::is(const std::string& path) const {
  if (kind_ == Kind::standard_output) return false;
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) return identity_ == inode_identity(st);
  return errno == ENOENT && identity_ == path_identity(follow_links(path));
}

void OutputFile::write(const Render& render, const std::atomic<bool>* stop) const {
  // Only a signal that comes during this write stops it, and only where a
  // write can block for ever (a FIFO, a device, standard output): after a
  // Ctrl-C during the simulation the partial results are still written (a
  // second Ctrl-C exits at once), and a regular file is always written whole.
  if (stop && (stop->load() || kind_ == Kind::replace)) stop = nullptr;
  int fd = STDOUT_FILENO;
  std::string tmp;
  if (kind_ == Kind::direct) {
    struct stat st {};
    if (::stat(path_.c_str(), &st) == 0 && S_ISFIFO(st.st_mode)) {
      fd = open_fifo(path_, stop);
    } else {
      fd = ::open(path_.c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY);
      if (fd < 0) fail(path_, errno_text(errno));
    }
  } else if (kind_ == Kind::replace) {
    fd = make_temporary(path_, target_, tmp);
  }
  // Closes the descriptor (not standard output) and removes the temporary.
  auto abandon = [&]() noexcept {
    if (fd != STDOUT_FILENO) ::close(fd);
    if (!tmp.empty()) {
      ::unlink(tmp.c_str());
      pending.store(false);
    }
  };
  auto give_up = [&](int err, bool interrupted) {
    abandon();
    if (interrupted) throw OutputInterrupted("stopped while writing " + path_ + "; it was not written");
    fail(path_, errno_text(err));
  };
  {
    FdBuf buf(fd, stop);
    std::ostream out(&buf);
    out.exceptions(std::ios::badbit);
    try {
      render(out);
      out.flush();
    } catch (const std::ios_base::failure&) {
      give_up(buf.error() ? buf.error() : EIO, buf.interrupted());
    } catch (...) {
      abandon();
      throw;
    }
    if (buf.error() != 0) give_up(buf.error(), buf.interrupted());
  }
  if (kind_ == Kind::standard_output) return;
  if (kind_ == Kind::direct) {
    if (::close(fd) != 0) fail(path_, errno_text(errno));
    return;
  }
  // mkstemp makes the file 0600: give it the mode of the file it replaces,
  // or the one a new file would get.
  mode_t mode = 0;
  struct stat old {};
  if (::stat(target_.c_str(), &old) == 0 && S_ISREG(old.st_mode)) {
    mode = old.st_mode & 07777;
  } else {
    const mode_t mask = ::umask(0);
    ::umask(mask);
    mode = 0666 & ~mask;
  }
  if (::fchmod(fd, mode) != 0) give_up(errno, false);
  if (::fsync(fd) != 0) give_up(errno, false);
  const int closed = ::close(fd);
  fd = -1;
  if (closed != 0) give_up(errno, false);
  if (::rename(tmp.c_str(), target_.c_str()) != 0) give_up(errno, false);
  pending.store(false);  // renamed: the temporary's name is gone
}

void remove_pending_temporary() noexcept {
  if (pending.load()) ::unlink(pending_path);
}

}  // namespace switchcost::sim
