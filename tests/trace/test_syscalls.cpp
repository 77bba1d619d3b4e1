#include <whittle/trace/seccomp_filter.hpp>
#include <whittle/trace/syscalls.hpp>

#include <catch2/catch.hpp>

#include <cerrno>
#include <fcntl.h>
#include <set>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

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
  for (int nr : {SYS_setuid, SYS_setgid, SYS_setreuid, SYS_setregid, SYS_setresuid, SYS_setresgid, SYS_setgroups,
                 SYS_chown, SYS_fchown, SYS_lchown, SYS_fchownat, SYS_bind}) {
    INFO(trace::syscall_name(nr));
    const trace::SyscallInfo* s = trace::find_syscall(nr);
    REQUIRE(s != nullptr);
    CHECK((s->kind & trace::k_sys_privilege) != 0);
    CHECK(s->skip_if_flag == 0); // always stopped: fchownat(fd, "", ..., AT_EMPTY_PATH) is fchown
  }
  for (const char* n : {"open", "openat", "openat2", "stat", "lstat", "newfstatat", "statx", "access", "faccessat",
                        "faccessat2", "execve", "execveat", "readlink", "readlinkat", "chdir", "mkdir", "unlink",
                        "unlinkat", "rename", "renameat2", "link", "linkat", "symlink", "symlinkat", "chmod",
                        "fchownat", "truncate", "utimensat", "mknod", "getxattr", "setxattr", "statfs",
                        "inotify_add_watch"}) {
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
    if (fstat(1, &st) == 0) {
      bits |= 4; // newfstatat(fd, "", AT_EMPTY_PATH): not stopped
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
  CHECK(WEXITSTATUS(status) == (1 | 2 | 4 | 8 | 16));
}
