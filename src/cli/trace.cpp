// `whittle trace IMAGE -o PROFILE.json [-- CMD ARGS...]`: extract the image, run its app in the sandbox
// under the tracer, write the profile (schema in docs/profile.md).
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <unistd.h>
#include <whittle/cli/command.hpp>
#include <whittle/cli/environment.hpp>
#include <whittle/cli/trace_options.hpp>
#include <whittle/oci/image.hpp>
#include <whittle/oci/reference.hpp>
#include <whittle/rootfs/apply.hpp>
#include <whittle/trace/idmap.hpp>
#include <whittle/trace/profile.hpp>
#include <whittle/trace/session.hpp>
#include <whittle/util/error.hpp>
#include <whittle/util/log.hpp>
#include <whittle/util/temp_dir.hpp>

namespace whittle::cli {

namespace {

int
run_trace_command(const ParsedArgs& args)
{
  auto output = args.get("--output");
  if (!output) {
    throw UsageError("trace needs -o PROFILE.json");
  }
  // Every flag is checked before the image is opened.
  std::optional<std::string> user = args.get_user("--user");
  std::string mechanism = args.get_or("--tracer", "ptrace");
  if (mechanism != "notify" && mechanism != "ptrace") {
    throw UsageError("--tracer must be notify or ptrace");
  }
  if (args.has("--untraced")) {
    for (const char* f : {"--tracer", "--syscalls"}) {
      if (args.has(f)) {
        throw UsageError(std::string("--untraced runs without the tracer, so ") + f +
                         " has no effect: drop one");
      }
    }
  }
  parse_trace_flags(args);
  oci::ImageRef ref = oci::parse_reference(args.positional.at(0));
  std::optional<oci::Platform> platform;
  if (auto p = args.get("--platform")) {
    platform = oci::Platform::parse(*p);
  }
  oci::Image image = oci::open_image(ref, platform);
  trace::TraceOptions o = parse_trace_options(args, image.config);
  o.sandbox.user = user ? *user : image.config.user();
  o.untraced = args.has("--untraced");
  o.mechanism = mechanism == "ptrace" ? trace::Mechanism::ptrace : trace::Mechanism::notify;
  if (args.has("--json")) {
    o.stdout_fd = STDERR_FILENO; // stdout carries only the JSON summary
  }

  std::string parent = args.get_or("--workdir", temp_root());
  util::TempDir work = util::TempDir::work(util::WorkKind::trace, parent);
  if (args.has("--keep-workdir")) {
    work.keep();
    util::info("work directory kept: " + work.path());
  }
  std::string rootfs = work.path() + "/rootfs";
  std::string state = work.path() + "/state";
  if (mkdir(state.c_str(), 0755) != 0) {
    throw_errno("create work directory under `" + work.path() + "`");
  }
  if (auto given = args.get("--rootfs")) {
    rootfs = *given;
    trace::GivenRootfsIds ids = trace::given_rootfs_ids(rootfs);
    o.sandbox.id_shift = ids.shift;
    o.sandbox.idmap_rootfs = ids.idmap;
  } else {
    if (mkdir(rootfs.c_str(), 0755) != 0) {
      throw_errno("create work directory under `" + work.path() + "`");
    }
    auto t0 = std::chrono::steady_clock::now();
    rootfs::ApplyOptions ao;
    ao.extract_to = rootfs;
    ao.id_shift = trace::sandbox_id_shift();
    o.sandbox.id_shift = ao.id_shift;
    rootfs::apply_layers(image, ao);
    auto t1 = std::chrono::steady_clock::now();
    util::verbose("extracted " + ref.str() + " into " + rootfs + " in " +
                  std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(t1 - t0).count()) +
                  " ms");
  }
  o.sandbox.rootfs = rootfs;
  o.sandbox.state_dir = state;

  trace::TraceOutcome out = trace::run_trace(o);
  trace::Profile& p = out.profile;
  p.image_ref = ref.str();
  p.manifest_digest = image.manifest_digest.str();
  p.platform = image.platform.str();
  trace::write_profile(p, *output);
  const trace::RunRecord& run = p.runs.at(0);
  if (out.timed_out) {
    util::warn("the app was stopped by the timeout");
  }
  if (args.has("--json")) {
    nlohmann::json j = {{"image", p.image_ref},        {"manifest_digest", p.manifest_digest},
                        {"profile", *output},          {"files", p.files.size()},
                        {"special", p.special.size()}, {"stops", out.stops},
                        {"exit_code", run.exit_code},  {"signal", run.signal},
                        {"timed_out", out.timed_out},  {"refused", run.refused}};
    std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  }
  util::info("traced " + std::to_string(p.files.size()) + " image paths (" +
             std::to_string(p.special.size()) + " special, " + std::to_string(out.stops) + " stops); app " +
             (run.signal != 0 ? "killed by signal " + std::to_string(run.signal)
                              : "exit code " + std::to_string(run.exit_code)) +
             "; profile written to " + *output);
  if (args.has("--exit-with-app")) {
    if (run.signal != 0) {
      return 128 + run.signal;
    }
    return run.exit_code < 0 ? k_exit_failed : run.exit_code;
  }
  return k_exit_ok;
}

} // namespace

Command
trace_command()
{
  Command c;
  c.spec.name = "trace";
  c.spec.usage = "IMAGE -o PROFILE.json [options] [-- CMD ARGS...]";
  c.spec.summary = "run an image's app in a sandbox under the tracer, record the files it touches";
  c.spec.description =
      "Extracts the image into a work directory and runs its Entrypoint + Cmd (or `-- CMD ARGS...`, which\n"
      "replaces Cmd) with the image's Env, WorkingDir and User, in new user, mount, pid, ipc, uts and net\n"
      "namespaces, after pivot_root into the rootfs, with a fresh /proc, a minimal /dev, Docker's default\n"
      "capabilities and no_new_privs. A ptrace + seccomp-bpf tracer records every path the app and its\n"
      "children name; the profile (docs/profile.md) lists image files with their accesses, and /proc, /sys,\n"
      "/dev and whittle's own /etc/hosts, /etc/resolv.conf, /etc/hostname apart. The app's stdout and\n"
      "stderr pass through. Runs as root or, rootless, in a user namespace of its own (docs/sandbox.md). "
      "With --json a\n"
      "summary (image, profile, file counts, the app's exit) is printed on stdout.";
  c.spec.flags = {
      {"--output", "-o", "FILE", "write the profile here (required)"},
      {"--platform", "", "OS/ARCH[/VARIANT]", "pick this platform from a multi-platform index"},
      {"--user", "", "USER[:GROUP]", "run as this user (name or uid, resolved in the image's /etc/passwd)"},
  };
  // The flags shared with slim and verify, with trace's own defaults and wording where they differ.
  for (auto f : trace_flags()) {
    if (f.name == "--workdir") {
      f.help = "extract the rootfs under DIR (default: $TMPDIR)";
    } else if (f.name == "--keep-workdir") {
      f.help = "keep the extracted rootfs after the run";
    } else if (f.name == "--continue-after") {
      f.help = "when to stop the app (default: exit, or probes when probes are given); then the image's "
               "StopSignal (default SIGTERM) to every process, 5 s, SIGKILL";
    }
    c.spec.flags.push_back(f);
  }
  for (auto f : std::vector<FlagSpec>{
           {"--rootfs", "", "DIR",
            "use this already extracted rootfs of IMAGE instead of extracting (it may be changed)"},
           {"--untraced", "", "", "run in the same sandbox without the tracer (a baseline for benchmarks)"},
           {"--tracer", "", "ptrace|notify",
            "how path syscalls are seen: ptrace seccomp-stops (default) or seccomp user notifications"},
           {"--exit-with-app", "", "", "exit with the app's exit status (128+N when killed by signal N)"},
       }) {
    c.spec.flags.push_back(f);
  }
  c.spec.min_positional = 1;
  c.spec.max_positional = 1;
  c.spec.passthrough = true;
  c.run = run_trace_command;
  return c;
}

} // namespace whittle::cli
