#pragma once
// A plain HTTP GET for tests (libcurl): the status and body, or the transport error.

#include <curl/curl.h>

#include <string>

namespace citytwin::testing {

struct http_response {
  long status = 0;  // 0: no answer (see error)
  std::string body;
  std::string error;
};

inline http_response http_get(const std::string& url, long timeout_ms = 5000) {
  http_response response;
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return {0, "", "curl_easy_init failed"};
  auto append = +[](char* data, size_t size, size_t count, void* out) {
    static_cast<std::string*>(out)->append(data, size * count);
    return size * count;
  };
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, append);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
  if (const CURLcode code = curl_easy_perform(curl); code != CURLE_OK) response.error = curl_easy_strerror(code);
  else curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  curl_easy_cleanup(curl);
  return response;
}

// Percent-encodes a query parameter.
inline std::string url_encode(const std::string& text) {
  CURL* curl = curl_easy_init();
  char* encoded = curl_easy_escape(curl, text.c_str(), static_cast<int>(text.size()));
  std::string out = encoded ? encoded : "";
  curl_free(encoded);
  curl_easy_cleanup(curl);
  return out;
}

}  // namespace citytwin::testing
