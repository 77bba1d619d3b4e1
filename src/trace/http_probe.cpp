#include <whittle/trace/http_probe.hpp>
#include <whittle/util/error.hpp>

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

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
    try {
      u.port = std::stoi(hostport.substr(colon + 1));
    } catch (const std::exception&) {
      throw UsageError("--probe `" + url + "`: bad port");
    }
    if (u.port <= 0 || u.port > 65535) {
      throw UsageError("--probe `" + url + "`: bad port");
    }
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
http_get(const HttpUrl& url, std::chrono::milliseconds timeout)
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
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
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
  std::string resp;
  char buf[16384];
  for (;;) {
    if (!wait_for(POLLIN)) {
      break;
    }
    ssize_t n = recv(s, buf, sizeof buf, 0);
    if (n > 0) {
      resp.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EAGAIN) {
      continue;
    }
    break;
  }
  close(s);
  if (resp.rfind("HTTP/", 0) != 0) {
    out.error = resp.empty() ? "no answer" : "not an HTTP answer";
    return out;
  }
  auto sp = resp.find(' ');
  out.status = sp == std::string::npos ? 0 : std::atoi(resp.c_str() + sp + 1);
  auto body = resp.find("\r\n\r\n");
  out.body = body == std::string::npos ? "" : resp.substr(body + 4);
  out.answered = out.status > 0;
  return out;
}

HttpAnswer
http_get_retry(const HttpUrl& url, std::chrono::milliseconds patience)
{
  auto deadline = std::chrono::steady_clock::now() + patience;
  HttpAnswer a;
  for (;;) {
    a = http_get(url, std::chrono::milliseconds(5000));
    if (a.answered || std::chrono::steady_clock::now() >= deadline) {
      return a;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

} // namespace whittle::trace
