#pragma once
// The HTTP GET whittle itself makes against the traced app (so the image needs no curl), from a thread
// that entered the sandbox's network namespace.
#include <chrono>
#include <cstdint>
#include <string>

namespace whittle::trace {

struct HttpUrl
{
  std::string host; // IPv4 literal or "localhost"
  int port = 80;
  std::string path = "/";
};

struct HttpAnswer
{
  bool answered = false; // a status line and complete headers arrived
  bool cut = false;      // the body passed max_body (or the headers k_max_http_headers): not read on
  int status = 0;
  std::string body_sha256; // of the body, hashed as it streamed in; "" when cut or unanswered
  uint64_t body_size = 0;  // bytes of body read
  std::string error;       // why there was no (complete) answer
};

// What one probe keeps of an answer: whittle's memory stays bounded whatever the app answers.
constexpr uint64_t k_max_http_body = 16u << 20;
constexpr size_t k_max_http_headers = 64u << 10;

// Interface.

// Parses "http://HOST[:PORT][/PATH]"; throws UsageError naming the probe when malformed (https and host
// names other than localhost are refused: the probe runs inside the sandbox's network namespace; PORT is
// 1 to 65535 in decimal digits only).
HttpUrl parse_http_url(const std::string& url);

// One GET over HTTP/1.0; never throws. Times out after `timeout`. Reads at most max_body bytes of body,
// hashing them as they come: a longer body is cut there (cut set, error says so).
HttpAnswer http_get(const HttpUrl& url, std::chrono::milliseconds timeout,
                    uint64_t max_body = k_max_http_body);

// Repeats http_get (every 200 ms) until an answer arrives (or is cut) or `patience` has passed.
HttpAnswer http_get_retry(const HttpUrl& url, std::chrono::milliseconds patience,
                          uint64_t max_body = k_max_http_body);

} // namespace whittle::trace
