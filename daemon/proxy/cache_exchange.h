#pragma once
// The cache's state for one HTTP exchange on a connection: what was looked up, what is being
// stored, and, when the cache answers, the stored bytes still to send. Owned by the Connection;
// destroyed at the end of the exchange (an unfinished store is abandoned then, never published).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "daemon/cache/object_store.h"
#include "daemon/inspect/byte_ranges.h"
#include "daemon/inspect/cache_control.h"
#include "daemon/proxy/message_relay.h"

namespace tollgate::proxy {

struct CacheExchange final : BodyTap {
  enum class Mode {
    Forward,  // the origin answers (a miss, a revalidation, a bypass)
    Join,     // waiting for another connection's fetch of the same key
    Answer,   // sending a stored response
  };

  ~CacheExchange() override {
    if (writer && !finished) writer->abandon("transfer ended");
  }

  bool answering() const { return mode == Mode::Answer || mode == Mode::Join; }

  // The store keeps what the relay copies; a store that gives up only stops the copy.
  bool onBody(std::string_view bytes) override {
    tapped += bytes.size();
    if (writer != nullptr && writer->append(bytes)) return true;
    tapStopped = true;
    return false;
  }

  Mode mode = Mode::Forward;
  std::string url;  // normalised request URL
  std::string key;  // store key (url, or the store-ID rewrite)
  std::string method;
  cache::StoredFields requestFields;  // the request's fields (Vary, Authorization, conditionals)
  inspect::RequestCacheControl requestControl;
  int64_t requestTime = 0;           // unix seconds
  size_t headLength = 0;             // of the request head, buffered until answered or sent

  cache::ObjectPtr stale;    // revalidating this stored response
  cache::WriterPtr writer;   // storing the response being relayed
  bool storing = false;      // writer begun: the response body is tapped
  bool finished = false;     // writer finished (or abandoned on purpose)
  uint64_t bodyLength = 0;   // of the response being stored
  uint64_t tapped = 0;
  bool tapStopped = false;   // the store gave up during the body
  bool verifyPending = false;  // the Host was not resolved yet when storing began
  cache::WriterPtr joined;   // Join: the fetch followed

  // Answer: the stored response and the body still to send, as segments.
  cache::ObjectPtr object;
  bool growing = false;  // the object is still being written (collapsed forwarding)
  std::shared_ptr<const std::string> memory;
  std::vector<inspect::BodySegment> segments;
  size_t segment = 0;
  uint64_t segmentDone = 0;
  std::unique_ptr<cache::BodyReader> reader;
  bool readPending = false;
};

}  // namespace tollgate::proxy
