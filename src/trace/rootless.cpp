#include <cerrno>
#include <charconv>
#include <fcntl.h>
#include <pwd.h>
#include <sched.h>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>
#include <whittle/trace/rootless.hpp>
#include <whittle/util/error.hpp>
#include <whittle/util/fd.hpp>
#include <whittle/util/log.hpp>

namespace whittle::trace {

namespace {

RootlessMode g_mode = RootlessMode::none;
bool g_entered = false;

std::string
read_small(const std::string& path)
{
  util::Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  return fd ? util::read_up_to(fd.get(), 1 << 20) : std::string();
}

bool
parse_u32(const std::string& s, uint32_t& out)
{
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size() && !s.empty();
}

std::string
find_tool(const char* name)
{
  for (const char* dir : {"/usr/bin/", "/bin/", "/usr/sbin/", "/sbin/"}) {
    std::string path = std::string(dir) + name;
    if (::access(path.c_str(), X_OK) == 0) {
      return path;
    }
  }
  return "";
}

void
write_file(const std::string& path, const std::string& text)
{
  util::Fd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd || ::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    throw SandboxError(errno_message("enter rootless mode: write `" + path + "`", errno));
  }
}

// Runs argv (an absolute path first) and waits; returns true on exit status 0.
bool
run_tool(const std::vector<std::string>& args)
{
  std::vector<char*> argv;
  for (const auto& a : args) {
    argv.push_back(const_cast<char*>(a.c_str()));
  }
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) {
    return false;
  }
  if (pid == 0) {
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

} // namespace

std::optional<SubordinateRange>
find_subordinate_range(const std::string& text, const std::string& user, uid_t uid)
{
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    auto a = line.find(':');
    auto b = a == std::string::npos ? a : line.find(':', a + 1);
    if (b == std::string::npos) {
      continue;
    }
    std::string who = line.substr(0, a);
    SubordinateRange r;
    if (!parse_u32(line.substr(a + 1, b - a - 1), r.start) || !parse_u32(line.substr(b + 1), r.count) ||
        r.count == 0) {
      continue;
    }
    if ((!user.empty() && who == user) || who == std::to_string(uid)) {
      return r;
    }
  }
  return std::nullopt;
}

std::string
userns_hint(int err)
{
  std::string hint = "; whittle needs user namespaces (as rootless podman and bubblewrap do)";
  auto value = [](const char* path) {
    std::string v = read_small(path);
    while (!v.empty() && (v.back() == '\n' || v.back() == ' ')) {
      v.pop_back();
    }
    return v;
  };
  if (value("/proc/sys/user/max_user_namespaces") == "0") {
    hint += ": sysctl user.max_user_namespaces is 0 (set it above 0)";
  } else if (value("/proc/sys/kernel/unprivileged_userns_clone") == "0") {
    hint += ": sysctl kernel.unprivileged_userns_clone is 0 (set it to 1, or run whittle as root)";
  } else if (value("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") == "1") {
    hint += ": AppArmor restricts unprivileged user namespaces (sysctl "
            "kernel.apparmor_restrict_unprivileged_userns=1; set it to 0 or give whittle an AppArmor profile "
            "with `userns`)";
  } else if (err == ENOSPC) {
    hint += ": the limit user.max_user_namespaces (or the nesting depth of 32) is reached";
  } else if (err == EPERM) {
    hint += ": they are refused here (a seccomp profile of an enclosing container, or a sysctl such as "
            "user.max_user_namespaces, kernel.unprivileged_userns_clone, "
            "kernel.apparmor_restrict_unprivileged_userns)";
  }
  return hint;
}

RootlessMode
enter_rootless()
{
  if (g_entered || ::geteuid() == 0) {
    return g_mode;
  }
  uid_t uid = ::geteuid();
  gid_t gid = ::getegid();
  std::string name;
  if (struct passwd* pw = ::getpwuid(uid)) {
    name = pw->pw_name;
  }
  auto sub_uid = find_subordinate_range(read_small("/etc/subuid"), name, uid);
  auto sub_gid = find_subordinate_range(read_small("/etc/subgid"), name, uid);
  std::string newuidmap = find_tool("newuidmap");
  std::string newgidmap = find_tool("newgidmap");
  bool subordinate = sub_uid && sub_gid && !newuidmap.empty() && !newgidmap.empty();

  // The helper runs the setuid newuidmap/newgidmap from the initial namespace, once this process has
  // unshared (they write this process's maps, which only a privileged writer may fill with other ids).
  int go[2] = {-1, -1};
  pid_t helper = -1;
  if (subordinate) {
    if (::pipe2(go, O_CLOEXEC) != 0) {
      throw_errno("enter rootless mode: create pipe");
    }
    std::string self = std::to_string(::getpid());
    std::vector<std::string> uid_args = {newuidmap,
                                         self,
                                         "0",
                                         std::to_string(uid),
                                         "1",
                                         "1",
                                         std::to_string(sub_uid->start),
                                         std::to_string(sub_uid->count)};
    std::vector<std::string> gid_args = {newgidmap,
                                         self,
                                         "0",
                                         std::to_string(gid),
                                         "1",
                                         "1",
                                         std::to_string(sub_gid->start),
                                         std::to_string(sub_gid->count)};
    helper = ::fork();
    if (helper < 0) {
      throw_errno("enter rootless mode: fork");
    }
    if (helper == 0) {
      ::close(go[1]);
      char c = 0;
      if (::read(go[0], &c, 1) != 1 || c != 'u') {
        ::_exit(1);
      }
      ::_exit(run_tool(uid_args) && run_tool(gid_args) ? 0 : 1);
    }
    ::close(go[0]);
  }
  if (::unshare(CLONE_NEWUSER) != 0) {
    int err = errno;
    if (helper > 0) {
      ::close(go[1]);
      ::waitpid(helper, nullptr, 0);
    }
    throw SandboxError(
        errno_message("create a user namespace for rootless mode (uid " + std::to_string(uid) + ")", err) +
        userns_hint(err));
  }
  g_entered = true;
  if (subordinate) {
    char c = 'u';
    bool sent = ::write(go[1], &c, 1) == 1;
    ::close(go[1]);
    int status = 0;
    while (::waitpid(helper, &status, 0) < 0 && errno == EINTR) {
    }
    if (sent && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      g_mode = RootlessMode::subordinate;
      util::debug("rootless: uids 0 " + std::to_string(uid) + " 1, 1 " + std::to_string(sub_uid->start) +
                  " " + std::to_string(sub_uid->count) + " through newuidmap/newgidmap");
      return g_mode;
    }
    if (!read_small("/proc/self/uid_map").empty() || !read_small("/proc/self/gid_map").empty()) {
      throw SandboxError(
          "enter rootless mode: newuidmap/newgidmap failed half-way (see their message above)");
    }
    util::warn("newuidmap/newgidmap failed for the range in /etc/subuid and /etc/subgid: running with the "
               "single id " +
               std::to_string(uid) + " (the app cannot switch users)");
  } else {
    util::verbose("rootless: no subordinate ids for " + (name.empty() ? std::to_string(uid) : name) +
                  " in /etc/subuid and /etc/subgid (or no newuidmap): single-id mode, the app runs as uid " +
                  std::to_string(uid) + " and cannot switch users");
  }
  write_file("/proc/self/setgroups", "deny");
  write_file("/proc/self/uid_map", "0 " + std::to_string(uid) + " 1\n");
  write_file("/proc/self/gid_map", "0 " + std::to_string(gid) + " 1\n");
  g_mode = RootlessMode::single_id;
  return g_mode;
}

RootlessMode
rootless_mode()
{
  return g_mode;
}

} // namespace whittle::trace
