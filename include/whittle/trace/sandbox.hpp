#pragma once
// The running sandbox: an init process (pid 1 of fresh namespaces, a user namespace among them, in a
// session of its own) that sets up the root from a SandboxPlan, starts the app with the seccomp filter
// installed, reaps zombies, forwards SIGTERM to every process of the namespace and runs --probe-exec
// commands on request. When the app's process exits, the init kills every other process of the namespace
// at once and exits with the app's status (as container runtimes do). The init keeps only the
// descriptors whittle made for it; the app's stdin is /dev/null, its stdout and stderr whittle's pipes. The
// caller (the tracer) attaches to the init with PTRACE_SEIZE between start() and release(), so the app and
// every later process are traced from their first instruction. Killing the init kills the whole pid
// namespace.
#include <linux/filter.h>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>
#include <whittle/trace/sandbox_plan.hpp>
#include <whittle/util/fd.hpp>

namespace whittle::trace {

// The most --probe-exec commands one sandbox runs: its init's probe table is fixed (no allocation there).
constexpr int k_max_exec_probes = 64;

// Room for one exec request: its words with their NULs, and how many words.
inline constexpr size_t k_max_exec_bytes = 2048;
inline constexpr int k_max_exec_args = 255;

// True when argv is not empty and fits one exec request (each word with its NUL).
bool exec_argv_fits(const std::vector<std::string>& argv);

class Sandbox
{
public:
  // Prepares everything the child side needs (argv/env arrays, BPF program, pipes, mount targets).
  // Throws SandboxError.
  // Filter::trace: the app's path syscalls make ptrace seccomp-stops. Filter::notify: the init installs a
  // user-notification filter on itself before starting anything, so the app and every probe inherit it,
  // and hands the listener to whittle (receive_listener). Filter::none: the untraced baseline, which only
  // refuses what the baseline policy refuses (syscall_policy.hpp).
  // record_syscalls (trace and notify): every call outside the seccomp baseline stops too, so the tracer
  // records the app's syscall names (seccomp_filter.hpp).
  // With plan.constraints (verify): the rootfs is read-only (mounts.hpp), tmpfs ops as planned, the app
  // and probes hold exactly the constraints' capability mask (ambient too for a non-root user, as podman
  // gives --cap-add) instead of Docker's default set, and the allow list is installed last before execve.
  enum class Filter
  {
    trace,
    notify,
    none
  };
  explicit Sandbox(SandboxPlan plan, Filter filter = Filter::trace, bool record_syscalls = false);
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;
  // Kills the init (and so the namespace) if it still runs; does not wait.
  ~Sandbox();

  // Clones the init into new namespaces, writes its uid_map/gid_map (plan().id_shift) and hands it the
  // mount sources; it waits for release(). Returns its pid (host view). Throws SandboxError (with the
  // likely cause) when the kernel refuses the namespaces.
  pid_t start();
  // Before start(): the app's fd 1 becomes fd; the sandbox's own copies are closed once the app has been
  // started. Without it, the app's stdout is /dev/null.
  void set_app_stdout(util::Fd fd) { m_app_stdout = std::move(fd); }
  // Before start(): the app's fd 2, and fds 1 and 2 of every exec probe, become fd (the init keeps a copy
  // for the probes until it ends). Without it, /dev/null.
  void set_app_stderr(util::Fd fd) { m_app_stderr = std::move(fd); }
  // Lets the init set up the root and start the app.
  void release();
  // Asks the init to run `/bin/sh -c command` as the app's user, filtered like the app. Returns false if
  // the init is gone.
  bool request_exec(int index, const std::string& command);
  // Asks the init to exec argv as the app's user, filtered like the app, with the app's env and working
  // directory; argv[0] without a slash is looked up on the app's PATH (as runc does for an exec). A
  // program that cannot be run ends with status 127. Returns false if the init is gone. Throws UsageError
  // when argv is empty or over k_max_exec_args words or k_max_exec_bytes bytes (NULs included).
  bool request_exec_argv(int index, const std::vector<std::string>& argv);
  // Asks the init to SIGKILL probe `index` if it still runs (a timed-out healthcheck). Never throws.
  void kill_exec(int index) noexcept;
  // Waits up to timeout_ms for the init to report the end of probe `index`; returns the wait status, or
  // nullopt (init gone or timeout).
  std::optional<int> wait_exec(int index, int timeout_ms);
  // After the init ended: the error the init or the app reported before exec, as a message.
  std::optional<std::string> child_error();

  // Filter::notify: waits up to timeout_ms for the init's seccomp listener; returns it, or an empty Fd
  // when the init ended first (its error is then in child_error()).
  util::Fd receive_listener(int timeout_ms);

  // Sends sig to the init through a pidfd, so a reaped init's recycled pid is never hit. Never throws.
  void signal(int sig) noexcept;

  pid_t init_pid() const { return m_init; }
  const SandboxPlan& plan() const { return m_plan; }

private:
  [[noreturn]] void init_main() noexcept;
  pid_t spawn(const char* exe, char* const* argv, int sync_fd, int stdout_fd, int stderr_fd) noexcept;
  void send_mount_sources();
  bool receive_mount_sources() noexcept;
  void close_unneeded_fds() noexcept;

  SandboxPlan m_plan;
  std::vector<sock_filter> m_filter;
  std::vector<sock_filter> m_allow_filter; // RunConstraints::seccomp_allow, or empty
  Filter m_filter_kind = Filter::trace;
  std::vector<std::string> m_argv_store;
  std::vector<char*> m_argv;
  std::vector<char*> m_env;
  uint64_t m_caps = 0;
  util::Fd m_go_read, m_go_write;
  util::Fd m_sync_read, m_sync_write;
  util::Fd m_control_read, m_control_write;
  util::Fd m_status_read, m_status_write;
  util::Fd m_devnull;
  util::Fd m_app_stdout;      // write end of whittle's pipe for the app's stdout, or empty
  util::Fd m_app_stderr;      // write end of whittle's relay pipe for the app's and probes' stderr, or empty
  bool m_setgroups = true;    // setgroups(2) is allowed in the sandbox's user namespace
  std::vector<int> m_sources; // init side: the mount sources received (mounts.hpp)
  std::vector<char> m_sources_cmsg; // init side: room for their SCM_RIGHTS message
  util::Fd m_pidfd;
  util::Fd m_listener_read, m_listener_write; // socketpair carrying the seccomp listener (SCM_RIGHTS)
  pid_t m_init = -1;
};

} // namespace whittle::trace
