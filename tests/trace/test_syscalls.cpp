#include <array>
#include <catch2/catch.hpp>
#include <cerrno>
#include <csignal>
#include <ctime>
#include <fcntl.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <set>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <whittle/trace/profile.hpp>
#include <whittle/trace/seccomp_filter.hpp>
#include <whittle/trace/syscall_policy.hpp>
#include <whittle/trace/syscalls.hpp>

using namespace whittle;

TEST_CASE("trace::syscall_table describes the path syscalls", "[trace]")
{
  std::set<int> numbers;
  std::set<std::string> names;
  for (const auto& s : trace::syscall_table()) {
    CHECK(numbers.insert(s.nr).second);
    names.insert(s.name);
    // A row without a path shape is there only for the needs-root detection.
    CHECK((s.shape != trace::PathShape::none || (s.kind & trace::k_sys_privilege) != 0));
  }
  for (int nr : {SYS_setuid, SYS_setgid, SYS_setreuid, SYS_setregid, SYS_setresuid, SYS_setresgid,
                 SYS_setgroups, SYS_chown, SYS_fchown, SYS_lchown, SYS_fchownat, SYS_bind}) {
    INFO(trace::syscall_name(nr));
    const trace::SyscallInfo* s = trace::find_syscall(nr);
    REQUIRE(s != nullptr);
    CHECK((s->kind & trace::k_sys_privilege) != 0);
    CHECK(s->skip_if_flag == 0); // always stopped: fchownat(fd, "", ..., AT_EMPTY_PATH) is fchown
  }
  for (const char* n : {"open",       "openat",   "openat2",          "stat",       "lstat",
                        "newfstatat", "statx",    "access",           "faccessat",  "faccessat2",
                        "execve",     "execveat", "readlink",         "readlinkat", "chdir",
                        "mkdir",      "unlink",   "unlinkat",         "rename",     "renameat2",
                        "link",       "linkat",   "symlink",          "symlinkat",  "chmod",
                        "fchownat",   "truncate", "utimensat",        "mknod",      "getxattr",
                        "setxattr",   "statfs",   "inotify_add_watch"}) {
    INFO(n);
    CHECK(names.count(n) == 1);
  }
  const trace::SyscallInfo* openat = trace::find_syscall(SYS_openat);
  REQUIRE(openat != nullptr);
  CHECK(openat->shape == trace::PathShape::dirfd_path);
  CHECK(openat->open_flags_arg == 2);
  const trace::SyscallInfo* fstatat = trace::find_syscall(SYS_newfstatat);
  REQUIRE(fstatat != nullptr);
  CHECK(fstatat->at_flags_arg == 3);
  CHECK(fstatat->skip_if_flag == AT_EMPTY_PATH);
  CHECK(trace::find_syscall(SYS_renameat2)->shape == trace::PathShape::dirfd_path_dirfd_path);
  CHECK(trace::find_syscall(SYS_symlinkat)->shape == trace::PathShape::string_dirfd_path);
  CHECK(trace::find_syscall(SYS_read) == nullptr);
  CHECK(trace::find_syscall(SYS_fchdir) == nullptr);
  CHECK(trace::syscall_name(SYS_read) == "read");
  CHECK(trace::syscall_name(SYS_openat) == "openat");
  CHECK(trace::syscall_name(99999) == "syscall_99999");
}

namespace {

const trace::SyscallInfo&
row(const std::string& name)
{
  for (const auto& s : trace::syscall_table()) {
    if (name == s.name) {
      return s;
    }
  }
  FAIL("no table row for " << name);
  throw std::logic_error("unreachable");
}

// "read|write follow create", "none nofollow remove": a PathAccess in words, so a failed CHECK shows what
// differs.
std::string
words(const trace::PathAccess& a)
{
  std::string out;
  for (uint16_t b = 1; b != 0 && b <= a.bits; b = static_cast<uint16_t>(b << 1)) {
    if ((a.bits & b) != 0) {
      out += (out.empty() ? "" : "|") + trace::to_string(static_cast<trace::Access>(b));
    }
  }
  out += out.empty() ? "none" : "";
  out += a.follow == trace::Follow::yes ? " follow" : " nofollow";
  out += a.creates ? " create" : "";
  out += a.removes ? " remove" : "";
  return out;
}

} // namespace

TEST_CASE("trace::path_access gives each path syscall of the table its access kind", "[trace]")
{
  using trace::Access;
  using trace::Follow;
  constexpr auto bit = [](Access a) { return static_cast<uint16_t>(a); };
  const uint16_t read = bit(Access::read), write = bit(Access::write), exec = bit(Access::exec),
                 stat = bit(Access::stat), readlink = bit(Access::readlink), dir = bit(Access::dir);
  struct Expect
  {
    const char* name;
    trace::PathAccess first; // without AT_ flags, the open family with O_RDONLY
  };
  const Follow yes = Follow::yes, no = Follow::no;
  const std::vector<Expect> expected = {
      {"open", {read, yes}},
      {"openat", {read, yes}},
      {"openat2", {read, yes}},
      {"creat", {write, yes, true}},
      {"stat", {stat, yes}},
      {"lstat", {stat, no}},
      {"newfstatat", {stat, yes}},
      {"statx", {stat, yes}},
      {"access", {stat, yes}},
      {"faccessat", {stat, yes}},
      {"faccessat2", {stat, yes}},
      {"statfs", {stat, yes}},
      {"uselib", {stat, yes}},
      {"acct", {stat, yes}},
      {"mount", {stat, yes}},
      {"umount2", {stat, yes}},
      {"swapon", {stat, yes}},
      {"swapoff", {stat, yes}},
      {"pivot_root", {stat, no}},
      {"open_tree", {stat, yes}},
      {"name_to_handle_at", {stat, yes}},
      {"inotify_add_watch", {stat, yes}},
      {"getxattr", {stat, yes}},
      {"lgetxattr", {stat, no}},
      {"listxattr", {stat, yes}},
      {"llistxattr", {stat, no}},
      {"execve", {static_cast<uint16_t>(exec | read), yes}},
      {"execveat", {static_cast<uint16_t>(exec | read), yes}},
      {"readlink", {readlink, no}},
      {"readlinkat", {readlink, no}},
      {"chdir", {dir, yes}},
      {"chroot", {dir, yes}},
      {"mkdir", {static_cast<uint16_t>(dir | stat), no, true}},
      {"mkdirat", {static_cast<uint16_t>(dir | stat), no, true}},
      {"mknod", {stat, no, true}},
      {"mknodat", {stat, no, true}},
      {"unlink", {0, no, false, true}},
      {"unlinkat", {0, no, false, true}},
      {"rmdir", {0, no, false, true}},
      {"rename", {0, no, false, true}},
      {"renameat", {0, no, false, true}},
      {"renameat2", {0, no, false, true}},
      {"link", {read, no}},
      {"linkat", {read, no}},
      {"symlink", {0, no, true}},
      {"symlinkat", {0, no, true}},
      {"truncate", {write, yes}},
      {"chmod", {write, yes}},
      {"fchmodat", {write, yes}},
      {"fchmodat2", {write, yes}},
      {"chown", {write, yes}},
      {"lchown", {write, no}},
      {"fchownat", {write, yes}},
      {"utime", {write, yes}},
      {"utimes", {write, yes}},
      {"futimesat", {write, yes}},
      {"utimensat", {write, yes}},
      {"setxattr", {write, yes}},
      {"lsetxattr", {write, no}},
      {"removexattr", {write, yes}},
      {"lremovexattr", {write, no}},
  };
  // Every path row has an expectation, so a new row must say what it records.
  std::set<std::string> path_rows;
  for (const auto& s : trace::syscall_table()) {
    if (s.shape != trace::PathShape::none) {
      path_rows.insert(s.name);
    }
  }
  std::set<std::string> listed;
  for (const Expect& e : expected) {
    INFO(e.name);
    listed.insert(e.name);
    CHECK(words(trace::path_access(row(e.name), 0, O_RDONLY)) == words(e.first));
  }
  CHECK(listed == path_rows);

  SECTION("the second path of a two-path call")
  {
    for (const char* n : {"rename", "renameat", "renameat2"}) {
      INFO(n);
      CHECK(words(trace::second_path_access(row(n), 0)) == "write nofollow create");
    }
    for (const char* n : {"link", "linkat"}) {
      INFO(n);
      CHECK(words(trace::second_path_access(row(n), 0)) == "none nofollow create");
    }
    CHECK(words(trace::second_path_access(row("pivot_root"), 0)) == "stat nofollow");
  }
  SECTION("the AT_ flags")
  {
    CHECK(words(trace::path_access(row("newfstatat"), AT_SYMLINK_NOFOLLOW, 0)) == "stat nofollow");
    CHECK(words(trace::path_access(row("statx"), AT_SYMLINK_NOFOLLOW, 0)) == "stat nofollow");
    CHECK(words(trace::path_access(row("execveat"), AT_SYMLINK_NOFOLLOW, 0)) == "read|exec nofollow");
    CHECK(words(trace::path_access(row("fchownat"), AT_SYMLINK_NOFOLLOW, 0)) == "write nofollow");
    CHECK(words(trace::path_access(row("utimensat"), AT_SYMLINK_NOFOLLOW, 0)) == "write nofollow");
    // linkat follows its old path only when asked to.
    CHECK(words(trace::path_access(row("linkat"), AT_SYMLINK_FOLLOW, 0)) == "read follow");
    CHECK(words(trace::path_access(row("linkat"), AT_SYMLINK_NOFOLLOW, 0)) == "read nofollow");
  }
  SECTION("the open flags")
  {
    struct OpenCase
    {
      uint64_t flags;
      const char* access;
    };
    for (const OpenCase& c : std::vector<OpenCase>{
             {O_RDONLY, "read follow"},
             {O_WRONLY, "write follow"},
             {O_RDWR, "read|write follow"},
             {O_RDONLY | O_TRUNC, "read|write follow"},
             {O_PATH, "stat follow"},
             {O_PATH | O_NOFOLLOW, "stat nofollow"},
             {O_RDONLY | O_DIRECTORY, "read|dir follow"},
             {O_WRONLY | O_CREAT, "write follow create"},
             {O_WRONLY | O_CREAT | O_EXCL, "write nofollow create"},
             {O_RDONLY | O_NOFOLLOW, "read nofollow"},
             {O_RDWR | O_TMPFILE, "read|write|dir follow"}, // an unnamed file: nothing created at the path
         }) {
      INFO(c.flags);
      CHECK(words(trace::open_access(c.flags)) == c.access);
      for (const char* n : {"open", "openat", "openat2"}) {
        INFO(n);
        CHECK(words(trace::path_access(row(n), 0, c.flags)) == c.access);
      }
    }
    // creat's flags are implied: O_CREAT|O_WRONLY|O_TRUNC whatever its mode argument holds.
    CHECK(words(trace::path_access(row("creat"), 0, O_RDONLY)) == "write follow create");
  }
}

TEST_CASE("trace::build_trace_filter stops exactly the path syscalls", "[trace]")
{
  std::vector<sock_filter> prog = trace::build_trace_filter();
  REQUIRE(prog.size() > 10);
  // Without a tracer, SECCOMP_RET_TRACE fails the call with ENOSYS: that shows which calls would stop.
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    if (trace::install_filter(prog) != 0) {
      _exit(100);
    }
    int bits = 0;
    struct stat st;
    errno = 0;
    if (stat("/", &st) != 0 && errno == ENOSYS) {
      bits |= 1; // stopped
    }
    errno = 0;
    if (syscall(SYS_openat, AT_FDCWD, "/", O_RDONLY) < 0 && errno == ENOSYS) {
      bits |= 2; // stopped
    }
    errno = 0;
    if (syscall(SYS_newfstatat, 1, nullptr, &st, AT_EMPTY_PATH) == 0 || errno != ENOSYS) {
      bits |= 4; // AT_EMPTY_PATH and a NULL path: nothing is looked up, not stopped
    }
    errno = 0;
    if (fstat(1, &st) != 0 && errno == ENOSYS) {
      bits |= 64; // glibc's fstat is newfstatat(fd, "", AT_EMPTY_PATH): stopped, the tracer reads the ""
    }
    errno = 0;
    if (syscall(SYS_newfstatat, AT_FDCWD, "/", &st, AT_EMPTY_PATH) != 0 && errno == ENOSYS) {
      bits |= 128; // AT_EMPTY_PATH with a path: stopped
    }
    if (getpid() > 0) {
      bits |= 8;
    }
    errno = 0;
    if (syscall(SYS_statx, AT_FDCWD, "/", 0, 0, nullptr) < 0 && errno == ENOSYS) {
      bits |= 16; // stopped
    }
    errno = 0;
    if (syscall(SYS_utimensat, 1, nullptr, nullptr, 0) < 0 && errno == ENOSYS) {
      bits |= 32; // must not happen: a NULL path is no lookup
    }
    _exit(bits);
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == (1 | 2 | 4 | 8 | 16 | 64 | 128));
}

TEST_CASE("trace::refusal_table names calls of this architecture", "[trace]")
{
  // Calls that exist only on other architectures (i386's vm86, stime, umount).
  const std::set<std::string> elsewhere = {"vm86", "vm86old", "stime", "umount"};
  std::set<std::string> resolved;
  for (const auto& r : trace::host_refusals()) {
    resolved.insert(r.rule->name);
    CHECK(trace::syscall_name(r.nr) == r.rule->name);
  }
  for (const auto& r : trace::refusal_table()) {
    INFO(r.name);
    CHECK(resolved.count(r.name) == (elsewhere.count(r.name) != 0 ? 0u : 1u));
    CHECK((r.error == EPERM || r.error == ENOSYS));
    CHECK(std::string(r.label).rfind(r.name, 0) == 0);
  }
  for (const char* n : {"kexec_load",
                        "init_module",
                        "finit_module",
                        "delete_module",
                        "bpf",
                        "perf_event_open",
                        "userfaultfd",
                        "keyctl",
                        "add_key",
                        "request_key",
                        "open_by_handle_at",
                        "iopl",
                        "ioperm",
                        "reboot",
                        "swapon",
                        "swapoff",
                        "acct",
                        "settimeofday",
                        "clock_settime",
                        "quotactl",
                        "mount",
                        "umount2",
                        "pivot_root",
                        "unshare",
                        "setns",
                        "io_uring_setup",
                        "clone3",
                        "open_tree",
                        "move_mount",
                        "fsopen",
                        "mount_setattr"}) {
    INFO(n);
    CHECK(resolved.count(n) == 1);
  }
}

TEST_CASE("trace::refusal_for applies each rule exactly", "[trace]")
{
  auto refused = [](int nr, std::initializer_list<uint64_t> a) -> std::string {
    uint64_t args[6] = {};
    size_t i = 0;
    for (uint64_t v : a) {
      args[i++] = v;
    }
    const trace::Refusal* r = trace::refusal_for(nr, args);
    return r == nullptr ? "" : r->label;
  };
  CHECK(refused(SYS_keyctl, {}) == "keyctl");
  CHECK(refused(SYS_io_uring_setup, {}) == "io_uring_setup");
  CHECK(trace::refusal_for(SYS_io_uring_setup, std::array<uint64_t, 6>{}.data())->error == ENOSYS);
  CHECK(refused(SYS_read, {}).empty());
  CHECK(refused(SYS_ioctl, {0, TIOCSTI}) == "ioctl(TIOCSTI)");
  CHECK(refused(SYS_ioctl, {0, TIOCSTI | (uint64_t{1} << 32)}) ==
        "ioctl(TIOCSTI)"); // the kernel ignores high bits
  CHECK(refused(SYS_ioctl, {0, TIOCLINUX}) == "ioctl(TIOCLINUX)");
  CHECK(refused(SYS_ioctl, {0, TCGETS}).empty());
  CHECK(refused(SYS_clone, {CLONE_UNTRACED | SIGCHLD}) == "clone(CLONE_UNTRACED)");
  CHECK(refused(SYS_clone, {CLONE_NEWUSER | SIGCHLD}) == "clone(CLONE_NEWUSER)");
  CHECK(refused(SYS_clone, {CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |
                            CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID})
            .empty());
  CHECK(refused(SYS_seccomp, {SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER}) ==
        "seccomp(SECCOMP_FILTER_FLAG_NEW_LISTENER)");
  CHECK(refused(SYS_seccomp, {SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC}).empty());
  CHECK(refused(SYS_seccomp, {SECCOMP_GET_ACTION_AVAIL, SECCOMP_FILTER_FLAG_NEW_LISTENER}).empty());
  CHECK(refused(SYS_personality, {0}).empty());
  CHECK(refused(SYS_personality, {0xffffffff}).empty()); // a query
  CHECK(refused(SYS_personality, {0x0040000}) == "personality");
  CHECK(refused(SYS_socket, {40, SOCK_STREAM, 0}) == "socket(AF_VSOCK)");
  CHECK(refused(SYS_socket, {AF_INET, SOCK_STREAM, 0}).empty());
  CHECK(trace::always_refused(SYS_mount));
  CHECK(!trace::always_refused(SYS_ioctl));
  CHECK(!trace::always_refused(SYS_openat));
}

namespace {

// True when prog returns `ret` for some path: a BPF_RET|BPF_K instruction with that constant.
bool
returns(const std::vector<sock_filter>& prog, uint32_t ret)
{
  for (const sock_filter& f : prog) {
    if (f.code == (BPF_RET | BPF_K) && f.k == ret) {
      return true;
    }
  }
  return false;
}

// True when prog compares the syscall number (or any word) with nr.
bool
compares(const std::vector<sock_filter>& prog, uint32_t nr)
{
  for (const sock_filter& f : prog) {
    if (BPF_CLASS(f.code) == BPF_JMP && BPF_SRC(f.code) == BPF_K && f.k == nr) {
      return true;
    }
  }
  return false;
}

} // namespace

TEST_CASE("trace::build_trace_filter holds the policy rules in each form", "[trace]")
{
  auto traced = trace::build_trace_filter(trace::FilterAction::trace);
  auto notified = trace::build_trace_filter(trace::FilterAction::notify);
  auto denied = trace::build_trace_filter(trace::FilterAction::deny);
  for (const auto& r : trace::host_refusals()) {
    INFO(r.rule->label);
    CHECK(compares(traced, static_cast<uint32_t>(r.nr)));
    CHECK(compares(notified, static_cast<uint32_t>(r.nr)));
    CHECK(compares(denied, static_cast<uint32_t>(r.nr)));
    CHECK(returns(traced,
                  SECCOMP_RET_TRACE | trace::k_policy_trace_tag | static_cast<uint32_t>(r.rule->error)));
    CHECK(returns(denied, SECCOMP_RET_ERRNO | static_cast<uint32_t>(r.rule->error)));
  }
  CHECK(returns(notified, SECCOMP_RET_USER_NOTIF));
  CHECK(returns(traced, SECCOMP_RET_TRACE)); // the path calls' stops, data 0
  // The deny-only form stops nothing: no trace, no notification.
  CHECK(!returns(denied, SECCOMP_RET_TRACE));
  CHECK(!returns(denied, SECCOMP_RET_USER_NOTIF));
  CHECK(!compares(denied, SYS_openat));
  CHECK(denied.size() < traced.size());
}

TEST_CASE("trace::build_trace_filter deny form refuses in the kernel with the rule's errno", "[trace]")
{
  std::vector<sock_filter> prog = trace::build_trace_filter(trace::FilterAction::deny);
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    if (trace::install_filter(prog) != 0) {
      _exit(100);
    }
    int bits = 0;
    errno = 0;
    if (syscall(SYS_keyctl, 0, -4, 0) < 0 && errno == EPERM) {
      bits |= 1;
    }
    errno = 0;
    if (syscall(SYS_io_uring_setup, 1, nullptr) < 0 && errno == ENOSYS) {
      bits |= 2;
    }
    char c = 'x';
    errno = 0;
    if (syscall(SYS_ioctl, 0, TIOCSTI | (1UL << 32), &c) < 0 && errno == EPERM) {
      bits |= 4;
    }
    errno = 0;
    if (syscall(SYS_clone, CLONE_UNTRACED | SIGCHLD, 0, 0, 0, 0) < 0 && errno == EPERM) {
      bits |= 8;
    }
    errno = 0;
    if (syscall(SYS_unshare, CLONE_NEWUSER) < 0 && errno == EPERM) {
      bits |= 16;
    }
    struct stat st;
    if (stat("/", &st) == 0 && getpid() > 0) {
      bits |= 32; // path calls pass: nothing stops
    }
    _exit(bits);
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == (1 | 2 | 4 | 8 | 16 | 32));
}

TEST_CASE("trace::build_trace_filter with recording stops every call outside the baseline",
          "[trace][constraints]")
{
  std::vector<sock_filter> prog = trace::build_trace_filter(trace::FilterAction::trace, true);
  // As above: without a tracer a stop fails the call with ENOSYS.
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    if (trace::install_filter(prog) != 0) {
      _exit(100);
    }
    int bits = 0;
    char info[256];
    errno = 0;
    if (syscall(SYS_sysinfo, info) < 0 && errno == ENOSYS) {
      bits |= 1; // outside the baseline: stopped
    }
    errno = 0;
    if (syscall(SYS_socket, AF_INET, SOCK_DGRAM, 0) < 0 && errno == ENOSYS) {
      bits |= 2; // refused by the policy only for AF_VSOCK: every form stops when recording
    }
    timespec ts;
    if (syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts) == 0 && getpid() > 0) {
      bits |= 4; // baseline: no stop
    }
    struct stat st;
    errno = 0;
    if (syscall(SYS_newfstatat, 1, nullptr, &st, AT_EMPTY_PATH) == 0 || errno != ENOSYS) {
      bits |= 8; // a baseline path call keeps its path rules: no lookup, no stop
    }
    errno = 0;
    if (stat("/", &st) != 0 && errno == ENOSYS) {
      bits |= 16; // a baseline path call still stops for its path
    }
    _exit(bits);
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == (1 | 2 | 4 | 8 | 16));
}

TEST_CASE("trace::build_allow_filter allows the named calls, ENOSYS for the rest", "[trace][constraints]")
{
  std::vector<sock_filter> prog =
      trace::build_allow_filter({"getpid", "exit_group", "exit", "not_a_syscall", "rt_sigreturn"});
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    if (trace::install_filter(prog) != 0) {
      _exit(100);
    }
    int bits = 0;
    if (syscall(SYS_getpid) > 0) {
      bits |= 1;
    }
    char info[256];
    errno = 0;
    if (syscall(SYS_sysinfo, info) < 0 && errno == ENOSYS) {
      bits |= 2;
    }
    errno = 0;
    if (syscall(SYS_getppid) < 0 && errno == ENOSYS) {
      bits |= 4;
    }
    syscall(SYS_exit_group, bits);
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == (1 | 2 | 4));
}
