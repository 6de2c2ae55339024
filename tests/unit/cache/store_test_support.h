#pragma once
// Helpers for the object store's tests: a real EventLoop on its own thread to receive what the
// store posts, a temporary cache directory, and blocking wrappers around the store's callbacks.
// Every wait is bounded: 10 s times TOLLGATE_TEST_TIMEOUT_SCALE (default 1); a wait that runs
// out fails the test instead of hanging it.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "daemon/cache/object_file.h"
#include "daemon/cache/object_index.h"
#include "daemon/cache/object_store.h"
#include "daemon/core/event_loop.h"

namespace tollgate::cache::testing {

inline std::chrono::milliseconds waitLimit() {
  double scale = 1;
  if (const char* s = std::getenv("TOLLGATE_TEST_TIMEOUT_SCALE")) scale = std::atof(s);
  if (scale <= 0) scale = 1;
  return std::chrono::milliseconds(static_cast<int64_t>(10000 * scale));
}

// Waits for a future with the deadline; false (and a test failure) when it ran out.
template <typename T>
bool arrives(std::future<T>& f, const char* what) {
  bool ok = f.wait_for(waitLimit()) == std::future_status::ready;
  EXPECT_TRUE(ok) << "timed out waiting for " << what;
  return ok;
}

// For effects the store completes on a disk thread with nothing to wait on (an unlink after an
// eviction): polls `done` until it holds or the deadline passes.
inline bool eventually(const std::function<bool()>& done) {
  auto until = std::chrono::steady_clock::now() + waitLimit();
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

class LoopThread {
 public:
  LoopThread() : thread_([this] { loop_.run(); }) {}
  ~LoopThread() {
    loop_.stop();
    thread_.join();
  }
  EventLoop& loop() { return loop_; }
  std::thread::id id() const { return thread_.get_id(); }

 private:
  EventLoop loop_;
  std::thread thread_;
};

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/tollgate-store-XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string cache() const { return path_ + "/cache"; }

 private:
  std::string path_;
};

struct Read {
  BodyReader::Status status = BodyReader::Status::Failed;
  std::string bytes;
  bool onLoopThread = false;
};

// One next(); waits for its result.
inline Read readOnce(LoopThread& lt, BodyReader& reader, size_t maxBytes) {
  auto promise = std::make_shared<std::promise<Read>>();
  std::future<Read> future = promise->get_future();
  std::thread::id loopId = lt.id();
  reader.next(maxBytes, lt.loop(), [promise, loopId](BodyReader::Status s, std::string b) {
    promise->set_value(Read{s, std::move(b), std::this_thread::get_id() == loopId});
  });
  if (!arrives(future, "BodyReader::next")) return Read{};
  return future.get();
}

// Reads until End or an error: the bytes delivered Ok, and the last status.
struct ReadAll {
  BodyReader::Status status = BodyReader::Status::Failed;
  std::string bytes;
  size_t chunks = 0;
};
inline ReadAll readAll(LoopThread& lt, BodyReader& reader, size_t maxBytes) {
  ReadAll all;
  for (;;) {
    Read r = readOnce(lt, reader, maxBytes);
    if (r.status != BodyReader::Status::Ok) {
      all.status = r.status;
      return all;
    }
    EXPECT_FALSE(r.bytes.empty());
    EXPECT_LE(r.bytes.size(), maxBytes);
    all.bytes += r.bytes;
    ++all.chunks;
  }
}

// Reads `reader` to the end from the loop thread, each result calling next() again, as a
// connection would; the future holds what arrived. `reader` must outlive the future's result.
inline std::future<ReadAll> readInBackground(LoopThread& lt, BodyReader& reader, size_t maxBytes) {
  struct Ctx {
    BodyReader* reader;
    EventLoop* loop;
    size_t maxBytes;
    ReadAll all;
    std::promise<ReadAll> promise;
    static void step(const std::shared_ptr<Ctx>& ctx) {
      ctx->reader->next(ctx->maxBytes, *ctx->loop, [ctx](BodyReader::Status s, std::string b) {
        if (s == BodyReader::Status::Ok) {
          ctx->all.bytes += b;
          ++ctx->all.chunks;
          step(ctx);
          return;
        }
        ctx->all.status = s;
        ctx->promise.set_value(std::move(ctx->all));
      });
    }
  };
  auto ctx = std::make_shared<Ctx>();
  ctx->reader = &reader;
  ctx->loop = &lt.loop();
  ctx->maxBytes = maxBytes;
  std::future<ReadAll> future = ctx->promise.get_future();
  lt.loop().post([ctx] { Ctx::step(ctx); });
  return future;
}

// Waits until everything posted to the loop so far has run.
inline void flushLoop(LoopThread& lt) {
  auto promise = std::make_shared<std::promise<void>>();
  std::future<void> future = promise->get_future();
  lt.loop().post([promise] { promise->set_value(); });
  arrives(future, "the loop");
}

// Waits until the writer is Complete, Abandoned or Failed, and returns that state.
inline ObjectWriter::State waitForEnd(LoopThread& lt, const WriterPtr& writer) {
  using State = ObjectWriter::State;
  for (;;) {
    State s = writer->state();
    if (s == State::Complete || s == State::Abandoned || s == State::Failed) return s;
    auto promise = std::make_shared<std::promise<void>>();
    std::future<void> future = promise->get_future();
    writer->onProgress(lt.loop(), [promise] { promise->set_value(); });
    if (!arrives(future, "writer progress")) return writer->state();
  }
}

// A body whose every byte depends on its position and the seed.
inline std::string pattern(size_t size, uint32_t seed = 1) {
  std::string s(size, '\0');
  uint32_t x = seed * 2654435761u + 1;
  for (size_t i = 0; i < size; ++i) {
    x = x * 1103515245u + 12345u;
    s[i] = static_cast<char>(x >> 24);
  }
  return s;
}

inline ObjectMeta makeMeta(const std::string& key, uint64_t bodyLength, StoredFields fields = {},
                           const std::string& variant = "") {
  ObjectMeta m;
  m.key = key;
  m.variant = variant;
  m.url = key;
  std::string rest = key.substr(key.find("//") + 2);
  m.host = rest.substr(0, rest.find('/'));
  m.status = 200;
  m.reason = "OK";
  m.fields = fields.empty() ? StoredFields{{"Content-Type", "text/plain"}} : std::move(fields);
  m.bodyLength = bodyLength;
  m.requestTime = 1700000000;
  m.responseTime = 1700000001;
  return m;
}

inline FreshnessInfo makeFreshness(int64_t lifetime = 3600) {
  FreshnessInfo f;
  f.responseTime = 1700000001;
  f.lifetime = lifetime;
  f.hasValidators = true;
  return f;
}

// A GET request head that owns its fields (a RequestHead only holds views). Neither copied
// nor moved, so the views stay valid; pass it where a RequestHead is wanted.
class TestRequest {
 public:
  TestRequest(std::initializer_list<std::pair<std::string, std::string>> fields = {})
      : fields_(fields) {
    head_.method = "GET";
    head_.target = "/";
    for (const auto& [name, value] : fields_) head_.headers.push_back({name, value});
  }
  TestRequest(const TestRequest&) = delete;
  TestRequest& operator=(const TestRequest&) = delete;
  operator const inspect::RequestHead&() const { return head_; }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
  inspect::RequestHead head_;
};
inline TestRequest request(std::initializer_list<std::pair<std::string, std::string>> fields) {
  return TestRequest(fields);
}

// Stores `body` under `meta`, appending `chunk` bytes at a time, and waits for the outcome.
inline ObjectWriter::State storeBody(ObjectStore& store, LoopThread& lt, ObjectMeta meta,
                                     const std::string& body, size_t chunk = 16384,
                                     FreshnessInfo freshness = makeFreshness()) {
  ObjectStore::Claim c = store.claim(meta.key);
  EXPECT_TRUE(c.writer) << "claim of " << meta.key << " joined a write in flight";
  if (!c.writer) return ObjectWriter::State::Failed;
  meta.bodyLength = body.size();
  if (!c.writer->begin(std::move(meta), freshness)) return c.writer->state();
  for (size_t at = 0; at < body.size(); at += chunk) {
    if (!c.writer->append(std::string_view(body).substr(at, chunk))) break;
  }
  c.writer->finish();
  return waitForEnd(lt, c.writer);
}

inline std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void writeFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

inline bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

inline size_t filesIn(const std::string& dir) {
  size_t n = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file()) ++n;
  }
  return n;
}

// The fixture of the store's specs on a real directory: a temporary cache dir, a loop thread
// that outlives every store (stores are locals of the tests), and helpers around both.
class StoreFixture : public ::testing::Test {
 protected:
  static constexpr uint64_t kAll = UINT64_MAX;

  StoreConfig config() const {
    StoreConfig c;
    c.dir = tmp_.cache();
    c.diskThreads = 2;
    return c;
  }
  static std::unique_ptr<ObjectStore> openStore(const StoreConfig& c) {
    auto store = std::make_unique<ObjectStore>(c);
    store->open();
    return store;
  }
  std::string fileOf(uint64_t id) const { return tmp_.cache() + "/" + objectRelPath(id); }
  std::string tmpDir() const { return tmp_.cache() + "/tmp"; }
  std::string objectsDir() const { return tmp_.cache() + "/objects"; }
  // The size of an object's file.
  static uint64_t fileSize(const ObjectMeta& meta, size_t bodySize) {
    ObjectMeta m = meta;
    m.bodyLength = bodySize;
    return kHeaderSize + bodySize + encodeMeta(m, makeFreshness()).size() + kTrailerSize;
  }
  // What the disk limit and StoreStats::diskBytes count for a file of `bytes`: whole blocks.
  static uint64_t onDisk(uint64_t bytes) { return ObjectIndex::diskUsage(bytes); }
  ObjectPtr findPlain(ObjectStore& store, const std::string& key) {
    return store.find(key, request({}));
  }
  std::string readWhole(ObjectStore& store, const ObjectPtr& o, size_t chunk = 65536) {
    auto reader = store.openBody(o, 0, kAll);
    ReadAll all = readAll(lt_, *reader, chunk);
    EXPECT_EQ(all.status, BodyReader::Status::End);
    return all.bytes;
  }

  TempDir tmp_;    // destroyed last
  LoopThread lt_;  // outlives every store, which are locals of the tests
};

}  // namespace tollgate::cache::testing
