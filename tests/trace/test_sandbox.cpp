// The sandbox's isolation, seen from inside by the tracee and from the host: the user namespace,
// descriptors and stdio, the terminal, devices, /proc and /sys, read-only binds.
#include "trace_fixture.hpp"

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <sstream>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <whittle/trace/idmap.hpp>
#include <whittle/trace/sandbox_plan.hpp>
#include <whittle/util/fd.hpp>

using namespace whittle;
using test::capture;
using test::contains;
using test::mount_line;

namespace {

bool
sandbox_available()
{
  if (!test::have_root_sandbox()) {
    test::skip("sandbox tests need root (or rootless user namespaces), namespaces and ptrace");
    return false;
  }
  return true;
}

bool
real_root()
{
  std::string map = test::read_file("/proc/self/uid_map");
  return geteuid() == 0 && trace::choose_id_shift(trace::parse_id_map(map), trace::parse_id_map(map)).base ==
                               trace::k_root_id_base;
}

} // namespace

TEST_CASE("sandbox: the app is root of its own user namespace only", "[ptrace][userns]")
{
  if (!sandbox_available()) {
    return;
  }
  test::TestDir dir;
  util::IdShift shift = test::enter_sandbox_ids();
  SECTION("uid 0 inside is the shifted base outside")
  {
    auto c = capture(dir, {"cat", "/proc/self/uid_map"});
    REQUIRE(c.exit_code() == 0);
    std::istringstream in(c.stdout_text);
    uint64_t inside = 1, outside = 0, count = 0;
    in >> inside >> outside >> count;
    CHECK(inside == 0);
    CHECK(outside == shift.base);
    CHECK(count == shift.count);
    if (real_root()) {
      CHECK(outside == trace::k_root_id_base);
    }
  }
  SECTION("uid 0 and the default capabilities inside")
  {
    auto c = capture(dir, {"cat", "/proc/self/status"});
    REQUIRE(c.exit_code() == 0);
    CHECK(contains(c.stdout_text, "Uid:\t0\t0\t0\t0"));
    CHECK(contains(c.stdout_text, "CapEff:\t00000000a80425fb"));
  }
  SECTION("those capabilities do not reach a host file: a root-only file bound in stays unreadable")
  {
    // In single-id mode the sandbox's root is whittle's own id, the file's owner: nothing to show.
    if (!test::have_other_ids()) {
      return;
    }
    std::string secret = dir / "secret";
    test::write_file(secret, "host secret\n");
    REQUIRE(chmod(secret.c_str(), 0600) == 0);
    // Owned by whittle's own root, not by the sandbox's ids.
    REQUIRE(chown(secret.c_str(), 0, 0) == 0);
    auto c = capture(dir, {"cat", "/mnt/secret"}, [&](trace::TraceOptions& o) {
      o.sandbox.mounts.push_back(trace::parse_bind_mount(secret + ":/mnt/secret"));
    });
    CHECK(c.exit_code() == 1);
    CHECK(!contains(c.stdout_text, "host secret"));
    // The same mode on an image file (owned by the sandbox's root) is readable: CAP_DAC_OVERRIDE works
    // inside, so the refusal above is the user namespace's doing.
    std::string mine = dir / "rootfs/data/mine";
    test::write_file(mine, "image secret\n");
    REQUIRE(chmod(mine.c_str(), 0600) == 0);
    REQUIRE(chown(mine.c_str(), shift.to_outer(1000), shift.to_outer(1000)) == 0);
    auto d = capture(dir, {"cat", "/data/mine"});
    CHECK(d.exit_code() == 0);
    CHECK(d.stdout_text == "image secret\n");
  }
}

TEST_CASE("sandbox: descriptors, stdio and the terminal", "[ptrace]")
{
  if (!sandbox_available()) {
    return;
  }
  test::TestDir dir;
  SECTION("an inherited descriptor on the host's / is not in the app; stdin is /dev/null")
  {
    // Without O_CLOEXEC, as a careless CI step would leave it.
    int leak = open("/", O_RDONLY | O_DIRECTORY);
    REQUIRE(leak >= 0);
    auto c = capture(dir, {"fds"});
    close(leak);
    REQUIRE(c.exit_code() == 0);
    std::istringstream in(c.stdout_text);
    std::string line;
    std::vector<std::string> lines;
    while (std::getline(in, line)) {
      lines.push_back(line);
    }
    REQUIRE(lines.size() == 3);
    CHECK(lines[0] == "fd 0 /dev/null");
    CHECK(lines[1].rfind("fd 1 pipe:", 0) == 0);
    CHECK(lines[2].rfind("fd 2 pipe:", 0) == 0);
  }
  SECTION("no controlling terminal: /dev/tty gives ENXIO, the app is in the init's session")
  {
    auto c = capture(dir, {"tty"});
    CHECK(c.exit_code() == 0);
    CHECK(contains(c.stdout_text, "tty No such device or address"));
    CHECK(contains(c.stdout_text, "sid 1 "));
  }
  SECTION("the app's stderr is relayed to whittle's stderr, through a pipe")
  {
    std::string path = dir / "stderr.txt";
    int saved = dup(STDERR_FILENO);
    int file = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    REQUIRE(file >= 0);
    dup2(file, STDERR_FILENO);
    auto c = capture(dir, {"stderr", "relayed-marker"});
    dup2(saved, STDERR_FILENO);
    close(saved);
    close(file);
    CHECK(c.exit_code() == 0);
    CHECK(contains(test::read_file(path), "relayed-marker"));
  }
}

TEST_CASE("sandbox: the app does not share whittle's session keyring", "[ptrace]")
{
  if (!sandbox_available()) {
    return;
  }
  test::TestDir dir;
  // KEYCTL_GET_KEYRING_ID(KEY_SPEC_SESSION_KEYRING, create)
  long mine = syscall(SYS_keyctl, 0, -3, 1);
  REQUIRE(mine > 0);
  auto c = capture(dir, {"keyring"});
  INFO(c.stdout_text);
  CHECK(!c.stdout_text.empty());
  // Either a keyring of its own or keyctl refused: never the one whittle holds.
  CHECK(c.stdout_text != "keyring " + std::to_string(mine) + "\n");
}

TEST_CASE("sandbox: devices, /proc and /sys", "[ptrace]")
{
  if (!sandbox_available()) {
    return;
  }
  test::TestDir dir;
  SECTION("mknod of a device fails inside")
  {
    auto c = capture(dir, {"mknod", "/tmp/null2"});
    CHECK(c.exit_code() == 0);
    CHECK(contains(c.stdout_text, "mknod Operation not permitted"));
  }
  SECTION("kernel knobs are read-only and the runtimes' masks are mounted")
  {
    auto w = capture(dir, {"write", "/proc/sys/kernel/domainname", "pwned"});
    CHECK(w.exit_code() == 1);
    auto c = capture(dir, {"cat", "/proc/self/mountinfo"});
    REQUIRE(c.exit_code() == 0);
    const std::string& mi = c.stdout_text;
    for (const auto& path : trace::k_readonly_paths) {
      struct stat st;
      if (lstat(path.c_str(), &st) != 0) {
        continue;
      }
      std::string line = mount_line(mi, path);
      INFO(path << ": " << line);
      CHECK(contains(line, " ro,"));
    }
    int masked = 0;
    for (const auto& path : trace::k_masked_paths) {
      struct stat st;
      if (lstat(path.c_str(), &st) != 0) {
        continue; // this kernel has no such file (no /proc/kcore here): nothing to mask
      }
      std::string line = mount_line(mi, path);
      INFO(path << ": " << line);
      CHECK(contains(line, " ro,"));
      CHECK(contains(line, S_ISDIR(st.st_mode) ? " - tmpfs " : " - devtmpfs "));
      ++masked;
    }
    CHECK(masked >= 3);
    std::string sys = mount_line(mi, "/sys");
    INFO(sys);
    CHECK(contains(sys, " ro,"));
    std::string root = mount_line(mi, "/");
    INFO(root);
    CHECK(contains(root, "nosuid"));
    CHECK(contains(root, "nodev"));
  }
}

TEST_CASE("sandbox: --mount HOST:CTR:ro is read-only all the way down", "[ptrace]")
{
  if (!sandbox_available()) {
    return;
  }
  if (!real_root()) {
    test::skip("a host submount needs root in the initial namespace");
    return;
  }
  test::TestDir dir;
  util::IdShift shift = test::enter_sandbox_ids();
  std::string host = dir / "host";
  mkdir(host.c_str(), 0755);
  mkdir((host + "/sub").c_str(), 0755);
  REQUIRE(chown(host.c_str(), shift.to_outer(0), shift.to_outer(0)) == 0);
  // Writable by anyone: only the read-only bind can refuse the app.
  REQUIRE(mount("tmpfs", (host + "/sub").c_str(), "tmpfs", 0, "mode=1777,size=1m") == 0);
  auto ro = capture(dir, {"write", "/mnt/host/sub/new.txt", "x"}, [&](trace::TraceOptions& o) {
    o.sandbox.mounts.push_back(trace::parse_bind_mount(host + ":/mnt/host:ro"));
  });
  auto rw = capture(dir, {"write", "/mnt/host/sub/rw.txt", "x"}, [&](trace::TraceOptions& o) {
    o.sandbox.mounts.push_back(trace::parse_bind_mount(host + ":/mnt/host"));
  });
  struct stat st;
  bool ro_wrote = stat((host + "/sub/new.txt").c_str(), &st) == 0;
  bool rw_wrote = stat((host + "/sub/rw.txt").c_str(), &st) == 0;
  umount2((host + "/sub").c_str(), MNT_DETACH);
  CHECK(ro.exit_code() == 1);
  CHECK(!ro_wrote);
  CHECK(rw.exit_code() == 0);
  CHECK(rw_wrote);
}

TEST_CASE("sandbox: the ids of a rootfs whittle did not extract (trace --rootfs)", "[trace]")
{
  auto map = [](const std::string& text) { return trace::parse_id_map(text); };
  const std::string initial = "0 0 4294967295\n";
  SECTION("as root: the image's own owners, shown shifted through an idmapped mount")
  {
    auto ids = trace::choose_given_rootfs_ids(0, map(initial), map(initial));
    CHECK(ids.idmap);
    CHECK(ids.shift == util::IdShift{trace::k_root_id_base, trace::k_root_id_count});
    ids = trace::choose_given_rootfs_ids(1000, map(initial), map(initial));
    CHECK(ids.idmap);
  }
  SECTION("as root: a rootfs whittle extracted and kept is shifted already")
  {
    auto ids = trace::choose_given_rootfs_ids(trace::k_root_id_base, map(initial), map(initial));
    CHECK_FALSE(ids.idmap);
    CHECK(ids.shift.base == trace::k_root_id_base);
  }
  SECTION("rootless with a range: whittle's namespace's ids unshifted, as `podman unshare` shows them")
  {
    std::string ns = "0 1000 1\n1 100000 65536\n";
    auto ids = trace::choose_given_rootfs_ids(0, map(ns), map(ns));
    CHECK_FALSE(ids.idmap);
    CHECK(ids.shift == util::IdShift{0, 65536});
    // Kept from an earlier rootless run: shifted by 1 already.
    ids = trace::choose_given_rootfs_ids(1, map(ns), map(ns));
    CHECK_FALSE(ids.idmap);
    CHECK(ids.shift == util::IdShift{1, 65536});
  }
  SECTION("the sandbox's map follows whittle's own extents (the kernel maps a line through one extent)")
  {
    CHECK(trace::id_map_text({trace::k_root_id_base, 65536}, map(initial)) == "0 2147418112 65536\n");
    std::string ns = "0 1000 1\n1 100000 65536\n";
    CHECK(trace::id_map_text({1, 65536}, map(ns)) == "0 1 65536\n");
    CHECK(trace::id_map_text({0, 65536}, map(ns)) == "0 0 1\n1 1 65535\n");
    CHECK(trace::id_map_text({0, 1}, map("0 1000 1\n")) == "0 0 1\n");
  }
  SECTION("rootless without a range: the single id")
  {
    auto ids = trace::choose_given_rootfs_ids(0, map("0 1000 1\n"), map("0 1000 1\n"));
    CHECK_FALSE(ids.idmap);
    CHECK(ids.shift == util::IdShift{0, 1});
  }
}

TEST_CASE("sandbox: trace --rootfs DIR shows DIR's owners as they are, and never changes them",
          "[ptrace][userns]")
{
  if (!sandbox_available()) {
    return;
  }
  test::TestDir dir;
  // Single-id rootless mode holds no uid 1000: the file stays whittle's own.
  bool other_ids = test::enter_sandbox_ids().count > 1;
  // A rootfs made by hand, owned as the image gives it: root's, and one file of uid 1000.
  std::string root = dir / "own";
  for (const char* d : {"", "/bin", "/etc", "/data"}) {
    REQUIRE(mkdir((root + d).c_str(), 0755) == 0);
  }
  test::write_file(root + "/bin/tracee", test::read_file(WHITTLE_TRACEE));
  REQUIRE(chmod((root + "/bin/tracee").c_str(), 0755) == 0);
  test::write_file(root + "/etc/passwd", "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/:/bin/sh\n");
  test::write_file(root + "/etc/group", "root:x:0:\napp:x:1000:\n");
  test::write_file(root + "/data/root-file", "r\n");
  test::write_file(root + "/data/app-file", "a\n");
  if (other_ids) {
    REQUIRE(chown((root + "/data/app-file").c_str(), 1000, 1000) == 0);
  }
  trace::GivenRootfsIds ids = trace::given_rootfs_ids(root);
  CHECK(ids.idmap == real_root());
  REQUIRE(mkdir((dir / "state").c_str(), 0755) == 0);

  auto run = [&](const std::vector<std::string>& args) {
    std::string out = dir / "stdout.txt";
    util::Fd fd(open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    REQUIRE(fd);
    trace::TraceOptions o;
    o.sandbox.rootfs = root;
    o.sandbox.state_dir = dir / "state";
    o.sandbox.argv = {"/bin/tracee"};
    o.sandbox.argv.insert(o.sandbox.argv.end(), args.begin(), args.end());
    o.sandbox.env = {"PATH=/bin"};
    o.sandbox.id_shift = ids.shift;
    o.sandbox.idmap_rootfs = ids.idmap;
    o.stdout_fd = fd.get();
    o.timeout = std::chrono::milliseconds(20000);
    trace::TraceOutcome res = trace::run_trace(o);
    CHECK(res.profile.runs.at(0).exit_code == 0);
    return test::read_file(out);
  };
  std::string seen = run({"owner", "/", "/data/root-file", "/data/app-file"});
  CHECK(seen == std::string("0:0\n0:0\n") + (other_ids ? "1000:1000\n" : "0:0\n"));
  // The app's root creates a file: root's on disk too.
  run({"create", "/data/made-inside"});
  struct stat st;
  REQUIRE(lstat((root + "/data/made-inside").c_str(), &st) == 0);
  CHECK(st.st_uid == 0);
  CHECK(st.st_gid == 0);
  // Nothing of DIR was chowned.
  REQUIRE(lstat((root + "/data/root-file").c_str(), &st) == 0);
  CHECK(st.st_uid == 0);
  REQUIRE(lstat((root + "/data/app-file").c_str(), &st) == 0);
  CHECK(st.st_uid == (other_ids ? 1000u : 0u));
  REQUIRE(lstat(root.c_str(), &st) == 0);
  CHECK(st.st_uid == 0);
  REQUIRE(lstat((root + "/proc").c_str(), &st) == 0); // a mount target whittle made: root's
  CHECK(st.st_uid == 0);
}

TEST_CASE("sandbox: --rootfs on a filesystem without idmapped mounts fails, naming it, and changes nothing",
          "[ptrace][userns]")
{
  if (!sandbox_available() || !real_root()) {
    return; // rootless takes whittle's namespace's ids and mounts nothing idmapped
  }
  test::TestDir dir;
  // ramfs has no idmapped mounts (FS_ALLOW_IDMAP).
  std::string root = dir / "ram";
  REQUIRE(mkdir(root.c_str(), 0755) == 0);
  REQUIRE(mount("none", root.c_str(), "ramfs", 0, "mode=755") == 0);
  struct Unmount
  {
    std::string path;
    ~Unmount() { umount2(path.c_str(), MNT_DETACH); }
  } unmount{root};
  for (const char* d : {"/bin", "/etc"}) {
    REQUIRE(mkdir((root + d).c_str(), 0755) == 0);
  }
  test::write_file(root + "/bin/tracee", test::read_file(WHITTLE_TRACEE));
  REQUIRE(chmod((root + "/bin/tracee").c_str(), 0755) == 0);
  test::write_file(root + "/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n");
  REQUIRE(mkdir((dir / "state").c_str(), 0755) == 0);
  trace::GivenRootfsIds ids = trace::given_rootfs_ids(root);
  REQUIRE(ids.idmap);
  trace::TraceOptions o;
  o.sandbox.rootfs = root;
  o.sandbox.state_dir = dir / "state";
  o.sandbox.argv = {"/bin/tracee", "exit", "0"};
  o.sandbox.env = {"PATH=/bin"};
  o.sandbox.id_shift = ids.shift;
  o.sandbox.idmap_rootfs = ids.idmap;
  o.timeout = std::chrono::milliseconds(20000);
  std::string error;
  try {
    trace::run_trace(o);
  } catch (const std::exception& e) {
    error = e.what();
  }
  CHECK_THAT(error, Catch::Contains("idmapped") && Catch::Contains("does not support idmapped mounts") &&
                        Catch::Contains(root) && Catch::Contains("--rootfs"));
  struct stat st;
  REQUIRE(lstat((root + "/bin/tracee").c_str(), &st) == 0);
  CHECK(st.st_uid == 0);
}
