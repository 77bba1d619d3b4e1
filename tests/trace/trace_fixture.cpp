#include "trace_fixture.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fcntl.h>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>
#include <whittle/trace/idmap.hpp>
#include <whittle/trace/profile.hpp>
#include <whittle/trace/rootless.hpp>
#include <whittle/util/fd.hpp>
#include <whittle/util/id_shift.hpp>

namespace whittle::test {

util::IdShift
enter_sandbox_ids()
{
  trace::enter_rootless();
  return trace::sandbox_id_shift();
}

bool
have_other_ids()
{
  if (enter_sandbox_ids().count == 1) {
    skip("single-id rootless mode: the sandbox has no id but 0 (give the user a range in /etc/subuid)");
    return false;
  }
  return true;
}

std::string
make_tracee_rootfs(const TestDir& dir)
{
  util::IdShift shift = enter_sandbox_ids();
  std::string root = dir / "rootfs";
  struct stat st;
  // Built (and shifted) by an earlier call of this test; an empty directory (a tmpfs a test mounted
  // there) is filled.
  if (::lstat((root + "/bin/tracee").c_str(), &st) == 0) {
    return root;
  }
  for (const char* d : {"", "/bin", "/etc", "/data", "/data/sub", "/tmp"}) {
    mkdir((root + d).c_str(), 0755);
  }
  chmod((root + "/tmp").c_str(), 01777);
  write_file(root + "/bin/tracee", read_file(WHITTLE_TRACEE));
  chmod((root + "/bin/tracee").c_str(), 0755);
  write_file(root + "/etc/passwd", "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n");
  write_file(root + "/etc/group", "root:x:0:\napp:x:1000:\n");
  write_file(root + "/data/a.txt", "a\n");
  write_file(root + "/data/b.txt", "b\n");
  write_file(root + "/data/sub/c.txt", "c\n");
  ::symlink("tracee", (root + "/bin/sh").c_str());
  ::symlink("data", (root + "/lnk").c_str());
  ::symlink("/data/a.txt", (root + "/abs").c_str());
  ::symlink("../../..", (root + "/up").c_str());
  // Owned as an extraction would leave it: by the sandbox's ids (the test dir itself stays whittle's).
  util::shift_owners(root, shift);
  return root;
}

trace::TraceOutcome
trace_tracee(const TestDir& dir, const std::vector<std::string>& args,
             const std::function<void(trace::TraceOptions&)>& tweak)
{
  std::string root = make_tracee_rootfs(dir);
  mkdir((dir / "state").c_str(), 0755);
  trace::TraceOptions o;
  o.sandbox.rootfs = root;
  o.sandbox.state_dir = dir / "state";
  o.sandbox.argv = {"/bin/tracee"};
  o.sandbox.argv.insert(o.sandbox.argv.end(), args.begin(), args.end());
  o.sandbox.env = {"PATH=/bin"};
  o.sandbox.id_shift = enter_sandbox_ids();
  o.timeout = std::chrono::milliseconds(20000);
  // ctest runs the [ptrace] cases twice: with ptrace seccomp-stops (default) and with user notifications.
  const char* mech = std::getenv("WHITTLE_TRACE_MECHANISM");
  if (mech != nullptr && std::string(mech) == "notify") {
    o.mechanism = trace::Mechanism::notify;
  }
  if (tweak) {
    tweak(o);
  }
  return trace::run_trace(o);
}

std::vector<std::string>
file_lines(const trace::Profile& p)
{
  std::vector<std::string> out;
  for (const auto& [path, rec] : p.files) {
    std::string line = path + ":";
    bool first = true;
    for (int b = 0; b < 9; ++b) {
      auto a = static_cast<trace::Access>(1 << b);
      if (rec.has(a)) {
        line += (first ? "" : ",") + trace::to_string(a);
        first = false;
      }
    }
    if (!rec.link_target.empty()) {
      line += "->" + rec.link_target;
    }
    out.push_back(line);
  }
  return out;
}

Captured
capture(const TestDir& dir, const std::vector<std::string>& args,
        const std::function<void(trace::TraceOptions&)>& tweak)
{
  std::string path = dir / "stdout.txt";
  util::Fd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  REQUIRE(fd);
  Captured c;
  c.out = trace_tracee(dir, args, [&](trace::TraceOptions& o) {
    o.stdout_fd = fd.get();
    if (tweak) {
      tweak(o);
    }
  });
  c.stdout_text = read_file(path);
  return c;
}

bool
contains(const std::string& text, const std::string& part)
{
  return text.find(part) != std::string::npos;
}

// The mountinfo line whose mount point is `point`, or "".
std::string
mount_line(const std::string& mountinfo, const std::string& point)
{
  std::istringstream in(mountinfo);
  std::string line;
  std::string found;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string id, parent, dev, root, mp;
    f >> id >> parent >> dev >> root >> mp;
    if (mp == point) {
      found = line; // the last one is the one on top
    }
  }
  return found;
}

} // namespace whittle::test
