// Probes: an HTTP GET from inside the sandbox's network namespace, and a command run inside the sandbox
// whose files are recorded apart.
#include "trace_fixture.hpp"

#include <arpa/inet.h>
#include <atomic>
#include <catch2/catch.hpp>
#include <csignal>
#include <netinet/in.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <whittle/trace/http_probe.hpp>
#include <whittle/trace/profile.hpp>
#include <whittle/util/error.hpp>
#include <whittle/util/sha256.hpp>

using namespace whittle;
using Lines = std::vector<std::string>;

TEST_CASE("trace::parse_http_url", "[trace]")
{
  auto u = trace::parse_http_url("http://127.0.0.1:8080/health?x=1");
  CHECK(u.host == "127.0.0.1");
  CHECK(u.port == 8080);
  CHECK(u.path == "/health?x=1");
  CHECK(trace::parse_http_url("http://localhost").port == 80);
  CHECK(trace::parse_http_url("http://localhost").path == "/");
  CHECK_THROWS_AS(trace::parse_http_url("https://127.0.0.1/"), UsageError);
  CHECK_THROWS_AS(trace::parse_http_url("http://example.com/"), UsageError);
  CHECK_THROWS_AS(trace::parse_http_url("http://127.0.0.1:0/"), UsageError);
  // The port is decimal digits only, 1 to 65535: nothing after the number is ignored.
  CHECK_THROWS_WITH(trace::parse_http_url("http://127.0.0.1:80x/"), Catch::Contains("port `80x`"));
  for (const char* bad :
       {"http://127.0.0.1:/", "http://127.0.0.1:+80/", "http://127.0.0.1: 80/", "http://127.0.0.1:65536/",
        "http://127.0.0.1:-1/", "http://127.0.0.1:0x50/", "http://127.0.0.1:99999999999/"}) {
    INFO(bad);
    CHECK_THROWS_AS(trace::parse_http_url(bad), UsageError);
  }
  CHECK(trace::parse_http_url("http://127.0.0.1:65535").port == 65535);
  CHECK(trace::parse_http_url("http://127.0.0.1:0080/").port == 80);
}

namespace {

// A one-shot HTTP server on 127.0.0.1 (an ephemeral port) answering `head` then `body_size` bytes of 'x'.
class OneAnswerServer
{
public:
  OneAnswerServer(std::string head, size_t body_size) : m_head(std::move(head)), m_size(body_size)
  {
    m_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a = {};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(m_fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(listen(m_fd, 1) == 0);
    socklen_t len = sizeof a;
    getsockname(m_fd, reinterpret_cast<sockaddr*>(&a), &len);
    m_port = ntohs(a.sin_port);
    m_thread = std::thread([this] {
      int c = accept(m_fd, nullptr, nullptr);
      if (c < 0) {
        return;
      }
      char req[4096];
      (void)!recv(c, req, sizeof req, 0);
      std::string chunk(1 << 16, 'x');
      bool ok = send(c, m_head.data(), m_head.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(m_head.size());
      for (size_t sent = 0; ok && sent < m_size;) {
        size_t n = std::min(chunk.size(), m_size - sent);
        ssize_t w = send(c, chunk.data(), n, MSG_NOSIGNAL);
        ok = w > 0;
        sent += ok ? static_cast<size_t>(w) : 0;
        m_sent = sent;
      }
      close(c);
    });
  }
  ~OneAnswerServer()
  {
    shutdown(m_fd, SHUT_RDWR);
    m_thread.join();
    close(m_fd);
  }
  int port() const { return m_port; }
  size_t sent() const { return m_sent; }

private:
  std::string m_head;
  size_t m_size;
  int m_fd = -1;
  int m_port = 0;
  std::atomic<size_t> m_sent{0};
  std::thread m_thread;
};

} // namespace

TEST_CASE("trace::http_get hashes the body as it streams and cuts it at the cap", "[trace]")
{
  const std::string head = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n";
  SECTION("a body under the cap: its digest")
  {
    OneAnswerServer server(head, 100000);
    auto a = trace::http_get(trace::parse_http_url("http://127.0.0.1:" + std::to_string(server.port()) + "/"),
                             std::chrono::milliseconds(10000));
    CHECK(a.answered);
    CHECK(!a.cut);
    CHECK(a.status == 200);
    CHECK(a.body_size == 100000);
    CHECK(a.body_sha256 == util::sha256_hex(std::string(100000, 'x')));
  }
  SECTION("20 MiB against the 16 MiB cap: cut, failed, with the cap in the message")
  {
    OneAnswerServer server(head, 20u << 20);
    auto a = trace::http_get(trace::parse_http_url("http://127.0.0.1:" + std::to_string(server.port()) + "/"),
                             std::chrono::milliseconds(20000));
    CHECK(a.answered);
    CHECK(a.cut);
    CHECK(a.status == 200);
    CHECK(a.body_sha256.empty());
    CHECK(a.body_size <= trace::k_max_http_body);
    CHECK(a.error.find("16 MiB") != std::string::npos);
  }
  SECTION("exactly the cap passes; one byte more is cut")
  {
    {
      OneAnswerServer server(head, 4096);
      auto a =
          trace::http_get(trace::parse_http_url("http://127.0.0.1:" + std::to_string(server.port()) + "/"),
                          std::chrono::milliseconds(10000), 4096);
      CHECK(!a.cut);
      CHECK(a.body_sha256 == util::sha256_hex(std::string(4096, 'x')));
    }
    OneAnswerServer server(head, 4097);
    auto a = trace::http_get(trace::parse_http_url("http://127.0.0.1:" + std::to_string(server.port()) + "/"),
                             std::chrono::milliseconds(10000), 4096);
    CHECK(a.cut);
  }
  SECTION("the status is the three digits after the first space; anything else is no status")
  {
    for (const auto& [line, status] :
         std::vector<std::pair<std::string, int>>{{"HTTP/1.1 404 Not Found", 404},
                                                  {"HTTP/1.1 204", 204},
                                                  {"HTTP/1.1 20x OK", 0},
                                                  {"HTTP/1.1 2000 OK", 0},
                                                  {"HTTP/1.1 -200 OK", 0},
                                                  {"HTTP/1.1  200 OK", 0}}) {
      INFO(line);
      OneAnswerServer server(line + "\r\n\r\n", 10);
      auto a =
          trace::http_get(trace::parse_http_url("http://127.0.0.1:" + std::to_string(server.port()) + "/"),
                          std::chrono::milliseconds(10000));
      CHECK(a.status == status);
      CHECK(a.answered == (status != 0));
    }
  }
  SECTION("endless headers are cut too")
  {
    OneAnswerServer server("HTTP/1.0 200 OK\r\nX: " + std::string(100000, 'h'), 0);
    auto a = trace::http_get(trace::parse_http_url("http://127.0.0.1:" + std::to_string(server.port()) + "/"),
                             std::chrono::milliseconds(10000));
    CHECK(a.cut);
    CHECK(!a.answered);
    CHECK(a.error.find("headers") != std::string::npos);
  }
}

TEST_CASE("trace: HTTP and exec probes", "[ptrace]")
{
  if (!test::have_root_sandbox()) {
    test::skip("probe tests need root, namespaces and ptrace");
    return;
  }
  test::TestDir dir;
  SECTION("HTTP probe waits for the app, then the app is stopped")
  {
    auto out = test::trace_tracee(dir, {"serve", "8080"}, [](trace::TraceOptions& o) {
      o.http_probes = {"http://127.0.0.1:8080/"};
      o.continue_after = trace::ContinueAfter::probes;
    });
    const auto& run = out.profile.runs.at(0);
    REQUIRE(run.probes.size() == 1);
    CHECK(run.probes[0].kind == "http");
    CHECK(run.probes[0].ok);
    CHECK(run.probes[0].status == 200);
    CHECK(run.probes[0].body_sha256 == util::sha256_hex("hello"));
    CHECK(run.signal == SIGTERM);
    CHECK(!out.timed_out);
    CHECK(test::file_lines(out.profile) == Lines{"/:dir", "/bin/tracee:read,exec", "/data/a.txt:read"});
  }
  SECTION("an unanswered probe is recorded as failed")
  {
    auto out = test::trace_tracee(dir, {"spin"}, [](trace::TraceOptions& o) {
      o.http_probes = {"http://127.0.0.1:9/"};
      o.continue_after = trace::ContinueAfter::probes;
      o.probe_patience = std::chrono::milliseconds(600);
    });
    REQUIRE(out.profile.runs.at(0).probes.size() == 1);
    CHECK(!out.profile.runs.at(0).probes[0].ok);
  }
  SECTION("exec probe files are kept apart")
  {
    auto out = test::trace_tracee(dir, {"spin"}, [](trace::TraceOptions& o) {
      o.exec_probes = {"open /data/b.txt"};
      o.continue_after = trace::ContinueAfter::probes;
    });
    const auto& run = out.profile.runs.at(0);
    REQUIRE(run.probes.size() == 1);
    CHECK(run.probes[0].kind == "exec");
    CHECK(run.probes[0].ok);
    CHECK(run.probes[0].status == 0);
    trace::Profile probe_only;
    for (const auto& f : run.probes[0].files) {
      probe_only.files[f.path] = f;
    }
    CHECK(test::file_lines(probe_only) ==
          Lines{"/:dir", "/bin/sh:stat->tracee", "/bin/tracee:read,exec", "/data/b.txt:read"});
    CHECK(test::file_lines(out.profile) == Lines{"/:dir", "/bin/tracee:read,exec"});
  }
  SECTION("continue for a number of seconds")
  {
    auto start = std::chrono::steady_clock::now();
    auto out = test::trace_tracee(dir, {"spin"},
                                  [](trace::TraceOptions& o) { trace::parse_continue_after("0.5", o); });
    CHECK(!out.timed_out);
    CHECK(out.profile.runs.at(0).signal == SIGTERM);
    // Well before the 20 s timeout, with room for a loaded machine's slow sandbox start.
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
  }
}
