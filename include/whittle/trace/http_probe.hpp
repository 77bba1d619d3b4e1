#pragma once
// The HTTP GET whittle itself makes against the traced app (so the image needs no curl), from a thread
// that entered the sandbox's network namespace.
#include <chrono>
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
  bool answered = false;
  int status = 0;
  std::string body;
  std::string error; // why there was no answer
};

// Interface.

// Parses "http://HOST[:PORT][/PATH]"; throws UsageError naming the probe when malformed (https and host
// names other than localhost are refused: the probe runs inside the sandbox's network namespace).
HttpUrl parse_http_url(const std::string& url);

// One GET over HTTP/1.0; never throws. Times out after `timeout`.
HttpAnswer http_get(const HttpUrl& url, std::chrono::milliseconds timeout);

// Repeats http_get (every 200 ms) until an answer arrives or `patience` has passed.
HttpAnswer http_get_retry(const HttpUrl& url, std::chrono::milliseconds patience);

} // namespace whittle::trace
