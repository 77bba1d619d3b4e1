#include <whittle/util/error.hpp>
#include <whittle/util/fd.hpp>
#include <whittle/util/temp_dir.hpp>

#include <boost/filesystem.hpp>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <ctime>
#include <fcntl.h>
#include <random>
#include <sys/stat.h>
#include <unistd.h>

namespace fs = boost::filesystem;

namespace whittle::util {

std::string
temp_root()
{
  const char* t = std::getenv("TMPDIR");
  return (t && *t) ? t : "/tmp";
}

void
remove_all(const std::string& path)
{
  boost::system::error_code ec;
  fs::remove_all(path, ec);
  if (ec && ec != boost::system::errc::no_such_file_or_directory) {
    // Extracted rootfs trees can hold read-only directories: make them writable and retry.
    fs::recursive_directory_iterator it(path, fs::directory_options::none, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
      if (it->symlink_status(ec).type() == fs::directory_file) {
        ::chmod(it->path().c_str(), 0700);
      }
    }
    ::chmod(path.c_str(), 0700);
    ec.clear();
    fs::remove_all(path, ec);
    if (ec) {
      throw Error("remove `" + path + "`: " + ec.message());
    }
  }
}

namespace {

// Work and temp entries of a whittle killed (SIGKILL, OOM, power loss) are removed by the next run that
// creates one in the same directory, once their process is gone and they are this old (the age guards
// against a live whittle in another pid namespace sharing the directory).
constexpr int k_stale_age_seconds = 3600;

std::string
unique_suffix()
{
  static std::random_device rd;
  static std::mt19937_64 gen(rd());
  static const char* k_chars = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string s;
  for (int i = 0; i < 8; ++i) {
    s.push_back(k_chars[gen() % 36]);
  }
  return s;
}

} // namespace

TempDir::TempDir(const std::string& prefix, const std::string& parent)
{
  std::string dir = parent.empty() ? temp_root() : parent;
  if (prefix.rfind(".whittle-", 0) == 0) {
    clean_stale(dir, k_stale_age_seconds);
  }
  std::string templ = dir + "/" + prefix + "XXXXXX";
  if (!::mkdtemp(templ.data())) {
    throw_errno("create temporary directory `" + templ + "`");
  }
  m_path = templ;
}

TempDir::TempDir(TempDir&& other) noexcept : m_path(std::move(other.m_path)), m_keep(other.m_keep)
{
  other.m_path.clear();
}

TempDir::~TempDir()
{
  if (!m_path.empty() && !m_keep) {
    try {
      remove_all(m_path);
    } catch (...) {
    }
  }
}

AtomicOutput::AtomicOutput(std::string dest, Kind kind) : m_dest(std::move(dest)), m_kind(kind)
{
  while (m_dest.size() > 1 && m_dest.back() == '/') {
    m_dest.pop_back();
  }
  fs::path d(m_dest);
  fs::path parent = d.parent_path().empty() ? fs::path(".") : d.parent_path();
  boost::system::error_code ec;
  if (!fs::is_directory(parent, ec)) {
    throw Error("write `" + m_dest + "`: directory `" + parent.string() + "` does not exist");
  }
  clean_stale(parent.string(), k_stale_age_seconds);
  m_temp = (parent / (".whittle-tmp-" + std::to_string(::getpid()) + "-" + unique_suffix() + "-" +
                      d.filename().string()))
             .string();
  if (kind == Kind::directory && ::mkdir(m_temp.c_str(), 0755) != 0) {
    throw_errno("create `" + m_temp + "`");
  }
}

AtomicOutput::~AtomicOutput()
{
  if (!m_committed) {
    try {
      remove_all(m_temp);
    } catch (...) {
    }
  }
}

void
AtomicOutput::commit(bool replace_dir)
{
  if (m_kind == Kind::file) {
    Fd fd(::open(m_temp.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd && ::fsync(fd.get()) != 0) {
      throw_errno("fsync `" + m_temp + "`");
    }
    if (::rename(m_temp.c_str(), m_dest.c_str()) != 0) {
      throw_errno("rename `" + m_temp + "` to `" + m_dest + "`");
    }
  } else {
    struct stat st;
    std::string aside;
    if (::lstat(m_dest.c_str(), &st) == 0) {
      if (!replace_dir) {
        throw Error("write `" + m_dest + "`: already exists");
      }
      aside = m_temp + ".old";
      if (::rename(m_dest.c_str(), aside.c_str()) != 0) {
        throw_errno("move aside `" + m_dest + "`");
      }
    }
    ::sync();
    if (::rename(m_temp.c_str(), m_dest.c_str()) != 0) {
      int err = errno;
      if (!aside.empty()) {
        ::rename(aside.c_str(), m_dest.c_str());
      }
      errno = err;
      throw_errno("rename `" + m_temp + "` to `" + m_dest + "`");
    }
    if (!aside.empty()) {
      remove_all(aside);
    }
  }
  m_committed = true;
}

int
clean_stale(const std::string& parent, int max_age_seconds)
{
  int removed = 0;
  boost::system::error_code ec;
  fs::directory_iterator it(parent, ec), end;
  time_t now = ::time(nullptr);
  for (; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.rfind(".whittle-", 0) != 0 && name.rfind("whittle-work-", 0) != 0) {
      continue;
    }
    // Names carry the creating pid right after the prefix: ".whittle-tmp-PID-..." / "whittle-work-PID-...".
    std::string digits;
    for (size_t i = name.find_first_of("0123456789"); i != std::string::npos && i < name.size() && isdigit(name[i]); ++i) {
      digits.push_back(name[i]);
    }
    if (!digits.empty()) {
      pid_t pid = static_cast<pid_t>(std::stol(digits));
      if (::kill(pid, 0) == 0 || errno == EPERM) {
        continue;
      }
    }
    struct stat st;
    if (::lstat(it->path().c_str(), &st) != 0 || now - st.st_mtime < max_age_seconds) {
      continue;
    }
    try {
      remove_all(it->path().string());
      ++removed;
    } catch (...) {
    }
  }
  return removed;
}

} // namespace whittle::util
