#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <whittle/trace/http_probe.hpp>
#include <whittle/util/error.hpp>
#include <whittle/util/number.hpp>
#include <whittle/util/sha256.hpp>

namespace whittle::trace {

HttpUrl
parse_http_url(const std::string& url)
{
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0) {
    throw UsageError("--probe `" + url + "` is not an http:// URL");
  }
  std::string rest = url.substr(scheme.size());
  HttpUrl u;
  auto slash = rest.find('/');
  std::string hostport = rest.substr(0, slash);
  u.path = slash == std::string::npos ? "/" : rest.substr(slash);
  auto colon = hostport.rfind(':');
  u.host = hostport.substr(0, colon);
  if (colon != std::string::npos) {
    std::string digits = hostport.substr(colon + 1);
    long port = 0;
    bool ok = !digits.empty() && digits.size() <= 5;
    for (char c : digits) {
      ok = ok && c >= '0' && c <= '9';
      port = port * 10 + (c - '0');
    }
    if (!ok || port < 1 || port > 65535) {
      throw UsageError("--probe `" + url + "`: the port `" + digits + "` is not a number from 1 to 65535");
    }
    u.port = static_cast<int>(port);
  }
  if (u.host == "localhost") {
    u.host = "127.0.0.1";
  }
  in_addr a;
  if (inet_pton(AF_INET, u.host.c_str(), &a) != 1) {
    throw UsageError("--probe `" + url + "`: the host must be an IPv4 address or localhost");
  }
  return u;
}

HttpAnswer
http_get(const HttpUrl& url, std::chrono::milliseconds timeout, uint64_t max_body)
{
  HttpAnswer out;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (s < 0) {
    out.error = std::strerror(errno);
    return out;
  }
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(url.port));
  inet_pton(AF_INET, url.host.c_str(), &addr.sin_addr);
  auto wait_for = [&](short events) {
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return false;
    }
    pollfd p = {s, events, 0};
    return poll(&p, 1, static_cast<int>(left.count())) > 0;
  };
  if (connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && errno != EINPROGRESS) {
    out.error = std::strerror(errno);
    close(s);
    return out;
  }
  int err = 0;
  socklen_t len = sizeof err;
  if (!wait_for(POLLOUT) || getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
    out.error = err != 0 ? std::strerror(err) : "connect timed out";
    close(s);
    return out;
  }
  std::string req = "GET " + url.path + " HTTP/1.0\r\nHost: " + url.host + ":" + std::to_string(url.port) +
                    "\r\nUser-Agent: whittle-probe\r\nConnection: close\r\n\r\n";
  size_t off = 0;
  while (off < req.size()) {
    if (!wait_for(POLLOUT)) {
      out.error = "send timed out";
      close(s);
      return out;
    }
    ssize_t n = send(s, req.data() + off, req.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN) {
      out.error = std::strerror(errno);
      close(s);
      return out;
    }
    off += n > 0 ? static_cast<size_t>(n) : 0;
  }
  // Headers are kept (up to k_max_http_headers) until the blank line; the body only streams through the
  // hash, so no answer makes whittle hold more than a buffer of it.
  std::string head;
  util::Sha256 hash;
  bool in_body = false;
  char buf[16384];
  auto take_body = [&](const char* data, size_t n) {
    if (out.body_size + n > max_body) {
      out.cut = true;
      out.error = "the answer's body passed " + std::to_string(max_body >> 20) +
                  " MiB, whittle's cap on a probe body: cut there";
      return;
    }
    hash.update(data, n);
    out.body_size += n;
  };
  bool timed_out = false;
  while (!out.cut) {
    if (!wait_for(POLLIN)) {
      timed_out = true;
      break;
    }
    ssize_t n = recv(s, buf, sizeof buf, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    if (in_body) {
      take_body(buf, static_cast<size_t>(n));
      continue;
    }
    size_t before = head.size();
    head.append(buf, static_cast<size_t>(n));
    size_t end = head.find("\r\n\r\n", before >= 3 ? before - 3 : 0);
    if (end != std::string::npos) {
      in_body = true;
      size_t body_at = end + 4;
      take_body(head.data() + body_at, head.size() - body_at);
      head.resize(end);
    } else if (head.size() > k_max_http_headers) {
      out.cut = true;
      out.error = "the answer's headers passed " + std::to_string(k_max_http_headers >> 10) +
                  " KiB, whittle's cap: cut there";
    }
  }
  close(s);
  if (head.rfind("HTTP/", 0) != 0) {
    if (out.error.empty()) {
      out.error = head.empty() ? "no answer" : "not an HTTP answer";
    }
    return out;
  }
  // "HTTP/1.1 200 OK": the three digits after the first space; anything else is no status (0).
  auto sp = head.find(' ');
  if (sp != std::string::npos) {
    std::string_view code = std::string_view(head).substr(sp + 1);
    code = code.substr(0, code.find_first_of(" \r\n"));
    auto n = util::parse_uint(code, 999);
    out.status = n && code.size() == 3 ? static_cast<int>(*n) : 0;
  }
  out.answered = in_body && out.status > 0;
  if (out.answered && !out.cut) {
    out.body_sha256 = hash.hex_final();
  }
  if (!in_body && out.error.empty()) {
    out.error =
        timed_out ? "the answer's headers did not end in time" : "the answer ended inside its headers";
  }
  return out;
}

HttpAnswer
http_get_retry(const HttpUrl& url, std::chrono::milliseconds patience, uint64_t max_body)
{
  auto deadline = std::chrono::steady_clock::now() + patience;
  HttpAnswer a;
  for (;;) {
    a = http_get(url, std::chrono::milliseconds(5000), max_body);
    if (a.answered || a.cut || std::chrono::steady_clock::now() >= deadline) {
      return a;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

} // namespace whittle::trace
