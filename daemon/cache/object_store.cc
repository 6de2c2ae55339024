// ObjectStore: the facade over StoreCore (shared state), WriterImpl (writes), the body readers
// and ObjectIndex; and open(), which rebuilds the index from the directory. The contract is in
// object_store.h, the file format in object_file.h.
#include "daemon/cache/object_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <stdexcept>

#include "daemon/cache/body_readers.h"
#include "daemon/cache/object_file.h"
#include "daemon/cache/store_core.h"
#include "daemon/cache/store_writer.h"
#include "daemon/core/diag.h"

namespace tollgate::cache {
namespace {

// --- open() --------------------------------------------------------------------------------------

[[noreturn]] void unusable(const std::string& dir, const std::string& reason) {
  throw std::runtime_error("cache dir " + dir + ": " + reason);
}

std::string callFailed(const char* call, const std::string& path, int err) {
  return std::string(call) + "(" + path + "): " + errnoText(err);
}

// mkdir that accepts an existing directory (and nothing else of that name).
void makeDir(const std::string& dir, const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) == 0) return;
  int err = errno;
  struct stat st {};
  if (err == EEXIST && ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return;
  unusable(dir, callFailed("mkdir", path, err == EEXIST ? ENOTDIR : err));
}

// The cache directory and its parents (as mkdir -p), then objects/ and tmp/. The objects/XX
// directories are made by the first object that goes there.
void makeLayout(const std::string& dir) {
  for (size_t slash = dir.find('/', 1); slash != std::string::npos;
       slash = dir.find('/', slash + 1)) {
    makeDir(dir, dir.substr(0, slash), 0755);
  }
  makeDir(dir, dir, 0700);
  makeDir(dir, dir + "/objects", 0700);
  makeDir(dir, dir + "/tmp", 0700);
  // Creatable is not writable (a read-only mount, another owner): find out now, not at the
  // first object.
  std::string probe = dir + "/tmp/.probe";
  int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) unusable(dir, callFailed("open", probe, errno));
  bool wrote = ::write(fd, "x", 1) == 1;
  int err = errno;
  ::close(fd);
  ::unlink(probe.c_str());
  if (!wrote) unusable(dir, callFailed("write", probe, err));
}

// Names in a directory, without "." and "..". Throws when it cannot be read.
std::vector<std::string> listDir(const std::string& dir, const std::string& path) {
  DIR* d = ::opendir(path.c_str());
  if (d == nullptr) unusable(dir, callFailed("opendir", path, errno));
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    std::string_view name = e->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  ::closedir(d);
  return names;
}

struct Found {
  ObjectPtr object;
  uint64_t fileSize = 0;
  uint32_t bodyCrc = 0;
  int64_t mtimeNs = 0;
};

// Reads a file's header, trailer and metadata (not its body) and checks them.
FileCheck loadObject(const std::string& path, uint64_t nameId, Found& out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return FileCheck::BadHeader;
  struct stat st {};
  std::string header(kHeaderSize, '\0');
  std::string trailer(kTrailerSize, '\0');
  FileFrame frame;
  FileCheck check = FileCheck::BadSize;
  if (::fstat(fd, &st) == 0 && static_cast<uint64_t>(st.st_size) >= kHeaderSize + kTrailerSize &&
      preadAll(fd, header.data(), kHeaderSize, 0) == static_cast<int64_t>(kHeaderSize) &&
      preadAll(fd, trailer.data(), kTrailerSize, st.st_size - kTrailerSize) ==
          static_cast<int64_t>(kTrailerSize)) {
    check = checkFrame(header, trailer, static_cast<uint64_t>(st.st_size), frame);
  }
  if (check == FileCheck::Ok && frame.id != nameId) check = FileCheck::BadHeader;
  ObjectMeta meta;
  FreshnessInfo freshness;
  if (check == FileCheck::Ok) {
    std::string metaBytes(frame.trailer.metaLength, '\0');
    int64_t got = preadAll(fd, metaBytes.data(), metaBytes.size(), frame.metaOffset());
    check = got == static_cast<int64_t>(metaBytes.size())
                ? checkMeta(header, metaBytes, frame, meta, freshness)
                : FileCheck::BadSize;
  }
  ::close(fd);
  if (check != FileCheck::Ok) return check;
  out.object = std::make_shared<const StoredObject>(frame.id, std::move(meta), freshness);
  out.fileSize = frame.fileSize;
  out.bodyCrc = frame.trailer.bodyCrc;
  out.mtimeNs = int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
  return FileCheck::Ok;
}

}  // namespace

StoredObject::StoredObject(uint64_t id, ObjectMeta meta, FreshnessInfo freshness)
    : id_(id), meta_(std::move(meta)), freshness_(std::move(freshness)) {}

std::shared_ptr<const std::string> StoredObject::memoryBody() const {
  return memoryBody_.load(std::memory_order_acquire);
}

struct ObjectStore::Impl {
  std::shared_ptr<StoreCore> core;
};

ObjectStore::ObjectStore(StoreConfig config) : impl_(std::make_unique<Impl>()) {
  impl_->core = std::make_shared<StoreCore>(std::move(config));
}

ObjectStore::~ObjectStore() {
  StoreCore& core = *impl_->core;
  core.closed = true;  // begin() refuses from here on
  std::vector<std::shared_ptr<WriterImpl>> writers;
  {
    std::lock_guard<std::mutex> lock(core.mutex);
    for (auto& [key, writer] : core.inflight) writers.push_back(writer);
  }
  // Not writing the queue out, finished writers included: under a load the disk could not keep
  // up with, that is up to maxWriting files to create and totalBacklogMax bytes, seconds of
  // shutdown (1.5-2.6 s for 256 small finished objects on a busy disk, against 2-27 ms to
  // abandon them) for objects that a restarted cache fetches again.
  for (auto& writer : writers) writer->shutdown();
  // Runs what is queued (completions already started finish, abandoned writers remove their tmp
  // file, reads and metadata rewrites run), then joins: no disk thread can hold the last
  // reference to the core after this.
  core.disk.stop();
}

void ObjectStore::open() {
  StoreCore& core = *impl_->core;
  if (core.opened) return;
  const std::string& dir = core.config.dir;
  if (dir.empty()) unusable(dir, "no directory configured");
  makeLayout(dir);

  uint64_t maxId = 0;
  uint64_t droppedTmp = 0;
  for (const std::string& name : listDir(dir, dir + "/tmp")) {
    if (auto id = parseIdName(name)) maxId = std::max(maxId, *id);
    std::string path = dir + "/tmp/" + name;
    if (::unlink(path.c_str()) != 0) unusable(dir, callFailed("unlink", path, errno));
    ++droppedTmp;
  }

  std::vector<Found> found;
  uint64_t droppedCorrupt = 0;
  for (const std::string& xxName : listDir(dir, dir + "/objects")) {
    // "objects/XX": XX the low byte of the ids in it. Anything else is not ours.
    std::optional<uint64_t> xxId = parseIdName("00000000000000" + xxName);
    if (!xxId) continue;
    uint64_t xx = *xxId;
    std::string sub = "objects/" + xxName;
    struct stat st {};
    if (::stat((dir + "/" + sub).c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) continue;
    for (const std::string& name : listDir(dir, dir + "/" + sub)) {
      std::optional<uint64_t> id = parseIdName(name);
      std::string path = dir + "/" + sub + "/" + name;
      if (!id) continue;  // not a name the store writes: not ours to delete
      maxId = std::max(maxId, *id);
      Found f;
      FileCheck check = (*id & 0xff) == xx ? loadObject(path, *id, f) : FileCheck::BadHeader;
      if (check != FileCheck::Ok) {
        ::unlink(path.c_str());
        ++droppedCorrupt;
        diag::debug("cache: dropped " + path + ": " + toString(check));
        continue;
      }
      found.push_back(std::move(f));
    }
  }

  // Oldest first, so that LRU order survives a restart as well as mtimes tell it (a refresh
  // rewrites the metadata, and so the mtime), and of two files of one key+variant (a crash
  // between the rename of a new one and the unlink of the old) the newer is kept.
  std::sort(found.begin(), found.end(), [](const Found& a, const Found& b) {
    return a.mtimeNs != b.mtimeNs ? a.mtimeNs < b.mtimeNs : a.object->id() < b.object->id();
  });
  std::vector<uint64_t> gone;
  {
    std::lock_guard<std::mutex> lock(core.mutex);
    for (Found& f : found) core.index.insert(f.object, f.fileSize, f.bodyCrc, nullptr, gone);
    core.droppedCorrupt += droppedCorrupt;
    core.droppedTmp += droppedTmp;
  }
  core.unlinkNow(gone);

  // Unique across restarts even if every file is gone: ids also start past the clock, in units
  // of 2^20 ids per second.
  auto clockFloor = static_cast<uint64_t>(std::max<time_t>(0, ::time(nullptr))) << 20;
  core.nextId = std::max(maxId + 1, clockFloor);
  core.disk.start(core.config.diskThreads);
  core.opened = true;

  StoreStats s = stats();
  diag::info("cache dir " + dir + ": " + std::to_string(s.objects) + " objects, " +
             std::to_string(s.diskBytes) + " bytes; dropped " + std::to_string(droppedCorrupt) +
             " corrupt and " + std::to_string(droppedTmp) + " unfinished files, evicted " +
             std::to_string(s.evictions) + " to fit the limits");
}

ObjectPtr ObjectStore::find(std::string_view key, const inspect::RequestHead& request) {
  StoreCore& core = *impl_->core;
  std::vector<ObjectPtr> candidates;
  {
    std::lock_guard<std::mutex> lock(core.mutex);
    candidates = core.index.variants(key);
  }
  // varyKey() outside the lock: it allocates and walks every request field.
  for (const ObjectPtr& candidate : candidates) {
    const ObjectMeta& meta = candidate->meta();
    std::optional<std::string> variant = varyKey(fieldViews(meta.fields), request.headers);
    if (!variant || *variant != meta.variant) continue;
    std::lock_guard<std::mutex> lock(core.mutex);
    if (!core.index.touch(candidate->id())) return nullptr;  // dropped meanwhile
    return core.index.get(candidate->id())->object;          // refreshed meanwhile: the newer
  }
  return nullptr;
}

ObjectStore::Claim ObjectStore::claim(std::string_view key) {
  StoreCore& core = *impl_->core;
  std::shared_ptr<WriterImpl> ended;  // released after the lock
  std::shared_ptr<WriterImpl> writer;
  {
    std::lock_guard<std::mutex> lock(core.mutex);
    auto it = core.inflight.find(key);
    if (it != core.inflight.end()) {
      ObjectWriter::State s = it->second->state();
      if (s == ObjectWriter::State::Waiting || s == ObjectWriter::State::Writing) {
        return {nullptr, it->second};
      }
      // Ended but not settled yet (it removes itself later, and only itself): replace it.
      ended = std::move(it->second);
      core.inflight.erase(it);
    }
    writer = std::make_shared<WriterImpl>(impl_->core, std::string(key), core.nextId++);
    core.inflight.emplace(std::string(key), writer);
  }
  // Outside the lock: the handle's deleter takes it (and runs if making the handle fails).
  return {WriterImpl::fetcherHandle(writer), nullptr};
}

std::unique_ptr<BodyReader> ObjectStore::openBody(const ObjectPtr& object, uint64_t offset,
                                                  uint64_t length) {
  if (!object) return failedBodyReader();
  uint64_t bodyLength = object->meta().bodyLength;
  offset = std::min(offset, bodyLength);
  uint64_t end = length > bodyLength - offset ? bodyLength : offset + length;
  if (auto body = object->memoryBody()) return memoryBodyReader(std::move(body), offset, end);

  StoreCore& core = *impl_->core;
  std::optional<uint32_t> crc;
  {
    std::lock_guard<std::mutex> lock(core.mutex);
    const ObjectIndex::Entry* entry = core.index.get(object->id());
    if (entry == nullptr) return failedBodyReader();  // its file is gone or going
    if (offset == 0 && end == bodyLength) crc = entry->bodyCrc;
  }
  const StoreConfig& config = core.config;
  bool keep = bodyLength <= config.memoryObjectMax && bodyLength <= config.memoryLimit;
  return fileBodyReader(impl_->core, object, offset, end, crc, keep);
}

std::unique_ptr<BodyReader> ObjectStore::openGrowingBody(const WriterPtr& writer, uint64_t offset) {
  std::shared_ptr<WriterImpl> impl = WriterImpl::from(writer);
  if (!impl) return failedBodyReader();
  return growingBodyReader(impl_->core, std::move(impl), offset);
}

ObjectPtr ObjectStore::refresh(const ObjectPtr& object, StoredFields fields,
                               FreshnessInfo freshness) {
  ObjectMeta meta = object->meta();
  meta.fields = std::move(fields);
  meta.responseTime = freshness.responseTime;
  auto refreshed = std::make_shared<const StoredObject>(object->id(), std::move(meta), freshness);
  StoreCore& core = *impl_->core;
  bool indexed = false;
  {
    std::lock_guard<std::mutex> lock(core.mutex);
    indexed = core.index.replace(refreshed);
  }
  if (indexed) {
    std::shared_ptr<StoreCore> shared = impl_->core;
    uint64_t id = object->id();
    core.disk.post([shared, id] { shared->rewriteMeta(id); });
  } else if (auto body = object->memoryBody()) {
    // Not indexed: nothing to rewrite, but the caller may still serve the body it had.
    refreshed->memoryBody_.store(std::move(body));
  }
  return refreshed;
}

namespace {
// Runs `remove` on the index under the lock, then unlinks what it removed on a disk thread.
template <typename Remove>
size_t purge(StoreCore& core, Remove remove) {
  std::vector<uint64_t> gone;
  size_t n = 0;
  {
    std::lock_guard<std::mutex> lock(core.mutex);
    n = remove(core.index, gone);
  }
  core.unlinkLater(std::move(gone));
  return n;
}
}  // namespace

size_t ObjectStore::purgeKey(std::string_view key) {
  return purge(*impl_->core,
               [&](ObjectIndex& i, std::vector<uint64_t>& g) { return i.removeKey(key, g); });
}

size_t ObjectStore::purgeHost(std::string_view host) {
  return purge(*impl_->core,
               [&](ObjectIndex& i, std::vector<uint64_t>& g) { return i.removeHost(host, g); });
}

void ObjectStore::drop(const ObjectPtr& object) {
  if (!object) return;
  StoreCore& core = *impl_->core;
  bool removed = false;
  {
    std::lock_guard<std::mutex> lock(core.mutex);
    removed = core.index.remove(object->id());
    if (removed) ++core.droppedCorrupt;
  }
  if (removed) core.unlinkLater({object->id()});
}

StoreStats ObjectStore::stats() const {
  const StoreCore& core = *impl_->core;
  std::lock_guard<std::mutex> lock(core.mutex);
  const ObjectIndex& index = core.index;
  StoreStats s;
  s.objects = index.objects();
  s.diskBytes = index.diskBytes();
  s.memoryBytes = index.memoryBytes();
  s.memoryObjects = index.memoryObjects();
  s.writing = core.inflight.size();
  s.begun = core.begun.load(std::memory_order_relaxed);
  s.backlogBytes = core.backlogBytes.load(std::memory_order_relaxed);
  s.reservedBytes = index.reservedBytes();
  s.evictions = index.counts().evictions;
  s.droppedCorrupt = core.droppedCorrupt;
  s.droppedTmp = core.droppedTmp;
  s.writeFailures = core.writeFailures;
  s.abandoned = core.abandoned;
  s.refusedBusy = core.refusedBusy;
  s.backlogGiveUps = core.backlogGiveUps;
  s.replaced = index.counts().replaced;
  s.memoryEvictions = index.counts().memoryEvictions;
  return s;
}

const StoreConfig& ObjectStore::config() const { return impl_->core->config; }

}  // namespace tollgate::cache
