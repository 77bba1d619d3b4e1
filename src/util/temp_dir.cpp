#include <boost/filesystem.hpp>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <ctime>
#include <dirent.h>
#include <fcntl.h>
#include <limits>
#include <random>
#include <string_view>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>
#include <whittle/util/dir_entries.hpp>
#include <whittle/util/error.hpp>
#include <whittle/util/fd.hpp>
#include <whittle/util/number.hpp>
#include <whittle/util/temp_dir.hpp>

namespace fs = boost::filesystem;

namespace whittle::util {

namespace {

// Work and temp entries of a whittle killed (SIGKILL, OOM, power loss) are removed by the next run that
// creates one in the same directory, once their process is gone and they are this old (the age guards
// against a live whittle in another pid namespace sharing the directory).
constexpr int k_stale_age_seconds = 3600;

constexpr std::pair<WorkKind, const char*> k_work_kinds[] = {
    {WorkKind::trace, "trace"},   {WorkKind::slim, "slim"},   {WorkKind::build, "build"},
    {WorkKind::verify, "verify"}, {WorkKind::image, "image"},
};

const char*
work_kind_name(WorkKind kind)
{
  for (const auto& [k, name] : k_work_kinds) {
    if (k == kind) {
      return name;
    }
  }
  return "work";
}

// The random part of an AtomicOutput temp name; its length and alphabet are part of the shape
// is_stale_candidate checks.
constexpr size_t k_suffix_length = 8;

std::string
unique_suffix()
{
  static std::random_device rd;
  static std::mt19937_64 gen(rd());
  static const char* k_chars = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string s;
  for (size_t i = 0; i < k_suffix_length; ++i) {
    s.push_back(k_chars[gen() % 36]);
  }
  return s;
}

} // namespace

TempDir::TempDir(const std::string& prefix, const std::string& parent)
{
  std::string templ = parent + "/" + prefix + "XXXXXX";
  if (!::mkdtemp(templ.data())) {
    throw_errno("create temporary directory `" + templ + "`");
  }
  m_path = templ;
}

TempDir
TempDir::work(WorkKind kind, const std::string& parent)
{
  clean_stale(parent, k_stale_age_seconds);
  return TempDir(".whittle-" + std::string(work_kind_name(kind)) + "-" + std::to_string(::getpid()) + "-",
                 parent);
}

void
TempDir::keep()
{
  m_keep = true;
  std::string marker = m_path + "/" + k_kept_marker;
  Fd fd(::open(marker.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644));
  if (!fd) {
    throw_errno("mark work directory `" + m_path + "` as kept");
  }
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

namespace {

// Consumes a positive decimal pid_t followed by '-' from the front of `rest`.
bool
take_pid(std::string_view& rest, int* pid)
{
  size_t dash = rest.find('-');
  if (dash == std::string_view::npos) {
    return false;
  }
  auto v = parse_uint(rest.substr(0, dash), static_cast<uint64_t>(std::numeric_limits<pid_t>::max()));
  if (!v || *v == 0) {
    return false;
  }
  *pid = static_cast<int>(*v);
  rest.remove_prefix(dash + 1);
  return true;
}

bool
all_of(std::string_view s, std::string_view alphabet)
{
  return s.find_first_not_of(alphabet) == std::string_view::npos;
}

constexpr std::string_view k_digits = "0123456789";
constexpr std::string_view k_lower = "abcdefghijklmnopqrstuvwxyz";
constexpr std::string_view k_upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

enum class StaleKind
{
  none,
  work_dir,
  atomic_temp,
};

StaleKind
stale_kind(const std::string& name, int* pid)
{
  std::string_view rest(name);
  constexpr std::string_view k_prefix = ".whittle-";
  if (rest.substr(0, k_prefix.size()) != k_prefix) {
    return StaleKind::none;
  }
  rest.remove_prefix(k_prefix.size());
  constexpr std::string_view k_tmp = "tmp-";
  if (rest.substr(0, k_tmp.size()) == k_tmp) {
    rest.remove_prefix(k_tmp.size());
    if (!take_pid(rest, pid) || rest.size() < k_suffix_length + 2 || rest[k_suffix_length] != '-' ||
        !all_of(rest.substr(0, k_suffix_length), std::string(k_lower) + std::string(k_digits))) {
      return StaleKind::none;
    }
    return StaleKind::atomic_temp;
  }
  for (const auto& [kind, kind_name] : k_work_kinds) {
    std::string_view k(kind_name);
    if (rest.size() > k.size() && rest.substr(0, k.size()) == k && rest[k.size()] == '-') {
      rest.remove_prefix(k.size() + 1);
      // mkdtemp's six characters.
      if (!take_pid(rest, pid) || rest.size() != 6 ||
          !all_of(rest, std::string(k_lower) + std::string(k_upper) + std::string(k_digits))) {
        return StaleKind::none;
      }
      return StaleKind::work_dir;
    }
  }
  return StaleKind::none;
}

} // namespace

bool
is_stale_candidate(const std::string& name, int* pid)
{
  int p = 0;
  bool yes = stale_kind(name, &p) != StaleKind::none;
  if (yes && pid) {
    *pid = p;
  }
  return yes;
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
    int pid = 0;
    StaleKind kind = stale_kind(name, &pid);
    if (kind == StaleKind::none) {
      continue;
    }
    // EPERM: the process exists under another user.
    if (::kill(pid, 0) == 0 || errno != ESRCH) {
      continue;
    }
    std::string path = it->path().string();
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0 || st.st_uid != ::geteuid() || now - st.st_mtime < max_age_seconds) {
      continue;
    }
    bool right_type = S_ISDIR(st.st_mode) || (kind == StaleKind::atomic_temp && S_ISREG(st.st_mode));
    struct stat marker;
    if (!right_type ||
        (kind == StaleKind::work_dir && ::lstat((path + "/" + k_kept_marker).c_str(), &marker) == 0)) {
      continue;
    }
    try {
      remove_all(path);
      ++removed;
    } catch (...) {
    }
  }
  return removed;
}

} // namespace whittle::util
